//! `/v1/media`: upload, list, read, edit the texts of, and delete media items.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::process::{self, ProcessError};
use super::queries::list_rows;
use super::{find_media, upload, with_variants, MediaItem, MediaText};
use crate::changes::write_tx;
use crate::db;
use crate::db::schema::media;
use crate::error::{AppError, AppResult};
use crate::http::auth::Editor;
use crate::http::body::parse_body;
use crate::http::list::{ListFilters, ListQuery};
use crate::http::middleware::etag_for;
use crate::http::params::write_id;
use crate::http::preconditions::check_if_match;
use crate::http::response::{self, ListBody};
use crate::resource::MediaId;
use crate::AppState;

/// The `multipart/form-data` body of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MediaUpload {
    /// The image: JPEG, PNG or WebP (decided from its bytes, not its name),
    /// up to `BELPORTAL_MEDIA_MAX_BYTES` (10 MiB by default) and 50 megapixels.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    /// Alternative text, up to 500 characters (default empty).
    alt: Option<String>,
    /// Up to 1000 characters.
    caption: Option<String>,
    /// Up to 1000 characters.
    credit: Option<String>,
}

/// The writable fields of a media item (a JSON Merge Patch of them).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaWrite {
    /// Up to 500 characters.
    pub alt: Option<String>,
    /// Up to 1000 characters; null removes it.
    pub caption: Option<String>,
    /// Up to 1000 characters; null removes it.
    pub credit: Option<String>,
}

const READ_ONLY: &[&str] = &[
    "id",
    "url",
    "width",
    "height",
    "mime",
    "bytes",
    "variants",
    "created_at",
    "updated_at",
];

fn processing_error(e: ProcessError) -> AppError {
    match e {
        ProcessError::Unsupported => AppError::UnsupportedMediaType(
            "the file is not a JPEG, PNG or WebP image (judged by its bytes, not its name)".into(),
        ),
        ProcessError::Rejected(m) => AppError::Unprocessable(vec![crate::error::FieldError {
            field: "file".into(),
            message: m,
        }]),
        ProcessError::Io(m) => AppError::Internal(format!("media processing: {m}")),
    }
}

fn item_response(status: u16, item: &MediaItem) -> HttpResponse {
    let mut res = response::json(None, item);
    if let Ok(s) = actix_web::http::StatusCode::from_u16(status) {
        *res.status_mut() = s;
    }
    let h = res.headers_mut();
    if let Ok(v) = serde_json::to_vec(item).map(|b| etag_for(&b)) {
        if let Ok(v) = header::HeaderValue::from_str(&v) {
            h.insert(header::ETAG, v);
        }
    }
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    res
}

/// Upload an image
///
/// Stores a JPEG, PNG or WebP image sent as `multipart/form-data` (`file`; optional `alt`, `caption`,
/// `credit`), makes its responsive variants and answers 201 with the media item and its `Location`.
/// Reference it from content as `{"media": id}`. Needs an editor key.
#[utoipa::path(
    tag = "media",
    request_body(content = inline(MediaUpload), content_type = "multipart/form-data",
        description = "The image in the `file` part, with optional `alt`, `caption` and `credit` parts"),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Stored with its variants; `Location` names the new item", body = MediaItem,
            headers(("Location" = String, description = "Path of the new media item"))),
        (status = 400, description = "Malformed multipart body"),
        (status = 413, description = "The file is over BELPORTAL_MEDIA_MAX_BYTES"),
        (status = 415, description = "Not multipart/form-data, or the file is not a JPEG, PNG or WebP image"),
        (status = 422, description = "Missing file, bad texts, or an image that cannot be decoded or is over 50 megapixels"),
    )
)]
#[post("/media")]
pub async fn upload_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    _editor: Editor,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let store = state.media.clone();
    let scratch = web::block(move || store.scratch_dir())
        .await?
        .map_err(|e| AppError::Internal(format!("media scratch dir: {e}")))?;
    let up = upload::read_upload(&req, payload, scratch, state.config.media_max_bytes).await?;
    let text = MediaText::validate(up.alt, up.caption, up.credit)?;
    let file = up.file;
    // At most BELPORTAL_MEDIA_DECODES decodes at once, holding together at most
    // BELPORTAL_MEDIA_DECODE_MEGAPIXELS pixels (a 49-megapixel PNG needs ~150 MB
    // while it is processed). The header is read first, without decoding, to
    // know this upload's share. Permits live as long as the decode, even if the
    // client leaves.
    let path = file.path().to_path_buf();
    let pixels = web::block(move || process::declared_pixels(&path))
        .await?
        .map_err(processing_error)?;
    let budget = state.config.media_decode_megapixels;
    let share = u32::try_from(pixels.div_ceil(1_000_000))
        .unwrap_or(u32::MAX)
        .clamp(1, budget);
    let closed = |_| AppError::Internal("the decode semaphore is closed".into());
    let pixel_permit = state
        .decode_pixels
        .clone()
        .acquire_many_owned(share)
        .await
        .map_err(closed)?;
    let permit = state
        .decodes
        .clone()
        .acquire_owned()
        .await
        .map_err(closed)?;
    let processed = web::block(move || {
        let r = process::process_file(file.path());
        drop(file);
        drop(permit);
        drop(pixel_permit);
        r
    })
    .await?
    .map_err(processing_error)?;
    let store = state.media.clone();
    let item = db::run_write(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            let id = super::insert_media(conn, store.as_ref(), &processed, &text, db::now())?;
            find_media(conn, id)
        })
    })
    .await?;
    state.caches.invalidate_all();
    let mut res = item_response(201, &item);
    if let Ok(v) = header::HeaderValue::from_str(&format!("/v1/media/{}", item.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Media lists take only the shared parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaFilters {}

impl ListFilters for MediaFilters {
    const SORTS: &'static [&'static str] = &["created_at", "id"];
    const DEFAULT_SORT: &'static str = "-created_at";
    const SORT_DOC: Option<&'static str> =
        Some("`created_at` or `id`, `-` for descending (default `-created_at`).");
    const Q_DOC: Option<&'static str> = Some("Text in alt, caption or credit (case-insensitive).");
    const UPDATED_SINCE_DOC: Option<&'static str> =
        Some("Items changed at or after this RFC 3339 instant.");
    const LANG_DOC: Option<&'static str> = None;
}

/// List media items
///
/// The media library, newest first (`-created_at`, the default) or by `id`, searchable with `q` in alt,
/// caption and credit; pages follow `links.next` or `cursor`. Needs an editor key (files stay public).
#[utoipa::path(
    tag = "media",
    params(ListQuery<MediaFilters>),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Media items, newest first by default. Editors only: the library also holds images used only by drafts; the files under `/media/` stay public.", body = ListBody<MediaItem>),
    )
)]
#[get("/media")]
pub async fn list_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    _editor: Editor,
    query: ListQuery<MediaFilters>,
) -> AppResult<HttpResponse> {
    let params = query.params()?;
    let p = params.clone();
    let page = db::run(&state.pool, move |conn| {
        list_rows(conn, &p)?.try_map_all(|rows| with_variants(conn, rows))
    })
    .await?;
    Ok(response::list_in(&req, None, &params, page, None))
}

/// Get a media item
///
/// One media item with its URL, size, texts and variants. Needs an editor key.
#[utoipa::path(
    tag = "media",
    params(("id" = i64, Path, description = "Media item id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The media item with its variants (editors only)", body = MediaItem),
        (status = 404, description = "No such media item"),
    )
)]
#[get("/media/{id}")]
pub async fn get_media(
    state: web::Data<AppState>,
    _editor: Editor,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: MediaId = write_id(&path)?;
    let item = db::run(&state.pool, move |conn| find_media(conn, id)).await?;
    Ok(response::json(None, &item))
}

/// Update a media item's texts
///
/// A JSON Merge Patch of `alt`, `caption` and `credit`; content already using the image keeps the
/// texts it was saved with. `If-Match` refuses lost updates. Needs an editor key.
#[utoipa::path(
    tag = "media",
    request_body(content = MediaWrite, description = "JSON Merge Patch (RFC 7396) of alt, caption and credit", content_type = "application/merge-patch+json"),
    params(
        ("id" = i64, Path, description = "Media item id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on; a stale one is a 412"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The updated media item (content already using it keeps the texts it was saved with)", body = MediaItem),
        (status = 404, description = "No such media item"),
        (status = 412, description = "If-Match names an older version; nothing was changed"),
        (status = 422, description = "Read-only, unknown or too long fields"),
    )
)]
#[patch("/media/{id}")]
pub async fn update_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    _editor: Editor,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    let id: MediaId = write_id(&path)?;
    let if_match = req
        .headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let patch = crate::http::json_object(body.into_inner())?;
    let item = db::run_write(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            let before = find_media(conn, id)?;
            if if_match.is_some() {
                let bytes = serde_json::to_vec(&before)
                    .map_err(|e| AppError::Internal(format!("serialize media: {e}")))?;
                check_if_match(if_match.as_deref(), &etag_for(&bytes))?;
            }
            crate::http::body::check_patch_keys::<MediaWrite>(&patch, READ_ONLY)?;
            let mut base = Map::new();
            base.insert("alt".into(), Value::String(before.alt.clone()));
            for (k, v) in [("caption", &before.caption), ("credit", &before.credit)] {
                if let Some(v) = v {
                    base.insert(k.into(), Value::String(v.clone()));
                }
            }
            let mut merged = Value::Object(base);
            json_patch::merge(&mut merged, &Value::Object(patch));
            let merged = match merged {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            let w: MediaWrite = parse_body(&merged, READ_ONLY)?;
            let t = MediaText::validate(w.alt, w.caption, w.credit)?;
            diesel::update(media::table.find(id.get()))
                .set((
                    media::alt.eq(&t.alt),
                    media::caption.eq(&t.caption),
                    media::credit.eq(&t.credit),
                    media::updated_at.eq(db::now()),
                ))
                .execute(conn)?;
            find_media(conn, id)
        })
    })
    .await?;
    state.caches.invalidate_all();
    Ok(item_response(200, &item))
}

/// Delete a media item
///
/// Deletes the item and the files no other item shares; refused with a 409 listing the content that
/// still uses it. Needs an editor key.
#[utoipa::path(
    tag = "media",
    params(("id" = i64, Path, description = "Media item id")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted, with the files no other media item shares"),
        (status = 404, description = "No such media item"),
        (status = 409, description = "Content still uses the media item; `used_by` lists it as `[{type, id, slug}]`"),
    )
)]
#[delete("/media/{id}")]
pub async fn delete_media(
    state: web::Data<AppState>,
    _editor: Editor,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: MediaId = write_id(&path)?;
    let names = db::run_write(&state.pool, move |conn| {
        write_tx(conn, |conn| super::delete_media(conn, id))
    })
    .await?;
    state.caches.invalidate_all();
    // Committed: only now may the files go (a failure leaves them to the sweep).
    let store = state.media.clone();
    let removed = db::run_write(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            super::remove_unreferenced(conn, store.as_ref(), &names)
        })
    })
    .await;
    if let Err(e) = removed {
        tracing::warn!(media = id.get(), error = %e, "media files left for the sweep");
    }
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .finish())
}

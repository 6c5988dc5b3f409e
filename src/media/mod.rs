//! The media library: uploaded images with their metadata and variants, stored
//! under content-addressed names, served at `/media/{name}`, and referenced by
//! content (`"image": {"media": 12}`), which is tracked so an image in use
//! cannot be deleted.

pub mod handlers;
pub mod object;
pub mod queries;
pub mod serve;
pub mod storage;
pub mod sweep;
pub mod upload;
pub mod usage;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::{media, media_variants};
use crate::db::AnyConnection;
use crate::domain::utc;
use crate::error::{AppError, AppResult};
use crate::resource::MediaId;
pub use belportal_imaging as process;
use process::Processed;

/// The path under which the binary serves stored files.
pub fn file_url(name: &str) -> String {
    format!("/media/{name}")
}

pub use crate::domain::ImageVariant;

/// An uploaded image.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct MediaItem {
    pub id: i64,
    /// Path of the stored original (re-encoded: it carries no EXIF or other metadata).
    pub url: String,
    pub width: u32,
    pub height: u32,
    /// `image/jpeg`, `image/png` or `image/webp`, decided from the file's bytes.
    pub mime: String,
    /// Size of the stored original in bytes.
    pub bytes: i64,
    /// Default alternative text of content that shows the image.
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// Narrower renditions (320, 640 and 1280 px wide, as WebP and in the
    /// original's format), never wider than the original; smallest first.
    pub variants: Vec<ImageVariant>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct MediaRow {
    pub id: i64,
    pub file_name: String,
    pub mime: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = media_variants)]
struct VariantRow {
    media_id: i64,
    file_name: String,
    mime: String,
    width: i32,
    height: i32,
}

fn dim(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// Items for `rows`, in their order, with their variants (one query for all).
pub fn with_variants(conn: &mut AnyConnection, rows: Vec<MediaRow>) -> AppResult<Vec<MediaItem>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let vrows: Vec<VariantRow> = media_variants::table
        .filter(media_variants::media_id.eq_any(&ids))
        .select(VariantRow::as_select())
        .load(conn)?;
    let mut by_media: HashMap<i64, Vec<ImageVariant>> = HashMap::new();
    for v in vrows {
        by_media.entry(v.media_id).or_default().push(ImageVariant {
            width: dim(v.width),
            height: dim(v.height),
            url: file_url(&v.file_name),
            mime: v.mime,
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut variants = by_media.remove(&r.id).unwrap_or_default();
            // Smallest first, WebP before the original format at each width.
            variants.sort_by(|a, b| {
                (a.width, a.mime != "image/webp").cmp(&(b.width, b.mime != "image/webp"))
            });
            MediaItem {
                id: r.id,
                url: file_url(&r.file_name),
                width: dim(r.width),
                height: dim(r.height),
                mime: r.mime,
                bytes: r.bytes,
                alt: r.alt,
                caption: r.caption,
                credit: r.credit,
                variants,
                created_at: utc(r.created_at),
                updated_at: utc(r.updated_at),
            }
        })
        .collect())
}

/// The media items with these ids that exist, keyed by id.
pub fn find_many(
    conn: &mut AnyConnection,
    ids: &[MediaId],
) -> AppResult<HashMap<MediaId, MediaItem>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let rows: Vec<MediaRow> = media::table
        .filter(media::id.eq_any(ids))
        .select(MediaRow::as_select())
        .load(conn)?;
    Ok(with_variants(conn, rows)?
        .into_iter()
        .map(|m| (MediaId(m.id), m))
        .collect())
}

/// Media item `id` (404 when there is none).
pub fn find_media(conn: &mut AnyConnection, id: impl Into<MediaId>) -> AppResult<MediaItem> {
    let id = id.into();
    find_many(conn, &[id])?
        .remove(&id)
        .ok_or_else(|| AppError::not_found("no such media item"))
}

/// Metadata of a new media item (validated).
#[derive(Debug, Clone, Default)]
pub struct MediaText {
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

impl MediaText {
    /// Validated texts: alt is kept as given (it may be empty), blank caption and
    /// credit read as absent. The same rules for uploads, PATCHes and imports.
    pub fn validate(
        alt: Option<String>,
        caption: Option<String>,
        credit: Option<String>,
    ) -> AppResult<MediaText> {
        let mut e = crate::http::body::FieldErrors::default();
        let alt = alt.map(|a| a.trim().to_string()).unwrap_or_default();
        if alt.chars().count() > 500 {
            e.add("alt", "must be at most 500 characters");
        }
        let caption = e.opt_text("caption", &caption, 1000);
        let credit = e.opt_text("credit", &credit, 1000);
        e.finish()?;
        Ok(MediaText {
            alt,
            caption,
            credit,
        })
    }
}

/// Stores the files of `p` and inserts the item and its variants; returns its id.
/// Runs inside the write transaction, so a delete cannot remove a file between
/// the put and the insert that makes it referenced again.
pub fn insert_media(
    conn: &mut AnyConnection,
    store: &dyn storage::MediaStore,
    p: &Processed,
    text: &MediaText,
    now: NaiveDateTime,
) -> AppResult<i64> {
    for r in std::iter::once(&p.original).chain(&p.variants) {
        store
            .put(&r.name, &r.bytes)
            .map_err(|e| AppError::Internal(format!("media store put {}: {e}", r.name)))?;
    }
    let o = &p.original;
    let id: i64 = diesel::insert_into(media::table)
        .values((
            media::file_name.eq(&o.name),
            media::mime.eq(o.format.mime()),
            media::width.eq(o.width as i32),
            media::height.eq(o.height as i32),
            media::bytes.eq(o.bytes.len() as i64),
            media::alt.eq(&text.alt),
            media::caption.eq(&text.caption),
            media::credit.eq(&text.credit),
            media::created_at.eq(now),
            media::updated_at.eq(now),
        ))
        .returning(media::id)
        .get_result(conn)?;
    for v in &p.variants {
        diesel::insert_into(media_variants::table)
            .values((
                media_variants::media_id.eq(id),
                media_variants::file_name.eq(&v.name),
                media_variants::mime.eq(v.format.mime()),
                media_variants::width.eq(v.width as i32),
                media_variants::height.eq(v.height as i32),
                media_variants::bytes.eq(v.bytes.len() as i64),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// Deletes item `id` (409 listing the content that still uses it) and returns
/// the names of its files. Files are removed only after the transaction has
/// committed (`remove_unreferenced`): a rollback must never lose a file.
pub fn delete_media(conn: &mut AnyConnection, id: impl Into<MediaId>) -> AppResult<Vec<String>> {
    let id: MediaId = id.into();
    let item = find_media(conn, id)?;
    let users = usage::users_of(conn, id)?;
    if !users.is_empty() {
        let list: Vec<String> = users
            .iter()
            .map(|u| format!("{} {} ({})", u.kind, u.id, u.slug))
            .collect();
        return Err(AppError::InUse {
            detail: format!(
                "media item {id} is still used by {}; remove it from that content first",
                list.join(", ")
            ),
            used_by: users,
        });
    }
    let id = id.get();
    let mut names: Vec<String> = media_variants::table
        .filter(media_variants::media_id.eq(id))
        .select(media_variants::file_name)
        .load(conn)?;
    names.push(item.url.trim_start_matches("/media/").to_string());
    diesel::delete(media_variants::table.filter(media_variants::media_id.eq(id))).execute(conn)?;
    diesel::delete(media::table.find(id)).execute(conn)?;
    Ok(names)
}

/// Whether any media item or variant names file `name`.
pub fn is_referenced(conn: &mut AnyConnection, name: &str) -> AppResult<bool> {
    let shared: i64 = media::table
        .filter(media::file_name.eq(name))
        .count()
        .get_result(conn)?;
    let shared_v: i64 = media_variants::table
        .filter(media_variants::file_name.eq(name))
        .count()
        .get_result(conn)?;
    Ok(shared + shared_v > 0)
}

/// Removes the files of `names` that no item references (identical uploads
/// share content-addressed files). Call in a `write_tx` after the deleting
/// transaction committed: the write lock keeps an upload of the same bytes
/// from referencing a file between the check and the removal. Returns how
/// many files were removed; a file that cannot be removed is logged and left
/// to the sweep.
pub fn remove_unreferenced(
    conn: &mut AnyConnection,
    store: &dyn storage::MediaStore,
    names: &[String],
) -> AppResult<usize> {
    let mut removed = 0;
    for name in names {
        if is_referenced(conn, name)? {
            continue;
        }
        match store.delete(name) {
            Ok(()) => removed += 1,
            // The row is gone; an orphaned immutable file is harmless, so log and go on.
            Err(e) => tracing::warn!(file = %name, error = %e, "could not delete a media file"),
        }
    }
    Ok(removed)
}

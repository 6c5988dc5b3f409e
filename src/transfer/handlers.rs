//! `GET /v1/admin/export` (streamed NDJSON) and `POST /v1/admin/import` (NDJSON
//! spooled to a temporary file, then imported in one transaction).

use std::io::{BufReader, Seek, SeekFrom, Write};

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::export::export_all;
use super::import::{import_ndjson, ImportReport};
use super::transfer_ctx;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::http::auth::Admin;
use crate::http::response;
use crate::AppState;

pub const NDJSON: &str = "application/x-ndjson";

/// A rejected import: an RFC 9457 problem carrying the import report.
#[derive(Serialize, ToSchema)]
pub struct ImportProblem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// `created` and `updated` are 0: nothing was written.
    #[serde(flatten)]
    pub report: ImportReport,
}

/// Export everything as NDJSON
///
/// Streams every item of every collection, locale and publication status, one
/// JSON object a line, for backups and moves between databases (SQLite and
/// PostgreSQL alike); `POST /v1/admin/import` or `belportal import` restores it.
/// Not cached. Needs an admin key.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Every item of every collection, every locale and publication status, one JSON object a line (`type` plus the item's write-body fields, `translation_of` as `{locale, slug}`, `created_at`, `updated_at`), streamed: media metadata first (`{\"type\": \"media\", id, file_name, mime, width, height, bytes, alt, caption, credit, variants: [{file_name, mime, width, height, bytes}], created_at, updated_at}`; the files stay in the media directory, which a backup copies alongside), then sections (parents first), articles, tourist sites, UNESCO listings, sanatoria, monuments, souvenirs, events. `belportal import` or `POST /v1/admin/import` restores it.",
            body = String, content_type = "application/x-ndjson"),
    )
)]
#[get("/admin/export")]
pub async fn export(state: web::Data<AppState>, _admin: Admin) -> AppResult<HttpResponse> {
    // A few chunks in flight: the reader waits for a slow client instead of buffering.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let pool = state.pool.clone();
    // Fail before the 200 when the database is down.
    let conn = db::run(&state.pool, |_| Ok(())).await;
    conn?;
    std::thread::spawn(move || {
        let result = pool.get().map_err(AppError::from).and_then(|mut conn| {
            export_all(&mut conn, &mut |chunk| {
                tx.blocking_send(Ok(web::Bytes::from(chunk)))
                    .map_err(|_| AppError::Internal("export client went away".into()))
            })
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "export stopped");
            // Cuts the response short, so the client sees an incomplete transfer.
            let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let day = chrono::Utc::now().format("%Y%m%d");
    Ok(HttpResponse::Ok()
        .content_type(NDJSON)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"belportal-{day}.ndjson\""),
        ))
        .streaming(stream))
}

fn is_ndjson(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim();
            m.eq_ignore_ascii_case(NDJSON) || m.eq_ignore_ascii_case("application/jsonl")
        })
}

/// Import NDJSON
///
/// Upserts the items of an export (by type, locale and slug) in one transaction:
/// all or nothing, with a 422 naming each bad line. Needs an admin key.
#[utoipa::path(
    tag = "admin",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One item a line, as `GET /v1/admin/export` writes them: `type` (media, section, article, tourist_site, unesco_site, sanatorium, monument, souvenir, event) and the write-body fields of that collection; `translation_of` may be `{locale, slug}` of an item earlier in the file (or stored) or an id; `created_at`/`updated_at` are kept when given. Items are upserted by type, locale and slug. A media line's files must already be in the media store (copy the media directory first); it updates the stored item with the same original file or adds one, and later lines' `image.media` / `gallery[].media` naming its exported `id` are renumbered to the stored id."),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Imported, all in one transaction (changes feed entries included)", body = ImportReport),
        (status = 413, description = "Body over the import limit (`BELPORTAL_IMPORT_MAX_MB`)"),
        (status = 415, description = "Not application/x-ndjson"),
        (status = 422, description = "Nothing was written: `errors` names each bad line and field", body = ImportProblem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/import")]
pub async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    mut payload: web::Payload,
) -> AppResult<HttpResponse> {
    if !is_ndjson(&req) {
        return Err(AppError::UnsupportedMediaType(
            "send the import as application/x-ndjson (one JSON object a line)".into(),
        ));
    }
    let limit = state.config.import_max_mb.saturating_mul(1 << 20);
    let mut file = web::block(tempfile::tempfile)
        .await?
        .map_err(|e| AppError::Internal(format!("import spool: {e}")))?;
    // Spooled in ~1 MiB writes on the blocking pool: the body can be far larger than memory.
    let mut pending: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    loop {
        let chunk = payload.next().await;
        let done = chunk.is_none();
        if let Some(c) = chunk {
            let c = c.map_err(|e| AppError::bad_request(format!("cannot read the body: {e}")))?;
            total += c.len() as u64;
            if total > limit {
                return Err(AppError::PayloadTooLarge(format!(
                    "the import is larger than {} MiB (BELPORTAL_IMPORT_MAX_MB)",
                    state.config.import_max_mb
                )));
            }
            pending.extend_from_slice(&c);
        }
        if pending.len() >= 1 << 20 || (done && !pending.is_empty()) {
            let data = std::mem::take(&mut pending);
            file = web::block(move || file.write_all(&data).map(|_| file))
                .await?
                .map_err(|e| AppError::Internal(format!("import spool: {e}")))?;
        }
        if done {
            break;
        }
    }
    let ctx = transfer_ctx(state.config.clone(), state.caches.clone(), Some(admin.0));
    let store = state.media.clone();
    let report: AppResult<ImportReport> = db::run_write(&state.pool, move |conn| {
        file.seek(SeekFrom::Start(0))
            .map_err(|e| AppError::Internal(format!("import spool: {e}")))?;
        let report = import_ndjson(conn, &ctx, store.as_ref(), BufReader::new(file))?;
        if report.created + report.updated > 10_000 {
            db::analyze(conn)?;
        }
        Ok(report)
    })
    .await;
    // Also after a rolled-back import: a read inside its transaction may have
    // cached rows that no longer exist.
    state.caches.invalidate_all();
    let report = report?;
    let mut res = if report.errors.is_empty() {
        response::json(None, &report)
    } else {
        let n = report.errors.len();
        let problem = ImportProblem {
            kind: "about:blank",
            title: "Unprocessable Entity",
            status: 422,
            detail: format!(
                "nothing was imported: {n} error(s); `errors` names each line and field"
            ),
            report,
        };
        HttpResponse::UnprocessableEntity()
            .content_type(crate::error::PROBLEM_JSON)
            .body(serde_json::to_vec(&problem).unwrap_or_default())
    };
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

//! Import: every NDJSON line upserted by (type, locale, slug) through its
//! resource's own body parser and save (the write API's validation), all in one
//! write transaction that also appends to the changes feed. One bad line and
//! nothing is written; the report names each bad line and field.

use std::io::BufRead;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::media::{import_media_line, MediaMap, Outcome};
use super::{
    find_id, set_times, stored_meta, stored_meta_and_due, type_names, with_resource, ParseAndSave,
};
use crate::db::{self, truncate_micros, AnyConnection};
use crate::editorial::{after_write, write_tx, Action, ItemWritten, SaveCtx, Stamps, WriteBatch};
use crate::error::{AppError, AppResult, FieldError};
use crate::media::storage::MediaStore;
use crate::resource::ResourceType;

/// An import stops collecting errors after this many.
const MAX_ERRORS: usize = 100;

/// The outcome of an import: what was written, or why nothing was.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// Items created (0 when `errors` is not empty: nothing was written).
    pub created: u64,
    /// Items that existed (same type, locale and slug) and were replaced.
    pub updated: u64,
    /// One entry per bad field, with its line; empty on success.
    pub errors: Vec<ImportError>,
}

/// A rejected field of one line.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportError {
    /// 1-based line number in the file.
    pub line: u64,
    /// The field (`type`, `title`, `image.url`, ...), or `body` for the line as a whole.
    pub field: String,
    pub message: String,
}

/// Rolls the transaction back with a report, or fails with an error.
enum Stop {
    Rejected(ImportReport),
    Failed(AppError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Stop::Failed(e)
    }
}

/// Reads NDJSON from `input` and imports it in one transaction. A report with
/// errors means nothing was written.
pub fn import_ndjson(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    store: &dyn MediaStore,
    input: impl BufRead,
) -> AppResult<ImportReport> {
    let outcome = write_tx(conn, |conn| {
        let mut report = ImportReport::default();
        let mut input = input;
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        let mut run = Run {
            store,
            media: MediaMap::default(),
        };
        db::bulk::plan_for_growing_tables(conn)?;
        let mut pending = WriteBatch::start(conn)?;
        loop {
            buf.clear();
            let n = input
                .read_until(b'\n', &mut buf)
                .map_err(|e| AppError::bad_request(format!("cannot read the import: {e}")))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let keep_going = import_line(
                conn,
                ctx,
                line_no,
                &buf,
                &mut run,
                &mut pending,
                &mut report,
            )?;
            if !keep_going || report.errors.len() >= MAX_ERRORS {
                break;
            }
        }
        if report.errors.is_empty() {
            pending.finish(conn)?;
            Ok(report)
        } else {
            Err(Stop::Rejected(report))
        }
    });
    match outcome {
        Ok(r) => Ok(r),
        Err(Stop::Rejected(mut r)) => {
            r.created = 0;
            r.updated = 0;
            Ok(r)
        }
        Err(Stop::Failed(e)) => Err(e),
    }
}

fn reject(report: &mut ImportReport, line: u64, field: &str, message: impl Into<String>) {
    report.errors.push(ImportError {
        line,
        field: field.to_string(),
        message: message.into(),
    });
}

fn instant(
    report: &mut ImportReport,
    line: u64,
    obj: &mut Map<String, Value>,
    field: &str,
) -> Option<NaiveDateTime> {
    let v = obj.remove(field)?;
    match v.as_str().map(DateTime::<FixedOffset>::parse_from_rfc3339) {
        Some(Ok(t)) => Some(truncate_micros(t.naive_utc())),
        _ => {
            reject(report, line, field, "must be an RFC 3339 date-time");
            None
        }
    }
}

/// Replaces `translation_of: {locale, slug}` by the sibling's id in this database.
fn link_translation(
    conn: &mut AnyConnection,
    report: &mut ImportReport,
    line: u64,
    t: ResourceType,
    obj: &mut Map<String, Value>,
) -> AppResult<()> {
    let Some(Value::Object(target)) = obj.get("translation_of") else {
        return Ok(());
    };
    let (Some(locale), Some(slug)) = (
        target.get("locale").and_then(Value::as_str),
        target.get("slug").and_then(Value::as_str),
    ) else {
        reject(
            report,
            line,
            "translation_of",
            "must be {\"locale\": ..., \"slug\": ...} or an id",
        );
        obj.remove("translation_of");
        return Ok(());
    };
    match find_id(conn, t, locale, slug)? {
        Some(id) => {
            obj.insert("translation_of".into(), Value::from(id));
        }
        None => {
            reject(
                report,
                line,
                "translation_of",
                format!(
                    "no {} `{slug}` in locale `{locale}` (earlier in the file or stored)",
                    t.as_str().replace('_', " ")
                ),
            );
            obj.remove("translation_of");
        }
    }
    Ok(())
}

/// What one import carries from line to line.
struct Run<'a> {
    /// Where media lines' files must be.
    store: &'a dyn MediaStore,
    /// Exported media ids and what they became here.
    media: MediaMap,
}

/// Imports one line; false stops the import (the transaction can take no more).
fn import_line(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    line: u64,
    bytes: &[u8],
    run: &mut Run,
    pending: &mut WriteBatch,
    report: &mut ImportReport,
) -> Result<bool, Stop> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(true);
    }
    let mut obj = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            reject(report, line, "body", "must be a JSON object");
            return Ok(true);
        }
        Err(e) => {
            reject(report, line, "body", format!("malformed JSON: {e}"));
            return Ok(true);
        }
    };
    let t = match obj.remove("type") {
        None => {
            reject(report, line, "type", "is required");
            return Ok(true);
        }
        Some(v) if v.as_str() == Some(super::media::TYPE) => {
            return import_media(conn, ctx, line, obj, run, report);
        }
        Some(v) => match v.as_str().and_then(ResourceType::from_type_str) {
            Some(t) => t,
            None => {
                reject(
                    report,
                    line,
                    "type",
                    format!("must be one of {}", type_names()),
                );
                return Ok(true);
            }
        },
    };
    let errors_before = report.errors.len();
    let created = instant(report, line, &mut obj, "created_at");
    let updated = instant(report, line, &mut obj, "updated_at");
    link_translation(conn, report, line, t, &mut obj)?;
    run.media.renumber(&mut obj);
    let locale = obj
        .get("locale")
        .and_then(Value::as_str)
        .unwrap_or(&ctx.config.default_locale)
        .to_string();
    let existing = match obj.get("slug").and_then(Value::as_str) {
        Some(slug) => find_id(conn, t, &locale, slug)?,
        None => None,
    };
    let was_public = match existing {
        Some(id) => stored_meta(conn, t, id, ctx.now)?.public,
        None => false,
    };
    // The exported instants go into the save's own INSERT or UPDATE.
    let line_ctx = ctx.with_stamps(Stamps {
        created_at: created,
        updated_at: updated,
    });
    let saved = with_resource(
        t,
        ParseAndSave {
            conn,
            ctx: &line_ctx,
            obj: &obj,
            existing,
            line_has_errors: report.errors.len() > errors_before,
        },
    );
    let id = match saved {
        // Earlier errors on the line: the body was checked, nothing saved.
        None => return Ok(true),
        Some(Ok(id)) => id,
        Some(Err(AppError::Unprocessable(errs))) => {
            for FieldError { field, message } in errs {
                reject(report, line, &field, message);
            }
            return Ok(true);
        }
        Some(Err(AppError::Conflict(message))) => {
            // PostgreSQL aborts the transaction on a constraint violation: stop here.
            reject(report, line, "slug", message);
            return Ok(false);
        }
        Some(Err(e)) => return Err(Stop::Failed(e)),
    };
    if report.errors.len() > errors_before {
        return Ok(true);
    }
    if existing.is_some() {
        // An update keeps the stored created_at: restore the exported one.
        set_times(conn, t, id, created, None)?;
    }
    // Media usage stays current (DELETE /v1/media sees imported users too): the
    // media a saved body names in `image` and `gallery` are the ones stored.
    let media = crate::media::usage::media_ids_of(&Value::Object(obj));
    let (meta, due) = stored_meta_and_due(conn, t, id, ctx.now)?;
    let action = if existing.is_some() {
        report.updated += 1;
        Action::Updated
    } else {
        report.created += 1;
        Action::Created
    };
    // The after-write step of every write; the batch defers the feed entry,
    // usage, schedule and search document to a few statements a chunk.
    after_write(
        conn,
        Some(pending),
        &ItemWritten {
            resource: t,
            id,
            action,
            meta: &meta,
            was_public,
            media: &media,
            due,
            at: ctx.now,
        },
    )?;
    Ok(true)
}

/// A media line: its metadata, after checking its files are in the store.
fn import_media(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    line: u64,
    mut obj: Map<String, Value>,
    run: &mut Run,
    report: &mut ImportReport,
) -> Result<bool, Stop> {
    let errors_before = report.errors.len();
    let created = instant(report, line, &mut obj, "created_at");
    let updated = instant(report, line, &mut obj, "updated_at");
    let outcome = import_media_line(
        conn,
        run.store,
        &mut run.media,
        line,
        &obj,
        (created, updated),
        ctx.now,
    )?;
    match outcome {
        Outcome::Rejected(errs) => {
            for FieldError { field, message } in errs {
                reject(report, line, &field, message);
            }
        }
        _ if report.errors.len() > errors_before => {}
        Outcome::Created => report.created += 1,
        Outcome::Updated => report.updated += 1,
    }
    Ok(true)
}

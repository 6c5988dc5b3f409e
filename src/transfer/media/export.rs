//! Media lines of an export: one line per media item, in id order, in chunks.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::{FileLine, TYPE};
use crate::db::schema::{media, media_variants};
use crate::db::AnyConnection;
use crate::domain::time::rfc3339_utc;
use crate::error::{AppError, AppResult};
use crate::media::MediaRow;

/// An exported media line.
#[derive(Serialize)]
struct ExportLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i64,
    file_name: &'a str,
    mime: &'a str,
    width: i32,
    height: i32,
    bytes: i64,
    alt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit: Option<&'a str>,
    variants: Vec<FileLine>,
    created_at: String,
    updated_at: String,
}

/// Writes every media item as NDJSON lines, `chunk` items a round.
pub fn export_media(
    conn: &mut AnyConnection,
    chunk: i64,
    sink: &mut dyn FnMut(Vec<u8>) -> AppResult<()>,
) -> AppResult<u64> {
    let mut after = 0;
    let mut n = 0;
    loop {
        let rows: Vec<MediaRow> = media::table
            .filter(media::id.gt(after))
            .order(media::id)
            .limit(chunk)
            .select(MediaRow::as_select())
            .load(conn)?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        after = last.id;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        type VariantRow = (i64, String, String, i32, i32, i64);
        let vrows: Vec<VariantRow> = media_variants::table
            .filter(media_variants::media_id.eq_any(&ids))
            .select((
                media_variants::media_id,
                media_variants::file_name,
                media_variants::mime,
                media_variants::width,
                media_variants::height,
                media_variants::bytes,
            ))
            .load(conn)?;
        let mut variants: HashMap<i64, Vec<FileLine>> = HashMap::new();
        for (id, file_name, mime, width, height, bytes) in vrows {
            variants.entry(id).or_default().push(FileLine {
                file_name,
                mime,
                width: u32::try_from(width).unwrap_or(0),
                height: u32::try_from(height).unwrap_or(0),
                bytes: u64::try_from(bytes).unwrap_or(0),
            });
        }
        let mut out = Vec::with_capacity(rows.len() * 1024);
        for r in &rows {
            let mut vs = variants.remove(&r.id).unwrap_or_default();
            // A stable order: width, then WebP before the original's format.
            vs.sort_by(|a, b| {
                (a.width, a.mime != "image/webp", &a.file_name).cmp(&(
                    b.width,
                    b.mime != "image/webp",
                    &b.file_name,
                ))
            });
            let line = ExportLine {
                kind: TYPE,
                id: r.id,
                file_name: &r.file_name,
                mime: &r.mime,
                width: r.width,
                height: r.height,
                bytes: r.bytes,
                alt: &r.alt,
                caption: r.caption.as_deref(),
                credit: r.credit.as_deref(),
                variants: vs,
                created_at: rfc3339_utc(r.created_at),
                updated_at: rfc3339_utc(r.updated_at),
            };
            serde_json::to_writer(&mut out, &line)
                .map_err(|e| AppError::Internal(format!("export media line: {e}")))?;
            out.push(b'\n');
        }
        n += rows.len() as u64;
        sink(out)?;
    }
}

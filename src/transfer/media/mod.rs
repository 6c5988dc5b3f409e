//! Media metadata in the NDJSON transfer. An export starts with one
//! `{"type": "media", ...}` line per media item (id order): its id in the
//! exporting database, the stored file names of the original and of every
//! variant, sizes, texts and instants. The files themselves stay in the media
//! store (`BELPORTAL_MEDIA_URL`, a directory or an S3 bucket): a backup is the
//! NDJSON plus a copy of that store, and content-addressed names mean copying
//! it never overwrites a different file. Nodes that share a bucket share the
//! files, so an import there needs no copy at all.
//!
//! On import a media line is validated field by field, its files must be in the
//! target's store, and it updates the stored item with the same original file
//! (or adds one). Content lines after it that name the exported id in
//! `image.media` or `gallery[].media` are renumbered to the target's id.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::db::schema::{media, media_variants};
use crate::db::AnyConnection;
use crate::editorial::parse_body;
use crate::error::{AppError, AppResult, FieldError};
use crate::media::process::Format;
use crate::media::storage::{is_valid_name, MediaStore};
use crate::media::MediaText;

mod export;
pub use export::export_media;

/// The `type` of a media line.
pub const TYPE: &str = "media";

/// Largest width or height accepted on a media line (the upload limit).
const MAX_SIDE: u32 = 30_000;

/// A stored file of a media item: the original or a variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLine {
    pub file_name: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// The fields of a media line on import (`type`, `created_at` and `updated_at`
/// are taken off before). Every field is optional here so that each missing
/// one is reported by name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportLine {
    id: Option<i64>,
    file_name: Option<String>,
    mime: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    bytes: Option<u64>,
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
    variants: Option<Vec<FileLine>>,
}

/// What an import has learned about media so far.
#[derive(Debug, Default)]
pub struct MediaMap {
    /// Exported id → id in this database, with the line that named it.
    ids: HashMap<i64, (i64, u64)>,
    /// Stored items already matched by a line of this import.
    claimed: HashSet<i64>,
}

impl MediaMap {
    /// Renumbers `image.media` and `gallery[].media` of a content line from the
    /// exporting database's ids to this one's. Ids no media line named are left
    /// as they are: they refer to items already stored (and are checked as in
    /// any write).
    pub fn renumber(&self, obj: &mut Map<String, Value>) {
        if self.ids.is_empty() {
            return;
        }
        let remap = |img: &mut Value| {
            if let Some(m) = img.get_mut("media") {
                if let Some(new) = m.as_i64().and_then(|old| self.ids.get(&old)) {
                    *m = Value::from(new.0);
                }
            }
        };
        if let Some(img) = obj.get_mut("image") {
            remap(img);
        }
        if let Some(Value::Array(gallery)) = obj.get_mut("gallery") {
            gallery.iter_mut().for_each(remap);
        }
    }
}

/// The result of one media line.
pub enum Outcome {
    Created,
    Updated,
    /// Rejected: one entry per bad field.
    Rejected(Vec<FieldError>),
}

fn check_file(
    errors: &mut Vec<FieldError>,
    store: &dyn MediaStore,
    prefix: &str,
    f: &FileLine,
) -> AppResult<()> {
    let (file_name, mime, width, height, bytes) = (
        f.file_name.as_str(),
        f.mime.as_str(),
        f.width,
        f.height,
        f.bytes,
    );
    let mut add = |field: &str, message: String| {
        errors.push(FieldError {
            field: format!("{prefix}{field}"),
            message,
        })
    };
    if ![Format::Jpeg, Format::Png, Format::WebP]
        .iter()
        .any(|f| f.mime() == mime)
    {
        add("mime", "must be image/jpeg, image/png or image/webp".into());
    }
    if !(1..=MAX_SIDE).contains(&width) {
        add("width", format!("must be between 1 and {MAX_SIDE}"));
    }
    if !(1..=MAX_SIDE).contains(&height) {
        add("height", format!("must be between 1 and {MAX_SIDE}"));
    }
    if bytes == 0 || i64::try_from(bytes).is_err() {
        add("bytes", "must be a positive number of bytes".into());
    }
    if !is_valid_name(file_name) {
        add(
            "file_name",
            "must be a stored file name: 64 hex digits of SHA-256 and .jpg, .png or .webp".into(),
        );
        return Ok(());
    }
    if Format::mime_of_name(file_name).is_some_and(|m| m != mime) {
        add(
            "mime",
            format!("does not agree with the extension of `{file_name}`"),
        );
    }
    match store.open(file_name) {
        Ok(Some(f)) if f.len == bytes => {}
        Ok(Some(f)) => add(
            "bytes",
            format!(
                "the stored file `{file_name}` has {} bytes, the line says {bytes}",
                f.len
            ),
        ),
        Ok(None) => add(
            "file_name",
            format!(
                "`{file_name}` is not in the media store: copy the exporting server's media files (its BELPORTAL_MEDIA_URL directory or bucket) into this server's store before importing"
            ),
        ),
        Err(e) => {
            return Err(AppError::Internal(format!(
                "media store open {file_name}: {e}"
            )))
        }
    }
    Ok(())
}

/// Imports one media line (`obj` without `type`, `created_at` and `updated_at`).
/// `line` is its line number, for the map's messages.
pub fn import_media_line(
    conn: &mut AnyConnection,
    store: &dyn MediaStore,
    map: &mut MediaMap,
    line: u64,
    obj: &Map<String, Value>,
    (created, updated): (Option<NaiveDateTime>, Option<NaiveDateTime>),
    now: NaiveDateTime,
) -> AppResult<Outcome> {
    let l: ImportLine = match parse_body(obj, &[]) {
        Ok(l) => l,
        Err(AppError::Unprocessable(errs)) => return Ok(Outcome::Rejected(errs)),
        Err(e) => return Err(e),
    };
    let mut errors = Vec::new();
    let mut required = |field: &str, present: bool| {
        if !present {
            errors.push(FieldError {
                field: field.into(),
                message: "is required".into(),
            });
        }
    };
    required("id", l.id.is_some());
    required("file_name", l.file_name.is_some());
    required("mime", l.mime.is_some());
    required("width", l.width.is_some());
    required("height", l.height.is_some());
    required("bytes", l.bytes.is_some());
    if let Some(old) = l.id {
        if old < 1 {
            errors.push(FieldError {
                field: "id".into(),
                message: "must be a positive integer".into(),
            });
        } else if let Some((_, first)) = map.ids.get(&old) {
            errors.push(FieldError {
                field: "id".into(),
                message: format!("media item {old} is already on line {first}"),
            });
        }
    }
    let text = match MediaText::validate(l.alt, l.caption, l.credit) {
        Ok(t) => t,
        Err(AppError::Unprocessable(errs)) => {
            errors.extend(errs);
            MediaText::default()
        }
        Err(e) => return Err(e),
    };
    let (Some(old_id), Some(file_name), Some(mime), Some(width), Some(height), Some(bytes)) =
        (l.id, l.file_name, l.mime, l.width, l.height, l.bytes)
    else {
        return Ok(Outcome::Rejected(errors));
    };
    let original = FileLine {
        file_name,
        mime,
        width,
        height,
        bytes,
    };
    check_file(&mut errors, store, "", &original)?;
    let variants = l.variants.unwrap_or_default();
    for (i, v) in variants.iter().enumerate() {
        check_file(&mut errors, store, &format!("variants[{i}]."), v)?;
        if variants[..i].iter().any(|w| w.file_name == v.file_name) {
            errors.push(FieldError {
                field: format!("variants[{i}].file_name"),
                message: "is listed twice".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::Rejected(errors));
    }

    // Identical uploads share their files, so several stored items can have this
    // original: take the first one no earlier line of this import has matched.
    let FileLine {
        file_name,
        mime,
        width,
        height,
        bytes,
    } = original;
    let candidates: Vec<i64> = media::table
        .filter(media::file_name.eq(&file_name))
        .order(media::id)
        .select(media::id)
        .load(conn)?;
    let existing = candidates.into_iter().find(|id| !map.claimed.contains(id));
    let created = created.unwrap_or(now);
    let updated = updated.unwrap_or(now);
    // Both sizes were checked against MAX_SIDE and i64 above.
    let (w, h) = (width as i32, height as i32);
    let b = bytes as i64;
    // Every column but the file name, which is the match key.
    let fields = (
        media::mime.eq(&mime),
        media::width.eq(w),
        media::height.eq(h),
        media::bytes.eq(b),
        media::alt.eq(&text.alt),
        media::caption.eq(&text.caption),
        media::credit.eq(&text.credit),
        media::created_at.eq(created),
        media::updated_at.eq(updated),
    );
    let (id, outcome) = match existing {
        Some(id) => {
            diesel::update(media::table.find(id))
                .set(fields)
                .execute(conn)?;
            diesel::delete(media_variants::table.filter(media_variants::media_id.eq(id)))
                .execute(conn)?;
            (id, Outcome::Updated)
        }
        None => {
            let id: i64 = diesel::insert_into(media::table)
                .values((media::file_name.eq(&file_name), fields))
                .returning(media::id)
                .get_result(conn)?;
            (id, Outcome::Created)
        }
    };
    for v in &variants {
        diesel::insert_into(media_variants::table)
            .values((
                media_variants::media_id.eq(id),
                media_variants::file_name.eq(&v.file_name),
                media_variants::mime.eq(&v.mime),
                media_variants::width.eq(v.width as i32),
                media_variants::height.eq(v.height as i32),
                media_variants::bytes.eq(v.bytes as i64),
            ))
            .execute(conn)?;
    }
    map.claimed.insert(id);
    map.ids.insert(old_id, (id, line));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map_of(pairs: &[(i64, i64)]) -> MediaMap {
        let mut m = MediaMap::default();
        for (old, new) in pairs {
            m.ids.insert(*old, (*new, 1));
        }
        m
    }

    #[test]
    fn renumber_rewrites_image_and_gallery_references_it_knows() {
        let m = map_of(&[(3, 10), (4, 11)]);
        let mut obj = json!({
            "image": {"media": 3, "alt": "a"},
            "gallery": [{"media": 4}, {"media": 99}, {"url": "https://example.org/x.jpg"}],
            "title": "media 3"
        });
        let Value::Object(ref mut o) = obj else {
            unreachable!()
        };
        m.renumber(o);
        assert_eq!(obj["image"]["media"], 10);
        assert_eq!(obj["gallery"][0]["media"], 11);
        assert_eq!(obj["gallery"][1]["media"], 99, "unknown ids are kept");
        assert_eq!(obj["gallery"][2].get("media"), None);
        assert_eq!(obj["title"], "media 3");
    }
}

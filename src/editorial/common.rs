//! Field rules every content resource shares: locale, publication, images,
//! translation links.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime};

use super::{FieldErrors, SaveCtx};
use crate::db::truncate_micros;
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, Image, ImageWrite};
use crate::error::AppResult;
use crate::media::MediaItem;
use crate::resource::MediaId;

/// The locale of a write: a configured locale, else the default.
pub fn locale(errs: &mut FieldErrors, ctx: &SaveCtx, v: &Option<String>) -> String {
    match v.as_deref() {
        None => ctx.config.default_locale.clone(),
        Some(l) if ctx.config.is_supported_locale(l) => l.to_string(),
        Some(l) => {
            errs.add(
                "locale",
                format!(
                    "`{l}` is not a configured locale; configured: {}",
                    ctx.config.locales.join(", ")
                ),
            );
            ctx.config.default_locale.clone()
        }
    }
}

/// `publication_status` (or its synonym `status`, where a resource has no other
/// `status`) and `published_at`: `published` without a date is published now; a
/// future date schedules it. Returns the stored status and instant.
pub fn publication(
    errs: &mut FieldErrors,
    ctx: &SaveCtx,
    status: Option<ContentStatus>,
    synonym: Option<ContentStatus>,
    published_at: Option<DateTime<FixedOffset>>,
) -> (String, Option<NaiveDateTime>) {
    let status = match (status, synonym) {
        (Some(a), Some(b)) if a != b => {
            errs.add("status", "contradicts `publication_status`");
            a
        }
        (a, b) => a.or(b).unwrap_or(ContentStatus::Draft),
    };
    let at = published_at.map(|t| truncate_micros(t.naive_utc()));
    let at = match (status, at) {
        (ContentStatus::Published, None) => Some(ctx.now),
        (_, at) => at,
    };
    (status.as_str().to_string(), at)
}

/// Checks an image object: an absolute http(s) URL or a path on this service,
/// sizes in range, short texts.
pub fn image(errs: &mut FieldErrors, field: &str, img: &Image) {
    let u = img.url.trim();
    let ok_url = if u.starts_with('/') {
        !u.starts_with("//") && u.len() <= 2000
    } else {
        url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https")) && u.len() <= 2000
    };
    if !ok_url {
        errs.add(
            &format!("{field}.url"),
            "must be an absolute http(s) URL or a path starting with /",
        );
    }
    for (name, v) in [("width", img.width), ("height", img.height)] {
        if v.is_some_and(|n| n == 0 || n > 100_000) {
            errs.add(&format!("{field}.{name}"), "must be from 1 to 100000");
        }
    }
    if img.alt.chars().count() > 500 {
        errs.add(&format!("{field}.alt"), "must be at most 500 characters");
    }
    for (name, v) in [("caption", &img.caption), ("credit", &img.credit)] {
        if v.as_ref().is_some_and(|s| s.chars().count() > 1000) {
            errs.add(
                &format!("{field}.{name}"),
                "must be at most 1000 characters",
            );
        }
    }
}

/// Turns the images of a write into stored images: media references get the
/// media item's URL, size, variants and (unless given) texts; external images
/// are checked. Loads every referenced media item with one query.
pub struct ImageResolver {
    found: HashMap<MediaId, MediaItem>,
}

impl ImageResolver {
    pub fn load<'a>(
        conn: &mut AnyConnection,
        images: impl IntoIterator<Item = &'a ImageWrite>,
    ) -> AppResult<Self> {
        let ids: Vec<MediaId> = images
            .into_iter()
            .filter_map(|i| i.media.map(MediaId))
            .collect();
        Ok(ImageResolver {
            found: crate::media::find_many(conn, &ids)?,
        })
    }

    /// The stored form of `img`, or None (with errors naming `field`'s parts).
    pub fn resolve(&self, errs: &mut FieldErrors, field: &str, img: &ImageWrite) -> Option<Image> {
        let Some(id) = img.media else {
            let mut missing = false;
            if img.url.is_none() {
                errs.add(
                    &format!("{field}.url"),
                    "is required (or `media`, the id of a media library item)",
                );
                missing = true;
            }
            if img.alt.is_none() {
                errs.add(&format!("{field}.alt"), "is required");
                missing = true;
            }
            let out = Image {
                url: img.url.clone().unwrap_or_default(),
                width: img.width,
                height: img.height,
                alt: img.alt.clone().unwrap_or_default(),
                caption: img.caption.clone(),
                credit: img.credit.clone(),
                media: None,
                variants: Vec::new(),
            };
            if missing {
                return None;
            }
            image(errs, field, &out);
            return Some(out);
        };
        if img.url.is_some() {
            errs.add(
                &format!("{field}.url"),
                "give either `media` or `url`, not both (in a merge patch, set `media` to null to use an external image)",
            );
        }
        for (name, v) in [("width", img.width), ("height", img.height)] {
            if v.is_some() {
                errs.add(
                    &format!("{field}.{name}"),
                    "comes from the media item; leave it out",
                );
            }
        }
        let Some(m) = self.found.get(&MediaId(id)) else {
            errs.add(&format!("{field}.media"), format!("no media item {id}"));
            return None;
        };
        let out = Image {
            url: m.url.clone(),
            width: Some(m.width),
            height: Some(m.height),
            alt: img.alt.clone().unwrap_or_else(|| m.alt.clone()),
            caption: img.caption.clone().or_else(|| m.caption.clone()),
            credit: img.credit.clone().or_else(|| m.credit.clone()),
            media: Some(id),
            variants: m.variants.clone(),
        };
        image(errs, field, &out);
        Some(out)
    }
}

/// Image JSON as stored in a column.
pub fn image_column(img: &Option<Image>) -> Option<String> {
    img.as_ref().and_then(|i| serde_json::to_string(i).ok())
}

/// A stored instant as a write sends it.
pub fn instant(t: Option<NaiveDateTime>) -> Option<DateTime<FixedOffset>> {
    t.map(|t| crate::domain::utc(t).fixed_offset())
}

/// The translation group for a write: the sibling's group with `translation_of`
/// (which must not hold this locale yet), else the item's own group.
pub fn translation_group(
    errs: &mut FieldErrors,
    target: Option<(i64, String)>,
    in_group: impl FnOnce(i64) -> AppResult<Vec<(i64, String)>>,
    locale: &str,
    self_id: Option<i64>,
    own_group: Option<i64>,
) -> AppResult<i64> {
    let group = match target {
        None => return Ok(own_group.unwrap_or(0)),
        Some((g, _)) => g,
    };
    for (id, l) in in_group(group)? {
        if Some(id) != self_id && l == locale {
            errs.add(
                "translation_of",
                format!("that item already has a translation in `{locale}` (id {id})"),
            );
        }
    }
    Ok(group)
}

/// After deleting item `$id`: a translation group is named by its first member's
/// id, and SQLite may hand a deleted id to the next new row, which would then join
/// the group by accident. The remaining members move to a group named by one of them.
#[macro_export]
macro_rules! regroup_translations {
    ($conn:expr, $t:ident, $id:expr) => {{
        let heir: Option<i64> = $t::table
            .filter($t::group_id.eq($id))
            .select(diesel::dsl::min($t::id))
            .first($conn)?;
        if let Some(h) = heir {
            diesel::update($t::table.filter($t::group_id.eq($id)))
                .set($t::group_id.eq(h))
                .execute($conn)?;
        }
        heir
    }};
}

/// The id the next row inserted into `table` gets (see `db::write::next_id`).
pub fn next_id(conn: &mut AnyConnection, table: &'static str) -> AppResult<i64> {
    crate::db::write::next_id(conn, table)
}

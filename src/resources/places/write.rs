//! Writing places: the body fields every kind shares (`body.rs`) and their
//! validation, the row form and terms, the merge-patch base, deletion, and the
//! representation a GET shows. `Place<K>` (`kind.rs`) runs them for every kind;
//! each kind's module adds its own fields (`KindWrite`) and handlers (`write_routes!`).

mod body;
mod checks;
pub use body::{stored_core, stored_terms, KindWrite, PlaceWrite, PlaceWriteCore, ALIAS};
use checks::{check_email, check_location, check_phone};
pub use checks::{int_in, non_negative, vocab_terms};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::unesco_sites::UnescoDetails;
use super::{context_of, find_place, Ctx, PlaceForm, PlaceKind, PlaceRow};
use crate::db::schema::{place_terms, places};
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, Image, Visibility};
use crate::editorial::common::{self, translation_group};
use crate::editorial::{sanitize_html, FieldErrors, ItemMeta, Representation, SaveCtx};
use crate::error::{AppError, AppResult};
use crate::http::params::ItemRef;
use crate::resource::PlaceId;

/// Fields of every place read shape that a write may not set.
pub const READ_ONLY: &[&str] = &[
    "id",
    "translations",
    "created_at",
    "updated_at",
    "distance_km",
];

/// A kind's own columns, details JSON and terms, validated.
#[derive(Debug)]
pub struct KindFields {
    pub category: Option<String>,
    pub rank_order: i32,
    pub listing_status: Option<String>,
    pub details: String,
    pub terms: Vec<(&'static str, Vec<String>)>,
}

impl KindFields {
    /// Kind fields kept in `category` and `details` only.
    pub fn new(category: Option<&str>, details: &impl Serialize) -> AppResult<Self> {
        Ok(KindFields {
            category: category.map(str::to_string),
            rank_order: i32::MAX,
            listing_status: None,
            details: serde_json::to_string(details)
                .map_err(|e| AppError::Internal(format!("place details: {e}")))?,
            terms: Vec::new(),
        })
    }
}

/// Validates the shared fields and the kind's own (`kind_fields` gets the
/// write's locale), then inserts (`id` None) or updates the place with its terms.
pub fn save_place(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    kind: PlaceKind,
    id: Option<i64>,
    c: PlaceWriteCore,
    status_synonym: Option<ContentStatus>,
    kind_fields: impl FnOnce(&mut AnyConnection, &mut FieldErrors, &str) -> AppResult<KindFields>,
) -> AppResult<i64> {
    let mut e = FieldErrors::default();
    let locale = common::locale(&mut e, ctx, &c.locale);
    let slug = e.slug("slug", &c.slug);
    let name = e.text("name", &c.name, 300);
    let aliases = e.names("aliases", &c.aliases, 20, 100);
    let summary = e.opt_text("summary", &c.summary, 2000).unwrap_or_default();
    let description_html = sanitize_html(c.description_html.as_deref().unwrap_or(""));
    if description_html.len() > 500_000 {
        e.add("description_html", "must be at most 500000 bytes");
    }
    let locality = e.opt_text("locality", &c.locality, 200);
    let address = e.opt_text("address", &c.address, 500);
    let point = check_location(&mut e, &c.location);
    let gallery_in = c.gallery.unwrap_or_default();
    if gallery_in.len() > 50 {
        e.add("gallery", "at most 50 images");
    }
    let images = common::ImageResolver::load(conn, c.image.iter().chain(&gallery_in))?;
    let image = c
        .image
        .as_ref()
        .and_then(|i| images.resolve(&mut e, "image", i));
    let gallery: Vec<Image> = gallery_in
        .iter()
        .enumerate()
        .filter_map(|(i, img)| images.resolve(&mut e, &format!("gallery[{i}]"), img))
        .collect();
    let website = e.url("website", &c.website);
    let phone = check_phone(&mut e, &c.phone);
    let email = check_email(&mut e, &c.email);
    let tags = e.tags("tags", &c.tags);
    let (status, published_at) = common::publication(
        &mut e,
        ctx,
        c.publication_status,
        status_synonym,
        c.published_at,
    );
    let mut k = kind_fields(conn, &mut e, &locale)?;
    let own_group: Option<i64> = match id {
        Some(id) => Some(
            places::table
                .find(id)
                .select(places::group_id)
                .first(conn)?,
        ),
        None => None,
    };
    let target: Option<(i64, String)> = match c.translation_of {
        None => None,
        Some(t) => {
            let found: Option<(i64, String)> = places::table
                .filter(places::id.eq(t))
                .filter(places::kind.eq(kind.as_str()))
                .select((places::group_id, places::locale))
                .first(conn)
                .optional()?;
            if found.is_none() {
                e.add(
                    "translation_of",
                    format!("no {} {t}", kind.as_str().replace('_', " ")),
                );
            }
            found
        }
    };
    let relinked = target.is_some();
    let group_id = translation_group(
        &mut e,
        target,
        |g| {
            Ok(places::table
                .filter(places::group_id.eq(g))
                .filter(places::kind.eq(kind.as_str()))
                .select((places::id, places::locale))
                .load(conn)?)
        },
        &locale,
        id,
        own_group,
    )?;
    if let (false, Some(id)) = (relinked, id) {
        // A locale change must not give the group two items in one locale.
        let twin: Option<i64> = places::table
            .filter(places::group_id.eq(group_id))
            .filter(places::locale.eq(&locale))
            .filter(places::id.ne(id))
            .select(places::id)
            .first(conn)
            .optional()?;
        if let Some(t) = twin {
            e.add(
                "locale",
                format!("its translation {t} is already in `{locale}`"),
            );
        }
    }
    e.finish()?;
    let mut form = PlaceForm {
        group_id,
        kind: kind.as_str().to_string(),
        locale,
        slug,
        name,
        summary,
        description_html,
        region: c.region.map(|r| r.as_str().to_string()),
        locality,
        address,
        lat: point.map(|p| p.lat),
        lon: point.map(|p| p.lon),
        geo_cell: point.map(crate::geo::cell),
        image: common::image_column(&image),
        gallery: serde_json::to_string(&gallery)
            .map_err(|e| AppError::Internal(format!("gallery: {e}")))?,
        website,
        phone,
        email,
        category: k.category.take(),
        rank_order: k.rank_order,
        listing_status: k.listing_status.take(),
        details: std::mem::take(&mut k.details),
        status,
        published_at,
        updated_at: ctx.updated_at(),
    };
    let id = match id {
        Some(id) => {
            diesel::update(places::table.find(id))
                .set(&form)
                .execute(conn)?;
            diesel::delete(place_terms::table.filter(place_terms::place_id.eq(id)))
                .execute(conn)?;
            id
        }
        None => {
            let id = common::next_id(conn, "places")?;
            if form.group_id == 0 {
                form.group_id = id;
            }
            diesel::insert_into(places::table)
                .values((
                    places::id.eq(id),
                    &form,
                    places::created_at.eq(ctx.created_at()),
                ))
                .execute(conn)?;
            id
        }
    };
    let all_terms = [("tag", tags), (ALIAS, aliases)].into_iter().chain(k.terms);
    for (term, values) in all_terms {
        for (i, v) in values.into_iter().enumerate() {
            diesel::insert_into(place_terms::table)
                .values((
                    place_terms::place_id.eq(id),
                    place_terms::term.eq(term),
                    place_terms::value.eq(v),
                    place_terms::position.eq(i as i32),
                ))
                .execute(conn)?;
        }
    }
    Ok(id)
}

fn not_found(kind: PlaceKind) -> AppError {
    AppError::not_found(format!("no such {}", kind.as_str().replace('_', " ")))
}

/// The place as its GET item endpoint shows it, whatever its publication status.
pub fn representation<T: Serialize>(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    kind: PlaceKind,
    id: i64,
    shape: fn(&PlaceRow, &Ctx) -> T,
) -> AppResult<Representation> {
    let row = find_place(
        conn,
        kind,
        &ItemRef::Id(PlaceId(id)),
        "",
        ctx.now,
        Visibility::Any,
    )?;
    let pctx = context_of(conn, &ctx.caches, &row, &ctx.config.default_locale, ctx.now)?;
    let meta = ItemMeta {
        slug: row.slug.clone(),
        locale: row.locale.clone(),
        public: Visibility::Public.allows(&row.status, row.published_at, ctx.now),
    };
    Representation::of(&shape(&row, &pctx), meta)
}

/// The `published_at` of a published place that is not public yet (scheduled).
pub fn scheduled_at(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    id: i64,
) -> AppResult<Option<NaiveDateTime>> {
    let (status, at): (String, Option<NaiveDateTime>) = places::table
        .find(id)
        .select((places::status, places::published_at))
        .first(conn)?;
    Ok(at.filter(|t| status == "published" && *t > ctx.now))
}

/// Points UNESCO listings that name tourist-site group `from` at `to` (None: no site).
fn repoint_unesco_refs(conn: &mut AnyConnection, from: i64, to: Option<i64>) -> AppResult<()> {
    let rows: Vec<(i64, String)> = places::table
        .filter(places::kind.eq(PlaceKind::UnescoSite.as_str()))
        .select((places::id, places::details))
        .load(conn)?;
    for (id, details) in rows {
        let mut d: UnescoDetails = serde_json::from_str(&details).unwrap_or_default();
        if d.tourist_site_group != Some(from) {
            continue;
        }
        d.tourist_site_group = to;
        let json = serde_json::to_string(&d)
            .map_err(|e| AppError::Internal(format!("place details: {e}")))?;
        diesel::update(places::table.find(id))
            .set(places::details.eq(json))
            .execute(conn)?;
    }
    Ok(())
}

/// Deletes a place and its terms. Translations whose group the place's id named
/// move to a group named by one of them (SQLite may reuse a deleted id). UNESCO
/// listings that named a deleted tourist site's group follow the group, or lose
/// the reference when no tourist site is left in it.
pub fn delete_place(conn: &mut AnyConnection, kind: PlaceKind, id: i64) -> AppResult<()> {
    let group: i64 = places::table
        .filter(places::id.eq(id))
        .filter(places::kind.eq(kind.as_str()))
        .select(places::group_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(kind))?;
    diesel::delete(place_terms::table.filter(place_terms::place_id.eq(id))).execute(conn)?;
    diesel::delete(places::table.find(id)).execute(conn)?;
    let heir = crate::regroup_translations!(conn, places, id);
    if kind == PlaceKind::TouristSite {
        repoint_unesco_refs(conn, id, heir)?;
        let left: i64 = places::table
            .filter(places::group_id.eq(group))
            .filter(places::kind.eq(PlaceKind::TouristSite.as_str()))
            .count()
            .get_result(conn)?;
        if group != id && left == 0 {
            repoint_unesco_refs(conn, group, None)?;
        }
    }
    Ok(())
}

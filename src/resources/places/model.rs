//! The place row, the shared API core, and the context that turns rows into items.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{unesco_sites, PlaceKind, Terms};
use crate::cache::Caches;
use crate::db::schema::{place_terms, places};
use crate::db::AnyConnection;
use crate::domain::{siblings, utc, ContentStatus, Image, Translation, Visibility};
use crate::error::AppResult;
use crate::geo::Point;
use crate::resources::regions::{load_regions, Location, Region};

/// A place row as a write stores it (all but `id` and `created_at`); the demo
/// loader writes its rows with it too.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = places, treat_none_as_null = true)]
pub struct PlaceForm {
    pub group_id: i64,
    pub kind: String,
    pub locale: String,
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub description_html: String,
    pub region: Option<String>,
    pub locality: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub geo_cell: Option<i32>,
    pub image: Option<String>,
    pub gallery: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub category: Option<String>,
    pub rank_order: i32,
    pub listing_status: Option<String>,
    pub details: String,
    pub status: String,
    // Read with `db::timestamp`: SQLite's text without chrono's format parser.
    #[diesel(deserialize_as = crate::db::timestamp::OptTs)]
    pub published_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = crate::db::timestamp::Ts)]
    pub updated_at: NaiveDateTime,
}

/// A stored place: its id, the columns a write stores, and when it was created.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = places)]
pub struct PlaceRow {
    pub id: i64,
    #[diesel(embed)]
    pub form: PlaceForm,
    #[diesel(deserialize_as = crate::db::timestamp::Ts)]
    pub created_at: NaiveDateTime,
}

impl std::ops::Deref for PlaceRow {
    type Target = PlaceForm;
    fn deref(&self) -> &PlaceForm {
        &self.form
    }
}

impl PlaceRow {
    pub fn point(&self) -> Option<Point> {
        Some(Point {
            lat: self.lat?,
            lon: self.lon?,
        })
    }

    pub fn details<T: for<'de> Deserialize<'de> + Default>(&self) -> T {
        serde_json::from_str(&self.details).unwrap_or_default()
    }
}

/// A region as places show it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RegionRef {
    pub slug: String,
    pub name: String,
}

/// The fields every place has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceCore {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub translations: Vec<Translation>,
    pub name: String,
    /// Other names the place is known by (other scripts, spellings, exonyms).
    pub aliases: Vec<String>,
    pub summary: String,
    /// Sanitized HTML.
    pub description_html: String,
    pub region: Option<RegionRef>,
    pub locality: Option<String>,
    pub address: Option<String>,
    pub location: Option<Location>,
    pub image: Option<Image>,
    pub gallery: Vec<Image>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// `published` for everything the public sees; editors previewing also see `draft` and `archived`.
    pub publication_status: ContentStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Great-circle distance from `near` (km, two decimals); only with `near`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

/// What rows need to become API items: localized regions, multi-valued terms,
/// visible translations, and referenced tourist sites.
pub struct Ctx {
    pub regions: Arc<Vec<Region>>,
    pub terms: HashMap<i64, HashMap<String, Vec<String>>>,
    pub siblings: Vec<(i64, i64, String, String)>,
    pub tourist_refs: HashMap<i64, TouristSiteRef>,
    pub distances: HashMap<i64, f64>,
}

/// A tourist site referenced from a UNESCO listing.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TouristSiteRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl Ctx {
    /// The context of one stored row for reading its own fields (its terms; no
    /// regions, translations or references).
    pub fn of_terms(id: i64, terms: Terms) -> Ctx {
        Ctx {
            regions: Arc::new(Vec::new()),
            terms: HashMap::from([(id, terms)]),
            siblings: Vec::new(),
            tourist_refs: HashMap::new(),
            distances: HashMap::new(),
        }
    }

    pub fn terms(&self, id: i64, term: &str) -> Vec<String> {
        self.terms
            .get(&id)
            .and_then(|t| t.get(term))
            .cloned()
            .unwrap_or_default()
    }

    pub fn region(&self, slug: Option<&str>) -> Option<RegionRef> {
        let slug = slug?;
        let name = self
            .regions
            .iter()
            .find(|r| r.slug == slug)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| slug.to_string());
        Some(RegionRef {
            slug: slug.to_string(),
            name,
        })
    }

    pub fn core(&self, r: &PlaceRow) -> PlaceCore {
        PlaceCore {
            id: r.id,
            slug: r.slug.clone(),
            locale: r.locale.clone(),
            translations: siblings(&self.siblings, r.group_id, r.id),
            name: r.name.clone(),
            aliases: self.terms(r.id, super::write::ALIAS),
            summary: r.summary.clone(),
            description_html: r.description_html.clone(),
            region: self.region(r.region.as_deref()),
            locality: r.locality.clone(),
            address: r.address.clone(),
            location: r.point().map(|p| Location {
                lat: p.lat,
                lon: p.lon,
            }),
            image: Image::from_column(r.image.as_deref()),
            gallery: serde_json::from_str(&r.gallery).unwrap_or_default(),
            website: r.website.clone(),
            phone: r.phone.clone(),
            email: r.email.clone(),
            tags: self.terms(r.id, "tag"),
            published_at: r.published_at.map(utc),
            publication_status: ContentStatus::from_column(&r.status),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            distance_km: self.distances.get(&r.id).copied(),
        }
    }
}

/// Regions localized for `locale`, cached (reference data).
pub fn regions_for(
    conn: &mut AnyConnection,
    caches: &Caches,
    locale: &str,
    fallback: &str,
) -> AppResult<Arc<Vec<Region>>> {
    if let Some(r) = caches.regions(locale) {
        return Ok(r);
    }
    let r = Arc::new(load_regions(conn, locale, fallback)?);
    caches.set_regions(locale, r.clone());
    Ok(r)
}

/// Loads everything `Ctx` needs for these rows, in a handful of queries.
pub fn context(
    conn: &mut AnyConnection,
    caches: &Caches,
    rows: &[PlaceRow],
    locale: &str,
    fallback: &str,
    now: NaiveDateTime,
) -> AppResult<Ctx> {
    let regions = regions_for(conn, caches, locale, fallback)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut terms: HashMap<i64, HashMap<String, Vec<String>>> = HashMap::new();
    if !ids.is_empty() {
        let term_rows: Vec<(i64, String, String)> = place_terms::table
            .filter(crate::db::any_of::any_of(conn, place_terms::place_id, &ids))
            .select((place_terms::place_id, place_terms::term, place_terms::value))
            .order((
                place_terms::place_id,
                place_terms::term,
                place_terms::position,
                place_terms::value,
            ))
            .load(conn)?;
        for (id, term, value) in term_rows {
            terms
                .entry(id)
                .or_default()
                .entry(term)
                .or_default()
                .push(value);
        }
    }
    let groups: Vec<i64> = rows.iter().map(|r| r.group_id).collect();
    let siblings = if groups.is_empty() {
        Vec::new()
    } else {
        crate::visible_siblings!(conn, places, groups, now)
    };
    let wanted: Vec<i64> = rows
        .iter()
        .filter(|r| r.kind == PlaceKind::UnescoSite.as_str())
        .filter_map(|r| {
            r.details::<unesco_sites::UnescoDetails>()
                .tourist_site_group
        })
        .collect();
    let mut tourist_refs = HashMap::new();
    if !wanted.is_empty() {
        type RefRow = (
            i64,
            i64,
            String,
            String,
            String,
            String,
            Option<NaiveDateTime>,
        );
        let refs: Vec<RefRow> = places::table
            .filter(crate::db::any_of::any_of(conn, places::group_id, &wanted))
            .filter(places::kind.eq(PlaceKind::TouristSite.as_str()))
            .select((
                places::group_id,
                places::id,
                places::slug,
                places::name,
                places::locale,
                places::status,
                places::published_at,
            ))
            .load(conn)?;
        for (group, id, slug, name, loc, status, published_at) in refs {
            if !Visibility::Public.allows(&status, published_at, now) {
                continue;
            }
            // Prefer the sibling in the requested locale.
            let better = loc == locale || !tourist_refs.contains_key(&group);
            if better {
                tourist_refs.insert(group, TouristSiteRef { id, slug, name });
            }
        }
    }
    Ok(Ctx {
        regions,
        terms,
        siblings,
        tourist_refs,
        distances: HashMap::new(),
    })
}

/// The context of one row, in its own locale (an item or a write's representation).
pub fn context_of(
    conn: &mut AnyConnection,
    caches: &Caches,
    row: &PlaceRow,
    fallback: &str,
    now: NaiveDateTime,
) -> AppResult<Ctx> {
    context(
        conn,
        caches,
        std::slice::from_ref(row),
        &row.locale,
        fallback,
        now,
    )
}

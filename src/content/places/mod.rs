//! Places: tourist sites, UNESCO listings, sanatoria, monuments (and souvenirs,
//! stored alike without a location). The shared core: the row, filters, the list
//! engine (SQL keyset, or geo radius search in memory after an indexed bounding
//! box prefilter), GeoJSON and item lookup. Each kind's module adds its fields.

/// Defines a place list's query struct: the parameters every place list takes
/// (paging, sort, q, updated_since, region, tag, geo, format, lang) plus the
/// kind's own filters, all as strings validated later into 400s that name the field.
macro_rules! place_list_query {
    ($name:ident, sort_doc = $sort_doc:literal, sort_pattern = $pat:literal, { $($(#[$m:meta])* $field:ident),* $(,)? }) => {
        #[derive(serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Page size, 1-100 (default 20).
            #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
            pub limit: Option<String>,
            /// Opaque cursor from `meta.next_cursor`.
            pub cursor: Option<String>,
            /// 1-based page number (not with `cursor`).
            #[param(value_type = Option<i64>, minimum = 1)]
            pub page: Option<String>,
            #[doc = $sort_doc]
            #[param(pattern = $pat)]
            pub sort: Option<String>,
            /// Text to find in the name or summary.
            pub q: Option<String>,
            /// Only places changed at or after this instant (RFC 3339).
            #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
            pub updated_since: Option<String>,
            /// Region slug.
            #[param(value_type = Option<crate::content::vocab::RegionSlug>)]
            pub region: Option<String>,
            /// Tag slug.
            pub tag: Option<String>,
            /// `lat,lon`: keeps places within `radius_km`, adds `distance_km`, and sorts by distance unless `sort` is given.
            #[param(example = "53.9006,27.5590")]
            pub near: Option<String>,
            /// Radius around `near` in km (default 25, at most 500).
            #[param(value_type = Option<f64>, minimum = 0, maximum = 500)]
            pub radius_km: Option<String>,
            /// `min_lon,min_lat,max_lon,max_lat` in decimal degrees.
            #[param(example = "23.1,51.2,32.8,56.2")]
            pub bbox: Option<String>,
            /// `json` (default) or `geojson` (the same as `Accept: application/geo+json`).
            #[param(pattern = "^(json|geojson)$")]
            pub format: Option<String>,
            /// Response locale (`be`, `ru`, `en`).
            pub lang: Option<String>,
            $($(#[$m])* pub $field: Option<String>,)*
        }

        impl $crate::content::places::PlaceQuery for $name {
            fn raw(&self) -> $crate::http::params::RawList<'_> {
                $crate::http::params::RawList {
                    limit: self.limit.as_deref(),
                    cursor: self.cursor.as_deref(),
                    page: self.page.as_deref(),
                    sort: self.sort.as_deref(),
                    q: self.q.as_deref(),
                    updated_since: self.updated_since.as_deref(),
                }
            }
            fn raw_filter(&self) -> $crate::content::places::RawPlaceFilter<'_> {
                $crate::content::places::RawPlaceFilter {
                    region: self.region.as_deref(),
                    tag: self.tag.as_deref(),
                    near: self.near.as_deref(),
                    radius_km: self.radius_km.as_deref(),
                    bbox: self.bbox.as_deref(),
                }
            }
            fn lang(&self) -> Option<&str> {
                self.lang.as_deref()
            }
            fn format(&self) -> Option<&str> {
                self.format.as_deref()
            }
        }
    };
}

pub mod geojson;
pub mod monuments;
pub mod nearby;
pub mod sanatoria;
pub mod souvenirs;
pub mod tourist_sites;
pub mod unesco_sites;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::articles::is_visible;
use super::regions::{load_regions, Location, Region};
use super::{siblings, utc, Image, Translation};
use crate::cache::Caches;
use crate::db::schema::{place_terms, places};
use crate::db::{self, lower, AnyConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::geo::{bbox_around, haversine_km, round_km, BBox, Point};
use crate::http::locale::negotiate;
use crate::http::params::{is_slug, ItemRef, ListParams, Paging, RawList};
use crate::http::response::{self, Page};
use crate::AppState;

pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MAX_RADIUS_KM: f64 = 500.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    TouristSite,
    UnescoSite,
    Sanatorium,
    Monument,
    Souvenir,
}

impl Kind {
    pub const PLACES: [Kind; 4] = [
        Kind::TouristSite,
        Kind::UnescoSite,
        Kind::Sanatorium,
        Kind::Monument,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TouristSite => "tourist_site",
            Kind::UnescoSite => "unesco_site",
            Kind::Sanatorium => "sanatorium",
            Kind::Monument => "monument",
            Kind::Souvenir => "souvenir",
        }
    }

    /// The collection name used in paths and in `type`.
    pub fn collection(self) -> &'static str {
        match self {
            Kind::TouristSite => "tourist-sites",
            Kind::UnescoSite => "unesco-sites",
            Kind::Sanatorium => "sanatoria",
            Kind::Monument => "monuments",
            Kind::Souvenir => "souvenirs",
        }
    }

    pub fn from_collection(s: &str) -> Option<Kind> {
        Kind::PLACES
            .into_iter()
            .chain([Kind::Souvenir])
            .find(|k| k.collection() == s)
    }

    pub fn from_str_kind(s: &str) -> Option<Kind> {
        Kind::PLACES
            .into_iter()
            .chain([Kind::Souvenir])
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = places)]
pub struct PlaceRow {
    pub id: i64,
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
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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
            .filter(place_terms::place_id.eq_any(ids))
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
        // By group only (an index lookup); visibility is checked here.
        places::table
            .filter(places::group_id.eq_any(groups))
            .select((
                (places::group_id, places::id, places::locale, places::slug),
                places::status,
                places::published_at,
            ))
            .load::<((i64, i64, String, String), String, Option<NaiveDateTime>)>(conn)?
            .into_iter()
            .filter(|(_, s, p)| is_visible(s, *p, now))
            .map(|(r, _, _)| r)
            .collect()
    };
    let wanted: Vec<i64> = rows
        .iter()
        .filter(|r| r.kind == Kind::UnescoSite.as_str())
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
            .filter(places::group_id.eq_any(wanted))
            .filter(places::kind.eq(Kind::TouristSite.as_str()))
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
            if !is_visible(&status, published_at, now) {
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

/// Validated filters of a place list.
#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    pub kinds: Vec<Kind>,
    pub locale: String,
    pub now: NaiveDateTime,
    pub region: Option<String>,
    pub category: Option<String>,
    pub listing_status: Option<String>,
    /// (term, value) pairs that must all be present: tag, criterion, profile ...
    pub terms: Vec<(&'static str, String)>,
    pub q: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    pub bbox: Option<BBox>,
    pub near: Option<(Point, f64)>,
}

impl PlaceFilter {
    fn cache_key(&self) -> String {
        format!(
            "places|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.kinds,
            self.locale,
            self.region,
            self.category,
            self.listing_status,
            self.terms,
            self.q,
            self.updated_since,
            self.bbox
                .map(|b| (b.min_lat, b.min_lon, b.max_lat, b.max_lon)),
        )
    }

    /// The box searched in SQL: `bbox`, the circle's box, or both intersected.
    pub fn search_box(&self) -> Option<BBox> {
        let circle = self.near.map(|(p, r)| bbox_around(p, r));
        match (self.bbox, circle) {
            (Some(a), Some(b)) => Some(a.intersect(&b)),
            (a, b) => a.or(b),
        }
    }
}

fn filtered(f: &PlaceFilter) -> places::BoxedQuery<'static, MultiBackend> {
    let kinds: Vec<&'static str> = f.kinds.iter().map(|k| k.as_str()).collect();
    let mut q = places::table
        .into_boxed()
        .filter(places::kind.eq_any(kinds))
        .filter(places::locale.eq(f.locale.clone()))
        .filter(places::status.eq("published"))
        .filter(places::published_at.le(f.now));
    if let Some(r) = &f.region {
        q = q.filter(places::region.eq(r.clone()));
    }
    if let Some(c) = &f.category {
        q = q.filter(places::category.eq(c.clone()));
    }
    if let Some(s) = &f.listing_status {
        q = q.filter(places::listing_status.eq(s.clone()));
    }
    for (term, value) in &f.terms {
        q = q.filter(
            places::id.eq_any(
                place_terms::table
                    .filter(place_terms::term.eq(*term))
                    .filter(place_terms::value.eq(value.clone()))
                    .select(place_terms::place_id),
            ),
        );
    }
    if let Some(text) = &f.q {
        let pattern = db::like_pattern(text);
        q = q.filter(
            lower(places::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(places::summary).like(pattern).escape('\\')),
        );
    }
    if let Some(t) = f.updated_since {
        q = q.filter(places::updated_at.ge(t));
    }
    if let Some(b) = f.search_box() {
        if let Some(cells) = crate::geo::cells(&b) {
            q = q.filter(places::geo_cell.eq_any(cells));
        }
        q = q
            .filter(places::lat.between(b.min_lat, b.max_lat))
            .filter(places::lon.between(b.min_lon, b.max_lon));
    }
    q
}

fn cached_total(conn: &mut AnyConnection, caches: &Caches, f: &PlaceFilter) -> AppResult<i64> {
    caches.counts.get_or_compute(&f.cache_key(), || {
        Ok(filtered(f).count().get_result(conn)?)
    })
}

/// A candidate of a radius search: enough to filter, sort and page in memory.
pub struct Candidate {
    pub id: i64,
    pub distance: f64,
    /// The text sort key (`name`, `title`).
    pub text: String,
    /// The numeric sort key (`rank`, `starts_at` in microseconds).
    pub num: i64,
}

/// Sort fields of an in-memory page: text keys, numeric keys, or `distance`.
fn candidate_key(c: &Candidate, field: &str) -> serde_json::Value {
    match field {
        "name" | "title" => serde_json::json!(c.text),
        "rank" | "starts_at" => serde_json::json!(c.num),
        _ => serde_json::json!(c.distance),
    }
}

fn compare_candidates(a: &Candidate, b: &Candidate, field: &str) -> Ordering {
    let primary = match field {
        "name" | "title" => a.text.cmp(&b.text),
        "rank" | "starts_at" => a.num.cmp(&b.num),
        _ => a.distance.total_cmp(&b.distance),
    };
    primary.then(a.id.cmp(&b.id))
}

/// Sorts and pages candidates in memory (cursor or page): the ids of the page
/// with their distances rounded for display, in order.
pub fn page_candidates(mut cands: Vec<Candidate>, params: &ListParams) -> Page<(i64, f64)> {
    let field = params.sort.field;
    cands.sort_by(|a, b| {
        let o = compare_candidates(a, b, field);
        if params.sort.desc {
            o.reverse()
        } else {
            o
        }
    });
    let total = cands.len() as i64;
    let start = match &params.paging {
        Paging::Page(_) => params.offset() as usize,
        Paging::Cursor(None) => 0,
        Paging::Cursor(Some(c)) => {
            // The first candidate strictly after the cursor in this order.
            let after = |cand: &Candidate| {
                let key = candidate_key(cand, field);
                let o = match (&key, &c.key) {
                    (serde_json::Value::String(a), serde_json::Value::String(b)) => a.cmp(b),
                    (a, b) => a
                        .as_f64()
                        .unwrap_or(f64::NAN)
                        .total_cmp(&b.as_f64().unwrap_or(f64::NAN)),
                }
                .then(cand.id.cmp(&c.id));
                if params.sort.desc {
                    o == Ordering::Less
                } else {
                    o == Ordering::Greater
                }
            };
            cands.iter().position(after).unwrap_or(cands.len())
        }
    };
    let rows: Vec<&Candidate> = cands
        .iter()
        .skip(start)
        .take(params.limit as usize + 1)
        .collect();
    Page::from_rows(rows, total, params, |c| (candidate_key(c, field), c.id))
        .map(|c| (c.id, round_km(c.distance)))
}

/// A radius search: SQL narrows to the bounding box on indexed lat/lon, Rust
/// computes exact great-circle distances, filters, sorts and pages.
fn near_page(
    conn: &mut AnyConnection,
    f: &PlaceFilter,
    params: &ListParams,
) -> AppResult<(Page<PlaceRow>, HashMap<i64, f64>)> {
    let Some((center, radius)) = f.near else {
        return Err(AppError::Internal("near_page without near".into()));
    };
    type GeoRow = (i64, Option<f64>, Option<f64>, String, i32);
    let rows: Vec<GeoRow> = filtered(f)
        .select((
            places::id,
            places::lat,
            places::lon,
            places::name,
            places::rank_order,
        ))
        .load(conn)?;
    let cands: Vec<Candidate> = rows
        .into_iter()
        .filter_map(|(id, lat, lon, name, rank_order)| {
            let distance = haversine_km(
                center,
                Point {
                    lat: lat?,
                    lon: lon?,
                },
            );
            (distance <= radius).then_some(Candidate {
                id,
                distance,
                text: name,
                num: rank_order.into(),
            })
        })
        .collect();
    let page = page_candidates(cands, params);
    let ids: Vec<i64> = page.items.iter().map(|(id, _)| *id).collect();
    let distances: HashMap<i64, f64> = page.items.iter().copied().collect();
    let mut loaded: Vec<PlaceRow> = places::table
        .filter(places::id.eq_any(ids.clone()))
        .select(PlaceRow::as_select())
        .load(conn)?;
    loaded.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
    Ok((
        Page {
            items: loaded,
            total: page.total,
            next_key: page.next_key,
            has_more: page.has_more,
        },
        distances,
    ))
}

/// One page of places matching `f` (radius search when `near` is set).
pub fn list_places(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &PlaceFilter,
    params: &ListParams,
) -> AppResult<(Page<PlaceRow>, HashMap<i64, f64>)> {
    if f.near.is_some() {
        return near_page(conn, f, params);
    }
    let total = cached_total(conn, caches, f)?;
    let mut q = filtered(f).select(PlaceRow::as_select());
    let desc = params.sort.desc;
    let cursor = params.cursor();
    match params.sort.field {
        "name" => {
            if let Some(c) = cursor {
                let k = c.key_str()?.to_string();
                q = if desc {
                    q.filter(
                        places::name
                            .lt(k.clone())
                            .or(places::name.eq(k).and(places::id.lt(c.id))),
                    )
                } else {
                    q.filter(
                        places::name
                            .gt(k.clone())
                            .or(places::name.eq(k).and(places::id.gt(c.id))),
                    )
                };
            }
            q = if desc {
                q.order((places::name.desc(), places::id.desc()))
            } else {
                q.order((places::name.asc(), places::id.asc()))
            };
        }
        _ => {
            if let Some(c) = cursor {
                let k = i32::try_from(c.key_i64()?).map_err(|_| {
                    AppError::bad_param("cursor", "not a cursor issued by this list")
                })?;
                q = if desc {
                    q.filter(
                        places::rank_order
                            .lt(k)
                            .or(places::rank_order.eq(k).and(places::id.lt(c.id))),
                    )
                } else {
                    q.filter(
                        places::rank_order
                            .gt(k)
                            .or(places::rank_order.eq(k).and(places::id.gt(c.id))),
                    )
                };
            }
            q = if desc {
                q.order((places::rank_order.desc(), places::id.desc()))
            } else {
                q.order((places::rank_order.asc(), places::id.asc()))
            };
        }
    }
    if params.page().is_some() {
        q = q.offset(params.offset());
    }
    let rows: Vec<PlaceRow> = q.limit(params.limit + 1).load(conn)?;
    let field = params.sort.field;
    let page = Page::from_rows(rows, total, params, |r| {
        let key = if field == "name" {
            serde_json::json!(r.name)
        } else {
            serde_json::json!(r.rank_order)
        };
        (key, r.id)
    });
    Ok((page, HashMap::new()))
}

/// A visible place of `kind` by id or by slug in `locale`.
pub fn find_place(
    conn: &mut AnyConnection,
    kind: Kind,
    item: &ItemRef,
    locale: &str,
    now: NaiveDateTime,
) -> AppResult<PlaceRow> {
    let q = places::table
        .into_boxed::<MultiBackend>()
        .filter(places::kind.eq(kind.as_str()));
    let q = match item {
        ItemRef::Id(id) => q.filter(places::id.eq(*id)),
        ItemRef::Slug(slug) => q
            .filter(places::locale.eq(locale.to_string()))
            .filter(places::slug.eq(slug.clone())),
    };
    let row: Option<PlaceRow> = q.select(PlaceRow::as_select()).first(conn).optional()?;
    row.filter(|r| is_visible(&r.status, r.published_at, now))
        .ok_or_else(|| AppError::not_found(format!("no such {}", kind.as_str().replace('_', " "))))
}

/// The geo and common filter parameters, as they came.
#[derive(Debug, Default, Clone)]
pub struct RawPlaceFilter<'a> {
    pub region: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub near: Option<&'a str>,
    pub radius_km: Option<&'a str>,
    pub bbox: Option<&'a str>,
}

fn parse_coord_pair(field: &str, v: &str) -> AppResult<Point> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    let nums: Option<Vec<f64>> = parts
        .iter()
        .map(|p| p.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    match nums.as_deref() {
        Some([lat, lon]) => point(field, *lat, *lon),
        _ => Err(AppError::bad_param(
            field,
            "expected `lat,lon` in decimal degrees",
        )),
    }
}

/// A point with its coordinates in range.
pub fn point(field: &str, lat: f64, lon: f64) -> AppResult<Point> {
    if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
        return Err(AppError::bad_param(
            field,
            "latitude must be between -90 and 90",
        ));
    }
    if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
        return Err(AppError::bad_param(
            field,
            "longitude must be between -180 and 180",
        ));
    }
    Ok(Point { lat, lon })
}

pub fn parse_radius(v: Option<&str>) -> AppResult<f64> {
    match v {
        None => Ok(DEFAULT_RADIUS_KM),
        Some(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_RADIUS_KM)
            .ok_or_else(|| {
                AppError::bad_param(
                    "radius_km",
                    format!("must be a number above 0 and at most {MAX_RADIUS_KM}"),
                )
            }),
    }
}

pub fn parse_bbox(v: &str) -> AppResult<BBox> {
    let nums: Option<Vec<f64>> = v
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let Some([min_lon, min_lat, max_lon, max_lat]) = nums
        .as_deref()
        .map(|n| n.to_vec())
        .and_then(|n| <[f64; 4]>::try_from(n).ok())
    else {
        return Err(AppError::bad_param(
            "bbox",
            "expected `min_lon,min_lat,max_lon,max_lat`",
        ));
    };
    point("bbox", min_lat, min_lon)?;
    point("bbox", max_lat, max_lon)?;
    if min_lat > max_lat || min_lon > max_lon {
        return Err(AppError::bad_param(
            "bbox",
            "minimums must not exceed maximums",
        ));
    }
    Ok(BBox {
        min_lat,
        min_lon,
        max_lat,
        max_lon,
    })
}

/// Parses the filters every place list shares into `f`.
pub fn apply_common(
    f: &mut PlaceFilter,
    raw: &RawPlaceFilter<'_>,
    params: &ListParams,
) -> AppResult<()> {
    use super::vocab::RegionSlug;
    if let Some(r) = raw.region {
        f.region = Some(RegionSlug::parse_param("region", r)?.to_string());
    }
    if let Some(t) = raw.tag {
        if !is_slug(t) {
            return Err(AppError::bad_param(
                "tag",
                "must be a slug: lowercase letters, digits and hyphens",
            ));
        }
        f.terms.push(("tag", t.to_string()));
    }
    if raw.radius_km.is_some() && raw.near.is_none() {
        return Err(AppError::bad_param(
            "radius_km",
            "only applies together with `near`",
        ));
    }
    if let Some(n) = raw.near {
        f.near = Some((parse_coord_pair("near", n)?, parse_radius(raw.radius_km)?));
    }
    if let Some(b) = raw.bbox {
        f.bbox = Some(parse_bbox(b)?);
    }
    f.q = params.q.clone();
    f.updated_since = params.updated_since;
    Ok(())
}

/// The list's sort fields: `distance` joins when `near` is given, and becomes the
/// default sort then.
pub fn list_params(
    raw: RawList<'_>,
    near: bool,
    sorts: &[&'static str],
    default_sort: &str,
) -> AppResult<ListParams> {
    let mut all: Vec<&'static str> = sorts.to_vec();
    if near {
        all.push("distance");
    }
    let default = if near { "distance" } else { default_sort };
    ListParams::parse(raw, &all, default)
}

/// Whether the client asked for GeoJSON (`format=geojson` or `Accept: application/geo+json`).
pub fn wants_geojson(req: &HttpRequest, format: Option<&str>) -> AppResult<bool> {
    match format {
        Some("geojson") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(AppError::bad_param(
            "format",
            format!("unknown format `{other}`; allowed: json, geojson"),
        )),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/geo+json"))),
    }
}

/// The common parameters of a place list query (implemented by `place_list_query!`).
pub trait PlaceQuery {
    fn raw(&self) -> RawList<'_>;
    fn raw_filter(&self) -> RawPlaceFilter<'_>;
    fn lang(&self) -> Option<&str>;
    fn format(&self) -> Option<&str>;
}

/// The list flow of every place kind: locale, filters, query, JSON or GeoJSON.
/// `sorts` are the kind's sort fields (the first is the default); `extra` adds the
/// kind's own filters; `shape` turns a row into the kind's API item.
pub async fn run_list<T, F>(
    req: &HttpRequest,
    state: &AppState,
    kinds: Vec<Kind>,
    query: &impl PlaceQuery,
    sorts: &'static [&'static str],
    extra: impl FnOnce(&mut PlaceFilter) -> AppResult<()>,
    shape: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: Fn(&PlaceRow, &Ctx) -> T + Send + 'static,
{
    let locale = negotiate(req, query.lang(), &state.config)?;
    let geojson = wants_geojson(req, query.format())?;
    let raw_filter = query.raw_filter();
    let params = list_params(query.raw(), raw_filter.near.is_some(), sorts, sorts[0])?;
    let mut f = PlaceFilter {
        kinds,
        locale: locale.clone(),
        ..Default::default()
    };
    apply_common(&mut f, &raw_filter, &params)?;
    extra(&mut f)?;
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let p = params.clone();
    let (page, points) = db::run(&state.pool, move |conn| {
        f.now = db::now();
        let (page, distances) = list_places(conn, &caches, &f, &p)?;
        let mut ctx = context(conn, &caches, &page.items, &f.locale, &fallback, f.now)?;
        ctx.distances = distances;
        let points: Vec<Option<Point>> = page.items.iter().map(PlaceRow::point).collect();
        Ok((page.map(|r| shape(&r, &ctx)), points))
    })
    .await?;
    if geojson {
        return Ok(geojson::feature_collection(
            req, &locale, &params, page, points,
        ));
    }
    Ok(response::list(req, &locale, &params, page))
}

/// Runs an item lookup for a kind and renders it.
pub async fn run_item<T, F>(
    req: &HttpRequest,
    state: &AppState,
    kind: Kind,
    id: &str,
    lang: Option<&str>,
    shape: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: Fn(&PlaceRow, &Ctx) -> T + Send + 'static,
{
    let locale = negotiate(req, lang, &state.config)?;
    let item = ItemRef::parse(id)?;
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let loc = locale.clone();
    let (body, row_locale) = db::run(&state.pool, move |conn| {
        let now = db::now();
        let row = find_place(conn, kind, &item, &loc, now)?;
        let ctx = context(
            conn,
            &caches,
            std::slice::from_ref(&row),
            &row.locale,
            &fallback,
            now,
        )?;
        Ok((shape(&row, &ctx), row.locale.clone()))
    })
    .await?;
    Ok(response::json(Some(&row_locale), &body))
}

/// Parses a comma-separated list of one vocabulary into validated values (empty
/// items are an error).
pub fn parse_list(
    field: &str,
    v: &str,
    parse: fn(&str, &str) -> AppResult<&'static str>,
) -> AppResult<Vec<&'static str>> {
    v.split(',').map(|s| parse(field, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_and_near_are_validated() {
        assert!(parse_bbox("23.1,51.2,32.8,56.2").is_ok());
        assert!(parse_bbox("23.1,51.2,32.8").is_err());
        assert!(parse_bbox("32.8,51.2,23.1,56.2").is_err(), "min above max");
        assert!(parse_bbox("23.1,-91,32.8,56.2").is_err());
        assert!(parse_coord_pair("near", "53.9,27.56").is_ok());
        assert!(parse_coord_pair("near", "95,27").is_err());
        assert!(parse_coord_pair("near", "53.9,200").is_err());
        assert!(parse_coord_pair("near", "NaN,1").is_err());
        assert!(parse_coord_pair("near", "53.9").is_err());
        assert!(parse_radius(Some("0")).is_err());
        assert!(parse_radius(Some("501")).is_err());
        assert_eq!(parse_radius(None).unwrap(), 25.0);
    }
}

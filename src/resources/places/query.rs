//! Place queries: filters, the SQL keyset list, the in-memory radius search over
//! grid-cell candidates, and item lookup.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{PlaceKind, PlaceRow};
use crate::cache::Caches;
use crate::db::schema::{place_terms, places};
use crate::db::search::{self, SearchQuery};
use crate::db::{keyset, AnyConnection, MultiBackend};
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};
use crate::geo::{bbox_around, haversine_km, round_km, BBox, Point};
use crate::http::params::{ItemRef, ListParams, Paging};
use crate::http::response::Page;

/// Validated filters of a place list.
#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    /// The backend, for the full-text `q` condition.
    pub sqlite: bool,
    pub kinds: Vec<PlaceKind>,
    /// Public, or an editor's preview.
    pub vis: Visibility,
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
            "places|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.kinds,
            self.vis,
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
    let q = places::table
        .into_boxed()
        .filter(places::kind.eq_any(kinds))
        .filter(places::locale.eq(f.locale.clone()));
    let mut q = crate::filter_visibility!(q, places, f.vis, f.now);
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
        let kinds: Vec<&'static str> = f.kinds.iter().map(|k| k.as_str()).collect();
        q = match SearchQuery::parse(text, &f.locale) {
            Some(sq) => q.filter(search::matching_ids_condition(
                f.sqlite,
                "places.id",
                &kinds,
                &sq,
            )),
            None => q.filter(places::id.eq(-1)),
        };
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
    let q = filtered(f).select(PlaceRow::as_select());
    let page = match params.sort.field {
        "name" => keyset::page(
            conn,
            q,
            places::name,
            places::id,
            params,
            total,
            |r: &PlaceRow| (r.name.clone(), r.id),
        )?,
        _ => keyset::page(
            conn,
            q,
            places::rank_order,
            places::id,
            params,
            total,
            |r: &PlaceRow| (r.rank_order, r.id),
        )?,
    };
    Ok((page, HashMap::new()))
}

/// A place of `kind` that `vis` may see, by id or by slug in `locale`.
pub fn find_place(
    conn: &mut AnyConnection,
    kind: PlaceKind,
    item: &ItemRef,
    locale: &str,
    now: NaiveDateTime,
    vis: Visibility,
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
    row.filter(|r| vis.allows(&r.status, r.published_at, now))
        .ok_or_else(|| AppError::not_found(format!("no such {}", kind.as_str().replace('_', " "))))
}

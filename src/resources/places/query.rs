//! Place queries: filters, the SQL keyset list, the in-memory radius search over
//! grid-cell candidates, and item lookup.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{index, PlaceKind, PlaceRow};
use crate::cache::Caches;
use crate::db::any_of::any_of;
use crate::db::fallback::BestLocale;
use crate::db::geo::{self, Area, RankKey};
use crate::db::schema::{place_terms, places};
use crate::db::search::{self, SearchQuery};
use crate::db::text_filter::text_match;
use crate::db::{keyset, AnyConnection, MultiBackend};
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};
use crate::geo::Point;
use crate::http::params::{ItemRef, ListParams};
use crate::http::response::Page;
use crate::resource::PlaceId;

/// Validated filters of a place list.
#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
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
    /// `bbox` and `near` with its radius.
    pub area: Area,
    /// Locale fallback: the preferred locales in order (empty: `locale` only).
    pub fallback: Vec<String>,
}

impl PlaceFilter {
    fn cache_key(&self) -> String {
        format!(
            "places|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.kinds,
            self.vis,
            self.locale,
            self.region,
            self.category,
            self.listing_status,
            self.terms,
            self.q,
            self.updated_since,
            self.area.cache_key(),
            self.fallback,
        )
    }
}

fn filtered(conn: &AnyConnection, f: &PlaceFilter) -> places::BoxedQuery<'static, MultiBackend> {
    let kinds: Vec<&'static str> = f.kinds.iter().map(|k| k.as_str()).collect();
    let q = places::table
        .into_boxed()
        .filter(places::kind.eq_any(kinds));
    let q = if f.fallback.is_empty() {
        q.filter(places::locale.eq(f.locale.clone()))
    } else {
        let best = BestLocale::new("places", Some("kind"), &f.fallback, f.vis, f.now);
        q.filter(places::locale.eq_any(f.fallback.clone()))
            .filter(best)
    };
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
        let kinds: Vec<crate::resource::ResourceType> =
            f.kinds.iter().map(|k| (*k).into()).collect();
        q = match SearchQuery::parse(text, &f.locale) {
            Some(sq) => q.filter(text_match(conn, "places.id", &kinds, &sq)),
            None => q.filter(places::id.eq(-1)),
        };
    }
    if let Some(t) = f.updated_since {
        q = q.filter(places::updated_at.ge(t));
    }
    let q = geo::in_cells(q, &f.area, places::geo_cell);
    geo::in_box(q, &f.area, places::lat, places::lon)
}

fn cached_total(conn: &mut AnyConnection, caches: &Caches, f: &PlaceFilter) -> AppResult<i64> {
    caches.counts.get_or_compute(&f.cache_key(), || {
        Ok(filtered(conn, f).count().get_result(conn)?)
    })
}

/// A radius search: candidates from the in-memory index where it serves the
/// filter (`index`), else from the box prefilter in SQL; distances, order and
/// paging in `db::geo`; then the page's rows by id.
fn near_page(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &PlaceFilter,
    near: (Point, f64),
    params: &ListParams,
) -> AppResult<(Page<PlaceRow>, HashMap<i64, f64>)> {
    if !index::serves(f) {
        return near_page_in_sql(conn, f, near, params);
    }
    let cands = index::candidates(conn, caches, f, RankKey::of(params.sort.field))?;
    geo::radius_page(
        cands,
        near,
        params,
        |ids| {
            Ok(places::table
                .filter(any_of(conn, places::id, &ids))
                .select(PlaceRow::as_select())
                .load(conn)?)
        },
        |r| r.id,
    )
}

/// The SQL path of a radius search: the box prefilter reads only (id, lat,
/// lon) and the one sort key the order needs.
fn near_page_in_sql(
    conn: &mut AnyConnection,
    f: &PlaceFilter,
    near: (Point, f64),
    params: &ListParams,
) -> AppResult<(Page<PlaceRow>, HashMap<i64, f64>)> {
    crate::radius_page_of!(
        conn,
        filtered(conn, f),
        near,
        params,
        places,
        PlaceRow,
        text = name,
        num = rank_order: i32 => i64::from
    )
}

/// A radius search (`f` with `near`) on the SQL path only, never the index:
/// what tests compare the index's answers with.
#[doc(hidden)]
pub fn near_page_without_index(
    conn: &mut AnyConnection,
    f: &PlaceFilter,
    params: &ListParams,
) -> AppResult<(Page<PlaceRow>, HashMap<i64, f64>)> {
    let near = f
        .area
        .near
        .ok_or_else(|| AppError::Internal("a radius search without `near`".into()))?;
    near_page_in_sql(conn, f, near, params)
}

/// One page of places matching `f` (radius search when `near` is set).
pub fn list_places(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &PlaceFilter,
    params: &ListParams,
) -> AppResult<(Page<PlaceRow>, HashMap<i64, f64>)> {
    search::list_forgiving(
        conn,
        f,
        |conn, f| list_places_as_typed(conn, caches, f, params),
        |r| r.name.as_str(),
    )
}

impl search::TextFilter for PlaceFilter {
    fn text(&self) -> search::ListText<'_> {
        let resources = self.kinds.iter().map(|k| (*k).into()).collect();
        search::ListText {
            q: self.q.as_deref(),
            locale: &self.locale,
            resources,
        }
    }
    fn q_mut(&mut self) -> &mut Option<String> {
        &mut self.q
    }
}

fn list_places_as_typed(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &PlaceFilter,
    params: &ListParams,
) -> AppResult<(Page<PlaceRow>, HashMap<i64, f64>)> {
    if let Some(near) = f.area.near {
        return near_page(conn, caches, f, near, params);
    }
    let total = cached_total(conn, caches, f)?;
    let q = filtered(conn, f).select(PlaceRow::as_select());
    let name = keyset::key(places::name, places::id, |r: &PlaceRow| {
        (r.name.clone(), r.id)
    });
    let rank = keyset::key(places::rank_order, places::id, |r: &PlaceRow| {
        (r.rank_order, r.id)
    });
    let page = keyset::page_by(conn, q, params, total, &[("name", &name), ("rank", &rank)])?;
    Ok((page, HashMap::new()))
}

/// A place of `kind` that `vis` may see, by id or by slug in `locale`.
pub fn find_place(
    conn: &mut AnyConnection,
    kind: PlaceKind,
    item: &ItemRef<PlaceId>,
    locale: &str,
    now: NaiveDateTime,
    vis: Visibility,
) -> AppResult<PlaceRow> {
    let q = places::table
        .into_boxed::<MultiBackend>()
        .filter(places::kind.eq(kind.as_str()));
    let q = match item {
        ItemRef::Id(id) => q.filter(places::id.eq(id.get())),
        ItemRef::Slug(slug) => q
            .filter(places::locale.eq(locale.to_string()))
            .filter(places::slug.eq(slug.clone())),
    };
    let row: Option<PlaceRow> = q.select(PlaceRow::as_select()).first(conn).optional()?;
    row.filter(|r| vis.allows(&r.status, r.published_at, now))
        .ok_or_else(|| AppError::not_found(format!("no such {}", kind.as_str().replace('_', " "))))
}

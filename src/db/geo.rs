//! Geo search without extensions, for every list with a location (places of any
//! kind, `/v1/nearby`, events): SQL prefilters on indexed lat/lon (and the grid
//! cell where the table has one) and reads only small candidate tuples (id,
//! lat, lon and the one sort key the order needs, see [`RankKey`]); Rust
//! computes exact great-circle distances, filters to the circle, orders just
//! the page's part and pages in memory; then one query loads the page's rows.

use std::cmp::Ordering;
use std::collections::HashMap;

use diesel::expression::{AsExpression, Expression};
use diesel::query_dsl::methods::FilterDsl;
use diesel::sql_types::{Double, Integer, Nullable};
use diesel::{dsl, ExpressionMethods};
use serde_json::Value;

use crate::error::AppResult;
use crate::geo::{bbox_around, cells, haversine_from, haversine_km, round_km, BBox, Point};
use crate::paging::{ListParams, Page, Paging};

pub mod grid;

/// The geographic part of a list filter: a box, a circle (`near` with a radius in km), or both.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Area {
    pub bbox: Option<BBox>,
    pub near: Option<(Point, f64)>,
}

impl Area {
    /// The box searched in SQL: `bbox`, the circle's box, or both intersected.
    pub fn search_box(&self) -> Option<BBox> {
        let circle = self.near.map(|(p, r)| bbox_around(p, r));
        match (self.bbox, circle) {
            (Some(a), Some(b)) => Some(a.intersect(&b)),
            (a, b) => a.or(b),
        }
    }

    /// The part of a count cache key: only `bbox`, since radius searches are not cached.
    pub fn cache_key(&self) -> Option<(f64, f64, f64, f64)> {
        self.bbox
            .map(|b| (b.min_lat, b.min_lon, b.max_lat, b.max_lon))
    }
}

/// Keeps rows whose `lat`/`lon` lie in the area's search box (no-op without one).
pub fn in_box<Q, Lat, Lon>(q: Q, area: &Area, lat: Lat, lon: Lon) -> Q
where
    Lat: Expression<SqlType = Nullable<Double>> + Copy,
    Lon: Expression<SqlType = Nullable<Double>> + Copy,
    f64: AsExpression<Nullable<Double>>,
    Q: FilterDsl<dsl::Between<Lat, f64, f64>, Output = Q>
        + FilterDsl<dsl::Between<Lon, f64, f64>, Output = Q>,
{
    let Some(b) = area.search_box() else {
        return q;
    };
    let q = FilterDsl::filter(q, lat.between(b.min_lat, b.max_lat));
    FilterDsl::filter(q, lon.between(b.min_lon, b.max_lon))
}

/// Also keeps only rows in the grid cells the search box touches, for tables
/// with a `geo_cell` column (so an ordinary index narrows a small radius).
pub fn in_cells<Q, Cell>(q: Q, area: &Area, cell: Cell) -> Q
where
    Cell: Expression<SqlType = Nullable<Integer>> + Copy,
    Q: FilterDsl<dsl::EqAny<Cell, Vec<i32>>, Output = Q>,
{
    match area.search_box().as_ref().and_then(cells) {
        Some(cells) => FilterDsl::filter(q, cell.eq_any(cells)),
        None => q,
    }
}

/// The sort key a radius search ranks by, so that its candidate query selects
/// only that column besides id, lat and lon (none for `distance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankKey {
    Distance,
    /// `name`, `title`: the candidate's `text`.
    Text,
    /// `rank`, `starts_at`: the candidate's `num`.
    Num,
}

impl RankKey {
    pub fn of(field: &str) -> Self {
        match field {
            "name" | "title" => RankKey::Text,
            "rank" | "starts_at" => RankKey::Num,
            _ => RankKey::Distance,
        }
    }
}

/// A row of a radius search: enough to filter, sort and page in memory.
pub struct Candidate {
    pub id: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The text sort key (`name`, `title`); empty unless the order needs it.
    pub text: String,
    /// The numeric sort key (`rank`, `starts_at` in microseconds); 0 unless the order needs it.
    pub num: i64,
}

impl Candidate {
    /// A candidate ranked by distance alone (no sort key read).
    pub fn at(id: i64, lat: Option<f64>, lon: Option<f64>) -> Self {
        Candidate {
            id,
            lat,
            lon,
            text: String::new(),
            num: 0,
        }
    }
}

/// A candidate inside the circle, with its exact distance in km.
struct Near {
    id: i64,
    distance: f64,
    text: String,
    num: i64,
}

/// The cursor key of a candidate: its text or numeric sort key, or its distance.
fn candidate_key(c: &Near, key: RankKey) -> Value {
    match key {
        RankKey::Text => serde_json::json!(c.text),
        RankKey::Num => serde_json::json!(c.num),
        RankKey::Distance => serde_json::json!(c.distance),
    }
}

fn compare(a: &Near, b: &Near, key: RankKey) -> Ordering {
    let primary = match key {
        RankKey::Text => a.text.cmp(&b.text),
        RankKey::Num => a.num.cmp(&b.num),
        RankKey::Distance => a.distance.total_cmp(&b.distance),
    };
    primary.then(a.id.cmp(&b.id))
}

/// Keeps the candidates within `radius` km of `center`, sorts and pages them
/// (cursor or page): the ids of the page with distances rounded for display.
fn page_within(
    cands: impl IntoIterator<Item = Candidate>,
    (center, radius): (Point, f64),
    params: &ListParams,
) -> Page<(i64, f64)> {
    let distance_to = haversine_from(center);
    let mut near: Vec<Near> = cands
        .into_iter()
        .filter_map(|c| {
            let distance = distance_to(Point {
                lat: c.lat?,
                lon: c.lon?,
            });
            (distance <= radius).then_some(Near {
                id: c.id,
                distance,
                text: c.text,
                num: c.num,
            })
        })
        .collect();
    let key = RankKey::of(params.sort.field);
    let order = |a: &Near, b: &Near| {
        let o = compare(a, b, key);
        if params.sort.desc {
            o.reverse()
        } else {
            o
        }
    };
    let total = near.len() as i64;
    let skip = match &params.paging {
        Paging::Page(_) => params.offset().max(0) as usize,
        Paging::Cursor(None) => 0,
        Paging::Cursor(Some(c)) => {
            // Only the candidates strictly after the cursor in this order.
            // (Compared as `candidate_key` would, without building a JSON value each.)
            let cursor_num = c.key.as_f64().unwrap_or(f64::NAN);
            near.retain(|cand| {
                let o = match (key, &c.key) {
                    (RankKey::Text, Value::String(b)) => cand.text.as_str().cmp(b.as_str()),
                    _ => {
                        let a = match key {
                            RankKey::Text => f64::NAN,
                            RankKey::Num => cand.num as f64,
                            RankKey::Distance => cand.distance,
                        };
                        a.total_cmp(&cursor_num)
                    }
                }
                .then(cand.id.cmp(&c.id));
                if params.sort.desc {
                    o == Ordering::Less
                } else {
                    o == Ordering::Greater
                }
            });
            0
        }
    };
    // Order only what the page needs: the first `skip + limit + 1` candidates
    // (a linear selection, then a sort of those few), not the whole circle.
    let wanted = skip.saturating_add(params.limit.max(0) as usize + 1);
    if near.len() > wanted {
        near.select_nth_unstable_by(wanted - 1, order);
        near.truncate(wanted);
    }
    near.sort_unstable_by(order);
    let rows: Vec<&Near> = near.iter().skip(skip).collect();
    Page::from_rows(rows, total, params, |c| (candidate_key(c, key), c.id))
        .map(|c| (c.id, round_km(c.distance)))
}

/// One page of a radius search over `cands` (the rows of the box prefilter):
/// `load` reads the page's whole rows by id, and they come back in page order
/// with each id's distance in km.
pub fn radius_page<R>(
    cands: impl IntoIterator<Item = Candidate>,
    near: (Point, f64),
    params: &ListParams,
    load: impl FnOnce(Vec<i64>) -> AppResult<Vec<R>>,
    id_of: impl Fn(&R) -> i64,
) -> AppResult<(Page<R>, HashMap<i64, f64>)> {
    let page = page_within(cands, near, params);
    let ids: Vec<i64> = page.items.iter().map(|(id, _)| *id).collect();
    let distances: HashMap<i64, f64> = page.items.iter().copied().collect();
    let mut rows = load(ids.clone())?;
    rows.sort_by_key(|r| ids.iter().position(|i| *i == id_of(r)));
    Ok((
        Page {
            items: rows,
            total: page.total,
            next_key: page.next_key,
            has_more: page.has_more,
            did_you_mean: None,
        },
        distances,
    ))
}

/// A radius search over table `$t` (places, events) whose rows are `$row`:
/// the box prefilter `$q` reads only (id, lat, lon) and the one sort key the
/// order needs (column `$text` for a text sort, column `$num` of type `$num_ty`
/// made an `i64` by `$to_num` for a numeric one); then [`radius_page`]
/// loads the page's rows by id. Evaluates to `AppResult<(Page<$row>, distances)>`.
#[macro_export]
macro_rules! radius_page_of {
    ($conn:expr, $q:expr, $near:expr, $params:expr, $t:ident, $row:ty,
     text = $text:ident, num = $num:ident: $num_ty:ty => $to_num:expr) => {{
        use $crate::db::geo::{Candidate, RankKey};
        let q = $q;
        let cands: Vec<Candidate> = match RankKey::of($params.sort.field) {
            RankKey::Distance => q
                .select(($t::id, $t::lat, $t::lon))
                .load::<(i64, Option<f64>, Option<f64>)>($conn)?
                .into_iter()
                .map(|(id, lat, lon)| Candidate::at(id, lat, lon))
                .collect(),
            RankKey::Text => q
                .select(($t::id, $t::lat, $t::lon, $t::$text))
                .load::<(i64, Option<f64>, Option<f64>, String)>($conn)?
                .into_iter()
                .map(|(id, lat, lon, text)| Candidate {
                    text,
                    ..Candidate::at(id, lat, lon)
                })
                .collect(),
            RankKey::Num => q
                .select(($t::id, $t::lat, $t::lon, $t::$num))
                .load::<(i64, Option<f64>, Option<f64>, $num_ty)>($conn)?
                .into_iter()
                .map(|(id, lat, lon, n)| Candidate {
                    num: ($to_num)(n),
                    ..Candidate::at(id, lat, lon)
                })
                .collect(),
        };
        $crate::db::geo::radius_page(
            cands,
            $near,
            $params,
            |ids| {
                Ok($t::table
                    .filter($crate::db::any_of::any_of($conn, $t::id, &ids))
                    .select(<$row>::as_select())
                    .load($conn)?)
            },
            |r| r.id,
        )
    }};
}

/// Whether a point lies within the area's circle (always, without `near`).
pub fn within_radius(area: &Area, p: Option<Point>) -> bool {
    match area.near {
        Some((c, radius)) => p.is_some_and(|p| haversine_km(c, p) <= radius),
        None => true,
    }
}

#[cfg(test)]
mod tests;

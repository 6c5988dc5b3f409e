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
use crate::geo::{bbox_around, cells, haversine_km, round_km, BBox, Point};
use crate::paging::{ListParams, Page, Paging};

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
    let mut near: Vec<Near> = cands
        .into_iter()
        .filter_map(|c| {
            let distance = haversine_km(
                center,
                Point {
                    lat: c.lat?,
                    lon: c.lon?,
                },
            );
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

/// Whether a point lies within the area's circle (always, without `near`).
pub fn within_radius(area: &Area, p: Option<Point>) -> bool {
    match area.near {
        Some((c, radius)) => p.is_some_and(|p| haversine_km(c, p) <= radius),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::list::CommonParams;

    const MINSK: Point = Point {
        lat: 53.9006,
        lon: 27.5590,
    };

    fn cand(id: i64, lat: f64, lon: f64, text: &str) -> Candidate {
        Candidate {
            id,
            lat: Some(lat),
            lon: Some(lon),
            text: text.into(),
            num: id,
        }
    }

    fn params(limit: &str, cursor: Option<&str>) -> ListParams {
        ListParams::parse(
            &CommonParams {
                limit: Some(limit.into()),
                cursor: cursor.map(str::to_string),
                ..Default::default()
            },
            &["distance", "name"],
            "distance",
        )
        .unwrap()
    }

    #[test]
    fn radius_pages_are_nearest_first_and_follow_their_cursor() {
        let cands = || {
            vec![
                cand(1, 53.95, 27.60, "b"),     // ~6 km
                cand(2, 53.9006, 27.5590, "a"), // 0 km
                cand(3, 52.0976, 23.7341, "c"), // Brest, ~325 km: outside
                cand(4, 54.00, 27.70, "d"),     // ~14 km
                Candidate {
                    id: 5,
                    lat: None,
                    lon: None,
                    text: "no location".into(),
                    num: 5,
                },
            ]
        };
        let p = params("2", None);
        let (page, dist) = radius_page(cands(), (MINSK, 25.0), &p, Ok, |i| *i).unwrap();
        assert_eq!(page.items, vec![2, 1]);
        assert_eq!(page.total, 3);
        assert_eq!(dist[&2], 0.0);
        let next = page.next_key.expect("more follow").encode();
        let p = params("2", Some(&next));
        let (page, _) = radius_page(cands(), (MINSK, 25.0), &p, Ok, |i| *i).unwrap();
        assert_eq!(page.items, vec![4]);
        assert!(page.next_key.is_none());
    }

    /// 60 candidates around Minsk with repeated names and ranks (ties broken by id).
    fn many() -> Vec<Candidate> {
        (1..=60)
            .map(|i: i64| Candidate {
                id: i,
                lat: Some(53.9006 + 0.003 * ((i * 7) % 13) as f64),
                lon: Some(27.5590 - 0.004 * ((i * 5) % 11) as f64),
                text: format!("n{}", i % 9),
                num: i % 4,
            })
            .collect()
    }

    fn sorted(sort: &str, paging: (Option<&str>, Option<&str>)) -> ListParams {
        ListParams::parse(
            &CommonParams {
                limit: Some("7".into()),
                cursor: paging.0.map(str::to_string),
                page: paging.1.map(str::to_string),
                sort: Some(sort.into()),
                ..Default::default()
            },
            &["distance", "name", "rank"],
            "distance",
        )
        .unwrap()
    }

    #[test]
    fn pages_ordered_partially_equal_the_fully_sorted_list_by_cursor_and_by_page() {
        for sort in ["distance", "-distance", "name", "-name", "rank", "-rank"] {
            let key = RankKey::of(sort.trim_start_matches('-'));
            let mut all: Vec<(i64, f64, String, i64)> = many()
                .into_iter()
                .map(|c| {
                    let p = Point {
                        lat: c.lat.unwrap(),
                        lon: c.lon.unwrap(),
                    };
                    (c.id, haversine_km(MINSK, p), c.text, c.num)
                })
                .collect();
            all.sort_by(|a, b| {
                let o = match key {
                    RankKey::Text => a.2.cmp(&b.2),
                    RankKey::Num => a.3.cmp(&b.3),
                    RankKey::Distance => a.1.total_cmp(&b.1),
                }
                .then(a.0.cmp(&b.0));
                if sort.starts_with('-') {
                    o.reverse()
                } else {
                    o
                }
            });
            let expected: Vec<i64> = all.iter().map(|a| a.0).collect();

            let mut by_cursor = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let p = sorted(sort, (cursor.as_deref(), None));
                let (page, _) = radius_page(many(), (MINSK, 50.0), &p, Ok, |i| *i).unwrap();
                assert_eq!(page.total, 60);
                by_cursor.extend(page.items);
                match page.next_key {
                    Some(k) => cursor = Some(k.encode()),
                    None => break,
                }
            }
            assert_eq!(by_cursor, expected, "by cursor, sort={sort}");

            let by_page: Vec<i64> = (1..=9)
                .flat_map(|n| {
                    let p = sorted(sort, (None, Some(&n.to_string())));
                    radius_page(many(), (MINSK, 50.0), &p, Ok, |i| *i)
                        .unwrap()
                        .0
                        .items
                })
                .collect();
            assert_eq!(by_page, expected, "by page, sort={sort}");
        }
    }

    #[test]
    fn the_search_box_is_the_intersection_of_bbox_and_circle() {
        let bbox = BBox {
            min_lat: 53.0,
            min_lon: 27.0,
            max_lat: 54.0,
            max_lon: 28.0,
        };
        let area = Area {
            bbox: Some(bbox),
            near: Some((MINSK, 25.0)),
        };
        let b = area.search_box().unwrap();
        assert_eq!(b.max_lat, 54.0);
        assert!(b.min_lat > 53.6);
        assert_eq!(Area::default().search_box(), None);
        assert!(within_radius(&area, Some(MINSK)));
        assert!(!within_radius(&area, None));
        assert!(within_radius(&Area::default(), None));
    }
}

//! The places' geo index: every place of a kind with a location, in memory
//! (a [`Grid`] of id, locale, status, `published_at`, lat/lon, the sort keys
//! and the filter columns), built from one query on the first radius search
//! of the kind and kept in `Caches::indexes` until a place write drops it.
//! A `near` search whose other filters it can evaluate (kinds, locale and
//! the locale fallback, visibility, region, category, listing status, `bbox`)
//! takes its candidates from here instead of from SQL; the rest is the SQL
//! path's: the same distances, order and paging (`db::geo::radius_page`), and
//! the page's rows loaded by id.

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{PlaceFilter, PlaceKind};
use crate::cache::Caches;
use crate::db::geo::grid::Grid;
use crate::db::geo::{Candidate, RankKey};
use crate::db::schema::places;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::geo::Point;

/// A place row as the index reads it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = places)]
struct IndexRow {
    id: i64,
    group_id: i64,
    locale: String,
    status: String,
    #[diesel(deserialize_as = crate::db::timestamp::OptTs)]
    published_at: Option<NaiveDateTime>,
    lat: Option<f64>,
    lon: Option<f64>,
    name: String,
    rank_order: i32,
    region: Option<String>,
    category: Option<String>,
    listing_status: Option<String>,
}

/// A string column's value as an index into `KindIndex::syms` (0: NULL).
type Sym = u32;

struct Entry {
    id: i64,
    group_id: i64,
    published_at: Option<NaiveDateTime>,
    rank_order: i32,
    locale: Sym,
    status: Sym,
    region: Sym,
    category: Sym,
    listing_status: Sym,
    name: Box<str>,
}

/// What the locale fallback needs of a row: whether a reader sees it, in which locale.
struct Sibling {
    locale: Sym,
    status: Sym,
    published_at: Option<NaiveDateTime>,
}

/// The located places of one kind.
pub struct KindIndex {
    grid: Grid<Entry>,
    /// The distinct strings of the interned columns; `syms[0]` stands for NULL.
    syms: Vec<Box<str>>,
    /// The rows of each translation group with more than one row (located or
    /// not), for the fallback's "no visible sibling in a preferred locale".
    groups: HashMap<i64, Vec<Sibling>>,
}

/// Whether the index can answer this list: a radius search without the
/// filters it does not hold (full text, terms, `updated_since`).
pub fn serves(f: &PlaceFilter) -> bool {
    f.area.near.is_some() && f.q.is_none() && f.terms.is_empty() && f.updated_since.is_none()
}

/// The candidates of `f` (see [`serves`]) of every kind in it, from the
/// indexes (built now where missing).
pub fn candidates(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &PlaceFilter,
    key: RankKey,
) -> AppResult<Vec<Candidate>> {
    let mut out = Vec::new();
    for kind in &f.kinds {
        let index = caches
            .indexes
            .get_or_build(&format!("places-geo|{}", kind.as_str()), || {
                KindIndex::build(conn, *kind)
            })?;
        index.candidates(f, key, &mut out);
    }
    Ok(out)
}

impl KindIndex {
    fn build(conn: &mut AnyConnection, kind: PlaceKind) -> AppResult<KindIndex> {
        let started = Instant::now();
        let rows: Vec<IndexRow> = places::table
            .filter(places::kind.eq(kind.as_str()))
            .select(IndexRow::as_select())
            .load(conn)?;
        let mut ids: HashMap<String, Sym> = HashMap::new();
        let mut syms: Vec<Box<str>> = vec!["".into()];
        let mut sym = |s: Option<String>| -> Sym {
            let Some(s) = s else { return 0 };
            *ids.entry(s).or_insert_with_key(|s| {
                syms.push(s.as_str().into());
                (syms.len() - 1) as Sym
            })
        };
        let mut group_sizes: HashMap<i64, u32> = HashMap::new();
        for r in &rows {
            *group_sizes.entry(r.group_id).or_default() += 1;
        }
        let mut groups: HashMap<i64, Vec<Sibling>> = HashMap::new();
        let mut entries = Vec::with_capacity(rows.len());
        for r in rows {
            let (locale, status) = (sym(Some(r.locale)), sym(Some(r.status)));
            if group_sizes.get(&r.group_id).is_some_and(|n| *n > 1) {
                groups.entry(r.group_id).or_default().push(Sibling {
                    locale,
                    status,
                    published_at: r.published_at,
                });
            }
            let (Some(lat), Some(lon)) = (r.lat, r.lon) else {
                continue;
            };
            let entry = Entry {
                id: r.id,
                group_id: r.group_id,
                published_at: r.published_at,
                rank_order: r.rank_order,
                locale,
                status,
                region: sym(r.region),
                category: sym(r.category),
                listing_status: sym(r.listing_status),
                name: r.name.into_boxed_str(),
            };
            entries.push((Point { lat, lon }, entry));
        }
        let index = KindIndex {
            grid: Grid::new(entries),
            syms,
            groups,
        };
        tracing::info!(
            kind = kind.as_str(),
            places = index.grid.len(),
            bytes = index.heap_bytes(),
            ms = started.elapsed().as_millis() as u64,
            "geo index built"
        );
        Ok(index)
    }

    /// Heap bytes held (names at their length; allocator overhead not counted).
    pub fn heap_bytes(&self) -> usize {
        let names: usize = self.grid.items().map(|e| e.name.len()).sum();
        let siblings: usize = self.groups.values().map(|g| g.capacity()).sum();
        self.grid.heap_bytes()
            + names
            + self.syms.iter().map(|s| s.len() + 16).sum::<usize>()
            + self.groups.capacity() * (8 + 24 + 8)
            + siblings * std::mem::size_of::<Sibling>()
    }

    /// The symbol of a string, if any row has it.
    fn sym(&self, s: &str) -> Option<Sym> {
        self.syms
            .iter()
            .skip(1)
            .position(|x| &**x == s)
            .map(|i| i as Sym + 1)
    }

    fn str(&self, s: Sym) -> &str {
        self.syms.get(s as usize).map_or("", |x| x)
    }

    /// Appends the places of this kind that `f` keeps, as radius candidates
    /// with the sort key `key` needs. The same conditions as the SQL path's
    /// `filtered`, evaluated as `Visibility::allows` and `BestLocale` define them.
    fn candidates(&self, f: &PlaceFilter, key: RankKey, out: &mut Vec<Candidate>) {
        let Some(b) = f.area.search_box() else {
            return;
        };
        // A filter value no row has: nothing matches.
        let wanted = |v: &Option<String>| match v {
            None => Some(None),
            Some(v) => self.sym(v).map(Some),
        };
        let (Some(region), Some(category), Some(listing_status)) = (
            wanted(&f.region),
            wanted(&f.category),
            wanted(&f.listing_status),
        ) else {
            return;
        };
        // The preferred locales' ranks by symbol (one locale without fallback).
        let prefs: Vec<Option<Sym>> = if f.fallback.is_empty() {
            vec![self.sym(&f.locale)]
        } else {
            f.fallback.iter().map(|l| self.sym(l)).collect()
        };
        let rank = |s: Sym| prefs.iter().position(|p| *p == Some(s));
        let visible =
            |status: Sym, published_at| f.vis.allows(self.str(status), published_at, f.now);
        for (p, e) in self.grid.in_box(&b) {
            let Some(own_rank) = rank(e.locale) else {
                continue;
            };
            if !visible(e.status, e.published_at)
                || region.is_some_and(|s| s != e.region)
                || category.is_some_and(|s| s != e.category)
                || listing_status.is_some_and(|s| s != e.listing_status)
            {
                continue;
            }
            if !f.fallback.is_empty() {
                let better = self.groups.get(&e.group_id).is_some_and(|g| {
                    g.iter().any(|s| {
                        rank(s.locale).is_some_and(|r| r < own_rank)
                            && visible(s.status, s.published_at)
                    })
                });
                if better {
                    continue;
                }
            }
            out.push(Candidate {
                id: e.id,
                lat: Some(p.lat),
                lon: Some(p.lon),
                text: match key {
                    RankKey::Text => e.name.to_string(),
                    _ => String::new(),
                },
                num: match key {
                    RankKey::Num => i64::from(e.rank_order),
                    _ => 0,
                },
            });
        }
    }
}

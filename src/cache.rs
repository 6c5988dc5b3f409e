//! Short-lived in-process caches (mini-moka) for values that are read on every
//! request but change rarely: list totals, the section tree and whole anonymous
//! GET responses. A write of one item calls `invalidate` (only what it can
//! change: of its collection's item responses only those that show what the
//! write touched, see `Dep`), other writes `invalidate_all`; the TTLs bound
//! staleness across several instances.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::Bytes;
use mini_moka::sync::Cache;
use prometheus::IntCounterVec;

use crate::http::encoding::{Coding, CODINGS};
use crate::resource::ResourceType;

mod dep;
mod indexes;
pub use dep::{Dep, ItemDeps};
pub use indexes::Indexes;

/// A whole anonymous GET response, reused for a short time (micro-caching): the
/// same contract as `Cache-Control: public`, but inside the process.
pub struct CachedResponse {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// For an item response, what it shows (`ItemDeps`); None for anything
    /// else (lists, feeds, ...), which every write of its collection drops.
    pub deps: Option<Arc<[Dep]>>,
    /// `body` in each content coding (`Coding::index`), made on first demand:
    /// a hit with `Accept-Encoding` costs no compression.
    encoded: [OnceLock<Bytes>; CODINGS],
}

impl CachedResponse {
    pub fn new(headers: Vec<(HeaderName, HeaderValue)>, body: Bytes) -> Self {
        CachedResponse {
            headers,
            body,
            deps: None,
            encoded: Default::default(),
        }
    }

    /// This response, as an item response that shows `deps`.
    pub fn with_deps(mut self, deps: Option<Arc<[Dep]>>) -> Self {
        self.deps = deps;
        self
    }

    /// The body in `coding`, compressed by the first caller that asks and kept
    /// (counted in `made`). Concurrent first callers may each compress; one
    /// result is kept.
    pub fn encoded(&self, coding: Coding, made: Option<&IntCounterVec>) -> std::io::Result<Bytes> {
        let slot = &self.encoded[coding.index()];
        if let Some(b) = slot.get() {
            return Ok(b.clone());
        }
        let bytes = Bytes::from(coding.encode(&self.body)?);
        if let Some(m) = made {
            m.with_label_values(&[coding.as_str()]).inc();
        }
        Ok(slot.get_or_init(|| bytes).clone())
    }
}

struct Entry<V> {
    value: V,
    at: Instant,
    refreshing: AtomicBool,
}

/// What a stale-while-revalidate lookup found.
pub enum Lookup<V> {
    /// Fresh, or stale while another request refreshes it.
    Hit(V),
    /// Absent, or stale and this caller was chosen to recompute and `insert` it.
    Miss,
}

/// A stale-while-revalidate cache: an entry is fresh for `fresh`; after that the
/// first caller recomputes it while the others keep the stale value (at most
/// `stale` longer), so an expiry never sends every concurrent request to the database.
#[derive(Clone)]
pub struct SwrCache<V: Clone + Send + Sync + 'static> {
    inner: Cache<String, Arc<Entry<V>>>,
    fresh: Duration,
    /// Keys being computed: concurrent misses of one key wait for the first.
    in_flight: Arc<Mutex<HashMap<String, Arc<Mutex<()>>>>>,
}

impl<V: Clone + Send + Sync + 'static> SwrCache<V> {
    pub fn new(fresh: Duration, stale: Duration, max_weight: u64, weigh: fn(&V) -> u32) -> Self {
        let inner = Cache::builder()
            .weigher(move |k: &String, e: &Arc<Entry<V>>| {
                weigh(&e.value).saturating_add(k.len().min(u32::MAX as usize) as u32)
            })
            .max_capacity(max_weight)
            .time_to_live(fresh + stale)
            .build();
        SwrCache {
            inner,
            fresh,
            in_flight: Arc::default(),
        }
    }

    /// The cached value, or `compute`'s, computed once for all concurrent callers
    /// of a key (single flight): a cold start does not run the same COUNT 32 times.
    /// Called on blocking threads only (it may wait).
    pub fn get_or_compute<E>(
        &self,
        key: &str,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Lookup::Hit(v) = self.lookup(key) {
            return Ok(v);
        }
        let lock = {
            let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.to_string()).or_default().clone()
        };
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = self.inner.get(&key.to_string()) {
            if e.at.elapsed() < self.fresh {
                return Ok(e.value.clone());
            }
        }
        let result = compute();
        if let Ok(v) = &result {
            self.insert(key.to_string(), v.clone());
        }
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
        result
    }

    pub fn lookup(&self, key: &str) -> Lookup<V> {
        let Some(e) = self.inner.get(&key.to_string()) else {
            return Lookup::Miss;
        };
        if e.at.elapsed() < self.fresh || e.refreshing.swap(true, Ordering::AcqRel) {
            Lookup::Hit(e.value.clone())
        } else {
            Lookup::Miss
        }
    }

    pub fn insert(&self, key: String, value: V) {
        self.inner.insert(
            key,
            Arc::new(Entry {
                value,
                at: Instant::now(),
                refreshing: AtomicBool::new(false),
            }),
        );
    }

    pub fn invalidate_all(&self) {
        self.inner.invalidate_all();
    }

    /// Drops the entries whose key `pred` accepts (a walk over all entries:
    /// once per write, not per read).
    pub fn invalidate_if(&self, pred: impl Fn(&str) -> bool) {
        self.invalidate_where(|k, _| pred(k));
    }

    /// Drops the entries whose key and value `pred` accepts (likewise).
    pub fn invalidate_where(&self, pred: impl Fn(&str, &V) -> bool) {
        let doomed: Vec<String> = self
            .inner
            .iter()
            .filter(|e| pred(e.key(), &e.value().value))
            .map(|e| e.key().clone())
            .collect();
        for k in doomed {
            self.inner.invalidate(&k);
        }
    }
}

#[derive(Clone)]
pub struct Caches {
    /// Totals of list filters: COUNT over a million rows must not run per page view.
    pub counts: SwrCache<i64>,
    /// The section tree, as `resources::sections` loads it (type-erased, so this
    /// module depends on no resource).
    sections: Cache<(), Arc<dyn Any + Send + Sync>>,
    /// Regions localized per locale (fixed reference data), likewise.
    regions: Cache<String, Arc<dyn Any + Send + Sync>>,
    /// None when `BELPORTAL_RESPONSE_CACHE_MS=0`.
    pub responses: Option<SwrCache<Arc<CachedResponse>>>,
    /// `belportal_response_cache_total{result="hit"|"miss"}`.
    pub response_results: IntCounterVec,
    /// `belportal_response_compressions_total{coding}`: GET bodies compressed
    /// (once per cached entry and coding, or once per uncached response).
    pub compressions: IntCounterVec,
    /// Indexes built in memory from whole tables (the places' geo grid),
    /// dropped by every place write and by `invalidate_all`.
    pub indexes: Arc<Indexes>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches::new(0)
    }
}

impl Caches {
    pub fn new(response_cache_ms: u64) -> Self {
        let responses = (response_cache_ms > 0).then(|| {
            let fresh = Duration::from_millis(response_cache_ms);
            // Weighed by body size, twice: the compressed forms added later
            // together stay under the identity body's size for JSON. At most
            // 64 MiB in all.
            // Stale for at most 2 s more, while one request refreshes it.
            SwrCache::new(
                fresh,
                Duration::from_secs(2),
                64 << 20,
                |r: &Arc<CachedResponse>| {
                    let deps = r.deps.as_ref().map_or(0, |d| 32 * d.len());
                    (2 * r.body.len() + 256 + deps).min(u32::MAX as usize) as u32
                },
            )
        });
        let response_results = IntCounterVec::new(
            prometheus::Opts::new(
                "belportal_response_cache_total",
                "Anonymous GETs answered from the response cache (hit) or not (miss)",
            ),
            &["result"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition is valid"));
        let compressions = IntCounterVec::new(
            prometheus::Opts::new(
                "belportal_response_compressions_total",
                "GET bodies compressed, per content coding (a cached response once per coding)",
            ),
            &["coding"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition is valid"));
        Caches {
            counts: SwrCache::new(
                Duration::from_secs(5),
                Duration::from_secs(55),
                10_000,
                |_| 1,
            ),
            sections: Cache::builder()
                .max_capacity(1)
                .time_to_live(Duration::from_secs(5))
                .build(),
            regions: Cache::builder()
                .max_capacity(16)
                .time_to_live(Duration::from_secs(300))
                .build(),
            responses,
            response_results,
            compressions,
            indexes: Arc::default(),
        }
    }

    /// The cached section tree, if it is there and of type `T`.
    pub fn sections<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.sections.get(&()).and_then(|v| v.downcast().ok())
    }

    pub fn set_sections<T: Any + Send + Sync>(&self, rows: Arc<T>) {
        self.sections.insert((), rows);
    }

    /// The cached regions of `locale`, if they are there and of type `T`.
    pub fn regions<T: Any + Send + Sync>(&self, locale: &str) -> Option<Arc<T>> {
        self.regions
            .get(&locale.to_string())
            .and_then(|v| v.downcast().ok())
    }

    pub fn set_regions<T: Any + Send + Sync>(&self, locale: &str, rows: Arc<T>) {
        self.regions.insert(locale.to_string(), rows);
    }

    /// Called after a write that may change anything (media, imports, changes
    /// from other nodes).
    pub fn invalidate_all(&self) {
        self.counts.invalidate_all();
        self.sections.invalidate_all();
        self.indexes.clear();
        if let Some(r) = &self.responses {
            r.invalidate_all();
        }
    }
}

impl Caches {
    /// Called after a write of one item of type `t`: drops only what it can
    /// change. Its collection's lists, feeds, calendars and `events.ics`, and
    /// of its item responses those that show what the write touched (`deps`:
    /// the item in every locale, and articles whose related articles it can
    /// change; all of them when `deps` is None, as after a failed write or an
    /// announcement from an older node); its totals; search and suggest
    /// (every type), the changes feed and media usage; `/v1/nearby` for a
    /// place, and UNESCO listings (which show their tourist site) for a
    /// tourist site. A section is shown in its articles, events and the
    /// section tree, so a section write drops everything.
    pub fn invalidate(&self, t: ResourceType, deps: Option<&[Dep]>) {
        if t == ResourceType::Section {
            return self.invalidate_all();
        }
        if matches!(t, ResourceType::Place(_)) {
            self.indexes.clear();
        }
        let counts_prefix = match t {
            ResourceType::Article => "articles|",
            ResourceType::Event => "events|",
            _ => "places|",
        };
        self.counts.invalidate_if(|k| k.starts_with(counts_prefix));
        if let Some(r) = &self.responses {
            r.invalidate_where(|key, cached| match response_shows(key, t) {
                Shows::Nothing => false,
                Shows::Collection => match (&cached.deps, deps) {
                    (Some(shown), Some(touched)) => shown.iter().any(|d| touched.contains(d)),
                    _ => true,
                },
                Shows::Other => true,
            });
        }
    }
}

/// Whether a cached response may show an item of a type.
#[derive(Debug, PartialEq, Eq)]
enum Shows {
    Nothing,
    /// It is under the type's collection: a list, or an item response, which
    /// shows the written item when their `Dep`s meet.
    Collection,
    /// It is elsewhere and may show it (search, nearby, ...).
    Other,
}

/// Whether the cached response under `key` (`"<uri>|<accept>|<language>"`) may
/// show an item of type `t` (media items list where they are used).
fn response_shows(key: &str, t: ResourceType) -> Shows {
    let Some(path) = key.strip_prefix("/v1/") else {
        return Shows::Nothing;
    };
    let under = |p: &str| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '.', '|']))
    };
    let place = matches!(t, ResourceType::Place(_));
    let tourist_site = t == ResourceType::Place(crate::resource::PlaceKind::TouristSite);
    if under(t.collection()) {
        Shows::Collection
    } else if under("search")
        || under("suggest")
        || under("changes")
        || under("media")
        || (place && under("nearby"))
        || (tourist_site && under("unesco-sites"))
    {
        Shows::Other
    } else {
        Shows::Nothing
    }
}

#[cfg(test)]
mod tests;

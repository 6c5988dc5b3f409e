//! Short-lived in-process caches (mini-moka) for values that are read on every
//! request but change rarely: list totals and the section tree. Writes call
//! `invalidate_all`; the TTL bounds staleness across several instances.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::Bytes;
use mini_moka::sync::Cache;
use prometheus::IntCounterVec;

use crate::content::sections::SectionRow;

/// A whole anonymous GET response, reused for a short time (micro-caching): the
/// same contract as `Cache-Control: public`, but inside the process.
pub struct CachedResponse {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

#[derive(Clone)]
pub struct Caches {
    /// Totals of list filters: COUNT over a million rows must not run per page view.
    pub counts: Cache<String, i64>,
    sections: Cache<(), Arc<Vec<SectionRow>>>,
    /// None when `BELPORTAL_RESPONSE_CACHE_MS=0`.
    pub responses: Option<Cache<String, Arc<CachedResponse>>>,
    /// `belportal_response_cache_total{result="hit"|"miss"}`.
    pub response_results: IntCounterVec,
}

impl Default for Caches {
    fn default() -> Self {
        Caches::new(0)
    }
}

impl Caches {
    pub fn new(response_cache_ms: u64) -> Self {
        let responses = (response_cache_ms > 0).then(|| {
            Cache::builder()
                // Weighed by body size: at most 64 MiB of cached bodies.
                .weigher(|k: &String, v: &Arc<CachedResponse>| {
                    (k.len() + v.body.len() + 256).min(u32::MAX as usize) as u32
                })
                .max_capacity(64 << 20)
                .time_to_live(Duration::from_millis(response_cache_ms))
                .build()
        });
        let response_results = IntCounterVec::new(
            prometheus::Opts::new(
                "belportal_response_cache_total",
                "Anonymous GETs answered from the response cache (hit) or not (miss)",
            ),
            &["result"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition is valid"));
        Caches {
            counts: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(5))
                .build(),
            sections: Cache::builder()
                .max_capacity(1)
                .time_to_live(Duration::from_secs(5))
                .build(),
            responses,
            response_results,
        }
    }

    pub fn sections(&self) -> Option<Arc<Vec<SectionRow>>> {
        self.sections.get(&())
    }

    pub fn set_sections(&self, rows: Arc<Vec<SectionRow>>) {
        self.sections.insert((), rows);
    }

    /// Called after every committed write.
    pub fn invalidate_all(&self) {
        self.counts.invalidate_all();
        self.sections.invalidate_all();
        if let Some(r) = &self.responses {
            r.invalidate_all();
        }
    }
}

//! Per-client rate limits (GCRA, the `governor` crate): one bucket per client
//! address for anonymous requests and per API key for authenticated ones.
//! Expensive requests take more than one token ([`cost`]). The `RateLimit-Policy`
//! and `RateLimit` headers follow draft-ietf-httpapi-ratelimit-headers-10
//! (structured-field lists: `"default";q=100;w=2` and `"default";r=97;t=1`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use prometheus::IntCounterVec;

/// Whose bucket a request takes tokens from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// An anonymous client: its IPv4 address, or the /64 of its IPv6 address
    /// (one subscriber usually holds a whole /64).
    Addr(IpAddr),
    /// A valid API key, by id.
    Key(i64),
    /// No peer address is known (tests, Unix sockets): one shared bucket.
    Unknown,
}

impl RateKey {
    pub fn for_addr(ip: Option<IpAddr>) -> RateKey {
        match ip.map(crate::net::canonical) {
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                RateKey::Addr(IpAddr::V6(net))
            }
            Some(v4) => RateKey::Addr(v4),
            None => RateKey::Unknown,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            RateKey::Key(_) => "key",
            _ => "address",
        }
    }
}

type Keyed =
    RateLimiter<RateKey, DashMapStateStore<RateKey>, DefaultClock, StateInformationMiddleware>;

/// How often buckets that have refilled are forgotten (their state equals a fresh one).
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// More keys than this and the next request sweeps at once.
const SWEEP_ABOVE: usize = 100_000;

/// What a request costs in tokens, by what it makes the server do. The table is
/// documented in the README ("Rate limits") and docs/SECURITY.md.
pub fn cost(method: &Method, path: &str, query: &str) -> u32 {
    let has = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == name && !v.is_empty())
    };
    match (method, path) {
        (&Method::POST, "/v1/admin/import") | (&Method::GET, "/v1/admin/export") => 20,
        (&Method::POST, "/v1/media") => 10,
        (_, "/v1/search") | (_, "/v1/nearby") => 5,
        (&Method::GET, p) if p.starts_with("/v1/") && (has("q") || has("near") || has("bbox")) => 5,
        _ => 1,
    }
}

/// `belportal_rate_limited_total{by="address"|"key"}`, registered with `/metrics`
/// whether limiting is on or off.
pub fn refused_counter() -> IntCounterVec {
    IntCounterVec::new(
        prometheus::Opts::new(
            "belportal_rate_limited_total",
            "Requests refused with 429 by the rate limiter, by what they were limited by",
        ),
        &["by"],
    )
    .unwrap_or_else(|e| unreachable!("constant metric options are valid: {e}"))
}

/// The outcome of one check, rendered into headers by `http::edge`.
#[derive(Debug, Clone)]
pub struct Decision {
    /// `RateLimit-Policy` value.
    pub policy: String,
    /// `RateLimit` value.
    pub state: String,
    /// Refused: whole seconds until the request would be allowed (at least 1).
    pub retry_after: Option<u64>,
}

pub struct Limiter {
    limiter: Keyed,
    rate: u32,
    burst: u32,
    policy: String,
    started: Instant,
    last_sweep_ms: AtomicU64,
    /// `belportal_rate_limited_total{by="address"|"key"}`: refused requests.
    pub refused: IntCounterVec,
}

impl Limiter {
    /// None when `rate` is 0 (limiting off). `refused` counts the 429s.
    pub fn new(rate: u32, burst: u32, refused: IntCounterVec) -> Option<Limiter> {
        let per_second = NonZeroU32::new(rate)?;
        let burst = burst.max(1);
        let quota = Quota::per_second(per_second).allow_burst(NonZeroU32::new(burst)?);
        let window = burst.div_ceil(rate).max(1);
        Some(Limiter {
            limiter: RateLimiter::dashmap(quota).with_middleware::<StateInformationMiddleware>(),
            rate,
            burst,
            policy: format!("\"default\";q={burst};w={window}"),
            started: Instant::now(),
            last_sweep_ms: AtomicU64::new(0),
            refused,
        })
    }

    /// Takes `cost` tokens (at most the burst, so any request can pass when the
    /// bucket is full) from `key`'s bucket.
    pub fn check(&self, key: &RateKey, cost: u32) -> Decision {
        self.maybe_sweep();
        let n = NonZeroU32::new(cost.clamp(1, self.burst)).unwrap_or(NonZeroU32::MIN);
        let (remaining, retry_after) = match self.limiter.check_key_n(key, n) {
            Ok(Ok(snapshot)) => (snapshot.remaining_burst_capacity(), None),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                self.refused.with_label_values(&[key.label()]).inc();
                (0, Some(whole_seconds(wait)))
            }
            // Unreachable: the cost is clamped to the burst.
            Err(_) => (0, Some(1)),
        };
        let reset = retry_after.unwrap_or_else(|| {
            let missing = u64::from(self.burst.saturating_sub(remaining));
            missing.div_ceil(u64::from(self.rate))
        });
        Decision {
            policy: self.policy.clone(),
            state: format!("\"default\";r={remaining};t={reset}"),
            retry_after,
        }
    }

    /// Buckets kept (one per recently seen client or key).
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }

    /// Forgets buckets that have refilled: keyed state stays bounded by the
    /// clients seen in the last few seconds.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// Sweeps every [`SWEEP_EVERY`] (one request wins the race and pays for it),
    /// or at once when the map has grown past [`SWEEP_ABOVE`].
    fn maybe_sweep(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_sweep_ms.load(Ordering::Relaxed);
        let due = now.saturating_sub(last) >= SWEEP_EVERY.as_millis() as u64;
        if (due || self.limiter.len() > SWEEP_ABOVE)
            && self
                .last_sweep_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.sweep();
        }
    }
}

fn whole_seconds(d: Duration) -> u64 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    s.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expensive_requests_cost_more() {
        assert_eq!(cost(&Method::GET, "/v1/articles", ""), 1);
        assert_eq!(cost(&Method::GET, "/v1/articles", "q="), 1);
        assert_eq!(cost(&Method::GET, "/v1/articles", "q=minsk&limit=5"), 5);
        assert_eq!(cost(&Method::GET, "/v1/tourist-sites", "near=53.9,27.5"), 5);
        assert_eq!(cost(&Method::GET, "/v1/monuments", "bbox=1,2,3,4"), 5);
        assert_eq!(cost(&Method::GET, "/v1/search", "q=x"), 5);
        assert_eq!(cost(&Method::GET, "/v1/nearby", "lat=1"), 5);
        assert_eq!(cost(&Method::POST, "/v1/media", ""), 10);
        assert_eq!(cost(&Method::GET, "/v1/media", ""), 1);
        assert_eq!(cost(&Method::POST, "/v1/admin/import", ""), 20);
        assert_eq!(cost(&Method::GET, "/v1/admin/export", ""), 20);
    }

    #[test]
    fn a_bucket_refuses_past_its_burst_and_keys_are_separate() {
        let l = Limiter::new(1, 3, refused_counter()).unwrap();
        let a = RateKey::for_addr(Some("192.0.2.1".parse().unwrap()));
        let first = l.check(&a, 1);
        assert_eq!(first.policy, "\"default\";q=3;w=3");
        assert_eq!(first.state, "\"default\";r=2;t=1");
        assert!(l.check(&a, 2).retry_after.is_none());
        let refused = l.check(&a, 1);
        assert_eq!(refused.retry_after, Some(1));
        assert_eq!(refused.state, "\"default\";r=0;t=1");
        assert!(l.check(&RateKey::Key(7), 1).retry_after.is_none());
        assert_eq!(l.refused.with_label_values(&["address"]).get(), 1);
        // A cost above the burst is clamped: it empties a full bucket, no more.
        assert!(l.check(&RateKey::Key(8), 1000).retry_after.is_none());
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        let a = RateKey::for_addr(Some("2001:db8:1:2::1".parse().unwrap()));
        let b = RateKey::for_addr(Some("2001:db8:1:2:ffff::9".parse().unwrap()));
        let c = RateKey::for_addr(Some("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            RateKey::for_addr(Some("::ffff:192.0.2.1".parse().unwrap())),
            RateKey::for_addr(Some("192.0.2.1".parse().unwrap()))
        );
    }

    #[test]
    fn refilled_buckets_are_swept() {
        let l = Limiter::new(1000, 1, refused_counter()).unwrap();
        for i in 0..50u8 {
            l.check(&RateKey::for_addr(Some(IpAddr::from([10, 0, 0, i]))), 1);
        }
        assert_eq!(l.len(), 50);
        std::thread::sleep(Duration::from_millis(20));
        l.sweep();
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn limiting_off_is_none() {
        assert!(Limiter::new(0, 10, refused_counter()).is_none());
    }
}

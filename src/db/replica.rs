//! Read replicas (`DATABASE_READ_URL`, PostgreSQL only): a second pool that
//! anonymous GETs read from. Requests with a key and all writes use the
//! primary, so an editor reads their own writes at once.
//!
//! Routing happens where a connection is taken (`db::run`): `http::edge` runs
//! an anonymous GET inside `anonymous_read`, and only there may `run` pick the
//! replica, and only while the `monitor` (a thread, every `TICK`) finds it
//! reachable, no more than `BELPORTAL_REPLICA_MAX_LAG_MS` behind, and past
//! the last cache invalidation:
//!
//! A write on any node clears the caches when it commits on the primary (at
//! once on the writing node, through NOTIFY on the others); the replica may
//! replay it later. A read sent to the replica in between would put the old
//! data back into a cache just cleared, to stay there for the cache's whole
//! lifetime. So every invalidation bumps `ReplicaStatus::epoch`, and reads go
//! to the primary until the monitor has taken the primary's WAL position
//! after that invalidation and seen the replica replay past it (one tick plus
//! the replay time, ~100-300 ms on a healthy replica). Under more than about
//! one write per tick, anonymous reads therefore stay on the primary:
//! correctness of the caches over offload (editorial write rates are far lower).

mod monitor;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use super::{pool_with, Backend, DbPool, Limits, NodeSettings, PooledConn};
use crate::config::{err, ConfigError};
use crate::error::AppResult;

/// How long a read waits for a replica connection before it goes to the primary.
const CHECKOUT_WAIT: Duration = Duration::from_millis(250);

/// `DATABASE_READ_URL` and `BELPORTAL_REPLICA_MAX_LAG_MS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSettings {
    /// A PostgreSQL URL (libpq multi-host URLs allowed); None: no replica.
    pub url: Option<String>,
    /// Reads go to the primary while the replica is further behind.
    pub max_lag_ms: u64,
}

impl Default for ReplicaSettings {
    fn default() -> Self {
        ReplicaSettings {
            url: None,
            max_lag_ms: 1000,
        }
    }
}

impl ReplicaSettings {
    /// Reads the two variables; a replica with a SQLite `database_url` is an error.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        database_url: &str,
    ) -> Result<Self, ConfigError> {
        let mut s = ReplicaSettings::default();
        if let Some(v) = get("BELPORTAL_REPLICA_MAX_LAG_MS") {
            s.max_lag_ms = v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=3_600_000).contains(n))
                .ok_or_else(|| {
                    err(
                        "BELPORTAL_REPLICA_MAX_LAG_MS",
                        "expected milliseconds from 1 to 3600000",
                    )
                })?;
        }
        if let Some(v) = get("DATABASE_READ_URL") {
            let v = v.trim();
            if !(v.starts_with("postgres://") || v.starts_with("postgresql://")) {
                return Err(err("DATABASE_READ_URL", "must start with postgres://"));
            }
            if !database_url.starts_with("postgres") {
                return Err(err(
                    "DATABASE_READ_URL",
                    "read replicas need DATABASE_URL on PostgreSQL (SQLite has one file, no replicas)",
                ));
            }
            s.url = Some(v.to_string());
        }
        Ok(s)
    }
}

/// What the monitor last found, shared with every read and with the cache listener.
#[derive(Debug, Default)]
pub struct ReplicaStatus {
    /// Cache invalidations so far (`note_invalidation`).
    epoch: AtomicU64,
    /// The last invalidation the monitor has a primary WAL position after.
    covered_epoch: AtomicU64,
    /// That position: the replica must have replayed it.
    required_lsn: AtomicU64,
    /// Where the replica had replayed to at the last tick.
    replay_lsn: AtomicU64,
    /// How far behind it was, in ms (a tick's precision).
    lag_ms: AtomicU64,
    /// The replica answered the last tick (false until the first).
    up: AtomicBool,
    max_lag_ms: u64,
    /// Why it is down, for `/readyz`.
    error: Mutex<Option<String>>,
}

impl ReplicaStatus {
    fn new(max_lag_ms: u64) -> Self {
        ReplicaStatus {
            max_lag_ms,
            error: Mutex::new(Some("not checked yet".into())),
            ..ReplicaStatus::default()
        }
    }

    /// A write committed (or was announced) and caches were or will be
    /// cleared: reads go to the primary until the replica has it.
    pub fn note_invalidation(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether an anonymous read may go to the replica now.
    fn usable(&self) -> bool {
        self.up.load(Ordering::SeqCst)
            && self.lag_ms.load(Ordering::SeqCst) <= self.max_lag_ms
            && self.covered_epoch.load(Ordering::SeqCst) == self.epoch.load(Ordering::SeqCst)
            && self.replay_lsn.load(Ordering::SeqCst) >= self.required_lsn.load(Ordering::SeqCst)
    }

    fn set_down(&self, why: String) {
        self.up.store(false, Ordering::SeqCst);
        *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
    }

    /// What `/readyz` reports.
    pub fn health(&self) -> ReplicaHealth {
        let lag_ms = self.lag_ms.load(Ordering::SeqCst);
        if !self.up.load(Ordering::SeqCst) {
            let error = self.error.lock().unwrap_or_else(|p| p.into_inner()).clone();
            return ReplicaHealth {
                state: "unreachable",
                lag_ms: None,
                serving_reads: false,
                error,
            };
        }
        let state = if lag_ms > self.max_lag_ms {
            "lagging"
        } else {
            "streaming"
        };
        ReplicaHealth {
            state,
            lag_ms: Some(lag_ms),
            serving_reads: self.usable(),
            error: None,
        }
    }
}

/// The read replica's state in `/readyz` (which stays 200 while the primary
/// is fine: reads then go to the primary).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplicaHealth {
    /// `streaming` (anonymous reads use it), `lagging` (further behind than
    /// `BELPORTAL_REPLICA_MAX_LAG_MS`: reads use the primary) or
    /// `unreachable` (reads use the primary).
    #[schema(example = "streaming")]
    pub state: &'static str,
    /// How far the replica is behind the primary, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<u64>,
    /// Whether anonymous reads use it now: streaming, and past the last
    /// write this node cleared its caches for.
    pub serving_reads: bool,
    /// Why it is unreachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The replica's pool and the monitor watching it (stopped when the last
/// `DbPool` clone is dropped).
pub struct Replica {
    pub(super) pool: DbPool,
    pub(super) status: Arc<ReplicaStatus>,
    _monitor: monitor::Monitor,
}

impl Replica {
    /// The read pool on `settings.url` (empty at first, like the primary's)
    /// and its monitor, which compares it with `primary_url`.
    pub(super) fn start(
        settings: &ReplicaSettings,
        primary_url: &str,
        size: u32,
        limits: Limits,
        node: &NodeSettings,
    ) -> Option<Arc<Replica>> {
        let url = settings.url.as_ref()?;
        // Checked on checkout (one `SELECT 1`): a replica that went away sends
        // the read to the primary instead of failing it.
        let pool = pool_with(&Backend::Postgres(url.clone()), size, limits, node, true);
        let status = Arc::new(ReplicaStatus::new(settings.max_lag_ms));
        let monitor = monitor::Monitor::start(primary_url, url, &node.name, status.clone());
        Some(Arc::new(Replica {
            pool,
            status,
            _monitor: monitor,
        }))
    }

    /// A replica connection if reads may use it now; None sends the read to
    /// the primary. A replica that cannot give one within `CHECKOUT_WAIT` is
    /// marked down until the monitor reaches it again.
    pub(super) fn checkout(&self) -> Option<(PooledConn, DbPool)> {
        if !self.status.usable() {
            return None;
        }
        match self.pool.get_timeout(CHECKOUT_WAIT) {
            Ok(conn) => Some((conn, self.pool.clone())),
            Err(e) => {
                if self.status.up.load(Ordering::SeqCst) {
                    tracing::warn!(error = %e, "read replica unavailable; reading from the primary");
                }
                self.status.set_down(e.to_string());
                None
            }
        }
    }
}

impl DbPool {
    /// Adds a read replica (`DATABASE_READ_URL`; nothing when `settings` names
    /// none): a pool of `size` on it, and its monitor. Never connects here, so
    /// a node starts whatever state the replica is in.
    pub fn with_replica(
        mut self,
        settings: &ReplicaSettings,
        primary_url: &str,
        node: &NodeSettings,
    ) -> Self {
        let size = self.pool.max_size();
        self.replica = Replica::start(settings, primary_url, size, self.limits, node);
        self
    }

    /// What the replica monitor found; None without a replica.
    pub fn replica_status(&self) -> Option<Arc<ReplicaStatus>> {
        self.replica.as_ref().map(|r| r.status.clone())
    }

    /// A connection for `run`: the replica's inside an anonymous read while
    /// it is usable (see `replica`), else this pool's.
    pub(super) fn read_conn(&self, anonymous: bool) -> AppResult<(PooledConn, DbPool)> {
        if let Some(r) = self.replica.as_ref().filter(|_| anonymous) {
            if let Some(found) = r.checkout() {
                return Ok(found);
            }
        }
        Ok((self.pool.get()?, self.clone()))
    }
}

tokio::task_local! {
    static ANONYMOUS_READ: ();
}

/// Runs `f` (an anonymous GET) so that its database reads may use the replica.
pub async fn anonymous_read<F: Future>(f: F) -> F::Output {
    ANONYMOUS_READ.scope((), f).await
}

/// Whether the current task is an anonymous read (see `anonymous_read`).
pub(super) fn in_anonymous_read() -> bool {
    ANONYMOUS_READ.try_with(|_| ()).is_ok()
}

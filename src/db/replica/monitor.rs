//! The replica monitor: a thread that every `TICK` reads the primary's WAL
//! position (`pg_current_wal_lsn()`) and the replica's replay position
//! (`pg_last_wal_replay_lsn()`), each on one connection of its own outside
//! the pools. The lag is how long ago the primary had WAL the replica has not
//! replayed yet (from the positions the monitor took at each tick), so an
//! idle primary is never mistaken for a lagging replica, as
//! `now() - pg_last_xact_replay_timestamp()` would be.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::CacheSize;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable};

use super::ReplicaStatus;

/// How often the positions are compared: the routing's reaction time.
pub const TICK: Duration = Duration::from_millis(100);
/// Positions kept while the replica is behind (the oldest stays, so a long
/// lag still reads as at least what it is).
const MAX_SAMPLES: usize = 4096;

/// The running monitor; dropping it stops the thread (within one tick).
pub(super) struct Monitor {
    stop: Arc<AtomicBool>,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Monitor {
    pub(super) fn start(
        primary_url: &str,
        replica_url: &str,
        name: &str,
        status: Arc<ReplicaStatus>,
    ) -> Monitor {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let app = format!("{name} replica monitor");
        let primary = monitor_url(primary_url, &app);
        let replica = monitor_url(replica_url, &app);
        let spawned = std::thread::Builder::new()
            .name("belportal-replica".into())
            .spawn(move || {
                let mut m = State {
                    primary_url: primary,
                    replica_url: replica,
                    primary: None,
                    replica: None,
                    samples: VecDeque::new(),
                    covered: None,
                    status,
                };
                while !flag.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    m.tick();
                    let next = started + TICK;
                    while Instant::now() < next && !flag.load(Ordering::SeqCst) {
                        std::thread::sleep(
                            next.saturating_duration_since(Instant::now()).min(TICK),
                        );
                    }
                }
            });
        if let Err(e) = spawned {
            // Without a monitor the replica is never marked usable: reads use the primary.
            tracing::error!(error = %e, "cannot start the replica monitor; reading from the primary");
        }
        Monitor { stop }
    }
}

/// A short connect timeout (a blackholed replica must not stall the ticks
/// for long) and the node's name, unless the URL sets them.
fn monitor_url(url: &str, app: &str) -> String {
    let url = super::super::node::with_application_name(url, app);
    if url.contains("connect_timeout=") {
        return url;
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}connect_timeout=2")
}

struct State {
    primary_url: String,
    replica_url: String,
    primary: Option<PgConnection>,
    replica: Option<PgConnection>,
    /// (when, primary position) of the ticks the replica has not replayed yet.
    samples: VecDeque<(Instant, u64)>,
    /// The invalidation epoch `required_lsn` was taken after.
    covered: Option<u64>,
    status: Arc<ReplicaStatus>,
}

#[derive(QueryableByName)]
struct PrimaryPosition {
    #[diesel(sql_type = BigInt)]
    lsn: i64,
}

#[derive(QueryableByName)]
struct ReplayPosition {
    #[diesel(sql_type = Bool)]
    recovery: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    lsn: Option<i64>,
}

fn connect<'a>(slot: &'a mut Option<PgConnection>, url: &str) -> QueryResult<&'a mut PgConnection> {
    if slot.is_none() {
        let mut c = PgConnection::establish(url).map_err(|e| {
            diesel::result::Error::QueryBuilderError(format!("cannot connect: {e}").into())
        })?;
        // Unnamed statements: the primary may be behind a transaction-mode PgBouncer.
        c.set_prepared_statement_cache_size(CacheSize::Disabled);
        *slot = Some(c);
    }
    slot.as_mut()
        .ok_or_else(|| diesel::result::Error::QueryBuilderError("no connection".into()))
}

fn lsn(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl State {
    fn tick(&mut self) {
        // Taken before the primary's position: that position is then after
        // every invalidation counted in `epoch`.
        let epoch = self.status.epoch.load(Ordering::SeqCst);
        let primary = connect(&mut self.primary, &self.primary_url).and_then(|c| {
            diesel::sql_query("SELECT CAST(pg_current_wal_lsn() - '0/0' AS BIGINT) AS lsn")
                .get_result::<PrimaryPosition>(c)
        });
        let p = match primary {
            Ok(row) => lsn(row.lsn),
            Err(e) => {
                self.primary = None;
                return self.down(format!("cannot read the primary's WAL position: {e}"));
            }
        };
        let at = Instant::now();
        let replica = connect(&mut self.replica, &self.replica_url).and_then(|c| {
            diesel::sql_query(
                "SELECT pg_is_in_recovery() AS recovery, \
                 CAST(pg_last_wal_replay_lsn() - '0/0' AS BIGINT) AS lsn",
            )
            .get_result::<ReplayPosition>(c)
        });
        let r = match replica {
            // Not a standby (DATABASE_READ_URL names a primary): nothing to replay.
            Ok(row) if !row.recovery => p,
            Ok(row) => row.lsn.map_or(0, lsn),
            Err(e) => {
                self.replica = None;
                return self.down(format!("{e}"));
            }
        };
        if self.samples.len() >= MAX_SAMPLES {
            self.samples.pop_back();
        }
        self.samples.push_back((at, p));
        while self.samples.front().is_some_and(|&(_, l)| l <= r) {
            self.samples.pop_front();
        }
        let lag = self
            .samples
            .front()
            .map_or(0, |(t, _)| t.elapsed().as_millis() as u64);
        let s = &self.status;
        if self.covered != Some(epoch) {
            // Stored before `covered_epoch`: a read that sees the new epoch
            // covered sees the position it needs too.
            s.required_lsn.store(p, Ordering::SeqCst);
            s.covered_epoch.store(epoch, Ordering::SeqCst);
            self.covered = Some(epoch);
        }
        s.replay_lsn.store(r, Ordering::SeqCst);
        let was_lagging = s.lag_ms.swap(lag, Ordering::SeqCst) > s.max_lag_ms;
        if (lag > s.max_lag_ms) != was_lagging {
            if was_lagging {
                tracing::info!(
                    lag_ms = lag,
                    "read replica caught up; anonymous reads use it again"
                );
            } else {
                tracing::warn!(
                    lag_ms = lag,
                    max_lag_ms = s.max_lag_ms,
                    "read replica lags; reading from the primary"
                );
            }
        }
        if !s.up.swap(true, Ordering::SeqCst) {
            tracing::info!(lag_ms = lag, "read replica reachable");
        }
        *s.error.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn down(&mut self, why: String) {
        if self.status.up.load(Ordering::SeqCst) {
            tracing::warn!(error = %why, "read replica unusable; reading from the primary");
        }
        self.samples.clear();
        self.status.set_down(why);
    }
}

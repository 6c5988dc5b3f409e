//! One clock for every node: `db::now()` is this node's clock corrected by its
//! measured offset from the database server's (`clock_timestamp()`), so due
//! times of scheduled items (`published_at <= now`, `promote_due`) and webhook
//! leases agree across nodes whose own clocks disagree. The offset is taken
//! at start and refreshed by the webhook worker (`SYNC_EVERY`), which costs
//! one query per period instead of one per request; it is exact to half a
//! round trip. SQLite serves one machine, whose clock is the database's.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::AnyConnection;
use crate::error::AppResult;

/// How often a running node measures the offset again.
pub const SYNC_EVERY: Duration = Duration::from_secs(30);
/// A measurement whose round trip took longer is dropped (too imprecise).
const MAX_ROUND_TRIP: chrono::TimeDelta = chrono::TimeDelta::milliseconds(500);

/// Database clock minus node clock, in microseconds (0 until measured).
static OFFSET_MICROS: AtomicI64 = AtomicI64::new(0);

/// The node's clock corrected to the database's.
pub fn corrected_now() -> NaiveDateTime {
    apply(Utc::now().naive_utc(), offset())
}

/// The offset `db::now()` applies now.
pub fn offset() -> chrono::TimeDelta {
    chrono::TimeDelta::microseconds(OFFSET_MICROS.load(Ordering::Relaxed))
}

pub fn apply(node: NaiveDateTime, offset: chrono::TimeDelta) -> NaiveDateTime {
    node.checked_add_signed(offset).unwrap_or(node)
}

#[derive(QueryableByName)]
struct DbTime {
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    t: NaiveDateTime,
}

/// The database clock minus `node_clock`, from one round trip (its midpoint
/// against the server's `clock_timestamp()`); None on SQLite or when the round
/// trip was too slow to tell.
pub fn measure(
    conn: &mut AnyConnection,
    node_clock: impl Fn() -> NaiveDateTime,
) -> AppResult<Option<chrono::TimeDelta>> {
    let AnyConnection::Postgresql(c) = conn else {
        return Ok(None);
    };
    let sent = node_clock();
    let db: DbTime =
        diesel::sql_query("SELECT clock_timestamp() AT TIME ZONE 'UTC' AS t").get_result(c)?;
    let received = node_clock();
    let round_trip = received - sent;
    if round_trip > MAX_ROUND_TRIP || round_trip < chrono::TimeDelta::zero() {
        return Ok(None);
    }
    let midpoint = sent + round_trip / 2;
    Ok(Some(db.t - midpoint))
}

/// Measures the offset and makes `db::now()` use it.
pub fn sync(conn: &mut AnyConnection) -> AppResult<()> {
    if let Some(off) = measure(conn, || Utc::now().naive_utc())? {
        let micros = off.num_microseconds().unwrap_or(0);
        let before = OFFSET_MICROS.swap(micros, Ordering::Relaxed);
        if (micros - before).abs() > 1_000_000 {
            tracing::warn!(
                offset_ms = micros / 1000,
                "this node's clock differs from the database's; using the database's"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_the_node_clock_both_ways() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("date");
        let hour = chrono::TimeDelta::hours(1);
        assert_eq!(apply(t, hour) - t, hour);
        assert_eq!(t - apply(t, -hour), hour);
        assert_eq!(apply(t, chrono::TimeDelta::zero()), t);
    }
}

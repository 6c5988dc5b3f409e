//! The bounds on database work: how long a read may run, how long a writer
//! waits for the write lock, how many writers may hold connections, and how
//! each backend applies them (PostgreSQL session settings; SQLite's busy
//! timeout and the progress handler in `interrupt`).

use diesel::connection::SimpleConnection;
use diesel::QueryResult;

use super::{interrupt, is_sqlite, AnyConnection, DbPool};
use crate::error::AppResult;

/// How long database work may take: reads (`BELPORTAL_READ_TIMEOUT_MS`, 0 =
/// unbounded) and waits for the write lock (`BELPORTAL_LOCK_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub read_timeout_ms: u64,
    pub lock_timeout_ms: u64,
}

impl Default for Limits {
    /// What the CLI's own connections (migrations, generator, import) use: no
    /// read bound, the lock wait SQLite always had.
    fn default() -> Self {
        Limits {
            read_timeout_ms: 0,
            lock_timeout_ms: 5000,
        }
    }
}

/// The URL with the limits as the session's defaults (libpq `options`), so
/// `RESET statement_timeout` returns to the read bound after unbounded work
/// and a new connection costs no extra round trip.
pub(super) fn pg_url_with_limits(url: &str, limits: Limits) -> String {
    let mut flags = format!("-c%20lock_timeout%3D{}", limits.lock_timeout_ms);
    if limits.read_timeout_ms > 0 {
        flags.push_str(&format!(
            "%20-c%20statement_timeout%3D{}",
            limits.read_timeout_ms
        ));
    }
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    match parts.iter_mut().find(|p| p.starts_with("options=")) {
        Some(p) => {
            p.push_str("%20");
            p.push_str(&flags);
        }
        None => parts.push(format!("options={flags}")),
    }
    format!("{base}?{}", parts.join("&"))
}

/// Through a transaction-mode pooler (PgBouncer) a session setting would stay
/// on a server connection other clients get next: `f` runs in one transaction
/// whose limits are `SET LOCAL` (the read bound when `read`, else none, as
/// `write_tx` lifts it anyway). Inner transactions become savepoints.
pub(super) fn with_local_limits<T>(
    conn: &mut AnyConnection,
    limits: Limits,
    read: bool,
    f: impl FnOnce(&mut AnyConnection) -> crate::error::AppResult<T>,
) -> crate::error::AppResult<T> {
    let statement_ms = if read { limits.read_timeout_ms } else { 0 };
    let sql = format!(
        "SET LOCAL statement_timeout = {statement_ms}; SET LOCAL lock_timeout = {}",
        limits.lock_timeout_ms
    );
    diesel::Connection::transaction(conn, |c| {
        c.batch_execute(&sql)?;
        f(c)
    })
}

impl DbPool {
    /// `unbounded` for this pool's connections; through PgBouncer, one
    /// transaction whose limits are `SET LOCAL` (no session setting survives).
    pub fn unbounded<T>(
        &self,
        conn: &mut AnyConnection,
        f: impl FnOnce(&mut AnyConnection) -> AppResult<T>,
    ) -> AppResult<T> {
        if self.pooled {
            let _no_deadline = interrupt::set_deadline(None);
            with_local_limits(conn, self.limits, false, f)
        } else {
            unbounded(conn, f)
        }
    }
}

/// Writers admitted at once: a quarter of the pool (at least one, and at
/// least one connection left for reads). Writes take one lock in turn anyway;
/// more waiting writers would only hold more connections.
pub fn writer_permits(pool_size: u32) -> usize {
    let size = pool_size as usize;
    (size / 4).clamp(1, size.saturating_sub(1).max(1))
}

/// Runs `f` without the read timeout: startup work, statistics. (PostgreSQL
/// takes it from the session default again afterwards; SQLite work outside
/// `run` has no deadline anyway.) Not inside a transaction: see `lift_read_timeout`.
pub fn unbounded<T, E: From<diesel::result::Error>>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E> {
    let _no_deadline = interrupt::set_deadline(None);
    let pg = !is_sqlite(conn);
    if pg {
        conn.batch_execute("SET statement_timeout = 0")?;
    }
    let out = f(conn);
    if pg {
        conn.batch_execute("RESET statement_timeout")?;
    }
    out
}

/// Inside a transaction: lifts the read timeout until it ends (writes and
/// imports are bounded by the lock wait, not by the read bound).
pub fn lift_read_timeout(conn: &mut AnyConnection) -> QueryResult<interrupt::DeadlineGuard> {
    if let AnyConnection::Postgresql(c) = conn {
        c.batch_execute("SET LOCAL statement_timeout = 0")?;
    }
    Ok(interrupt::set_deadline(None))
}

/// PostgreSQL's `lock_timeout` or SQLite's busy timeout ran out: a writer
/// waited too long for the write lock (messages, as neither driver gives codes).
pub fn is_lock_timeout(message: &str) -> bool {
    matches!(message, "database is locked" | "database table is locked")
        || message.starts_with("canceling statement due to lock timeout")
}

/// PostgreSQL's `statement_timeout` or the SQLite progress handler stopped a statement.
pub fn is_read_timeout(message: &str) -> bool {
    message == "interrupted" || message.starts_with("canceling statement due to statement timeout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_become_libpq_options_and_keep_the_callers() {
        let l = Limits {
            read_timeout_ms: 2000,
            lock_timeout_ms: 5000,
        };
        assert_eq!(
            pg_url_with_limits("postgres://u@h/db", l),
            "postgres://u@h/db?options=-c%20lock_timeout%3D5000%20-c%20statement_timeout%3D2000"
        );
        assert_eq!(
            pg_url_with_limits("postgres://u@h/db?sslmode=disable&options=-c%20search_path%3Dx", l),
            "postgres://u@h/db?sslmode=disable&options=-c%20search_path%3Dx%20-c%20lock_timeout%3D5000%20-c%20statement_timeout%3D2000"
        );
        let off = Limits {
            read_timeout_ms: 0,
            ..l
        };
        assert!(!pg_url_with_limits("postgres://u@h/db", off).contains("statement_timeout"));
    }

    #[test]
    fn writers_leave_connections_for_reads() {
        assert_eq!(writer_permits(1), 1);
        assert_eq!(writer_permits(2), 1);
        assert_eq!(writer_permits(4), 1);
        assert_eq!(writer_permits(16), 4);
        for size in 2..=64 {
            assert!(writer_permits(size) < size as usize);
        }
    }

    #[test]
    fn lock_and_read_timeouts_are_told_apart() {
        assert!(is_lock_timeout("database is locked"));
        assert!(is_lock_timeout("canceling statement due to lock timeout"));
        assert!(!is_lock_timeout("interrupted"));
        assert!(is_read_timeout("interrupted"));
        assert!(is_read_timeout(
            "canceling statement due to statement timeout"
        ));
        assert!(!is_read_timeout("database is locked"));
    }
}

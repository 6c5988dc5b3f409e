//! Rolling starts: what a node does before serving (migrations, reference and
//! demo data, the search index) runs under one lock per database, so nodes
//! started together on an empty database take turns instead of racing.
//!
//! On PostgreSQL the lock is `pg_advisory_xact_lock` taken in a transaction
//! that a dedicated connection keeps open until the work is done: the lock
//! dies with the transaction (or with the connection, if the node dies), and
//! through a transaction-mode PgBouncer the open transaction keeps its server
//! connection, which a session-level `pg_advisory_lock` would not. SQLite
//! serves one process, so a process-wide mutex orders its threads.

use std::sync::{Mutex, MutexGuard};

use diesel::connection::SimpleConnection;
use diesel::PgConnection;

use super::{AnyConnection, Manager};

/// The advisory lock key: "belportl" in ASCII, so other applications sharing
/// the database are unlikely to use it.
pub const STARTUP_LOCK_KEY: i64 = 0x62656c706f72746c;

static LOCAL: Mutex<()> = Mutex::new(());

/// Held while a node prepares the database; released on drop.
pub struct StartupLock {
    holder: Option<PgConnection>,
    _local: MutexGuard<'static, ()>,
}

impl StartupLock {
    /// Waits for the lock (as long as the node before takes to migrate and seed).
    pub fn acquire(manager: &Manager) -> Result<StartupLock, String> {
        // Poisoned: a thread panicked while holding it; the database state is
        // what the next holder checks anyway.
        let local = LOCAL.lock().unwrap_or_else(|p| p.into_inner());
        if manager.backend().is_sqlite() {
            return Ok(StartupLock {
                holder: None,
                _local: local,
            });
        }
        let holder = match manager.connect() {
            Ok(AnyConnection::Postgresql(mut c)) => {
                let sql = format!(
                    "BEGIN; SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 0; \
                     SELECT pg_advisory_xact_lock({STARTUP_LOCK_KEY})"
                );
                c.batch_execute(&sql)
                    .map_err(|e| format!("cannot take the startup lock: {e}"))?;
                Some(c)
            }
            Ok(AnyConnection::Sqlite(_)) => None,
            Err(e) => return Err(format!("cannot connect: {e}")),
        };
        Ok(StartupLock {
            holder,
            _local: local,
        })
    }
}

impl Drop for StartupLock {
    fn drop(&mut self) {
        if let Some(c) = self.holder.as_mut() {
            // Ending the transaction frees the lock; if COMMIT fails the
            // connection is closed right after, which frees it too.
            if let Err(e) = c.batch_execute("COMMIT") {
                tracing::warn!(error = %e, "startup lock: COMMIT failed, closing the connection");
            }
        }
    }
}

/// Applies pending migrations under the startup lock: of nodes started
/// together, the first migrates and the others find nothing left to do.
pub fn migrate(manager: &Manager) -> Result<usize, String> {
    let _lock = StartupLock::acquire(manager)?;
    super::run_migrations_unlocked(manager)
}

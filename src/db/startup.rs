//! Rolling starts: what a node does before serving (migrations, reference and
//! demo data, the search index) runs under one lock per database, so nodes
//! started together on an empty database take turns instead of racing.
//!
//! On PostgreSQL the lock is `pg_advisory_xact_lock` taken in a transaction
//! that a dedicated connection keeps open until the work is done: the lock
//! dies with the transaction (or with the connection, if the node dies), and
//! through a transaction-mode PgBouncer the open transaction keeps its server
//! connection, which a session-level `pg_advisory_lock` would not. SQLite
//! serves one process, so a process-wide lock per file orders its threads.

use std::sync::{Condvar, Mutex};

use diesel::connection::SimpleConnection;
use diesel::PgConnection;

use super::{AnyConnection, Manager};

/// The advisory lock key: "belportl" in ASCII, so other applications sharing
/// the database are unlikely to use it.
pub const STARTUP_LOCK_KEY: i64 = 0x62656c706f72746c;

/// SQLite files being prepared in this process (the lock for SQLite).
static LOCAL: Mutex<Vec<String>> = Mutex::new(Vec::new());
static LOCAL_FREED: Condvar = Condvar::new();

/// Held while a node prepares the database; released on drop.
pub struct StartupLock {
    holder: Option<PgConnection>,
    /// The SQLite path this process holds.
    local: Option<String>,
}

impl StartupLock {
    /// Waits for the lock (as long as the node before takes to migrate and seed).
    pub fn acquire(manager: &Manager) -> Result<StartupLock, String> {
        if let super::Backend::Sqlite(path) = manager.backend() {
            // Poisoned: a thread panicked while holding it; the list is still right.
            let mut held = LOCAL.lock().unwrap_or_else(|p| p.into_inner());
            while held.contains(path) {
                held = LOCAL_FREED.wait(held).unwrap_or_else(|p| p.into_inner());
            }
            held.push(path.clone());
            return Ok(StartupLock {
                holder: None,
                local: Some(path.clone()),
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
            local: None,
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
        if let Some(path) = self.local.take() {
            let mut held = LOCAL.lock().unwrap_or_else(|p| p.into_inner());
            held.retain(|p| *p != path);
            LOCAL_FREED.notify_all();
        }
    }
}

/// Applies pending migrations under the startup lock: of nodes started
/// together, the first migrates and the others find nothing left to do.
pub fn migrate(manager: &Manager) -> Result<usize, String> {
    let _lock = StartupLock::acquire(manager)?;
    super::run_migrations_unlocked(manager)
}

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

use diesel_migrations::MigrationHarness;

use super::{AnyConnection, Backend, Manager, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

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
        if let Backend::Sqlite(path) = manager.backend() {
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
    run_migrations_unlocked(manager)
}

/// Applies pending migrations for the backend, under the startup lock (see
/// `startup::migrate`). Runs on a dedicated connection.
pub fn run_migrations(backend: &Backend) -> Result<usize, String> {
    migrate(&Manager::new(backend.clone()))
}

/// Applies pending migrations on a connection of `manager`; the caller holds
/// the startup lock (or is alone, as SQLite's one process is).
pub(crate) fn run_migrations_unlocked(manager: &Manager) -> Result<usize, String> {
    if let Backend::Sqlite(path) = manager.backend() {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() && path != ":memory:" {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
        }
    }
    let conn = manager
        .connect()
        .map_err(|e| format!("cannot connect: {e}"))?;
    let applied = match conn {
        AnyConnection::Postgresql(mut c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        AnyConnection::Sqlite(mut c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
        }
    };
    applied.map_err(|e| format!("migration failed: {e}"))
}

/// Reverts every migration (used by the migration round-trip test).
pub fn revert_all_migrations(backend: &Backend) -> Result<usize, String> {
    let manager = Manager::new(backend.clone());
    let conn = manager
        .connect()
        .map_err(|e| format!("cannot connect: {e}"))?;
    let reverted = match conn {
        AnyConnection::Postgresql(mut c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        AnyConnection::Sqlite(mut c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    reverted.map_err(|e| format!("revert failed: {e}"))
}

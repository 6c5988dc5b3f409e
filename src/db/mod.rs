//! Database access: one `AnyConnection` over SQLite or PostgreSQL, an r2d2 pool,
//! embedded migrations, and the few places where SQL differs per backend.

pub mod any_of;
pub mod bulk;
pub mod clock;
pub mod fallback;
pub mod geo;
pub mod health;
pub mod interrupt;
pub mod keyset;
pub mod limits;
pub mod node;
pub mod notify;
pub mod replica;
pub mod schema;
pub mod search;
pub mod sql;
mod sqlite_alloc;
pub mod startup;
pub mod text_filter;
pub mod timestamp;
pub mod write;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Timelike};
use diesel::connection::{CacheSize, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};

use crate::error::{AppError, AppResult};
use limits::pg_url_with_limits;
pub use limits::{
    is_lock_timeout, is_read_timeout, lift_read_timeout, unbounded, writer_permits, Limits,
};
pub use node::NodeSettings;
pub use replica::{ReplicaSettings, ReplicaStatus};
pub(crate) use startup::run_migrations_unlocked;
pub use startup::{migrate, revert_all_migrations, run_migrations, StartupLock};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// The connection pool, with the bounds every use of it applies (see `run`, `run_write`).
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<Manager>,
    limits: Limits,
    /// Connections go through a transaction-mode pooler: `run` applies the
    /// limits with `SET LOCAL` in a transaction around each unit of work.
    pooled: bool,
    /// Permits for writers (see `run_write`): fewer than the pool's connections,
    /// so writers waiting for the write lock never hold every connection.
    writers: Arc<tokio::sync::Semaphore>,
    /// The read replica anonymous GETs use (`DATABASE_READ_URL`), if any.
    replica: Option<Arc<replica::Replica>>,
}

impl std::ops::Deref for DbPool {
    type Target = r2d2::Pool<Manager>;
    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Runs the same diesel code on the concrete connection inside an `AnyConnection`,
/// for statements `MultiConnection` cannot express (multi-row inserts).
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgresql($c) => $body,
        }
    };
}

/// Which backend a `DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres(String),
    /// A filesystem path, or `:memory:`.
    Sqlite(String),
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres(url.to_string()))
        } else if let Some(rest) = url.strip_prefix("sqlite://") {
            Ok(Backend::Sqlite(rest.to_string()))
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            Ok(Backend::Sqlite(rest.to_string()))
        } else {
            Err(format!("unsupported database URL scheme in `{url}`"))
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Backend::Sqlite(_))
    }
}

/// Opens connections for the pool, choosing the backend from the URL scheme
/// (diesel's generated `establish` would try every backend in turn, and SQLite
/// accepts any string as a file name).
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    limits: Limits,
    /// `application_name` of PostgreSQL connections.
    name: String,
    /// Through a transaction-mode pooler: no statement cache, no session settings.
    pooled: bool,
}

// After `PRAGMA busy_timeout` (the lock wait, set first by `connect`): the WAL
// switch may need the write lock briefly, and a pool opens several connections at once.
// The page cache is per connection, so the pool holds up to 16 times it: 1 MB,
// not 16 MB (256 MB in all); the OS page cache keeps the file's pages for every
// connection (docs/PERFORMANCE.md, "What the serving process's RSS was made of").
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -1000; \
     PRAGMA analysis_limit = 400;";
// Statistics may need the write lock: skipped (not waited for) while a writer
// or an import holds it, so connections still open for reads then.
const SQLITE_OPTIMIZE: &str = "PRAGMA busy_timeout = 0; PRAGMA optimize = 0x10002;";

impl Manager {
    pub fn new(backend: Backend) -> Self {
        Self::with_limits(backend, Limits::default())
    }

    /// A manager whose connections apply `limits`.
    pub fn with_limits(backend: Backend, limits: Limits) -> Self {
        Self::for_node(backend, limits, &NodeSettings::default())
    }

    /// A manager for this node's pool: its name and whether it goes through PgBouncer.
    pub fn for_node(backend: Backend, limits: Limits, node: &NodeSettings) -> Self {
        let pooled = match &backend {
            Backend::Postgres(url) => node.pooled(url),
            Backend::Sqlite(_) => false,
        };
        Manager {
            backend,
            limits,
            name: node.name.clone(),
            pooled,
        }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Whether connections go through a transaction-mode pooler.
    pub fn pooled(&self) -> bool {
        self.pooled
    }

    pub fn connect(&self) -> ConnectionResult<AnyConnection> {
        match &self.backend {
            Backend::Postgres(url) => {
                let url = node::with_application_name(url, &self.name);
                if self.pooled {
                    // PgBouncer (1.18) refuses the `options` startup parameter, and
                    // a named statement outlives the transaction on its server
                    // connection: no cache, so diesel sends each statement unnamed
                    // with its parameters in one message.
                    let mut conn = PgConnection::establish(&url)?;
                    conn.set_prepared_statement_cache_size(CacheSize::Disabled);
                    return Ok(AnyConnection::Postgresql(conn));
                }
                PgConnection::establish(&pg_url_with_limits(&url, self.limits))
                    .map(AnyConnection::Postgresql)
            }
            Backend::Sqlite(path) => {
                sqlite_alloc::install();
                interrupt::install();
                let mut conn = SqliteConnection::establish(path)?;
                let busy = format!(
                    "PRAGMA busy_timeout = {};",
                    self.limits.lock_timeout_ms.min(i32::MAX as u64)
                );
                conn.batch_execute(&format!("{busy} {SQLITE_PRAGMAS}"))
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                if let Err(e) = conn.batch_execute(SQLITE_OPTIMIZE) {
                    tracing::debug!(error = %e, "statistics left for later");
                }
                conn.batch_execute(&busy)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        Manager::connect(self).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map(|_| ()).map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// Builds the pool. It starts empty, so a service whose database is down still
/// starts and answers `/readyz` with 503 until the database comes back.
pub fn build_pool(backend: &Backend, size: u32, limits: Limits, node: &NodeSettings) -> DbPool {
    pool_with(backend, size, limits, node, false)
}

/// `build_pool`, with each connection pinged on checkout when `checked`.
fn pool_with(
    backend: &Backend,
    size: u32,
    limits: Limits,
    node: &NodeSettings,
    checked: bool,
) -> DbPool {
    let manager = Manager::for_node(backend.clone(), limits, node);
    let pooled = manager.pooled();
    // SQLite allows one writer; a small pool avoids lock convoys while WAL lets readers run.
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(checked)
        .build_unchecked(manager);
    DbPool {
        pool,
        limits,
        pooled,
        writers: Arc::new(tokio::sync::Semaphore::new(writer_permits(size))),
        replica: None,
    }
}

/// The current instant as stored: UTC on the database's clock (see `clock`),
/// truncated to microseconds so it reads back identically from both backends.
pub fn now() -> NaiveDateTime {
    truncate_micros(clock::corrected_now())
}

pub fn truncate_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

/// Refreshes the planner's statistics after a bulk load (the generator; imports
/// later): without them PostgreSQL picks sequential scans for a freshly loaded
/// table until autovacuum catches up.
pub fn analyze(conn: &mut AnyConnection) -> AppResult<()> {
    // VACUUM also sets the visibility map, so counts become index-only scans.
    let sql = if is_sqlite(conn) {
        "ANALYZE"
    } else {
        "VACUUM (ANALYZE)"
    };
    unbounded(conn, |c| c.batch_execute(sql).map_err(AppError::from))
}

/// Runs `f` on a pooled connection on the blocking thread pool, never on an actix
/// worker, under the read timeout (`BELPORTAL_READ_TIMEOUT_MS`): PostgreSQL's
/// `statement_timeout` per statement, on SQLite a deadline for all of `f`.
/// A statement stopped by it is a 503 (`AppError::Busy`). Inside an anonymous
/// GET (`replica::anonymous_read`) the read may go to the replica.
pub async fn run<T, F>(pool: &DbPool, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
{
    let pool = pool.clone();
    let read_ms = pool.limits.read_timeout_ms;
    let anonymous = replica::in_anonymous_read();
    actix_web::web::block(move || {
        let (mut conn, pool) = pool.read_conn(anonymous)?;
        let _deadline = (read_ms > 0 && is_sqlite(&conn)).then(|| {
            interrupt::set_deadline(Some(Instant::now() + Duration::from_millis(read_ms)))
        });
        if pool.pooled {
            return limits::with_local_limits(&mut conn, pool.limits, true, f);
        }
        f(&mut conn)
    })
    .await?
}

/// Runs write `f` (which takes the write lock with `write_tx`) like `run`, but
/// first waits for one of the pool's writer permits, at most the lock timeout
/// (503 after it): writers waiting for the lock never hold every connection,
/// so reads and `/readyz` go on while an import runs.
pub async fn run_write<T, F>(pool: &DbPool, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
{
    let wait = Duration::from_millis(pool.limits.lock_timeout_ms);
    let permit = actix_web::rt::time::timeout(wait, pool.writers.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Busy(crate::error::LOCK_BUSY))?
        .map_err(|_| AppError::Unavailable("writer permits closed".into()))?;
    let pool = pool.clone();
    let written = actix_web::web::block(move || {
        let _permit = permit;
        let mut conn = pool.get()?;
        let written = if pool.pooled {
            limits::with_local_limits(&mut conn, pool.limits, false, f)
        } else {
            f(&mut conn)
        };
        if let (Ok(_), Some(r)) = (&written, &pool.replica) {
            // Committed: the caller clears caches next; reads must not refill
            // them from a replica that has not replayed this write yet.
            r.status.note_invalidation();
        }
        written
    })
    .await?;
    written
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends (case-insensitive substring filters).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Case-insensitive substring pattern for LIKE, with `\` escaping the wildcards.
pub fn like_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for ch in q.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// Whether this connection is SQLite (full-text search SQL differs per backend).
pub fn is_sqlite(conn: &AnyConnection) -> bool {
    matches!(conn, AnyConnection::Sqlite(_))
}

pub fn is_unavailable(e: &AppError) -> bool {
    matches!(e, AppError::Unavailable(_))
}

/// Narrows a boxed query on a content table to what `vis` may see.
#[macro_export]
macro_rules! filter_visibility {
    ($q:expr, $t:ident, $vis:expr, $now:expr) => {
        match $vis {
            $crate::domain::Visibility::Public => $q
                .filter($t::status.eq("published"))
                .filter($t::published_at.le($now)),
            $crate::domain::Visibility::Status(s) => $q.filter($t::status.eq(s.as_str())),
            $crate::domain::Visibility::Any => $q,
        }
    };
}

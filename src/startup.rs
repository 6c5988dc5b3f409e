//! What a node does before it serves: migrations, reference data, the demo
//! content (when on) and the search index, all under the startup lock
//! (`db::StartupLock`), so any number of nodes started at once on one
//! database each become ready and the data is loaded once.

use crate::config::Config;
use crate::db::{self, Backend, Limits, Manager, StartupLock};
use crate::error::AppResult;
use crate::{demo, AppState};

/// Prepares the database for this node and returns its state. Nodes that
/// start together wait for each other's turn; the later ones find the
/// migrations applied and the content loaded, and do nothing.
pub fn prepare(config: Config) -> Result<AppState, String> {
    let backend = Backend::from_url(&config.database_url)?;
    let manager = Manager::for_node(backend, Limits::default(), &config.node);
    let lock = StartupLock::acquire(&manager)?;
    let applied = db::run_migrations_unlocked(&manager)?;
    tracing::info!(applied, "migrations up to date");
    let listen = config.node.listen_url(&config.database_url);
    if listen.is_none() && !db::Backend::from_url(&config.database_url)?.is_sqlite() {
        tracing::warn!(
            "DATABASE_URL goes through PgBouncer and BELPORTAL_LISTEN_URL is unset: \
             other nodes' writes reach this node's caches only when they expire"
        );
    }
    let mut state = AppState::new(config)?;
    {
        let mut conn = state
            .pool
            .get()
            .map_err(|e| format!("cannot connect: {e}"))?;
        // Startup work may take long on a big database: no read timeout.
        state
            .pool
            .unbounded(&mut conn, |conn| startup_content(conn, &state))
            .map_err(|e| e.to_string())?;
    }
    drop(lock);
    if let Some(url) = listen {
        let listener = db::notify::Listener::start(
            &url,
            &state.config.node.name,
            state.caches.clone(),
            state.pool.replica_status(),
        )
        .map_err(|e| format!("cannot start the cache listener: {e}"))?;
        state.listener = Some(listener);
    }
    Ok(state)
}

/// Reference data, the demo content (when on) and the search index. Each
/// step checks what is there first, so a second run changes nothing.
fn startup_content(conn: &mut db::AnyConnection, state: &AppState) -> AppResult<()> {
    // Before anything is stamped: due times and leases use the database's clock.
    db::clock::sync(conn)?;
    demo::ensure_reference_data(conn)?;
    if state.config.demo {
        let n = demo::load_demo_content(conn, state.media.as_ref())?;
        if n > 0 {
            tracing::info!(articles = n, "demo content loaded");
        }
    }
    let started = std::time::Instant::now();
    let n = db::search::ensure_index(conn)?;
    if n > 0 {
        tracing::info!(
            documents = n,
            seconds = started.elapsed().as_secs_f64(),
            "search index rebuilt"
        );
    }
    Ok(())
}

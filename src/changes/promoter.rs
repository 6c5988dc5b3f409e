//! Scheduled items turn public at their due time without a write. This task
//! promotes them (`promote_due`: their feed entries and webhook deliveries,
//! and through that write's announcement the other nodes' caches) and drops
//! what this node has cached of their types, so however long the response
//! cache keeps an entry fresh, a due item shows within one `EVERY`.

use std::time::Duration;

use actix_web::rt::task::JoinHandle;

use super::promote_due;
use crate::cache::Caches;
use crate::db::{self, DbPool};
use crate::error::{AppError, AppResult};

/// How often due items are looked for (one cheap count when none is due).
pub const EVERY: Duration = Duration::from_millis(500);

/// Starts the task on the current actix runtime; abort the handle to stop it.
pub fn start(pool: DbPool, caches: Caches) -> JoinHandle<()> {
    actix_web::rt::spawn(async move {
        loop {
            match tick(&pool, &caches).await {
                Ok(()) => {}
                // An import holds the write lock: the next tick promotes them.
                Err(AppError::Busy(_)) => tracing::debug!("due items left to the next tick"),
                Err(e) => tracing::warn!(error = %e, "due items not promoted"),
            }
            actix_web::rt::time::sleep(EVERY).await;
        }
    })
}

/// Promotes the items due now and drops the cached responses that may show them.
pub async fn tick(pool: &DbPool, caches: &Caches) -> AppResult<()> {
    let promoted = db::run(pool, |conn| promote_due(conn, db::now())).await?;
    after_promotion(pool, caches, &promoted);
    Ok(())
}

/// What follows a committed promotion of items of the types `promoted`:
/// reads wait for a replica to replay it (its feed entries), and each type's
/// cached responses are dropped (all of its items': which ones show a due
/// item is not worth tracking for a once-per-item event).
pub fn after_promotion(pool: &DbPool, caches: &Caches, promoted: &[crate::resource::ResourceType]) {
    if promoted.is_empty() {
        return;
    }
    if let Some(r) = pool.replica_status() {
        r.note_invalidation();
    }
    for t in promoted {
        caches.invalidate(*t, None);
    }
}

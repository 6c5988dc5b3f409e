//! The media sweep, at start and hourly: removes temporary files a crash left
//! behind (partial writes, upload spools) and stored files that no media item
//! references (a deletion whose file removal failed, an upload whose
//! transaction rolled back after its files were written). Only files older
//! than an hour are touched, so nothing in flight is.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;

use super::storage::MediaStore;
use crate::changes::write_tx;
use crate::db::schema::{media, media_variants};
use crate::db::{self, AnyConnection, DbPool};
use crate::error::{AppError, AppResult};

/// Files younger than this are never swept.
pub const MIN_AGE: Duration = Duration::from_secs(3600);
/// How often the sweep runs.
pub const EVERY: Duration = Duration::from_secs(3600);

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub temp_files: usize,
    pub stored_files: usize,
}

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(format!("media sweep: {e}"))
}

/// One sweep of files older than `min_age`.
pub fn sweep(
    conn: &mut AnyConnection,
    store: &dyn MediaStore,
    min_age: Duration,
) -> AppResult<Swept> {
    let temp_files = store.remove_stale_temp(min_age).map_err(io)?;
    let old = store.stored_older_than(min_age).map_err(io)?;
    if old.is_empty() {
        return Ok(Swept {
            temp_files,
            stored_files: 0,
        });
    }
    // Under the write lock: an upload of the same bytes cannot reference a
    // file between the check and its removal.
    let stored_files = write_tx(conn, |conn| {
        let mut used: HashSet<String> = media::table
            .select(media::file_name)
            .load(conn)?
            .into_iter()
            .collect();
        used.extend(
            media_variants::table
                .select(media_variants::file_name)
                .load::<String>(conn)?,
        );
        let mut removed = 0;
        for name in old.iter().filter(|n| !used.contains(*n)) {
            match store.delete(name) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!(file = %name, error = %e, "media sweep: file not removed"),
            }
        }
        Ok::<_, AppError>(removed)
    })?;
    Ok(Swept {
        temp_files,
        stored_files,
    })
}

/// Runs the sweep now and then every hour on the current actix runtime.
pub fn start(pool: DbPool, store: Arc<dyn MediaStore>) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        loop {
            let s = store.clone();
            match db::run(&pool, move |conn| sweep(conn, s.as_ref(), MIN_AGE)).await {
                Ok(Swept {
                    temp_files: 0,
                    stored_files: 0,
                }) => {}
                Ok(w) => tracing::info!(
                    temp_files = w.temp_files,
                    stored_files = w.stored_files,
                    "media sweep removed orphaned files"
                ),
                Err(e) => tracing::warn!(error = %e, "media sweep failed"),
            }
            actix_web::rt::time::sleep(EVERY).await;
        }
    })
}

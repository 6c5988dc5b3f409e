//! The changes feed: one row per create, update and delete, written in the
//! write's transaction with the next number of the locked counter, so the feed
//! has no gaps and commits in order. `handlers` reads it.

pub mod handlers;
pub mod promoter;

pub use crate::domain::change::{Action, ItemMeta};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{change_seq, changes, scheduled_changes};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::resource::ResourceType;

/// Runs `f` in one transaction that first takes the write lock (the changes
/// counter row): writes are serialized, commit in feed order, and on SQLite the
/// lock is taken before any read, so a writer never fails on a stale snapshot.
/// Waiting for the lock is bounded (`BELPORTAL_LOCK_TIMEOUT_MS`: a 503); the
/// write itself is not bound by the read timeout (an import may run long).
pub fn write_tx<T, E: From<diesel::result::Error>>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E> {
    conn.transaction(|conn| {
        let _unbounded = db::lift_read_timeout(conn)?;
        let start: i64 = diesel::update(change_seq::table.find(1))
            .set(change_seq::seq.eq(change_seq::seq))
            .returning(change_seq::seq)
            .get_result(conn)?;
        let out = f(conn)?;
        db::notify::announce(conn, start)?;
        Ok(out)
    })
}

/// Appends a change; call inside `write_tx`, which holds the counter row lock.
/// `was_public`: anonymous readers could see the item before the write.
pub fn record_change(
    conn: &mut AnyConnection,
    resource: ResourceType,
    id: i64,
    meta: &ItemMeta,
    action: Action,
    was_public: bool,
    at: NaiveDateTime,
) -> AppResult<i64> {
    let seq: i64 = diesel::update(change_seq::table.find(1))
        .set(change_seq::seq.eq(change_seq::seq + 1))
        .returning(change_seq::seq)
        .get_result(conn)?;
    insert_changes(
        conn,
        &[NewChange {
            seq,
            resource,
            item_id: id,
            slug: meta.slug.clone(),
            locale: meta.locale.clone(),
            action,
            public: meta.public,
            was_public,
            at,
        }],
    )?;
    Ok(seq)
}

/// Feed numbers handed out in memory for a write of many items (an import):
/// the counter is read once and the last number stored by `finish`. Only
/// inside `write_tx`, whose lock on the counter row keeps the numbers unique.
/// Bumping the row once per item leaves PostgreSQL a chain of dead versions
/// of that row in the transaction, which every further bump walks: quadratic.
#[derive(Debug)]
pub struct SeqBlock {
    stored: i64,
    last: i64,
}

impl SeqBlock {
    pub fn start(conn: &mut AnyConnection) -> AppResult<SeqBlock> {
        let stored: i64 = change_seq::table
            .find(1)
            .select(change_seq::seq)
            .first(conn)?;
        Ok(SeqBlock {
            stored,
            last: stored,
        })
    }

    /// The next feed number (gap-free, like `record_change`'s).
    pub fn next_seq(&mut self) -> i64 {
        self.last += 1;
        self.last
    }

    /// Stores the last number handed out; call before the transaction commits.
    pub fn finish(&mut self, conn: &mut AnyConnection) -> AppResult<()> {
        if self.last != self.stored {
            diesel::update(change_seq::table.find(1))
                .set(change_seq::seq.eq(self.last))
                .execute(conn)?;
            self.stored = self.last;
        }
        Ok(())
    }
}

/// One feed entry waiting to be written by `insert_changes`.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub seq: i64,
    pub resource: ResourceType,
    pub item_id: i64,
    pub slug: String,
    pub locale: String,
    pub action: Action,
    /// Public after the write (before it, for a delete).
    pub public: bool,
    /// Public before the write: with `public`, whether anonymous readers see the entry.
    pub was_public: bool,
    pub at: NaiveDateTime,
}

/// Writes feed entries numbered by a `SeqBlock`, many rows a statement.
pub fn insert_changes(conn: &mut AnyConnection, rows: &[NewChange]) -> AppResult<()> {
    // Nine values a row: well below either backend's limit on bound parameters.
    for part in rows.chunks(1000) {
        let values: Vec<_> = part
            .iter()
            .map(|c| {
                (
                    changes::seq.eq(c.seq),
                    changes::resource.eq(c.resource.as_str()),
                    changes::item_id.eq(c.item_id),
                    changes::slug.eq(&c.slug),
                    changes::locale.eq(&c.locale),
                    changes::action.eq(c.action.as_str()),
                    changes::public.eq(c.public),
                    changes::at.eq(c.at),
                    changes::was_public.eq(c.was_public),
                )
            })
            .collect();
        db::bulk::insert_rows(conn, changes::table, &values)?;
    }
    Ok(())
}

/// Keeps the item's pending publication current after a write: a published item
/// whose `published_at` is ahead gets an entry when it falls due; any other state
/// (or a delete, `due` None) cancels a pending one.
pub fn track_schedule(
    conn: &mut AnyConnection,
    resource: ResourceType,
    id: i64,
    meta: &ItemMeta,
    due: Option<NaiveDateTime>,
) -> AppResult<()> {
    let rows: Vec<NewSchedule> = due
        .into_iter()
        .map(|due_at| NewSchedule {
            item_id: id,
            slug: meta.slug.clone(),
            locale: meta.locale.clone(),
            due_at,
        })
        .collect();
    replace_schedules(conn, resource, &[id], &rows)
}

/// A pending publication for `replace_schedules`.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    pub item_id: i64,
    pub slug: String,
    pub locale: String,
    pub due_at: NaiveDateTime,
}

/// `track_schedule` for many items of one resource at once: clears the pending
/// publications of `ids`, then adds `rows` (at most one per item).
pub fn replace_schedules(
    conn: &mut AnyConnection,
    resource: ResourceType,
    ids: &[i64],
    rows: &[NewSchedule],
) -> AppResult<()> {
    for part in ids.chunks(1000) {
        diesel::delete(
            scheduled_changes::table
                .filter(scheduled_changes::resource.eq(resource.as_str()))
                .filter(scheduled_changes::item_id.eq_any(part)),
        )
        .execute(conn)?;
    }
    for part in rows.chunks(1000) {
        let values: Vec<_> = part
            .iter()
            .map(|r| {
                (
                    scheduled_changes::resource.eq(resource.as_str()),
                    scheduled_changes::item_id.eq(r.item_id),
                    scheduled_changes::slug.eq(&r.slug),
                    scheduled_changes::locale.eq(&r.locale),
                    scheduled_changes::due_at.eq(r.due_at),
                )
            })
            .collect();
        db::bulk::insert_rows(conn, scheduled_changes::table, &values)?;
    }
    Ok(())
}

/// Appends `updated` entries for scheduled items that have turned public since
/// the last read, so a mirror learns of them, and returns the types of the
/// items it promoted (each once), whose cached responses the caller drops
/// (`promoter::after_promotion`). Cheap when none are due; the write lock
/// makes it safe with several instances (each due item once).
pub fn promote_due(conn: &mut AnyConnection, now: NaiveDateTime) -> AppResult<Vec<ResourceType>> {
    let due: i64 = scheduled_changes::table
        .filter(scheduled_changes::due_at.le(now))
        .count()
        .get_result(conn)?;
    if due == 0 {
        return Ok(Vec::new());
    }
    write_tx(conn, |conn| {
        let mut promoted = Vec::new();
        let rows: Vec<(String, i64, String, String, NaiveDateTime)> = scheduled_changes::table
            .filter(scheduled_changes::due_at.le(now))
            .order((
                scheduled_changes::due_at,
                scheduled_changes::resource,
                scheduled_changes::item_id,
            ))
            .select((
                scheduled_changes::resource,
                scheduled_changes::item_id,
                scheduled_changes::slug,
                scheduled_changes::locale,
                scheduled_changes::due_at,
            ))
            .load(conn)?;
        for (resource, id, slug, locale, due_at) in rows {
            let resource = ResourceType::from_type_str(&resource).ok_or_else(|| {
                AppError::Internal(format!("scheduled change of unknown type `{resource}`"))
            })?;
            let meta = ItemMeta {
                slug,
                locale,
                public: true,
            };
            let seq = record_change(conn, resource, id, &meta, Action::Updated, false, due_at)?;
            crate::webhooks::enqueue(
                conn,
                &crate::webhooks::WebhookEvent {
                    resource,
                    id,
                    meta: &meta,
                    // Scheduled: not public before its due time, public now.
                    was_public: false,
                    action: Action::Updated,
                    seq,
                    at: due_at,
                },
            )?;
            track_schedule(conn, resource, id, &meta, None)?;
            if !promoted.contains(&resource) {
                promoted.push(resource);
            }
        }
        Ok(promoted)
    })
}

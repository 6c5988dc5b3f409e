//! The one step after every write, in the write's transaction: the search
//! document, media usage, changes feed entry, webhook outbox and pending
//! publication of the written item. The API writes one item at a time
//! (`after_write` with no batch); an import hands a `WriteBatch`, which defers
//! the same rows to a few statements a chunk.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::ItemMeta;
use crate::changes::{
    insert_changes, record_change, replace_schedules, track_schedule, Action, NewChange,
    NewSchedule, SeqBlock,
};

use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::resource::{MediaId, ResourceType};
use crate::webhooks;

/// One saved or deleted item, as the after-write step needs it.
#[derive(Debug, Clone, Copy)]
pub struct ItemWritten<'a> {
    pub resource: ResourceType,
    pub id: i64,
    pub action: Action,
    /// The item's feed metadata after the write (before it, for a delete).
    pub meta: &'a ItemMeta,
    /// Anonymous readers could see the item before the write (webhooks tell
    /// a publication from an update by it).
    pub was_public: bool,
    /// The media the item shows now (none after a delete).
    pub media: &'a [MediaId],
    /// The `published_at` of a published item that is not public yet.
    pub due: Option<NaiveDateTime>,
    /// The instant of the write.
    pub at: NaiveDateTime,
}

/// Writes everything that follows a save or delete of `w`; with a `batch`, the
/// feed entry, usage, schedule and search document wait for its next flush.
/// Returns the item's feed number.
pub fn after_write(
    conn: &mut AnyConnection,
    batch: Option<&mut WriteBatch>,
    w: &ItemWritten,
) -> AppResult<i64> {
    let resource = w.resource;
    let (seq, hooks) = match batch {
        Some(b) => (b.push(conn, w)?, Some(b.hooks.clone())),
        None => {
            if w.action == Action::Deleted {
                crate::media::usage::clear(conn, resource, w.id)?;
                crate::db::search::remove(conn, resource, w.id)?;
            } else {
                crate::db::search::reindex(conn, resource, w.id)?;
                crate::media::usage::replace(conn, resource, w.id, &w.meta.slug, w.media)?;
            }
            let seq = record_change(conn, resource, w.id, w.meta, w.action, w.was_public, w.at)?;
            track_schedule(conn, resource, w.id, w.meta, w.due)?;
            (seq, None)
        }
    };
    let event = webhooks::WebhookEvent {
        resource,
        id: w.id,
        meta: w.meta,
        was_public: w.was_public,
        action: w.action,
        seq,
        at: w.at,
    };
    match hooks {
        Some(hooks) => webhooks::enqueue_to(conn, &hooks, &event)?,
        None => webhooks::enqueue(conn, &event)?,
    }
    Ok(seq)
}

/// Saved items between two flushes of feed entries, usage and schedules.
pub const CHUNK: usize = 1000;

struct Item {
    resource: ResourceType,
    id: i64,
    slug: String,
    locale: String,
    media: Vec<MediaId>,
    due: Option<NaiveDateTime>,
}

/// What a write of many items (an import) defers: feed entries numbered at
/// once in write order by a `SeqBlock`, media usage and pending publications
/// (after every `CHUNK` items), search documents (at `finish`). All of it goes
/// into the transaction before it commits, so readers afterwards see what the
/// per-item path leaves.
pub struct WriteBatch {
    seqs: SeqBlock,
    hooks: std::rc::Rc<Vec<(i64, String)>>,
    changes: Vec<NewChange>,
    items: Vec<Item>,
    search: Vec<(ResourceType, i64)>,
}

impl WriteBatch {
    /// Call inside `write_tx`: reads the feed counter it has locked and the
    /// webhook subscriptions once.
    pub fn start(conn: &mut AnyConnection) -> AppResult<WriteBatch> {
        Ok(WriteBatch {
            seqs: SeqBlock::start(conn)?,
            hooks: std::rc::Rc::new(webhooks::subscriptions(conn)?),
            changes: Vec::with_capacity(CHUNK),
            items: Vec::with_capacity(CHUNK),
            search: Vec::new(),
        })
    }

    fn push(&mut self, conn: &mut AnyConnection, w: &ItemWritten) -> AppResult<i64> {
        let resource = w.resource;
        let seq = self.seqs.next_seq();
        self.changes.push(NewChange {
            seq,
            resource,
            item_id: w.id,
            slug: w.meta.slug.clone(),
            locale: w.meta.locale.clone(),
            action: w.action,
            public: w.meta.public,
            was_public: w.was_public,
            at: w.at,
        });
        self.items.push(Item {
            resource,
            id: w.id,
            slug: w.meta.slug.clone(),
            locale: w.meta.locale.clone(),
            media: w.media.to_vec(),
            due: w.due,
        });
        // `reindex_many` drops the document of an item that is gone.
        self.search.push((resource, w.id));
        if self.items.len() >= CHUNK {
            self.flush(conn)?;
        }
        Ok(seq)
    }

    fn flush(&mut self, conn: &mut AnyConnection) -> AppResult<()> {
        insert_changes(conn, &self.changes)?;
        self.changes.clear();
        // An item written twice in a chunk: its last write decides.
        let mut last: HashMap<(ResourceType, i64), usize> = HashMap::new();
        for (i, item) in self.items.iter().enumerate() {
            last.insert((item.resource, item.id), i);
        }
        let mut resources: Vec<ResourceType> = Vec::new();
        for item in &self.items {
            if !resources.contains(&item.resource) {
                resources.push(item.resource);
            }
        }
        for resource in resources {
            let mut ids = Vec::new();
            let mut usage = Vec::new();
            let mut schedules = Vec::new();
            for (i, item) in self.items.iter().enumerate() {
                if item.resource != resource || last.get(&(resource, item.id)) != Some(&i) {
                    continue;
                }
                ids.push(item.id);
                usage.extend(item.media.iter().map(|m| (*m, item.id, item.slug.clone())));
                if let Some(due_at) = item.due {
                    schedules.push(NewSchedule {
                        item_id: item.id,
                        slug: item.slug.clone(),
                        locale: item.locale.clone(),
                        due_at,
                    });
                }
            }
            crate::media::usage::replace_many(conn, resource, &ids, &usage)?;
            replace_schedules(conn, resource, &ids, &schedules)?;
        }
        self.items.clear();
        Ok(())
    }

    /// Writes everything still pending and the feed counter; call last, before commit.
    pub fn finish(mut self, conn: &mut AnyConnection) -> AppResult<()> {
        self.flush(conn)?;
        self.seqs.finish(conn)?;
        crate::db::search::reindex_many(conn, &self.search)
    }
}

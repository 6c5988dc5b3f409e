//! What an import writes for each saved line besides the item itself, deferred
//! so that it costs a few statements a chunk instead of several a line: the
//! changes feed entry (numbered at once, in line order, by a `SeqBlock`), the
//! media usage and pending publication (after every `CHUNK` items) and the
//! search document (after the last line). All of it goes into the import's
//! transaction before it commits, so what readers see afterwards is what the
//! write API's per-item path leaves.

use chrono::NaiveDateTime;

use crate::db::AnyConnection;
use crate::editorial::{
    insert_changes, replace_schedules, Action, ItemMeta, NewChange, NewSchedule, SeqBlock,
};
use crate::error::AppResult;
use crate::resource::{MediaId, ResourceType};

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

/// An item an import saved.
pub struct Saved<'a> {
    pub resource: ResourceType,
    pub id: i64,
    pub meta: &'a ItemMeta,
    pub action: Action,
    pub at: NaiveDateTime,
    /// The media it shows.
    pub media: Vec<MediaId>,
    /// Its pending publication.
    pub due: Option<NaiveDateTime>,
}

pub struct Pending {
    seqs: SeqBlock,
    changes: Vec<NewChange>,
    items: Vec<Item>,
    search: Vec<(ResourceType, i64)>,
}

impl Pending {
    /// Call inside `write_tx`: reads the feed counter it has locked.
    pub fn start(conn: &mut AnyConnection) -> AppResult<Pending> {
        Ok(Pending {
            seqs: SeqBlock::start(conn)?,
            changes: Vec::with_capacity(CHUNK),
            items: Vec::with_capacity(CHUNK),
            search: Vec::new(),
        })
    }

    /// Records a saved item; returns its feed number (for webhooks).
    pub fn saved(&mut self, conn: &mut AnyConnection, item: Saved) -> AppResult<i64> {
        let Saved {
            resource,
            id,
            meta,
            action,
            at,
            media,
            due,
        } = item;
        let seq = self.seqs.next_seq();
        self.changes.push(NewChange {
            seq,
            resource,
            item_id: id,
            slug: meta.slug.clone(),
            locale: meta.locale.clone(),
            action,
            public: meta.public,
            at,
        });
        self.items.push(Item {
            resource,
            id,
            slug: meta.slug.clone(),
            locale: meta.locale.clone(),
            media,
            due,
        });
        self.search.push((resource, id));
        if self.items.len() >= CHUNK {
            self.flush(conn)?;
        }
        Ok(seq)
    }

    fn flush(&mut self, conn: &mut AnyConnection) -> AppResult<()> {
        insert_changes(conn, &self.changes)?;
        self.changes.clear();
        // An item saved twice in a chunk: its last line decides.
        let mut last: std::collections::HashMap<(ResourceType, i64), usize> = Default::default();
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
        crate::resources::search::reindex_many(conn, &self.search)
    }
}

//! The editorial write path shared by every collection: body validation with one
//! error per field, HTML sanitizing, one transaction per write that also appends
//! to the changes feed, `If-Match` checks, `Idempotency-Key` replays, and the
//! generic POST / PATCH / DELETE flows that each resource plugs into.

pub use crate::http::body;
pub mod common;
pub mod fields;
mod flows;
mod idempotency;
pub mod pipeline;
pub mod routes;

use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use crate::cache::Caches;
use crate::config::Config;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::http::middleware::etag_for;
use crate::http::preconditions::item_etag;
use crate::keys::Caller;
use crate::resource::ResourceType;

pub use crate::changes::{
    insert_changes, record_change, replace_schedules, track_schedule, write_tx, Action, ItemMeta,
    NewChange, NewSchedule, SeqBlock,
};
pub use crate::http::params::write_id;
pub use crate::http::preconditions::check_if_match;
pub use body::{parse_body, FieldErrors, WriteBody};
pub use flows::{create, delete, own_version, stored_fields, update};
pub use idempotency::{idempotency_key, Written};
pub use pipeline::{after_write, ItemWritten, WriteBatch};

/// Cleans HTML with ammonia's maintained allow-list: formatting, links and images
/// survive; scripts, event handlers, `style`, and `javascript:` URLs do not.
pub fn sanitize_html(html: &str) -> String {
    ammonia::clean(html)
}

/// Everything a resource's save needs besides the connection.
pub struct SaveCtx {
    pub caller: Caller,
    pub now: NaiveDateTime,
    pub config: std::sync::Arc<Config>,
    pub caches: Caches,
    /// Instants a save stores instead of `now` (an import restores the exported ones).
    pub stamps: Stamps,
}

/// `created_at` and `updated_at` to store, when not the time of the write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stamps {
    pub created_at: Option<NaiveDateTime>,
    pub updated_at: Option<NaiveDateTime>,
}

impl SaveCtx {
    /// The `created_at` of a row this save inserts.
    pub fn created_at(&self) -> NaiveDateTime {
        self.stamps.created_at.unwrap_or(self.now)
    }

    /// The `updated_at` of the row this save writes.
    pub fn updated_at(&self) -> NaiveDateTime {
        self.stamps.updated_at.unwrap_or(self.now)
    }

    /// The same context storing `stamps` instead of `now`.
    pub fn with_stamps(&self, stamps: Stamps) -> SaveCtx {
        SaveCtx {
            caller: self.caller.clone(),
            now: self.now,
            config: self.config.clone(),
            caches: self.caches.clone(),
            stamps,
        }
    }
}

/// The GET representation of an item: the exact bytes a GET sends (so its ETag
/// is the GET's ETag), its locale, and its feed metadata.
pub struct Representation {
    pub bytes: Vec<u8>,
    pub meta: ItemMeta,
    /// The item's own version (`own_version`), set by the write flows; the
    /// ETag is then `"<own>-<body>"` (see `http::preconditions`).
    pub own: Option<String>,
}

impl Representation {
    pub fn of<T: serde::Serialize>(item: &T, meta: ItemMeta) -> AppResult<Self> {
        let bytes = serde_json::to_vec(item)
            .map_err(|e| AppError::Internal(format!("serialize item: {e}")))?;
        Ok(Representation {
            bytes,
            meta,
            own: None,
        })
    }

    pub fn etag(&self) -> String {
        match &self.own {
            Some(own) => item_etag(own, &self.bytes),
            None => etag_for(&self.bytes),
        }
    }
}

/// A writable collection: how to read its writable fields, validate and save a
/// body, delete an item, and render the item as a GET does.
pub trait Resource: 'static {
    /// The resource type: its `type` name, collection path and search code.
    const TYPE: ResourceType;
    /// Fields of the read shape that a write may not set (a 422 names them).
    const READ_ONLY: &'static [&'static str];
    /// Alternative names of fields, `(synonym, field)`: a patch that sets the
    /// synonym replaces the stored field.
    const SYNONYMS: &'static [(&'static str, &'static str)] = &[];
    /// The write body: every field optional, unknown fields denied. The
    /// handlers take `WriteBody<Self::Write>`, the spec shows its schema.
    type Write: Serialize + DeserializeOwned + ToSchema;
    /// The id type of an item (`ArticleId`, `PlaceId`, ...): ids of two
    /// resources never mix; `.get()` / `From<i64>` convert at the diesel boundary.
    type Id: Copy + From<i64> + Into<i64> + std::fmt::Display + Send + 'static;

    /// The stored item's writable fields as a write would send them (404 if
    /// none): serialized, without its null fields, the base a merge patch applies to.
    fn load_write(conn: &mut AnyConnection, id: Self::Id) -> AppResult<Self::Write>;

    /// Validates a whole body (422 with one entry per field) and inserts it
    /// (`id` None) or updates item `id`. Returns the item's id.
    fn save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Option<Self::Id>,
        body: Self::Write,
    ) -> AppResult<Self::Id>;

    /// Deletes item `id` (409 while other content depends on it).
    fn delete(conn: &mut AnyConnection, ctx: &SaveCtx, id: Self::Id) -> AppResult<()>;

    /// The item as `GET /v1/{collection}/{id}` shows it, whatever its publication status.
    fn representation(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Self::Id,
    ) -> AppResult<Representation>;

    /// The `published_at` of a published item that is not public yet (scheduled),
    /// so the changes feed can announce it when it falls due.
    fn scheduled_at(
        _conn: &mut AnyConnection,
        _ctx: &SaveCtx,
        _id: Self::Id,
    ) -> AppResult<Option<NaiveDateTime>> {
        Ok(None)
    }

    /// Runs after a create or update inside the same transaction (revisions).
    fn after_save(
        _conn: &mut AnyConnection,
        _ctx: &SaveCtx,
        _id: Self::Id,
        _rep: &Representation,
    ) -> AppResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizer_keeps_formatting_and_drops_scripts() {
        let dirty = r#"<p onclick="x()">Hi <b>there</b> <a href="javascript:alert(1)">x</a>
            <a href="https://belarus.by/">ok</a><img src="https://e.org/a.jpg" onerror="y()" alt="a">
            <script>alert(1)</script><iframe src="https://e.org"></iframe></p>"#;
        let clean = sanitize_html(dirty);
        assert!(clean.contains("<b>there</b>"));
        assert!(clean.contains("href=\"https://belarus.by/\""));
        assert!(clean.contains("<img src=\"https://e.org/a.jpg\""));
        for bad in [
            "onclick",
            "onerror",
            "javascript:",
            "<script",
            "<iframe",
            "alert(1)",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
    }
}

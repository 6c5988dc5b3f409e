//! NDJSON export and import of all content: one `{"type": ..., ...}` object a
//! line carrying the write-body fields of an item (every locale and publication
//! status) plus `created_at`/`updated_at`, and `translation_of` as the
//! `{locale, slug}` of the first sibling exported before it, so translations
//! re-link on import without ids. Types come in dependency order: media
//! metadata (see [`media`]; content refers to it by id), sections
//! (parents first), articles, tourist sites, UNESCO listings (they name tourist
//! sites), sanatoria, monuments, souvenirs, events.

pub mod export;
pub mod http;
pub mod import;
pub mod media;
mod pending;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::config::Config;
use crate::db::schema::{articles, events, places, sections};
use crate::db::AnyConnection;
use crate::editorial::{ItemMeta, SaveCtx};
use crate::error::AppResult;
use crate::keys::{Caller, Role};
use crate::resource::PlaceKind;

/// The `type` of an NDJSON line (the changes feed's type names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    Section,
    Article,
    Place(PlaceKind),
    Event,
}

/// Export order: what an item refers to comes before it.
pub const ORDER: [ItemType; 8] = [
    ItemType::Section,
    ItemType::Article,
    ItemType::Place(PlaceKind::TouristSite),
    ItemType::Place(PlaceKind::UnescoSite),
    ItemType::Place(PlaceKind::Sanatorium),
    ItemType::Place(PlaceKind::Monument),
    ItemType::Place(PlaceKind::Souvenir),
    ItemType::Event,
];

impl ItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Section => "section",
            ItemType::Article => "article",
            ItemType::Place(k) => k.as_str(),
            ItemType::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<ItemType> {
        ORDER.into_iter().find(|t| t.as_str() == s)
    }

    /// Every line type, media included, for messages.
    pub fn names() -> String {
        let mut names = vec![media::TYPE];
        names.extend(ORDER.map(ItemType::as_str));
        names.join(", ")
    }
}

type MetaRow = (String, String, String, Option<NaiveDateTime>);

fn public(status: &str, at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    crate::domain::Visibility::Public.allows(status, at, now)
}

/// The id of the item of `t` with this locale and slug (the upsert key).
pub fn find_id(
    conn: &mut AnyConnection,
    t: ItemType,
    locale: &str,
    slug: &str,
) -> AppResult<Option<i64>> {
    macro_rules! by_slug {
        ($tb:ident $(, $kind:expr)?) => {
            $tb::table
                .filter($tb::locale.eq(locale))
                .filter($tb::slug.eq(slug))
                $(.filter($tb::kind.eq($kind)))?
                .select($tb::id)
                .first::<i64>(conn)
                .optional()?
        };
    }
    Ok(match t {
        ItemType::Section => by_slug!(sections),
        ItemType::Article => by_slug!(articles),
        ItemType::Place(k) => by_slug!(places, k.as_str()),
        ItemType::Event => by_slug!(events),
    })
}

/// Slug, locale and visibility of a stored item.
pub fn stored_meta(
    conn: &mut AnyConnection,
    t: ItemType,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<ItemMeta> {
    Ok(stored_meta_and_due(conn, t, id, now)?.0)
}

/// `stored_meta` and, in the same query, the pending publication of the item:
/// its `published_at` when it is published but not public yet (the rule of
/// every `Resource::scheduled_at`; sections are never scheduled).
pub fn stored_meta_and_due(
    conn: &mut AnyConnection,
    t: ItemType,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<(ItemMeta, Option<NaiveDateTime>)> {
    macro_rules! meta {
        ($tb:ident) => {{
            let (slug, locale, status, at): MetaRow = $tb::table
                .find(id)
                .select(($tb::slug, $tb::locale, $tb::status, $tb::published_at))
                .first(conn)?;
            let due = at.filter(|t| status == "published" && *t > now);
            let meta = ItemMeta {
                slug,
                locale,
                public: public(&status, at, now),
            };
            (meta, due)
        }};
    }
    Ok(match t {
        ItemType::Section => {
            let (slug, locale): (String, String) = sections::table
                .find(id)
                .select((sections::slug, sections::locale))
                .first(conn)?;
            let meta = ItemMeta {
                slug,
                locale,
                public: true,
            };
            (meta, None)
        }
        ItemType::Article => meta!(articles),
        ItemType::Place(_) => meta!(places),
        ItemType::Event => meta!(events),
    })
}

/// Restores the exported instants (a save stamps both with now).
pub fn set_times(
    conn: &mut AnyConnection,
    t: ItemType,
    id: i64,
    created: Option<NaiveDateTime>,
    updated: Option<NaiveDateTime>,
) -> AppResult<()> {
    if created.is_none() && updated.is_none() {
        return Ok(());
    }
    // One UPDATE: on PostgreSQL each one writes a new version of the row and
    // of every index entry pointing at it.
    macro_rules! stamp {
        ($tb:ident) => {{
            diesel::update($tb::table.find(id))
                .set((
                    created.map(|c| $tb::created_at.eq(c)),
                    updated.map(|u| $tb::updated_at.eq(u)),
                ))
                .execute(conn)?;
        }};
    }
    match t {
        ItemType::Section => stamp!(sections),
        ItemType::Article => stamp!(articles),
        ItemType::Place(_) => stamp!(places),
        ItemType::Event => stamp!(events),
    }
    Ok(())
}

/// The context of CLI and HTTP transfers: `name` is who the changes are made by.
pub fn transfer_ctx(
    config: std::sync::Arc<Config>,
    caches: crate::cache::Caches,
    caller: Option<Caller>,
) -> SaveCtx {
    SaveCtx {
        caller: caller.unwrap_or(Caller {
            key_id: 0,
            name: "command line".into(),
            role: Role::Admin,
        }),
        now: crate::db::now(),
        config,
        caches,
        stamps: Default::default(),
    }
}

/// Runs `$body` with `$r` naming the `Resource` of item type `$t`.
macro_rules! with_resource {
    ($t:expr, $r:ident => $body:expr) => {{
        use crate::resource::PlaceKind as K;
        use crate::resources::places::{
            monuments::Monuments, sanatoria::Sanatoria, souvenirs::Souvenirs,
            tourist_sites::TouristSites, unesco_sites::UnescoSites,
        };
        match $t {
            ItemType::Section => {
                type $r = crate::resources::sections::write::Sections;
                $body
            }
            ItemType::Article => {
                type $r = crate::resources::articles::write::Articles;
                $body
            }
            ItemType::Place(K::TouristSite) => {
                type $r = TouristSites;
                $body
            }
            ItemType::Place(K::UnescoSite) => {
                type $r = UnescoSites;
                $body
            }
            ItemType::Place(K::Sanatorium) => {
                type $r = Sanatoria;
                $body
            }
            ItemType::Place(K::Monument) => {
                type $r = Monuments;
                $body
            }
            ItemType::Place(K::Souvenir) => {
                type $r = Souvenirs;
                $body
            }
            ItemType::Event => {
                type $r = crate::resources::events::write::Events;
                $body
            }
        }
    }};
}
pub(crate) use with_resource;

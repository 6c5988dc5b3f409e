//! NDJSON export and import of all content: one `{"type": ..., ...}` object a
//! line carrying the write-body fields of an item (every locale and publication
//! status) plus `created_at`/`updated_at`, and `translation_of` as the
//! `{locale, slug}` of the first sibling exported before it, so translations
//! re-link on import without ids. Types come in dependency order: media
//! metadata (see [`media`]; content refers to it by id), sections
//! (parents first), articles, tourist sites, UNESCO listings (they name tourist
//! sites), sanatoria, monuments, souvenirs, events.

pub mod export;
pub mod handlers;
pub mod import;
pub mod media;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::db::schema::{articles, events, places, sections};
use crate::db::AnyConnection;
use crate::editorial::{parse_body, Resource};
use crate::editorial::{ItemMeta, SaveCtx};
use crate::error::AppResult;
use crate::keys::{Caller, Role};
use crate::resource::{PlaceKind, ResourceType};
use crate::resources::places::{
    monuments::Monuments, sanatoria::Sanatoria, souvenirs::Souvenirs, tourist_sites::TouristSites,
    unesco_sites::UnescoSites,
};
use crate::resources::{
    articles::write::Articles, events::write::Events, sections::write::Sections,
};

/// Every line type, media included, for messages.
pub fn type_names() -> String {
    format!(
        "{}, {}",
        media::TYPE,
        ResourceType::names(&ResourceType::ALL)
    )
}

type MetaRow = (String, String, String, Option<NaiveDateTime>);

fn public(status: &str, at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    crate::domain::Visibility::Public.allows(status, at, now)
}

/// The id of the item of `t` with this locale and slug (the upsert key).
pub fn find_id(
    conn: &mut AnyConnection,
    t: ResourceType,
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
        ResourceType::Section => by_slug!(sections),
        ResourceType::Article => by_slug!(articles),
        ResourceType::Place(k) => by_slug!(places, k.as_str()),
        ResourceType::Event => by_slug!(events),
    })
}

/// Slug, locale and visibility of a stored item.
pub fn stored_meta(
    conn: &mut AnyConnection,
    t: ResourceType,
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
    t: ResourceType,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<(ItemMeta, Option<NaiveDateTime>)> {
    macro_rules! meta {
        ($tb:ident) => {{
            let (slug, locale, status, at): MetaRow = $tb::table
                .find(id)
                .select(($tb::slug, $tb::locale, $tb::status, $tb::published_at))
                .first(conn)?;
            let due = crate::editorial::fields::due(&status, at, now);
            let meta = ItemMeta {
                slug,
                locale,
                public: public(&status, at, now),
            };
            (meta, due)
        }};
    }
    Ok(match t {
        ResourceType::Section => {
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
        ResourceType::Article => meta!(articles),
        ResourceType::Place(_) => meta!(places),
        ResourceType::Event => meta!(events),
    })
}

/// Restores the exported instants (a save stamps both with now).
pub fn set_times(
    conn: &mut AnyConnection,
    t: ResourceType,
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
        ResourceType::Section => stamp!(sections),
        ResourceType::Article => stamp!(articles),
        ResourceType::Place(_) => stamp!(places),
        ResourceType::Event => stamp!(events),
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

/// Work to do with the `Resource` (write API) of a type chosen at run time:
/// [`with_resource`] calls `visit::<R>()` with the type's `R`.
pub trait ResourceVisitor {
    type Output;
    fn visit<R: Resource>(self) -> Self::Output;
}

/// Runs `visitor` with the `Resource` of type `t`.
pub fn with_resource<V: ResourceVisitor>(t: ResourceType, visitor: V) -> V::Output {
    match t {
        ResourceType::Section => visitor.visit::<Sections>(),
        ResourceType::Article => visitor.visit::<Articles>(),
        ResourceType::Place(PlaceKind::TouristSite) => visitor.visit::<TouristSites>(),
        ResourceType::Place(PlaceKind::UnescoSite) => visitor.visit::<UnescoSites>(),
        ResourceType::Place(PlaceKind::Sanatorium) => visitor.visit::<Sanatoria>(),
        ResourceType::Place(PlaceKind::Monument) => visitor.visit::<Monuments>(),
        ResourceType::Place(PlaceKind::Souvenir) => visitor.visit::<Souvenirs>(),
        ResourceType::Event => visitor.visit::<Events>(),
    }
}

/// Import: parses a line's body as the type's write body and saves it (`existing`
/// None: a new item). None when the line already has errors: the body is
/// still checked, so its errors are reported too, but nothing is saved.
pub(crate) struct ParseAndSave<'a> {
    pub conn: &'a mut AnyConnection,
    pub ctx: &'a SaveCtx,
    pub obj: &'a Map<String, Value>,
    pub existing: Option<i64>,
    pub line_has_errors: bool,
}

impl ResourceVisitor for ParseAndSave<'_> {
    type Output = Option<AppResult<i64>>;

    fn visit<R: Resource>(self) -> Self::Output {
        match parse_body::<R::Write>(self.obj, R::READ_ONLY) {
            Err(e) => Some(Err(e)),
            Ok(_) if self.line_has_errors => None,
            Ok(body) => {
                let existing = self.existing.map(R::Id::from);
                Some(R::save(self.conn, self.ctx, existing, body).map(Into::into))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TypeOf;

    impl ResourceVisitor for TypeOf {
        type Output = ResourceType;

        fn visit<R: Resource>(self) -> ResourceType {
            R::TYPE
        }
    }

    #[test]
    fn every_type_dispatches_to_its_own_resource() {
        for t in ResourceType::ALL {
            assert_eq!(with_resource(t, TypeOf), t);
        }
        assert_eq!(
            type_names(),
            "media, section, article, tourist_site, unesco_site, sanatorium, monument, souvenir, event"
        );
    }
}

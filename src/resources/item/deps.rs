//! What a cached item response shows and what a write touches (`cache::Dep`),
//! so that a write of one item drops only the item responses it can change.
//!
//! An item response shows (`of_item`): its item and translation group (itself
//! in every locale, and its `translations`); the items it embeds (translations,
//! related articles); and, for an article, where its related articles come
//! from: the candidates of each of its tags and the newest articles of its
//! section in its locale (the top-up). A write touches (`of_write`, taken just
//! before and just after it, in its transaction): the item, its group, and for
//! an article a tag or its section only where the article ranks high enough
//! to be a related article through it: among the `PER_TAG + 1` newest
//! taggings of the tag (by id: what `related_articles` reads per tag, one of
//! them the article itself), among the `RELATED + 1` newest visible articles
//! of the section and locale (the top-up's reach). Elsewhere in those lists a
//! change cannot alter what is picked from their heads, so an edit of an older
//! article keeps every other article's cached response.
//!
//! UNESCO listings show their tourist site: a tourist site write drops them
//! all (`Caches::invalidate`), not through these.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::cache::Dep;
use crate::db::schema::{article_tags, articles, events, places};
use crate::db::{AnyConnection, MultiBackend};
use crate::domain::Visibility;
use crate::error::AppResult;
use crate::resource::ResourceType;
use crate::resources::articles::{PER_TAG, RELATED};

/// What the item response `body` (an item of type `t`, as JSON) shows; None
/// when it names no item (then it counts as a list: every write of `t` drops it).
pub fn of_item(
    conn: &mut AnyConnection,
    t: ResourceType,
    body: &Value,
) -> AppResult<Option<Vec<Dep>>> {
    let Some(id) = body.get("id").and_then(Value::as_i64) else {
        return Ok(None);
    };
    let group: Option<i64> = match t {
        ResourceType::Article => articles::table
            .find(id)
            .select(articles::group_id)
            .first(conn)
            .optional()?,
        ResourceType::Event => events::table
            .find(id)
            .select(events::group_id)
            .first(conn)
            .optional()?,
        ResourceType::Place(_) => places::table
            .find(id)
            .select(places::group_id)
            .first(conn)
            .optional()?,
        ResourceType::Section => None,
    };
    let Some(group) = group else {
        return Ok(None);
    };
    let mut deps = vec![Dep::Item(id), Dep::Group(group)];
    let ids = |field: &str| -> Vec<i64> {
        body.get(field)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.get("id")?.as_i64()).collect())
            .unwrap_or_default()
    };
    deps.extend(ids("translations").into_iter().map(Dep::Item));
    if t == ResourceType::Article {
        deps.extend(ids("related").into_iter().map(Dep::Item));
        let tags = body.get("tags").and_then(Value::as_array);
        deps.extend(
            tags.into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|tag| Dep::Tag(tag.into())),
        );
        let section = body.get("section").and_then(|s| s.get("id")?.as_i64());
        let locale = body.get("locale").and_then(Value::as_str);
        match (section, locale) {
            (Some(s), Some(l)) => deps.push(Dep::Section(s, l.into())),
            // An article shape without them: treat it as a list.
            _ => return Ok(None),
        }
    }
    Ok(Some(deps))
}

/// What a write of item `id` of type `t` touches, as the item stands now
/// (none of it when the item does not exist: before a create, after a delete).
/// Call just before and just after the write, inside its transaction.
pub fn of_write(
    conn: &mut AnyConnection,
    t: ResourceType,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<Vec<Dep>> {
    let mut deps = vec![Dep::Item(id)];
    let group: Option<i64> = match t {
        ResourceType::Article => return article_touches(conn, id, now, deps),
        ResourceType::Event => events::table
            .find(id)
            .select(events::group_id)
            .first(conn)
            .optional()?,
        ResourceType::Place(_) => places::table
            .find(id)
            .select(places::group_id)
            .first(conn)
            .optional()?,
        ResourceType::Section => None,
    };
    deps.extend(group.map(Dep::Group));
    Ok(deps)
}

/// `of_write` of an article: its group, and the tags and section through which
/// it can be another article's related article (see the module comment).
fn article_touches(
    conn: &mut AnyConnection,
    id: i64,
    now: NaiveDateTime,
    mut deps: Vec<Dep>,
) -> AppResult<Vec<Dep>> {
    type Row = (i64, i64, String, String, Option<NaiveDateTime>);
    let row: Option<Row> = articles::table
        .find(id)
        .select((
            articles::group_id,
            articles::section_id,
            articles::locale,
            articles::status,
            articles::published_at,
        ))
        .first(conn)
        .optional()?;
    let Some((group, section, locale, status, published_at)) = row else {
        return Ok(deps);
    };
    deps.push(Dep::Group(group));
    let tags: Vec<String> = article_tags::table
        .filter(article_tags::article_id.eq(id))
        .select(article_tags::tag)
        .load(conn)?;
    for tag in tags {
        // Another article's candidates of `tag` are its PER_TAG newest
        // taggings but its own: this one is among them if fewer than
        // PER_TAG + 1 newer taggings exist.
        let newer: Vec<i64> = article_tags::table
            .filter(article_tags::tag.eq(&tag))
            .filter(article_tags::article_id.gt(id))
            .select(article_tags::article_id)
            .limit(PER_TAG + 1)
            .load(conn)?;
        if newer.len() as i64 <= PER_TAG {
            deps.push(Dep::Tag(tag.into()));
        }
    }
    if let Some(at) = published_at.filter(|_| Visibility::Public.allows(&status, published_at, now))
    {
        // The top-up takes, newest first, up to RELATED of the section's
        // visible articles in the locale, skipping at most RELATED (the
        // article itself and those found by tags): all within its first
        // RELATED + 1.
        let ahead: Vec<i64> = crate::filter_visibility!(
            articles::table.into_boxed::<MultiBackend>(),
            articles,
            Visibility::Public,
            now
        )
        .filter(articles::section_id.eq(section))
        .filter(articles::locale.eq(locale.clone()))
        .filter(articles::id.ne(id))
        .filter(
            articles::published_at
                .gt(at)
                .or(articles::published_at.eq(at).and(articles::id.gt(id))),
        )
        .select(articles::id)
        .limit(RELATED as i64 + 1)
        .load(conn)?;
        if ahead.len() <= RELATED {
            deps.push(Dep::Section(section, locale.into()));
        }
    }
    Ok(deps)
}

//! What a cached item response shows and what a write touches (`cache::Dep`),
//! so that a write of one item drops only the item responses it can change.
//!
//! An item response shows (`of_item`): its item and translation group (itself
//! in every locale, and its `translations`); the items it embeds (translations,
//! related articles); and, for an article, where its related articles come
//! from: the candidates of each of its tags and the newest articles of its
//! section in its locale (the top-up). A write touches (`touched`, of `state`s taken just
//! before and just after it, in its transaction): the item, its group, and for
//! an article a tag or its section only where the article ranks high enough
//! to be a related article through it: among the `PER_TAG + 1` newest
//! taggings of the tag (by id: what `related_articles` reads per tag, one of
//! them the article itself), among the `RELATED + 1` newest visible articles
//! of the section and locale (the top-up's reach), and only if the write
//! changed what decides whether and where it is picked (its tags, section,
//! locale, status or publication time). Elsewhere in those lists a change
//! cannot alter what is picked from their heads, and an edit of its lead,
//! body or title shows only in the articles that show it (`Dep::Item`): so
//! such an edit, of an old or of today's article, keeps every other article's
//! cached response.
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
    let Some(group) = group_of(conn, t, id)? else {
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

/// An article's tags (sorted), section, locale, status and `published_at`.
type Placing = (Vec<String>, i64, String, String, Option<NaiveDateTime>);

/// An item as a write finds it (`state`, just before and just after the write,
/// inside its transaction); `touched` makes of the two what the write touched.
#[derive(Debug, Default)]
pub struct State {
    /// The item and its group: always touched.
    own: Vec<Dep>,
    /// For an article, the tags and section through which it can be another
    /// article's related article: touched only if `picked_by` changes.
    reach: Vec<Dep>,
    /// For an article, all that decides whether and where other articles'
    /// related articles pick it: its tags, section, locale, status and
    /// `published_at`. (Its title and slug only show in those that picked it:
    /// `Dep::Item`.) None for other types and for no item.
    picked_by: Option<Placing>,
}

/// What a write with these states before and after it (None: no item, as
/// before a create or after a delete) touched. An edit that leaves an
/// article's `picked_by` alone (its lead, body, title...) touches only it, its
/// group and the articles showing it, however new it is.
pub fn touched(before: Option<State>, after: Option<State>) -> Vec<Dep> {
    let (before, after) = (before.unwrap_or_default(), after.unwrap_or_default());
    let picked_anew = before.picked_by.is_none() || before.picked_by != after.picked_by;
    let mut deps: Vec<Dep> = before.own.into_iter().chain(after.own).collect();
    if picked_anew {
        deps.extend(before.reach.into_iter().chain(after.reach));
    }
    deps.sort();
    deps.dedup();
    deps
}

/// The translation group of item `id` of type `t` (None when it does not
/// exist; sections have none).
fn group_of(conn: &mut AnyConnection, t: ResourceType, id: i64) -> AppResult<Option<i64>> {
    Ok(match t {
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
    })
}

/// Item `id` of type `t` as it stands now (see `State`; the item alone when it
/// does not exist).
pub fn state(
    conn: &mut AnyConnection,
    t: ResourceType,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<State> {
    let mut state = State {
        own: vec![Dep::Item(id)],
        ..State::default()
    };
    if t == ResourceType::Article {
        article_state(conn, id, now, &mut state)?;
        return Ok(state);
    }
    state.own.extend(group_of(conn, t, id)?.map(Dep::Group));
    Ok(state)
}

/// `state` of an article: its group, and the tags and section through which
/// it can be another article's related article (see the module comment).
fn article_state(
    conn: &mut AnyConnection,
    id: i64,
    now: NaiveDateTime,
    state: &mut State,
) -> AppResult<()> {
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
        return Ok(());
    };
    state.own.push(Dep::Group(group));
    let tags: Vec<String> = article_tags::table
        .filter(article_tags::article_id.eq(id))
        .select(article_tags::tag)
        .order(article_tags::tag)
        .load(conn)?;
    for tag in &tags {
        // Another article's candidates of `tag` are its PER_TAG newest
        // taggings but its own: this one is among them if fewer than
        // PER_TAG + 1 newer taggings exist.
        let newer: Vec<i64> = article_tags::table
            .filter(article_tags::tag.eq(tag))
            .filter(article_tags::article_id.gt(id))
            .select(article_tags::article_id)
            .limit(PER_TAG + 1)
            .load(conn)?;
        if newer.len() as i64 <= PER_TAG {
            state.reach.push(Dep::Tag(tag.as_str().into()));
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
            state
                .reach
                .push(Dep::Section(section, locale.as_str().into()));
        }
    }
    state.picked_by = Some((tags, section, locale, status, published_at));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(tags: &[&str], status: &str, reach: Vec<Dep>) -> State {
        State {
            own: vec![Dep::Item(7), Dep::Group(7)],
            reach,
            picked_by: Some((
                tags.iter().map(|t| t.to_string()).collect(),
                3,
                "be".into(),
                status.into(),
                None,
            )),
        }
    }

    #[test]
    fn an_edit_reaches_other_articles_only_if_it_changes_how_they_pick_it() {
        let reach = || vec![Dep::Tag("sport".into()), Dep::Section(3, "be".into())];
        let own = vec![Dep::Item(7), Dep::Group(7)];
        let lead_only = touched(
            Some(article(&["sport"], "published", reach())),
            Some(article(&["sport"], "published", reach())),
        );
        assert_eq!(
            lead_only, own,
            "a new lead or title: the item and its group"
        );
        let retagged = touched(
            Some(article(&["sport"], "published", reach())),
            Some(article(&["sport", "tennis"], "published", vec![])),
        );
        assert!(retagged.contains(&Dep::Tag("sport".into())), "{retagged:?}");
        let unpublished = touched(
            Some(article(&["sport"], "published", reach())),
            Some(article(&["sport"], "draft", vec![])),
        );
        assert!(unpublished.contains(&Dep::Section(3, "be".into())));
        let created = touched(None, Some(article(&["sport"], "published", reach())));
        assert_eq!(created.len(), 4, "{created:?}");
        let deleted = touched(Some(article(&["sport"], "published", reach())), None);
        assert_eq!(deleted.len(), 4, "{deleted:?}");
        let moved = State {
            own: vec![Dep::Item(9), Dep::Group(2)],
            ..State::default()
        };
        let event = State {
            own: vec![Dep::Item(9), Dep::Group(9)],
            ..State::default()
        };
        assert_eq!(
            touched(Some(event), Some(moved)),
            vec![Dep::Item(9), Dep::Group(2), Dep::Group(9)],
            "a new translation group: both groups"
        );
    }
}

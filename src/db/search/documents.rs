//! The search documents: what is indexed of each searchable type, kept
//! current in the write's transaction and rebuilt after bulk loads.

use diesel::prelude::*;

use super::{self as search, SearchDoc};
use std::collections::HashMap;

use crate::db::schema::{articles, events, place_terms, places};
use crate::db::AnyConnection;
use crate::domain::fold::fold;
use crate::domain::PLACE_ALIAS_TERM;
use crate::error::{AppError, AppResult};
use crate::resource::{PlaceKind, ResourceType};

/// Text of HTML for indexing and snippets: tags dropped, common entities decoded.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn join(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rewrites the search document of one item (or removes it when the item is gone
/// or not searchable). Call inside the write's transaction.
pub fn reindex(conn: &mut AnyConnection, resource: ResourceType, id: i64) -> AppResult<()> {
    reindex_many(conn, &[(resource, id)])
}

/// The columns every document's row opens with (id, locale, slug, status,
/// `published_at`), nested first in each table's select by `head!`.
type Head = (i64, String, String, String, Option<chrono::NaiveDateTime>);

macro_rules! head {
    ($tb:ident) => {
        (
            $tb::id,
            $tb::locale,
            $tb::slug,
            $tb::status,
            $tb::published_at,
        )
    };
}

/// A document of `resource` from its row's head and its text.
fn doc(
    resource: ResourceType,
    head: Head,
    title: String,
    summary: String,
    body: String,
    aliases: Vec<String>,
) -> SearchDoc {
    let (item_id, locale, slug, status, published_at) = head;
    SearchDoc {
        resource,
        item_id,
        locale,
        slug,
        status,
        published_at,
        title,
        summary,
        body,
        aliases,
    }
}

type ArticleText = (Head, String, String, String, Option<String>);

fn article_docs(rows: Vec<ArticleText>) -> Vec<SearchDoc> {
    rows.into_iter()
        .map(|(head, title, lead, body, author)| {
            let body = join(&[
                Some(&plain_text(&body)),
                author.as_deref(),
                Some(&fold(&title)),
            ]);
            doc(ResourceType::Article, head, title, lead, body, Vec::new())
        })
        .collect()
}

type PlaceText = (Head, String, String, String, String, Option<String>);

/// The aliases of these places, in order.
fn place_aliases(conn: &mut AnyConnection, ids: &[i64]) -> AppResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for part in ids.chunks(1000) {
        let rows: Vec<(i64, String)> = place_terms::table
            .filter(place_terms::place_id.eq_any(part))
            .filter(place_terms::term.eq(PLACE_ALIAS_TERM))
            .order((place_terms::place_id, place_terms::position))
            .select((place_terms::place_id, place_terms::value))
            .load(conn)?;
        for (id, v) in rows {
            out.entry(id).or_default().push(v);
        }
    }
    Ok(out)
}

/// Places' documents: the aliases and the folds of the names (`domain::fold`)
/// are searched with the body, so other spellings and scripts find them.
fn place_docs(conn: &mut AnyConnection, rows: Vec<PlaceText>) -> AppResult<Vec<SearchDoc>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.0 .0).collect();
    let mut aliases = place_aliases(conn, &ids)?;
    rows.into_iter()
        .map(|(head, kind, name, summary, html, locality)| {
            let id = head.0;
            let kind = PlaceKind::from_type_str(&kind).ok_or_else(|| {
                AppError::Internal(format!("place {id} has unknown kind `{kind}`"))
            })?;
            let aliases = aliases.remove(&id).unwrap_or_default();
            let names = std::iter::once(&name).chain(&aliases);
            let folds = names.map(|n| fold(n)).collect::<Vec<_>>().join(" ");
            let also = join(&[Some(&aliases.join(" ")), Some(&folds)]);
            let body = join(&[Some(&plain_text(&html)), locality.as_deref(), Some(&also)]);
            Ok(doc(kind.into(), head, name, summary, body, aliases))
        })
        .collect()
}

type EventText = (Head, String, String, String, Option<String>, Option<String>);

fn event_docs(rows: Vec<EventText>) -> Vec<SearchDoc> {
    rows.into_iter()
        .map(|(head, title, summary, html, venue, locality)| {
            let body = join(&[
                Some(&plain_text(&html)),
                venue.as_deref(),
                locality.as_deref(),
                Some(&fold(&title)),
            ]);
            doc(ResourceType::Event, head, title, summary, body, Vec::new())
        })
        .collect()
}

/// `reindex` for many items, e.g. everything an import saved: call once, after
/// the content is written, in the same transaction. All the removals come
/// first, then the documents are inserted back to back: SQLite's FTS5 writes
/// its pending terms out as a new segment whenever another statement opens a
/// savepoint, so a reindex after every saved item (interleaved with the
/// item's other statements) made one tiny segment per item, and merging them
/// came to dominate a large import.
pub fn reindex_many(conn: &mut AnyConnection, items: &[(ResourceType, i64)]) -> AppResult<()> {
    const CHUNK: usize = 500;
    let mut by_resource: Vec<(ResourceType, Vec<i64>)> = ResourceType::SEARCHABLE
        .iter()
        .map(|r| (*r, Vec::new()))
        .collect();
    for (resource, id) in items {
        if let Some((_, ids)) = by_resource.iter_mut().find(|(r, _)| r == resource) {
            ids.push(*id);
        }
    }
    by_resource.retain(|(_, ids)| !ids.is_empty());
    for (_, ids) in &mut by_resource {
        ids.sort_unstable();
        ids.dedup();
    }
    for (resource, ids) in &by_resource {
        search::remove_many(conn, *resource, ids)?;
    }
    for (resource, ids) in &by_resource {
        for part in ids.chunks(CHUNK) {
            let docs = docs_of(conn, *resource, Rows::Ids(part))?;
            search::insert_many(conn, &docs)?;
        }
    }
    Ok(())
}

/// Which rows of a table to make documents of.
#[derive(Clone, Copy)]
enum Rows<'a> {
    /// These ids.
    Ids(&'a [i64]),
    /// The next `limit` ids after `after`.
    After { after: i64, limit: i64 },
}

/// The search documents of some items of one resource, in id order (none for
/// sections, which are not searched).
fn docs_of(
    conn: &mut AnyConnection,
    resource: ResourceType,
    rows: Rows,
) -> AppResult<Vec<SearchDoc>> {
    macro_rules! load {
        ($tb:ident, $columns:expr) => {{
            let q = $tb::table.order($tb::id).select($columns).into_boxed();
            match rows {
                Rows::Ids(ids) => q.filter($tb::id.eq_any(ids)).load(conn)?,
                Rows::After { after, limit } => {
                    q.filter($tb::id.gt(after)).limit(limit).load(conn)?
                }
            }
        }};
    }
    Ok(match resource {
        ResourceType::Section => Vec::new(),
        ResourceType::Article => article_docs(load!(
            articles,
            (
                head!(articles),
                articles::title,
                articles::lead,
                articles::body_html,
                articles::author,
            )
        )),
        ResourceType::Event => event_docs(load!(
            events,
            (
                head!(events),
                events::title,
                events::summary,
                events::description_html,
                events::venue_name,
                events::venue_locality,
            )
        )),
        // All kinds share the table: the rows give each document its kind.
        ResourceType::Place(_) => {
            let rows = load!(
                places,
                (
                    head!(places),
                    places::kind,
                    places::name,
                    places::summary,
                    places::description_html,
                    places::locality,
                )
            );
            place_docs(conn, rows)?
        }
    })
}

/// Rebuilds every search document (after bulk loads: demo content, the
/// generator, imports, `belportal reindex`). The rows go in by chunks of ids,
/// many per statement, and the indexes that are cheaper built once are built
/// after them (`search::bulk_load`).
///
/// PostgreSQL does it in one transaction: all or nothing, and readers (of
/// every node) see the old index until it commits. SQLite commits every
/// [`CHUNKS_PER_COMMIT`] chunks instead: one transaction of a million
/// documents outgrows any page cache, and SQLite then spills it to the WAL
/// and reads it back through a wal-index that grows with it (over an hour at
/// 1,000,000 articles; a few minutes in steps). The suggest term indexes are
/// dropped by the first step and built by the last, so a rebuild that was
/// interrupted leaves them missing, and [`ensure_index`] redoes it at the
/// next start.
pub fn reindex_all(conn: &mut AnyConnection) -> AppResult<u64> {
    crate::db::bulk::with_bulk_cache(conn, |conn| {
        if matches!(conn, AnyConnection::Sqlite(_)) {
            rebuild(conn)
        } else {
            // The steps' transactions become savepoints of this one.
            conn.transaction(rebuild)
        }
    })
}

/// Chunks of [`reindex_all`] written per transaction on SQLite (20,000 items).
const CHUNKS_PER_COMMIT: usize = 10;

/// The steps of [`reindex_all`], each in a transaction of its own.
fn rebuild(conn: &mut AnyConnection) -> AppResult<u64> {
    const CHUNK: i64 = 2000;
    // One type per table: every place kind is in `places`.
    let tables = [
        ResourceType::Article,
        ResourceType::Place(PlaceKind::TouristSite),
        ResourceType::Event,
    ];
    conn.transaction::<_, AppError, _>(|conn| {
        search::clear(conn)?;
        search::bulk_load(conn, search::Load::Start)
    })?;
    let started = std::time::Instant::now();
    let mut n = 0u64;
    for table in tables {
        let mut after = Some(0i64);
        while let Some(from) = after {
            after = conn.transaction::<_, AppError, _>(|conn| {
                let mut next = Some(from);
                for _ in 0..CHUNKS_PER_COMMIT {
                    let Some(after) = next else { break };
                    let rows = Rows::After {
                        after,
                        limit: CHUNK,
                    };
                    let docs = docs_of(conn, table, rows)?;
                    next = docs.last().map(|d| d.item_id);
                    search::insert_many(conn, &docs)?;
                    n += docs.len() as u64;
                }
                Ok(next)
            })?;
        }
        tracing::info!(
            table = table.as_str(),
            documents = n,
            secs = started.elapsed().as_secs(),
            "search index rebuild: table done"
        );
    }
    conn.transaction::<_, AppError, _>(|conn| search::bulk_load(conn, search::Load::End))?;
    tracing::info!(
        documents = n,
        secs = started.elapsed().as_secs(),
        "search index rebuilt"
    );
    Ok(n)
}

/// Rebuilds the search index when it is empty but content exists (after a
/// migration that changed its layout), or when a rebuild was interrupted
/// (SQLite). Returns the documents written.
pub fn ensure_index(conn: &mut AnyConnection) -> AppResult<u64> {
    if !search::is_empty(conn)? && search::is_complete(conn)? {
        return Ok(0);
    }
    let any_article = articles::table
        .select(articles::id)
        .first::<i64>(conn)
        .optional()?;
    let any_place = places::table
        .select(places::id)
        .first::<i64>(conn)
        .optional()?;
    let any_event = events::table
        .select(events::id)
        .first::<i64>(conn)
        .optional()?;
    if any_article.is_none() && any_place.is_none() && any_event.is_none() {
        return Ok(0);
    }
    reindex_all(conn)
}

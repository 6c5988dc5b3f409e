//! Full-text search, the one place its SQL differs per backend: SQLite FTS5
//! (bm25, `snippet`; `sqlite.rs`) and PostgreSQL `tsvector` with a GIN index
//! (`ts_rank`, `ts_headline`; `postgres.rs`). Documents are written by the
//! service in the same transaction as the content; queries are built from plain
//! tokens, so any string a user types is a valid query.

mod documents;
mod forgiving;
mod postgres;
mod query;
mod sqlite;
mod stems;
pub mod suggest;
pub mod typo;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};
pub use documents::{ensure_index, plain_text, reindex, reindex_all, reindex_many};
pub use forgiving::{list_forgiving, search_forgiving, Forgiven, ListText, TextFilter};
pub use query::SearchQuery;

use super::AnyConnection;
use crate::error::AppResult;
use crate::resource::ResourceType;

/// One searchable item: plain text (no markup) in three weighted fields.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub resource: ResourceType,
    pub item_id: i64,
    pub locale: String,
    pub slug: String,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub title: String,
    pub summary: String,
    pub body: String,
    /// Other names of a place (searched and suggested like the title).
    pub aliases: Vec<String>,
}

/// The PostgreSQL text search configuration of a locale.
pub fn pg_config(locale: &str) -> &'static str {
    match locale {
        "en" => "english",
        "ru" => "russian",
        _ => "simple",
    }
}

/// Empties the index (before a full rebuild).
pub fn clear(conn: &mut AnyConnection) -> AppResult<()> {
    suggest::clear(conn)?;
    match conn {
        AnyConnection::Sqlite(c) => sqlite::clear(c),
        AnyConnection::Postgresql(c) => postgres::clear(c),
    }
}

/// The two ends of a full rebuild in one transaction (`reindex_all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Load {
    Start,
    End,
}

/// Around a full rebuild: the indexes that are cheaper built once over all
/// the rows than kept up row by row (the suggest terms' B-trees; on
/// PostgreSQL the GIN indexes of the words and the trigrams) are dropped at
/// the start and built at the end.
pub(crate) fn bulk_load(conn: &mut AnyConnection, at: Load) -> AppResult<()> {
    suggest::bulk_load(conn, at)?;
    match conn {
        AnyConnection::Sqlite(_) => Ok(()),
        AnyConnection::Postgresql(c) => postgres::bulk_load(c, at),
    }
}

/// Adds a document that is not in the index yet.
pub fn insert(conn: &mut AnyConnection, d: &SearchDoc) -> AppResult<()> {
    suggest::insert_many(conn, std::slice::from_ref(d))?;
    match conn {
        AnyConnection::Sqlite(c) => sqlite::insert(c, d),
        AnyConnection::Postgresql(c) => postgres::insert(c, d),
    }
}

/// Adds many documents that are not in the index yet (an import's), in as few
/// statements as the backend allows.
pub fn insert_many(conn: &mut AnyConnection, docs: &[SearchDoc]) -> AppResult<()> {
    suggest::insert_many(conn, docs)?;
    match conn {
        AnyConnection::Sqlite(c) => sqlite::insert_many(c, docs),
        AnyConnection::Postgresql(c) => postgres::insert_many(c, docs),
    }
}

/// Removes the documents of these items of one resource (those that exist).
pub fn remove_many(conn: &mut AnyConnection, resource: ResourceType, ids: &[i64]) -> AppResult<()> {
    for part in ids.chunks(500) {
        suggest::remove_many(conn, resource, part)?;
        match conn {
            AnyConnection::Sqlite(c) => sqlite::remove_many(c, resource, part)?,
            AnyConnection::Postgresql(c) => postgres::remove_many(c, resource, part)?,
        }
    }
    Ok(())
}

pub fn remove(conn: &mut AnyConnection, resource: ResourceType, id: i64) -> AppResult<()> {
    remove_many(conn, resource, &[id])
}

/// Whether the index (or the suggest index) holds no document (after a
/// migration rebuilt it).
pub fn is_empty(conn: &mut AnyConnection) -> AppResult<bool> {
    if suggest::is_empty(conn)? {
        return Ok(true);
    }
    match conn {
        AnyConnection::Sqlite(c) => sqlite::is_empty(c),
        AnyConnection::Postgresql(c) => postgres::is_empty(c),
    }
}

/// Whether the last full rebuild finished: the indexes it drops at its start
/// are there (see `reindex_all`).
pub fn is_complete(conn: &mut AnyConnection) -> AppResult<bool> {
    suggest::indexes_built(conn)
}

/// `'article', 'event'`: the types' names as SQL literals. They are ours
/// (constants), not the user's: safe in the SQL text.
fn type_list(resources: &[ResourceType]) -> String {
    resources
        .iter()
        .map(|r| format!("'{}'", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A SQL condition `<id_column> IN (ids of documents of these resources matching q)`,
/// for the `q` filter of lists. `id_column` is a trusted constant.
pub fn matching_ids_condition<QS: 'static>(
    sqlite: bool,
    id_column: &'static str,
    resources: &[ResourceType],
    q: &SearchQuery,
) -> Box<dyn BoxableExpression<QS, crate::db::MultiBackend, SqlType = diesel::sql_types::Bool>> {
    let list = type_list(resources);
    if sqlite {
        Box::new(
            diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                "{id_column} IN (SELECT item_id FROM search_fts WHERE search_fts MATCH "
            ))
            .bind::<Text, _>(q.fts5())
            .sql(&format!(" AND resource IN ({list}))")),
        )
    } else {
        Box::new(
            diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "{id_column} IN (SELECT item_id FROM search_documents WHERE tsv @@ to_tsquery(CAST("
        ))
            .bind::<Text, _>(pg_config(&q.locale))
            .sql(" AS regconfig), ")
            .bind::<Text, _>(q.tsquery())
            .sql(&format!(") AND resource IN ({list}))")),
        )
    }
}

/// Whether any document of `resources` matches `q` (in any locale, public or
/// not: the same documents as [`matching_ids_condition`]).
pub fn any_match(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    resources: &[ResourceType],
) -> AppResult<bool> {
    let list = type_list(resources);
    let found: Vec<Id> = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT CAST(1 AS BIGINT) AS id FROM search_fts WHERE search_fts MATCH ? \
             AND resource IN ({list}) LIMIT 1"
        ))
        .bind::<Text, _>(q.fts5())
        .load(c)?,
        AnyConnection::Postgresql(c) => diesel::sql_query(format!(
            "SELECT CAST(1 AS BIGINT) AS id FROM search_documents \
             WHERE tsv @@ to_tsquery(CAST($1 AS regconfig), $2) AND resource IN ({list}) LIMIT 1"
        ))
        .bind::<Text, _>(pg_config(&q.locale))
        .bind::<Text, _>(q.tsquery())
        .load(c)?,
    };
    Ok(!found.is_empty())
}

/// One ranked match, its snippet with `\u{2}`/`\u{3}` around matched words.
#[derive(Debug, Clone)]
pub struct Hit {
    pub resource: ResourceType,
    pub item_id: i64,
    pub slug: String,
    pub title: String,
    pub snippet: String,
    pub score: f64,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// A match in a window with its relevance. `id` is the FTS5 rowid on SQLite,
/// the item id on PostgreSQL.
#[derive(QueryableByName)]
struct Ranked {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Double)]
    score: f64,
}

/// A matched document as a page's snippet query reads it. `id` is the FTS5
/// rowid on SQLite, the item id on PostgreSQL.
#[derive(QueryableByName)]
struct DocRef {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    resource: String,
    #[diesel(sql_type = BigInt)]
    item_id: i64,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    title: String,
}

#[derive(QueryableByName)]
struct Snippet {
    #[diesel(embed)]
    doc: DocRef,
    #[diesel(sql_type = Text)]
    snippet: String,
}

/// The outcome of a search: how many matches are ranked (and can be paged
/// through), whether more documents matched, and one page of them.
#[derive(Debug, Clone)]
pub struct Found {
    pub total: i64,
    /// More documents matched than were ranked (a client shows "500+").
    pub capped: bool,
    pub hits: Vec<Hit>,
}

/// The ranked matches of one type: its newest `window` matches, newest first.
struct Window {
    resource: ResourceType,
    ranked: Vec<Ranked>,
    capped: bool,
}

impl Window {
    /// Keeps the newest `window` of up to `window + 1` matches (newest first).
    fn new(resource: ResourceType, mut ranked: Vec<Ranked>, window: usize) -> Window {
        let capped = ranked.len() > window;
        ranked.truncate(window);
        Window {
            resource,
            ranked,
            capped,
        }
    }
}

/// What bounds the cost of a search (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Per type, the newest this many matches are ranked.
    pub window: usize,
    /// SQLite: words in more documents than this are scored without bm25.
    pub bm25_max_docs: i64,
}
/// Which page of a search to rank and show, at `now`, within `limits`.
#[derive(Debug, Clone, Copy)]
pub struct SearchPage {
    pub now: NaiveDateTime,
    pub limits: Limits,
    pub limit: i64,
    pub offset: i64,
}

/// The public documents matching `q` in its locale among `resources`, one page
/// ranked best first (ties by type and id).
///
/// Cost is bounded however common the words are: per type only the newest
/// `window` matches (highest ids; `BELPORTAL_SEARCH_WINDOW`) are ranked, which
/// covers every match of any but very common words. One query per type finds
/// and scores them: on SQLite the rowids order each type and locale by id, so
/// FTS5 walks a word's matches newest first and stops; on PostgreSQL a range of
/// recent ids is searched (its BRIN bitmap AND-ed with the GIN bitmap of the
/// words, or its rows tested alone for a dense word), widened until it holds
/// enough matches. Snippets are made for the
/// page only.
pub fn search(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    resources: &[ResourceType],
    at: SearchPage,
) -> AppResult<Found> {
    let SearchPage {
        now,
        limits: Limits {
            window,
            bm25_max_docs,
        },
        limit,
        offset,
    } = at;
    let window = window.max(1);
    let windows = match conn {
        AnyConnection::Sqlite(c) => sqlite::windows(c, q, resources, now, window, bm25_max_docs)?,
        AnyConnection::Postgresql(c) => {
            c.transaction(|c| postgres::windows(c, q, resources, now, window))?
        }
    };
    let capped = windows.iter().any(|w| w.capped);
    let mut all: Vec<(ResourceType, Ranked)> = windows
        .into_iter()
        .flat_map(|w| {
            let r = w.resource;
            w.ranked.into_iter().map(move |m| (r, m))
        })
        .collect();
    all.sort_by(|(ra, a), (rb, b)| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| ra.as_str().cmp(rb.as_str()))
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = all.len() as i64;
    let page: Vec<(ResourceType, Ranked)> = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    let hits = if page.is_empty() {
        Vec::new()
    } else {
        match conn {
            AnyConnection::Sqlite(c) => sqlite::snippets(c, q, page)?,
            AnyConnection::Postgresql(c) => postgres::snippets(c, q, page)?,
        }
    };
    Ok(Found {
        total,
        capped,
        hits,
    })
}

/// The page's hits in ranked order (a document gone since ranking is skipped).
fn in_rank_order(page: Vec<(ResourceType, Ranked)>, snippets: Vec<Snippet>) -> Vec<Hit> {
    let mut by_id: std::collections::HashMap<(String, i64), Snippet> = snippets
        .into_iter()
        .map(|s| ((s.doc.resource.clone(), s.doc.id), s))
        .collect();
    page.into_iter()
        .filter_map(|(r, m)| {
            by_id.remove(&(r.as_str().to_string(), m.id)).map(|s| Hit {
                resource: r,
                item_id: s.doc.item_id,
                slug: s.doc.slug,
                title: s.doc.title,
                snippet: s.snippet,
                score: m.score,
            })
        })
        .collect()
}

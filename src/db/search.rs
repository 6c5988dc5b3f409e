//! Full-text search, the one place its SQL differs per backend: SQLite FTS5
//! (bm25, `snippet`) and PostgreSQL `tsvector` with a GIN index (`ts_rank`,
//! `ts_headline`). Documents are written by the service in the same
//! transaction as the content; queries are built from plain tokens, so any
//! string a user types is a valid query.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Nullable, Text, Timestamp};

use super::AnyConnection;
use crate::error::AppResult;

/// One searchable item: plain text (no markup) in three weighted fields.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub resource: String,
    pub item_id: i64,
    pub locale: String,
    pub slug: String,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// A user's query reduced to words, ready for either backend.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub locale: String,
    pub words: Vec<String>,
}

const MAX_WORDS: usize = 16;

impl SearchQuery {
    /// Splits `q` into lowercase words (letters and digits); quotes, operators and
    /// punctuation are separators. `None` when nothing searchable remains.
    pub fn parse(q: &str, locale: &str) -> Option<SearchQuery> {
        let mut words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase().chars().take(64).collect::<String>())
            .collect();
        words.dedup();
        words.truncate(MAX_WORDS);
        (!words.is_empty()).then(|| SearchQuery {
            locale: locale.to_string(),
            words,
        })
    }

    /// English is stemmed by both backends; Russian by PostgreSQL only. Elsewhere
    /// a word also matches longer forms sharing its first letters (a crude stem).
    fn prefix_words(&self, sqlite: bool) -> bool {
        match self.locale.as_str() {
            "en" => false,
            "ru" => sqlite,
            _ => true,
        }
    }

    /// The word cut to a likely stem for prefix matching: inflected endings in
    /// Belarusian and Russian are one to three letters.
    fn stem(w: &str) -> String {
        let n = w.chars().count();
        let keep = match n {
            0..=3 => n,
            4..=5 => n - 1,
            _ => n - 2,
        };
        w.chars().take(keep).collect()
    }

    /// FTS5 syntax: each word quoted (so nothing is an operator), AND-ed.
    pub fn fts5(&self) -> String {
        self.fts5_terms().join(" ")
    }

    /// Each word as an FTS5 term (quoted; a prefix term where words are not stemmed).
    fn fts5_terms(&self) -> Vec<String> {
        let prefix = self.prefix_words(true);
        self.words
            .iter()
            .map(|w| {
                if prefix && w.chars().count() > 3 {
                    format!("\"{}\"*", Self::stem(w).replace('"', ""))
                } else {
                    format!("\"{}\"", w.replace('"', ""))
                }
            })
            .collect()
    }

    /// `to_tsquery` syntax: words of letters and digits only, AND-ed.
    pub fn tsquery(&self) -> String {
        let prefix = self.prefix_words(false);
        self.words
            .iter()
            .map(|w| {
                if prefix && w.chars().count() > 3 {
                    format!("{}:*", Self::stem(w))
                } else {
                    w.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// The PostgreSQL text search configuration of a locale.
pub fn pg_config(locale: &str) -> &'static str {
    match locale {
        "en" => "english",
        "ru" => "russian",
        _ => "simple",
    }
}

fn resource_code(resource: &str) -> i64 {
    match resource {
        "article" => 1,
        "tourist_site" => 2,
        "unesco_site" => 3,
        "sanatorium" => 4,
        "monument" => 5,
        "souvenir" => 6,
        "event" => 7,
        _ => 9,
    }
}

/// Bits of an item id in an FTS5 rowid; the locale and the resource sit above.
const ID_BITS: u32 = 40;
const LOCALE_BITS: u32 = 4;

/// A locale's code in FTS5 rowids. The default three have their own; any other
/// configured locale shares one of the rest (queries also filter on `locale`).
fn locale_code(locale: &str) -> i64 {
    match locale {
        "en" => 1,
        "ru" => 2,
        "be" => 3,
        other => {
            let h = other
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            4 + i64::from(h % 12)
        }
    }
}

/// FTS5 rowid of a document: resource, locale and id in one integer, so the
/// documents of one type in one locale are one rowid range, in id order.
fn fts_rowid(resource: &str, locale: &str, id: i64) -> i64 {
    (resource_code(resource) << (ID_BITS + LOCALE_BITS))
        | (locale_code(locale) << ID_BITS)
        | (id & ((1 << ID_BITS) - 1))
}

/// The rowid range of one type in one locale.
fn fts_slice(resource: &str, locale: &str) -> (i64, i64) {
    let lo = fts_rowid(resource, locale, 0);
    (lo, lo + (1 << ID_BITS) - 1)
}

/// Every rowid an item could have (its locale may have changed since it was indexed).
fn fts_rowids_of(resource: &str, id: i64) -> String {
    (0..(1 << LOCALE_BITS))
        .map(|loc: i64| {
            ((resource_code(resource) << (ID_BITS + LOCALE_BITS))
                | (loc << ID_BITS)
                | (id & ((1 << ID_BITS) - 1)))
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Empties the index (before a full rebuild).
pub fn clear(conn: &mut AnyConnection) -> AppResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query("DELETE FROM search_fts").execute(c)?,
        AnyConnection::Postgresql(c) => {
            diesel::sql_query("TRUNCATE search_documents").execute(c)?
        }
    };
    Ok(())
}

/// Adds a document that is not in the index yet.
pub fn insert(conn: &mut AnyConnection, d: &SearchDoc) -> AppResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query(
                "INSERT INTO search_fts (rowid, title, summary, body, resource, item_id, locale, slug, status, published_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind::<BigInt, _>(fts_rowid(&d.resource, &d.locale, d.item_id))
            .bind::<Text, _>(&d.title)
            .bind::<Text, _>(&d.summary)
            .bind::<Text, _>(&d.body)
            .bind::<Text, _>(&d.resource)
            .bind::<BigInt, _>(d.item_id)
            .bind::<Text, _>(&d.locale)
            .bind::<Text, _>(&d.slug)
            .bind::<Text, _>(&d.status)
            .bind::<Nullable<Timestamp>, _>(d.published_at)
            .execute(c)?;
        }
        AnyConnection::Postgresql(c) => {
            diesel::sql_query(
                "INSERT INTO search_documents (resource, item_id, locale, slug, status, published_at, title, summary, body, config, tsv) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::regconfig, \
                 setweight(to_tsvector($10::regconfig, $7), 'A') || setweight(to_tsvector($10::regconfig, $8), 'B') || setweight(to_tsvector($10::regconfig, $9), 'C'))",
            )
            .bind::<Text, _>(&d.resource)
            .bind::<BigInt, _>(d.item_id)
            .bind::<Text, _>(&d.locale)
            .bind::<Text, _>(&d.slug)
            .bind::<Text, _>(&d.status)
            .bind::<Nullable<Timestamp>, _>(d.published_at)
            .bind::<Text, _>(&d.title)
            .bind::<Text, _>(&d.summary)
            .bind::<Text, _>(&d.body)
            .bind::<Text, _>(pg_config(&d.locale))
            .execute(c)?;
        }
    }
    Ok(())
}

/// Adds many documents that are not in the index yet (an import's), in as few
/// statements as the backend allows.
pub fn insert_many(conn: &mut AnyConnection, docs: &[SearchDoc]) -> AppResult<()> {
    match conn {
        AnyConnection::Sqlite(_) => {
            // In-process statements are cheap; FTS5 keeps the terms of
            // consecutive inserts in memory and writes them out in large segments.
            for d in docs {
                insert(conn, d)?;
            }
        }
        AnyConnection::Postgresql(c) => {
            // One statement a chunk: the rows come in as arrays.
            for part in docs.chunks(500) {
                let col = |f: fn(&SearchDoc) -> &str| part.iter().map(f).collect::<Vec<&str>>();
                let ids: Vec<i64> = part.iter().map(|d| d.item_id).collect();
                let published: Vec<Option<NaiveDateTime>> =
                    part.iter().map(|d| d.published_at).collect();
                let configs: Vec<&str> = part.iter().map(|d| pg_config(&d.locale)).collect();
                diesel::sql_query(
                    "INSERT INTO search_documents (resource, item_id, locale, slug, status, published_at, title, summary, body, config, tsv) \
                     SELECT resource, item_id, locale, slug, status, published_at, title, summary, body, config::regconfig, \
                     setweight(to_tsvector(config::regconfig, title), 'A') || setweight(to_tsvector(config::regconfig, summary), 'B') || setweight(to_tsvector(config::regconfig, body), 'C') \
                     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamp[], $7::text[], $8::text[], $9::text[], $10::text[]) \
                     AS d (resource, item_id, locale, slug, status, published_at, title, summary, body, config)",
                )
                .bind::<Array<Text>, _>(col(|d| &d.resource))
                .bind::<Array<BigInt>, _>(ids)
                .bind::<Array<Text>, _>(col(|d| &d.locale))
                .bind::<Array<Text>, _>(col(|d| &d.slug))
                .bind::<Array<Text>, _>(col(|d| &d.status))
                .bind::<Array<Nullable<Timestamp>>, _>(published)
                .bind::<Array<Text>, _>(col(|d| &d.title))
                .bind::<Array<Text>, _>(col(|d| &d.summary))
                .bind::<Array<Text>, _>(col(|d| &d.body))
                .bind::<Array<Text>, _>(configs)
                .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Removes the documents of these items of one resource (those that exist).
pub fn remove_many(conn: &mut AnyConnection, resource: &str, ids: &[i64]) -> AppResult<()> {
    for part in ids.chunks(500) {
        match conn {
            AnyConnection::Sqlite(c) => {
                // Integers only: safe to put in the SQL text.
                let rowids = part
                    .iter()
                    .map(|id| fts_rowids_of(resource, *id))
                    .collect::<Vec<_>>()
                    .join(", ");
                diesel::sql_query(format!("DELETE FROM search_fts WHERE rowid IN ({rowids})"))
                    .execute(c)?;
            }
            AnyConnection::Postgresql(c) => {
                diesel::sql_query(
                    "DELETE FROM search_documents WHERE resource = $1 AND item_id = ANY($2)",
                )
                .bind::<Text, _>(resource)
                .bind::<Array<BigInt>, _>(part)
                .execute(c)?;
            }
        }
    }
    Ok(())
}

pub fn remove(conn: &mut AnyConnection, resource: &str, id: i64) -> AppResult<()> {
    remove_many(conn, resource, &[id])
}

/// A SQL condition `<id_column> IN (ids of documents of these resources matching q)`,
/// for the `q` filter of lists. `id_column` and `resources` are trusted constants.
pub fn matching_ids_condition<QS: 'static>(
    sqlite: bool,
    id_column: &'static str,
    resources: &[&'static str],
    q: &SearchQuery,
) -> Box<dyn BoxableExpression<QS, crate::db::MultiBackend, SqlType = diesel::sql_types::Bool>> {
    let list = resources
        .iter()
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(", ");
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

/// One ranked match, its snippet with `\u{2}`/`\u{3}` around matched words.
#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = Text)]
    pub resource: String,
    #[diesel(sql_type = BigInt)]
    pub item_id: i64,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub snippet: String,
    #[diesel(sql_type = Double)]
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

#[derive(QueryableByName)]
struct Snippet {
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
    resource: &'static str,
    ranked: Vec<Ranked>,
    capped: bool,
}

impl Window {
    /// Keeps the newest `window` of up to `window + 1` matches (newest first).
    fn new(resource: &'static str, mut ranked: Vec<Ranked>, window: usize) -> Window {
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
    resources: &[&'static str],
    now: NaiveDateTime,
    limits: Limits,
    limit: i64,
    offset: i64,
) -> AppResult<Found> {
    let Limits {
        window,
        bm25_max_docs,
    } = limits;
    let window = window.max(1);
    let windows = match conn {
        AnyConnection::Sqlite(c) => sqlite_windows(c, q, resources, now, window, bm25_max_docs)?,
        AnyConnection::Postgresql(c) => {
            c.transaction(|c| pg_windows(c, q, resources, now, window))?
        }
    };
    let capped = windows.iter().any(|w| w.capped);
    let mut all: Vec<(&'static str, Ranked)> = windows
        .into_iter()
        .flat_map(|w| {
            let r = w.resource;
            w.ranked.into_iter().map(move |m| (r, m))
        })
        .collect();
    all.sort_by(|(ra, a), (rb, b)| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| ra.cmp(rb))
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = all.len() as i64;
    let page: Vec<(&'static str, Ranked)> = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    let hits = if page.is_empty() {
        Vec::new()
    } else {
        match conn {
            AnyConnection::Sqlite(c) => sqlite_snippets(c, q, page)?,
            AnyConnection::Postgresql(c) => pg_snippets(c, q, page)?,
        }
    };
    Ok(Found {
        total,
        capped,
        hits,
    })
}

/// The page's hits in ranked order (a document gone since ranking is skipped).
fn in_rank_order(page: Vec<(&'static str, Ranked)>, snippets: Vec<Snippet>) -> Vec<Hit> {
    let mut by_id: std::collections::HashMap<(String, i64), Snippet> = snippets
        .into_iter()
        .map(|s| ((s.resource.clone(), s.id), s))
        .collect();
    page.into_iter()
        .filter_map(|(r, m)| {
            by_id.remove(&(r.to_string(), m.id)).map(|s| Hit {
                resource: s.resource,
                item_id: s.item_id,
                slug: s.slug,
                title: s.title,
                snippet: s.snippet,
                score: m.score,
            })
        })
        .collect()
}

fn sqlite_windows(
    c: &mut diesel::SqliteConnection,
    q: &SearchQuery,
    resources: &[&'static str],
    now: NaiveDateTime,
    window: usize,
    bm25_max_docs: i64,
) -> AppResult<Vec<Window>> {
    let fts = q.fts5();
    let terms = q.fts5_terms();
    // First the windows: FTS5 walks each type's doclist backwards from the top
    // of its rowid range and stops after `window + 1` public matches.
    let mut found = Vec::with_capacity(resources.len());
    for r in resources {
        let (lo, hi) = fts_slice(r, &q.locale);
        let ids: Vec<Id> = diesel::sql_query(
            "SELECT rowid AS id FROM search_fts \
             WHERE search_fts MATCH ? AND rowid BETWEEN ? AND ? AND locale = ? \
             AND status = 'published' AND published_at <= ? ORDER BY rowid DESC LIMIT ?",
        )
        .bind::<Text, _>(&fts)
        .bind::<BigInt, _>(lo)
        .bind::<BigInt, _>(hi)
        .bind::<Text, _>(&q.locale)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(window as i64 + 1)
        .load(c)?;
        if !ids.is_empty() {
            found.push((*r, lo, hi, ids));
        }
    }
    // bm25 counts every document holding each word (FTS5 walks the word's whole
    // doclist), which is what a very common word costs. Above `bm25_max_docs`
    // the window is scored from where the words appear instead.
    let mut dfs = vec![0i64; terms.len()];
    for (_, lo, hi, _) in &found {
        for (t, df) in terms.iter().zip(dfs.iter_mut()) {
            *df = (*df).max(estimate_docs(c, t, *lo, *hi)?);
        }
    }
    let by_bm25 = dfs.iter().all(|df| *df <= bm25_max_docs);
    let mut out = Vec::with_capacity(found.len());
    for (r, lo, hi, ids) in found {
        let capped = ids.len() > window;
        let edge = ids[ids.len().min(window) - 1].id;
        let mut ranked: Vec<Ranked> = if by_bm25 {
            diesel::sql_query(
                "SELECT rowid AS id, -bm25(search_fts, 10.0, 4.0, 1.0) AS score FROM search_fts \
                 WHERE search_fts MATCH ? AND rowid BETWEEN ? AND ? AND locale = ? \
                 AND status = 'published' AND published_at <= ?",
            )
            .bind::<Text, _>(&fts)
            .bind::<BigInt, _>(edge)
            .bind::<BigInt, _>(hi)
            .bind::<Text, _>(&q.locale)
            .bind::<Timestamp, _>(now)
            .load(c)?
        } else {
            let population = (hi_id(c, lo, hi)? - (lo & ((1 << ID_BITS) - 1))).max(1);
            score_by_field(
                c,
                &terms,
                &dfs,
                population,
                &ids[..ids.len().min(window)],
                edge,
                hi,
            )?
        };
        // Newest first, as PostgreSQL gives them (`Window::new` keeps the newest).
        ranked.sort_by_key(|m| std::cmp::Reverse(m.id));
        let mut w = Window::new(r, ranked, window);
        w.capped = capped;
        out.push(w);
    }
    Ok(out)
}

/// About how many documents of a rowid range hold `term`: exact up to 1,000,
/// else extrapolated from how far back the newest 1,000 reach.
fn estimate_docs(c: &mut diesel::SqliteConnection, term: &str, lo: i64, hi: i64) -> AppResult<i64> {
    const SAMPLE: i64 = 1000;
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ? \
         AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?",
    )
    .bind::<Text, _>(term)
    .bind::<BigInt, _>(lo)
    .bind::<BigInt, _>(hi)
    .bind::<BigInt, _>(SAMPLE)
    .load(c)?;
    match (ids.first(), ids.last()) {
        (Some(top), Some(last)) if ids.len() as i64 == SAMPLE => {
            let span = (top.id - last.id + 1).max(1);
            let population = (top.id - lo).max(1);
            Ok(population.saturating_mul(SAMPLE) / span)
        }
        _ => Ok(ids.len() as i64),
    }
}

/// The highest rowid in a range (the newest document of a type and locale).
fn hi_id(c: &mut diesel::SqliteConnection, lo: i64, hi: i64) -> AppResult<i64> {
    let top: Option<Id> = diesel::sql_query(
        "SELECT rowid AS id FROM search_fts WHERE rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT 1",
    )
    .bind::<BigInt, _>(lo)
    .bind::<BigInt, _>(hi)
    .get_result(c)
    .optional()?;
    Ok(top.map_or(0, |t| t.id & ((1 << ID_BITS) - 1)))
}

/// Scores for windows of very common words: per word, its inverse document
/// frequency times 1, plus 10 when it is in the title and 4 in the summary
/// (the weights bm25 gets). Two range-bounded column queries per word.
fn score_by_field(
    c: &mut diesel::SqliteConnection,
    terms: &[String],
    dfs: &[i64],
    population: i64,
    ids: &[Id],
    edge: i64,
    hi: i64,
) -> AppResult<Vec<Ranked>> {
    let mut scores: std::collections::HashMap<i64, f64> = ids.iter().map(|i| (i.id, 0.0)).collect();
    for (term, df) in terms.iter().zip(dfs) {
        let idf = ((population as f64 + 1.0) / (*df as f64 + 0.5))
            .ln()
            .max(0.01);
        for s in scores.values_mut() {
            *s += idf;
        }
        for (column, weight) in [("title", 10.0), ("summary", 4.0)] {
            let hits: Vec<Id> = diesel::sql_query(
                "SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ? \
                 AND rowid BETWEEN ? AND ?",
            )
            .bind::<Text, _>(format!("{{{column}}} : {term}"))
            .bind::<BigInt, _>(edge)
            .bind::<BigInt, _>(hi)
            .load(c)?;
            for h in hits {
                if let Some(s) = scores.get_mut(&h.id) {
                    *s += idf * weight;
                }
            }
        }
    }
    Ok(scores
        .into_iter()
        .map(|(id, score)| Ranked { id, score })
        .collect())
}

fn sqlite_snippets(
    c: &mut diesel::SqliteConnection,
    q: &SearchQuery,
    page: Vec<(&'static str, Ranked)>,
) -> AppResult<Vec<Hit>> {
    // Rowids are ours (computed), not the user's.
    let ids = page
        .iter()
        .map(|(_, m)| m.id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let snippets: Vec<Snippet> = diesel::sql_query(format!(
        "SELECT rowid AS id, resource, CAST(item_id AS INTEGER) AS item_id, slug, title, \
         snippet(search_fts, -1, char(2), char(3), '…', 24) AS snippet \
         FROM search_fts WHERE search_fts MATCH ? AND rowid IN ({ids})"
    ))
    .bind::<Text, _>(q.fts5())
    .load(c)?;
    Ok(in_rank_order(page, snippets))
}

/// Measured costs (µs, 1,000,000 documents, default shared_buffers): testing
/// the words on one row of a recent id range, and adding one document to the
/// GIN bitmap of a word.
const PG_ROW_US: f64 = 1.8;
const PG_GIN_US: f64 = 0.25;

/// The first window holds this many times the ids the planner's estimate says
/// `window` matches need (its estimates of common words are close; a short
/// window costs a second, wider query).
const PG_WINDOW_MARGIN: f64 = 1.25;

/// How many documents the planner expects to hold all the words.
fn pg_estimated_docs(
    c: &mut diesel::PgConnection,
    config: &str,
    tsq: &str,
) -> Result<i64, diesel::result::Error> {
    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        plan: String,
    }
    let plan: Plan = diesel::sql_query(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM search_documents \
         WHERE tsv @@ to_tsquery(CAST($1 AS regconfig), $2)",
    )
    .bind::<Text, _>(config)
    .bind::<Text, _>(tsq)
    .get_result(c)?;
    let rows = serde_json::from_str::<serde_json::Value>(&plan.plan)
        .ok()
        .and_then(|v| v[0]["Plan"]["Plan Rows"].as_f64())
        .unwrap_or(0.0);
    Ok(rows.max(0.0) as i64)
}

/// Bitmap scans only, on one core, without JIT: the newest-first index walk
/// tests every row it passes, a common word's GIN bitmap alone reads every match
/// from the heap, and parallel workers and JIT compilation cost more to start
/// than these queries take. (The window queries also write `resource || ''` so
/// that the primary key's range bitmap, far costlier than the BRIN's, is not
/// chosen for the id range.)
const PG_SEARCH_SETTINGS: &str = "SET LOCAL enable_indexscan = off; \
     SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0; \
     SET LOCAL jit = off";

fn pg_windows(
    c: &mut diesel::PgConnection,
    q: &SearchQuery,
    resources: &[&'static str],
    now: NaiveDateTime,
    window: usize,
) -> Result<Vec<Window>, diesel::result::Error> {
    use diesel::connection::SimpleConnection;
    #[derive(QueryableByName)]
    struct Bounds {
        #[diesel(sql_type = Nullable<BigInt>)]
        lo: Option<i64>,
        #[diesel(sql_type = Nullable<BigInt>)]
        hi: Option<i64>,
    }
    // Each type's id range: two probes of the primary key, read before index
    // scans are turned off for the window queries.
    let mut bounds = Vec::with_capacity(resources.len());
    for r in resources {
        let b: Bounds = diesel::sql_query(
            "SELECT MIN(item_id) AS lo, MAX(item_id) AS hi FROM search_documents \
             WHERE resource = $1",
        )
        .bind::<Text, _>(*r)
        .get_result(c)?;
        if let (Some(lo), Some(hi)) = (b.lo, b.hi) {
            bounds.push((*r, lo, hi));
        }
    }
    let config = pg_config(&q.locale);
    let tsq = q.tsquery();
    let docs = pg_estimated_docs(c, config, &tsq)?;
    c.batch_execute(PG_SEARCH_SETTINGS)?;
    let mut out = Vec::with_capacity(bounds.len());
    for (r, lo, hi) in bounds {
        let n = hi - lo + 1;
        // The planner's estimate of how many documents hold the words (from
        // the column statistics; accurate for common words, which matter here).
        let density = (docs.min(n) as f64 / n as f64).max(1.0 / n as f64);
        let mut size = ((window as f64 + 1.0) * PG_WINDOW_MARGIN / density).ceil() as i64;
        // A dense word: test the words on the newest rows alone (cheaper than
        // the GIN bitmap, which costs every document holding them).
        let mut rows_only = size as f64 * PG_ROW_US < docs as f64 * PG_GIN_US;
        let ranked = loop {
            // Past half of the type's ids the range bitmap costs more than it saves.
            let whole = !rows_only && size >= n / 2;
            let range = if whole { "" } else { " AND item_id > $7" };
            // `coalesce` hides the match from the GIN index.
            let words = if rows_only {
                "coalesce(tsv @@ to_tsquery(CAST($1 AS regconfig), $2), false)"
            } else {
                "tsv @@ to_tsquery(CAST($1 AS regconfig), $2)"
            };
            // Scored after the newest `window + 1` are picked.
            let ranked: Vec<Ranked> = diesel::sql_query(format!(
                "SELECT item_id AS id, \
                 CAST(ts_rank(tsv, to_tsquery(CAST($1 AS regconfig), $2)) AS DOUBLE PRECISION) AS score \
                 FROM (SELECT item_id, tsv FROM search_documents \
                   WHERE {words} AND locale = $3 \
                   AND status = 'published' AND published_at <= $4 AND (resource || '') = $5{range} \
                   ORDER BY item_id DESC LIMIT $6) w \
                 ORDER BY item_id DESC"
            ))
            .bind::<Text, _>(config)
            .bind::<Text, _>(&tsq)
            .bind::<Text, _>(&q.locale)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(r)
            .bind::<BigInt, _>(window as i64 + 1)
            .bind::<BigInt, _>(hi - size)
            .load(c)?;
            if whole || ranked.len() > window || (rows_only && size >= n) {
                break ranked;
            }
            // Widen to where the density seen so far predicts enough matches.
            let seen = ranked.len().max(1) as i64;
            let factor = (window as i64 + 1) * 3 / (2 * seen);
            size = size.saturating_mul(factor.clamp(4, 64));
            rows_only = false;
        };
        out.push(Window::new(r, ranked, window));
    }
    Ok(out)
}

fn pg_snippets(
    c: &mut diesel::PgConnection,
    q: &SearchQuery,
    page: Vec<(&'static str, Ranked)>,
) -> AppResult<Vec<Hit>> {
    // Primary keys of the page (`resource` and `item_id` are ours, not the user's).
    let keys = page
        .iter()
        .map(|(r, m)| format!("('{r}', {})", m.id))
        .collect::<Vec<_>>()
        .join(", ");
    let snippets: Vec<Snippet> = diesel::sql_query(format!(
        "SELECT item_id AS id, resource, item_id, slug, title, \
         ts_headline(config, concat_ws(' … ', NULLIF(summary, ''), NULLIF(body, ''), title), \
           to_tsquery(CAST($1 AS regconfig), $2), \
           'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…') AS snippet \
         FROM search_documents WHERE (resource, item_id) IN ({keys})"
    ))
    .bind::<Text, _>(pg_config(&q.locale))
    .bind::<Text, _>(q.tsquery())
    .load(c)?;
    Ok(in_rank_order(page, snippets))
}

/// Whether the index holds no document (after a migration rebuilt it).
pub fn is_empty(conn: &mut AnyConnection) -> AppResult<bool> {
    let n: Id = match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query("SELECT COUNT(*) AS id FROM (SELECT rowid FROM search_fts LIMIT 1)")
                .get_result(c)?
        }
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT COUNT(*) AS id FROM (SELECT item_id FROM search_documents LIMIT 1) d",
        )
        .get_result(c)?,
    };
    Ok(n.id == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_input_becomes_a_safe_query() {
        let q = SearchQuery::parse(r#"Mir "castle" OR -NEAR(* ^ ) AND'); DROP"#, "en").unwrap();
        assert_eq!(q.words, ["mir", "castle", "or", "near", "and", "drop"]);
        assert_eq!(q.fts5(), r#""mir" "castle" "or" "near" "and" "drop""#);
        assert_eq!(q.tsquery(), "mir & castle & or & near & and & drop");
        assert!(SearchQuery::parse(" \"\" ** ()", "en").is_none());
    }

    #[test]
    fn fts_rowids_keep_types_and_locales_in_separate_id_ordered_ranges() {
        let mut slices = Vec::new();
        for r in ["article", "tourist_site", "event"] {
            for l in ["en", "ru", "be", "pl"] {
                let (lo, hi) = fts_slice(r, l);
                for id in [1, 2, 1_000_000, (1 << ID_BITS) - 1] {
                    let row = fts_rowid(r, l, id);
                    assert!((lo..=hi).contains(&row), "{r} {l} {id}");
                    assert!(fts_rowids_of(r, id)
                        .split(", ")
                        .any(|x| x == row.to_string()));
                }
                assert!(fts_rowid(r, l, 7) < fts_rowid(r, l, 8), "id order");
                slices.push((lo, hi));
            }
        }
        slices.sort_unstable();
        assert!(slices.windows(2).all(|w| w[0].1 < w[1].0), "no overlap");
    }

    #[test]
    fn belarusian_and_russian_on_sqlite_match_by_stem_prefix() {
        let q = SearchQuery::parse("Замак фестывалю", "be").unwrap();
        assert_eq!(q.fts5(), "\"зама\"* \"фестыва\"*");
        assert_eq!(q.tsquery(), "зама:* & фестыва:*");
        let ru = SearchQuery::parse("замка", "ru").unwrap();
        assert_eq!(ru.fts5(), "\"замк\"*");
        assert_eq!(ru.tsquery(), "замка", "PostgreSQL stems Russian itself");
    }
}

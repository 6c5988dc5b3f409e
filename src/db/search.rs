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
            .collect::<Vec<_>>()
            .join(" ")
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

/// FTS5 rowid of a document: resource and id in one integer.
fn fts_rowid(resource: &str, id: i64) -> i64 {
    resource_code(resource) * 1_000_000_000_000 + id
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

/// Writes (or rewrites) a document.
pub fn upsert(conn: &mut AnyConnection, d: &SearchDoc) -> AppResult<()> {
    remove(conn, &d.resource, d.item_id)?;
    insert(conn, d)
}

/// Adds a document that is not in the index yet.
pub fn insert(conn: &mut AnyConnection, d: &SearchDoc) -> AppResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query(
                "INSERT INTO search_fts (rowid, title, summary, body, resource, item_id, locale, slug, status, published_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind::<BigInt, _>(fts_rowid(&d.resource, d.item_id))
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
                    .map(|id| fts_rowid(resource, *id).to_string())
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
    match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query("DELETE FROM search_fts WHERE rowid = ?")
                .bind::<BigInt, _>(fts_rowid(resource, id))
                .execute(c)?;
        }
        AnyConnection::Postgresql(c) => {
            diesel::sql_query("DELETE FROM search_documents WHERE resource = $1 AND item_id = $2")
                .bind::<Text, _>(resource)
                .bind::<BigInt, _>(id)
                .execute(c)?;
        }
    }
    Ok(())
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
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The public documents matching `q` in its locale among `resources`: the total,
/// and one page ranked best first (ties by resource and id).
pub fn search(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    resources: &[&'static str],
    now: NaiveDateTime,
    limit: i64,
    offset: i64,
    counts: &crate::cache::Caches,
) -> AppResult<(i64, Vec<Hit>)> {
    let count_key = format!("search|{:?}|{}|{:?}", q.words, q.locale, resources);
    let list = resources
        .iter()
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(", ");
    match conn {
        AnyConnection::Sqlite(c) => {
            let filter = format!(
                "search_fts MATCH ? AND locale = ? AND status = 'published' AND published_at <= ? AND resource IN ({list})"
            );
            // Totals of common words cost as much as the ranking: cached like list totals.
            let total = counts.counts.get_or_compute(&count_key, || {
                Ok::<i64, crate::error::AppError>(
                    diesel::sql_query(format!(
                        "SELECT COUNT(*) AS n FROM search_fts WHERE {filter}"
                    ))
                    .bind::<Text, _>(q.fts5())
                    .bind::<Text, _>(&q.locale)
                    .bind::<Timestamp, _>(now)
                    .get_result::<Count>(c)?
                    .n,
                )
            })?;
            // Rank in a subquery that returns rowids only: SQLite computes the
            // result columns of every sorted row, and snippets are costly.
            let hits = diesel::sql_query(format!(
                "SELECT resource, CAST(item_id AS INTEGER) AS item_id, slug, title, \
                 snippet(search_fts, -1, char(2), char(3), '…', 24) AS snippet, \
                 -bm25(search_fts, 10.0, 4.0, 1.0) AS score \
                 FROM search_fts WHERE search_fts MATCH ? AND rowid IN ( \
                   SELECT rowid FROM search_fts WHERE {filter} \
                   ORDER BY bm25(search_fts, 10.0, 4.0, 1.0), rowid LIMIT ? OFFSET ?) \
                 ORDER BY bm25(search_fts, 10.0, 4.0, 1.0), rowid"
            ))
            .bind::<Text, _>(q.fts5())
            .bind::<Text, _>(q.fts5())
            .bind::<Text, _>(&q.locale)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load::<Hit>(c)?;
            Ok((total, hits))
        }
        AnyConnection::Postgresql(c) => {
            let filter = format!(
                "tsv @@ to_tsquery(CAST($1 AS regconfig), $2) AND locale = $3 AND status = 'published' AND published_at <= $4 AND resource IN ({list})"
            );
            // Totals of common words cost as much as the ranking: cached like list totals.
            let total = counts.counts.get_or_compute(&count_key, || {
                Ok::<i64, crate::error::AppError>(
                    diesel::sql_query(format!(
                        "SELECT COUNT(*) AS n FROM search_documents WHERE {filter}"
                    ))
                    .bind::<Text, _>(pg_config(&q.locale))
                    .bind::<Text, _>(q.tsquery())
                    .bind::<Text, _>(&q.locale)
                    .bind::<Timestamp, _>(now)
                    .get_result::<Count>(c)?
                    .n,
                )
            })?;
            // Headlines are costly: only for the page, after ranking.
            let hits = diesel::sql_query(format!(
                "SELECT resource, item_id, slug, title, \
                 ts_headline(config, concat_ws(' … ', NULLIF(summary, ''), NULLIF(body, ''), title), to_tsquery(CAST($1 AS regconfig), $2), \
                   'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…') AS snippet, \
                 score FROM ( \
                   SELECT resource, item_id, slug, title, summary, body, config, \
                   CAST(ts_rank(tsv, to_tsquery(CAST($1 AS regconfig), $2)) AS DOUBLE PRECISION) AS score \
                   FROM search_documents WHERE {filter} \
                   ORDER BY score DESC, resource, item_id LIMIT $5 OFFSET $6) page \
                 ORDER BY score DESC, resource, item_id"
            ))
            .bind::<Text, _>(pg_config(&q.locale))
            .bind::<Text, _>(q.tsquery())
            .bind::<Text, _>(&q.locale)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load::<Hit>(c)?;
            Ok((total, hits))
        }
    }
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
    fn belarusian_and_russian_on_sqlite_match_by_stem_prefix() {
        let q = SearchQuery::parse("Замак фестывалю", "be").unwrap();
        assert_eq!(q.fts5(), "\"зама\"* \"фестыва\"*");
        assert_eq!(q.tsquery(), "зама:* & фестыва:*");
        let ru = SearchQuery::parse("замка", "ru").unwrap();
        assert_eq!(ru.fts5(), "\"замк\"*");
        assert_eq!(ru.tsquery(), "замка", "PostgreSQL stems Russian itself");
    }
}

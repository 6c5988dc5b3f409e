//! Writing the search box's index: the entries of a document (each name,
//! alias and title from every word it can be typed from) into
//! `suggest_terms`, its words of 4+ letters into `suggest_words` (the typo
//! candidates), in as few statements as each backend allows.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;

use super::{ALIAS, ARTICLE, EVENT, NAME};
use crate::db::search::{Load, SearchDoc};
use crate::db::AnyConnection;
use crate::domain::fold::fold_words;
use crate::error::AppResult;
use crate::resource::ResourceType;

/// A name is suggested from its first words (a word of one or two letters
/// after the first, such as `of`, is not a start).
const MAX_STARTS: usize = 6;
/// Terms are cut to this many characters (longer typing still matches a prefix).
const MAX_TERM: usize = 120;

/// One row of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub term: String,
    pub label: String,
    pub rank: i32,
}

/// The entries of a search document: its title (and a place's aliases) from
/// each word it can be typed from.
pub fn entries(d: &SearchDoc) -> Vec<Entry> {
    let labels: Vec<(&str, i32)> = match d.resource {
        ResourceType::Place(_) => std::iter::once((d.title.as_str(), NAME))
            .chain(d.aliases.iter().map(|a| (a.as_str(), ALIAS)))
            .collect(),
        ResourceType::Event => vec![(d.title.as_str(), EVENT)],
        ResourceType::Article => vec![(d.title.as_str(), ARTICLE)],
        ResourceType::Section => Vec::new(),
    };
    let mut out: Vec<Entry> = Vec::new();
    for (label, rank) in labels {
        let words = fold_words(label);
        for i in 0..words.len().min(MAX_STARTS) {
            if i > 0 && words[i].chars().count() < 3 {
                continue;
            }
            let term: String = words[i..].join(" ").chars().take(MAX_TERM).collect();
            if out.iter().any(|e| e.term == term && e.label == label) {
                continue;
            }
            out.push(Entry {
                term,
                label: label.to_string(),
                rank,
            });
        }
    }
    out
}

/// The words typos are corrected to: those of 4 letters or more.
fn vocabulary<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<String> {
    let mut words: Vec<String> = entries
        .flat_map(|e| e.term.split(' '))
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_string)
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}
pub(in crate::db::search) fn clear(conn: &mut AnyConnection) -> AppResult<()> {
    diesel::sql_query("DELETE FROM suggest_terms").execute(conn)?;
    diesel::sql_query("DELETE FROM suggest_words").execute(conn)?;
    Ok(())
}

pub(in crate::db::search) fn remove_many(
    conn: &mut AnyConnection,
    resource: ResourceType,
    ids: &[i64],
) -> AppResult<()> {
    // Integers and our type names only: safe in the SQL text.
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    diesel::sql_query(format!(
        "DELETE FROM suggest_terms WHERE resource = '{}' AND item_id IN ({list})",
        resource.as_str()
    ))
    .execute(conn)?;
    Ok(())
}

pub(in crate::db::search) fn is_empty(conn: &mut AnyConnection) -> AppResult<bool> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N =
        diesel::sql_query("SELECT COUNT(*) AS n FROM (SELECT rank FROM suggest_terms LIMIT 1) t")
            .get_result(conn)?;
    Ok(n.n == 0)
}

/// One column of a chunk of rows, for `unnest`.
fn col<'a>(
    part: &'a [(&SearchDoc, Entry)],
    f: impl Fn(&'a (&SearchDoc, Entry)) -> &'a str,
) -> Vec<&'a str> {
    part.iter().map(f).collect()
}

/// Rows of `suggest_terms` a SQLite statement inserts at once (10
/// parameters each, within SQLite's 32,766).
const SQLITE_ROWS: usize = 400;

pub(in crate::db::search) fn insert_many(
    conn: &mut AnyConnection,
    docs: &[SearchDoc],
) -> AppResult<()> {
    let rows: Vec<(&SearchDoc, Entry)> = docs
        .iter()
        .flat_map(|d| entries(d).into_iter().map(move |e| (d, e)))
        .collect();
    let words = vocabulary(rows.iter().map(|(_, e)| e));
    match conn {
        AnyConnection::Sqlite(c) => {
            // One statement per chunk: SQLite prepares each statement afresh,
            // which cost more than the insert itself one row at a time.
            for part in rows.chunks(SQLITE_ROWS) {
                let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; part.len()].join(", ");
                let mut q = diesel::sql_query(format!(
                    "INSERT INTO suggest_terms (resource, item_id, locale, slug, title, label, term, rank, status, published_at) \
                     VALUES {values}"
                ))
                .into_boxed::<Sqlite>();
                for (d, e) in part {
                    q = q
                        .bind::<Text, _>(d.resource.as_str())
                        .bind::<BigInt, _>(d.item_id)
                        .bind::<Text, _>(&d.locale)
                        .bind::<Text, _>(&d.slug)
                        .bind::<Text, _>(&d.title)
                        .bind::<Text, _>(&e.label)
                        .bind::<Text, _>(&e.term)
                        .bind::<Integer, _>(e.rank)
                        .bind::<Text, _>(&d.status)
                        .bind::<Nullable<Timestamp>, _>(d.published_at);
                }
                q.execute(c)?;
            }
            for part in words.chunks(SQLITE_ROWS * 10) {
                let values = vec!["(?)"; part.len()].join(", ");
                let mut q = diesel::sql_query(format!(
                    "INSERT OR IGNORE INTO suggest_words (word) VALUES {values}"
                ))
                .into_boxed::<Sqlite>();
                for w in part {
                    q = q.bind::<Text, _>(w);
                }
                q.execute(c)?;
            }
        }
        AnyConnection::Postgresql(c) => {
            for part in rows.chunks(1000) {
                diesel::sql_query(
                    "INSERT INTO suggest_terms (resource, item_id, locale, slug, title, label, term, rank, status, published_at) \
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], \
                     $7::text[], $8::int[], $9::text[], $10::timestamp[])",
                )
                .bind::<Array<Text>, _>(col(part, |(d, _)| d.resource.as_str()))
                .bind::<Array<BigInt>, _>(part.iter().map(|(d, _)| d.item_id).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(col(part, |(d, _)| &d.locale))
                .bind::<Array<Text>, _>(col(part, |(d, _)| &d.slug))
                .bind::<Array<Text>, _>(col(part, |(d, _)| &d.title))
                .bind::<Array<Text>, _>(col(part, |(_, e)| &e.label))
                .bind::<Array<Text>, _>(col(part, |(_, e)| &e.term))
                .bind::<Array<Integer>, _>(part.iter().map(|(_, e)| e.rank).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(col(part, |(d, _)| &d.status))
                .bind::<Array<Nullable<Timestamp>>, _>(
                    part.iter().map(|(d, _)| d.published_at).collect::<Vec<_>>(),
                )
                .execute(c)?;
            }
            for part in words.chunks(1000) {
                diesel::sql_query(
                    "INSERT INTO suggest_words (word) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                )
                .bind::<Array<Text>, _>(part)
                .execute(c)?;
            }
        }
    }
    Ok(())
}

/// The indexes of `suggest_terms` (as the migrations create them): dropped
/// before a full rebuild and built again after it ([`bulk_load`]), which
/// sorts once instead of inserting millions of keys in random order.
const TERM_INDEXES: [(&str, &str); 4] = [
    ("suggest_terms_prefix", "suggest_terms (rank, term)"),
    ("suggest_terms_locale", "suggest_terms (rank, locale, term)"),
    (
        "suggest_terms_typed",
        "suggest_terms (rank, resource, term)",
    ),
    ("suggest_terms_item", "suggest_terms (resource, item_id)"),
];

/// Whether every index of [`TERM_INDEXES`] exists: false between the start
/// and the end of a full rebuild, and after one that was interrupted.
pub(in crate::db::search) fn indexes_built(conn: &mut AnyConnection) -> AppResult<bool> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    // Our constant names only: safe in the SQL text.
    let names = TERM_INDEXES
        .iter()
        .map(|(name, _)| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match conn {
        AnyConnection::Sqlite(_) => format!(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name IN ({names})"
        ),
        // In the schemas of the search path, like the unqualified names of the queries.
        AnyConnection::Postgresql(_) => format!(
            "SELECT COUNT(*) AS n FROM pg_indexes WHERE schemaname = ANY (current_schemas(false)) \
             AND indexname IN ({names})"
        ),
    };
    let n: N = diesel::sql_query(sql).get_result(conn)?;
    Ok(n.n == TERM_INDEXES.len() as i64)
}

/// Before (`Load::Start`) and after (`Load::End`) a full rebuild inside one
/// transaction: the indexes of the terms (and on PostgreSQL the trigram
/// index of the words) are dropped, then built once over all the rows.
pub(in crate::db::search) fn bulk_load(conn: &mut AnyConnection, at: Load) -> AppResult<()> {
    let pg = matches!(conn, AnyConnection::Postgresql(_));
    let mut sql = String::new();
    for (name, on) in TERM_INDEXES {
        match at {
            Load::Start => sql.push_str(&format!("DROP INDEX IF EXISTS {name};")),
            Load::End => sql.push_str(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on};")),
        }
    }
    if pg {
        sql.push_str(match at {
            Load::Start => "DROP INDEX IF EXISTS suggest_words_trgm;",
            Load::End => "CREATE INDEX IF NOT EXISTS suggest_words_trgm ON suggest_words USING GIN (word gin_trgm_ops);",
        });
    }
    conn.batch_execute(&sql)?;
    Ok(())
}

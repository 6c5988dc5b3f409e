//! The search box's index (`/v1/suggest`): every place name and alias and
//! every event and article title, folded (`domain::fold`), stored once per
//! word it can be typed from (`suggest_terms`), so the first letters typed are
//! a B-tree range on either backend. Kept with the search documents (the same
//! `insert`/`remove`/`clear` of `search`), so whatever writes or rebuilds
//! the search index writes this one. Typos: candidate words from the
//! trigram index of every folded word (`suggest_words`: FTS5 `trigram` on
//! SQLite, `pg_trgm` on PostgreSQL), checked by edit distance (`typo.rs`).

mod index;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::typo;
use crate::db::AnyConnection;
use crate::domain::fold::{fold, fold_words};
use crate::error::AppResult;
use crate::resource::ResourceType;
pub(super) use index::{bulk_load, clear, indexes_built, insert_many, is_empty, remove_many};
pub use index::{entries, Entry};

/// Rank of an entry: place names, place aliases, event titles, article titles.
const NAME: i32 = 0;
const ALIAS: i32 = 1;
const EVENT: i32 = 2;
const ARTICLE: i32 = 3;

/// Runs one statement with `?` placeholders on either backend, prepared once
/// per connection (`db::sql::cached`: the texts are a few fixed ones).
macro_rules! on_both {
    ($conn:expr, $sql:expr, |$q:ident| $then:expr) => {
        match $conn {
            AnyConnection::Sqlite(c) => {
                let $q = crate::db::sql::cached($sql);
                $then(c)
            }
            AnyConnection::Postgresql(c) => {
                let $q = crate::db::sql::cached($sql);
                $then(c)
            }
        }
    };
}

/// What the search box asked for.
#[derive(Debug, Clone)]
pub struct SuggestQuery {
    /// The folded words typed (the last one possibly unfinished).
    pub words: Vec<String>,
    /// The first word as typed (lowercase): of labels folding alike, the one
    /// written this way is shown.
    pub typed: String,
    /// Only items in this locale; any locale when `None`.
    pub locale: Option<String>,
    pub resources: Vec<ResourceType>,
    pub limit: usize,
}

impl SuggestQuery {
    /// `None` when nothing searchable was typed.
    pub fn new(
        q: &str,
        locale: Option<String>,
        resources: Vec<ResourceType>,
        limit: usize,
    ) -> Option<SuggestQuery> {
        let mut words = fold_words(q);
        words.truncate(8);
        let typed = q.split_whitespace().next().unwrap_or("").to_lowercase();
        (!words.is_empty()).then_some(SuggestQuery {
            words,
            typed,
            locale,
            resources,
            limit,
        })
    }
}

/// One suggestion: the item, and the name, alias or title it was found by.
#[derive(Debug, Clone, QueryableByName)]
pub struct Suggestion {
    #[diesel(sql_type = Text)]
    pub resource: String,
    #[diesel(sql_type = BigInt)]
    pub item_id: i64,
    #[diesel(sql_type = Text)]
    pub locale: String,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub label: String,
    #[diesel(sql_type = Text)]
    pub term: String,
    /// How many of `term`'s words were typed (or corrected).
    #[diesel(sql_type = Integer)]
    pub typed_words: i32,
}

/// The entries of rank `rank` whose term begins with `phrase`, public, in the
/// locale and among the types asked for: first `limit` by term.
///
/// Every type of the rank asked for: one range of `(rank, term)`. Some of
/// them (`types=`): one range of `(rank, resource, term)` per type, merged
/// here; a filter on the type in one range made PostgreSQL read every
/// matching term of the other types (or plan on the item index and sort).
fn prefix_rows(
    conn: &mut AnyConnection,
    q: &SuggestQuery,
    phrase: &str,
    rank: i32,
    now: NaiveDateTime,
    limit: usize,
) -> AppResult<Vec<Suggestion>> {
    let kinds: Vec<ResourceType> = q
        .resources
        .iter()
        .copied()
        .filter(|r| ranks(*r).contains(&rank))
        .collect();
    let every = ResourceType::SEARCHABLE
        .iter()
        .filter(|r| ranks(**r).contains(&rank))
        .all(|r| kinds.contains(r));
    let mut rows = if every {
        prefix_range(conn, q, phrase, rank, None, now, limit)?
    } else {
        let mut rows = Vec::new();
        for kind in kinds {
            rows.extend(prefix_range(conn, q, phrase, rank, Some(kind), now, limit)?);
        }
        rows.sort_by(|a, b| a.term.cmp(&b.term));
        rows.truncate(limit);
        rows
    };
    let typed = phrase.split(' ').count() as i32;
    for s in &mut rows {
        s.typed_words = typed;
    }
    Ok(rows)
}

/// One index range of [`prefix_rows`]: of one type, or of any.
fn prefix_range(
    conn: &mut AnyConnection,
    q: &SuggestQuery,
    phrase: &str,
    rank: i32,
    kind: Option<ResourceType>,
    now: NaiveDateTime,
    limit: usize,
) -> AppResult<Vec<Suggestion>> {
    // Our type names only: safe in the SQL text.
    let of_kind = kind.map_or(String::new(), |k| {
        format!("AND resource = '{}' ", k.as_str())
    });
    // A locale is one equality more of the range (`suggest_terms_locale`):
    // filtered in a range of every locale, a locale with few entries made the
    // database read all the others' first.
    let in_locale = if q.locale.is_some() {
        "AND locale = ? "
    } else {
        "AND ? = '' "
    };
    let sql = format!(
        "SELECT resource, item_id, locale, slug, title, label, term, 0 AS typed_words FROM suggest_terms \
         WHERE rank = ? {in_locale}{of_kind}AND term >= ? AND term < ? AND status = 'published' \
         AND published_at <= ? ORDER BY term LIMIT ?"
    );
    let locale = q.locale.clone().unwrap_or_default();
    let upper = format!("{phrase}{}", char::MAX);
    let rows: Vec<Suggestion> = on_both!(conn, &sql, |s| |c| s
        .bind::<Integer, _>(rank)
        .bind::<Text, _>(&locale)
        .bind::<Text, _>(phrase)
        .bind::<Text, _>(&upper)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit as i64)
        .load(c))?;
    Ok(rows)
}

/// The ranks of a type's entries.
fn ranks(r: ResourceType) -> &'static [i32] {
    match r {
        ResourceType::Place(_) => &[NAME, ALIAS],
        ResourceType::Event => &[EVENT],
        ResourceType::Article => &[ARTICLE],
        ResourceType::Section => &[],
    }
}

/// Adds the matches of `phrases` to `out` (each item once), rank by rank;
/// within a rank, names typed from their first word first, then by type, then
/// the shortest.
fn collect(
    conn: &mut AnyConnection,
    q: &SuggestQuery,
    phrases: &[String],
    now: NaiveDateTime,
    out: &mut Vec<Suggestion>,
) -> AppResult<()> {
    for rank in [NAME, ALIAS, EVENT, ARTICLE] {
        if out.len() >= q.limit {
            break;
        }
        if !q.resources.iter().any(|r| ranks(*r).contains(&rank)) {
            continue;
        }
        let mut rows = Vec::new();
        for p in phrases {
            rows.extend(prefix_rows(conn, q, p, rank, now, q.limit * 4)?);
        }
        // Tie-breaks: the type (tourist sites first: `search_code`), the
        // length, the label written as typed, the id.
        rows.sort_by_cached_key(|s| {
            let code = ResourceType::from_type_str(&s.resource).map_or(99, |r| r.search_code());
            let written = s.label.to_lowercase().contains(&q.typed);
            (
                s.term != fold(&s.label),
                code,
                s.term.len(),
                !written,
                s.item_id,
            )
        });
        for s in rows {
            let seen = out
                .iter()
                .any(|o| o.resource == s.resource && o.item_id == s.item_id);
            if !seen && out.len() < q.limit {
                out.push(s);
            }
        }
    }
    Ok(())
}

/// The suggestions for what was typed, best first: exact prefixes, then (when
/// they are too few) the prefixes of spellings a typo or two away.
pub fn suggest(
    conn: &mut AnyConnection,
    q: &SuggestQuery,
    now: NaiveDateTime,
) -> AppResult<Vec<Suggestion>> {
    let mut out = Vec::new();
    collect(conn, q, &[q.words.join(" ")], now, &mut out)?;
    if out.len() < q.limit {
        let phrases = corrected(conn, &q.words, true)?;
        collect(conn, q, &phrases, now, &mut out)?;
    }
    Ok(out)
}

/// Spellings of `words` with typos corrected to indexed words (the last word
/// compared as a beginning when `last_is_prefix`), closest first; none when
/// no word has a correction.
pub fn corrected(
    conn: &mut AnyConnection,
    words: &[String],
    last_is_prefix: bool,
) -> AppResult<Vec<String>> {
    let mut options: Vec<Vec<String>> = Vec::with_capacity(words.len());
    let mut any = false;
    for (i, w) in words.iter().enumerate() {
        let prefix = last_is_prefix && i + 1 == words.len();
        let mut these = vec![w.clone()];
        if typo::allowed_edits(w) > 0 {
            let found = candidates(conn, w)?;
            let fixes = typo::corrections(w, &found, prefix, 3);
            // A word that is itself indexed is kept first.
            if !found.contains(w) || prefix {
                any |= !fixes.is_empty();
                these.extend(fixes);
            }
        }
        options.push(these);
    }
    if !any {
        return Ok(Vec::new());
    }
    let mut phrases: Vec<Vec<String>> = vec![Vec::new()];
    for opts in options {
        phrases = phrases
            .into_iter()
            .flat_map(|p| {
                opts.iter().map(move |o| {
                    let mut p = p.clone();
                    p.push(o.clone());
                    p
                })
            })
            .take(8)
            .collect();
    }
    let original = words.join(" ");
    Ok(phrases
        .into_iter()
        .map(|p| p.join(" "))
        .filter(|p| *p != original)
        .collect())
}

/// Indexed words sharing trigrams with `word` (at most 200, likeliest first).
fn candidates(conn: &mut AnyConnection, word: &str) -> AppResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct W {
        #[diesel(sql_type = Text)]
        word: String,
    }
    let grams = typo::trigrams(word);
    if grams.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<W> = match conn {
        AnyConnection::Sqlite(c) => {
            let fts = grams
                .iter()
                .map(|g| format!("\"{}\"", g.replace('"', "")))
                .collect::<Vec<_>>()
                .join(" OR ");
            crate::db::sql::cached(
                "SELECT word FROM suggest_words_trgm WHERE suggest_words_trgm MATCH ? \
                 ORDER BY rank LIMIT 200",
            )
            .bind::<Text, _>(fts)
            .load(c)?
        }
        AnyConnection::Postgresql(c) => crate::db::sql::cached(
            "SELECT word FROM suggest_words WHERE word % ? OR ? <% word \
             ORDER BY word_similarity(?, word) DESC LIMIT 200",
        )
        .bind::<Text, _>(word)
        .bind::<Text, _>(word)
        .bind::<Text, _>(word)
        .load(c)?,
    };
    Ok(found.into_iter().map(|w| w.word).collect())
}

//! SQLite FTS5: one `search_fts` table whose rowids put each type and locale
//! in its own id-ordered range, so the newest matches of a type are found by
//! walking a range backwards.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::SqliteConnection;

use super::{
    in_rank_order, stems, DocRef, Hit, Id, Ranked, SearchDoc, SearchQuery, Snippet, Window,
};
use crate::error::AppResult;
use crate::resource::ResourceType;

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
fn fts_rowid(resource: ResourceType, locale: &str, id: i64) -> i64 {
    (resource.search_code() << (ID_BITS + LOCALE_BITS))
        | (locale_code(locale) << ID_BITS)
        | (id & ((1 << ID_BITS) - 1))
}

/// The rowid range of one type in one locale.
fn fts_slice(resource: ResourceType, locale: &str) -> (i64, i64) {
    let lo = fts_rowid(resource, locale, 0);
    (lo, lo + (1 << ID_BITS) - 1)
}

/// Every rowid an item could have (its locale may have changed since it was indexed).
fn fts_rowids_of(resource: ResourceType, id: i64) -> String {
    (0..(1 << LOCALE_BITS))
        .map(|loc: i64| {
            ((resource.search_code() << (ID_BITS + LOCALE_BITS))
                | (loc << ID_BITS)
                | (id & ((1 << ID_BITS) - 1)))
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn clear(c: &mut SqliteConnection) -> AppResult<()> {
    diesel::sql_query("DELETE FROM search_fts").execute(c)?;
    Ok(())
}

pub(super) fn insert(c: &mut SqliteConnection, d: &SearchDoc) -> AppResult<()> {
    insert_many(c, std::slice::from_ref(d))
}

/// Documents a statement inserts at once (13 parameters each).
const ROWS: usize = 200;

/// In-process statements are cheap, but each is prepared afresh: many rows
/// a statement. FTS5 keeps the terms of consecutive inserts in memory and
/// writes them out in large segments, but only while the rowids ascend: a
/// rowid below the one before flushes what it holds as a segment of its own.
/// The documents go in in rowid order, since the rowids of rows read in id
/// order do not ascend (a table's rows differ in locale, and places in kind);
/// unsorted, a rebuild made a tiny segment every few documents and spent its
/// time in FTS5's merges of them (7 to 14 times longer at 100,000 articles).
pub(super) fn insert_many(c: &mut SqliteConnection, docs: &[SearchDoc]) -> AppResult<()> {
    let mut docs: Vec<(i64, &SearchDoc)> = docs
        .iter()
        .map(|d| (fts_rowid(d.resource, &d.locale, d.item_id), d))
        .collect();
    docs.sort_unstable_by_key(|(rowid, _)| *rowid);
    for part in docs.chunks(ROWS) {
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; part.len()].join(", ");
        let mut q = diesel::sql_query(format!(
            "INSERT INTO search_fts (rowid, title, summary, body, title_stems, summary_stems, body_stems, \
             resource, item_id, locale, slug, status, published_at) VALUES {values}"
        ))
        .into_boxed::<Sqlite>();
        for (rowid, d) in part {
            // Russian documents also carry their stems (`stems`); other locales leave them empty.
            let stem = |text: &str| {
                if stems::stemmed(&d.locale) {
                    stems::stem_text(text)
                } else {
                    String::new()
                }
            };
            q = q
                .bind::<BigInt, _>(*rowid)
                .bind::<Text, _>(&d.title)
                .bind::<Text, _>(&d.summary)
                .bind::<Text, _>(&d.body)
                .bind::<Text, _>(stem(&d.title))
                .bind::<Text, _>(stem(&d.summary))
                .bind::<Text, _>(stem(&d.body))
                .bind::<Text, _>(d.resource.as_str())
                .bind::<BigInt, _>(d.item_id)
                .bind::<Text, _>(&d.locale)
                .bind::<Text, _>(&d.slug)
                .bind::<Text, _>(&d.status)
                .bind::<Nullable<Timestamp>, _>(d.published_at);
        }
        q.execute(c)?;
    }
    Ok(())
}

pub(super) fn remove_many(
    c: &mut SqliteConnection,
    resource: ResourceType,
    ids: &[i64],
) -> AppResult<()> {
    // Integers only: safe to put in the SQL text.
    let rowids = ids
        .iter()
        .map(|id| fts_rowids_of(resource, *id))
        .collect::<Vec<_>>()
        .join(", ");
    diesel::sql_query(format!("DELETE FROM search_fts WHERE rowid IN ({rowids})")).execute(c)?;
    Ok(())
}

pub(super) fn is_empty(c: &mut SqliteConnection) -> AppResult<bool> {
    let n: Id =
        diesel::sql_query("SELECT COUNT(*) AS id FROM (SELECT rowid FROM search_fts LIMIT 1)")
            .get_result(c)?;
    Ok(n.id == 0)
}

pub(super) fn windows(
    c: &mut SqliteConnection,
    q: &SearchQuery,
    resources: &[ResourceType],
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
        let (lo, hi) = fts_slice(*r, &q.locale);
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
                "SELECT rowid AS id, -bm25(search_fts, 10.0, 4.0, 1.0, 10.0, 4.0, 1.0) AS score FROM search_fts \
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
fn estimate_docs(c: &mut SqliteConnection, term: &str, lo: i64, hi: i64) -> AppResult<i64> {
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
fn hi_id(c: &mut SqliteConnection, lo: i64, hi: i64) -> AppResult<i64> {
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
    c: &mut SqliteConnection,
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
        // Each with its stems: a nested column filter intersects with the stem
        // columns a Russian word's stem alternative names.
        for (column, weight) in [("title title_stems", 10.0), ("summary summary_stems", 4.0)] {
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

pub(super) fn snippets(
    c: &mut SqliteConnection,
    q: &SearchQuery,
    page: Vec<(ResourceType, Ranked)>,
) -> AppResult<Vec<Hit>> {
    // Rowids are ours (computed), not the user's.
    let ids = page
        .iter()
        .map(|(_, m)| m.id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if stems::stemmed(&q.locale) {
        return stemmed_snippets(c, q, page, &ids);
    }
    let snippets: Vec<Snippet> = diesel::sql_query(format!(
        "SELECT rowid AS id, resource, CAST(item_id AS INTEGER) AS item_id, slug, title, \
         snippet(search_fts, -1, char(2), char(3), '…', 24) AS snippet \
         FROM search_fts WHERE search_fts MATCH ? AND rowid IN ({ids})"
    ))
    .bind::<Text, _>(q.fts5())
    .load(c)?;
    Ok(in_rank_order(page, snippets))
}

/// The original text of a page's documents, for snippets made in Rust.
#[derive(QueryableByName)]
struct Texts {
    #[diesel(embed)]
    doc: DocRef,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Text)]
    body: String,
}

/// Snippets of stemmed (Russian) documents: FTS5 would highlight the stem
/// column, so the original text is marked where a word's stem was asked for.
fn stemmed_snippets(
    c: &mut SqliteConnection,
    q: &SearchQuery,
    page: Vec<(ResourceType, Ranked)>,
    ids: &str,
) -> AppResult<Vec<Hit>> {
    let rows: Vec<Texts> = diesel::sql_query(format!(
        "SELECT rowid AS id, resource, CAST(item_id AS INTEGER) AS item_id, slug, title, summary, body \
         FROM search_fts WHERE rowid IN ({ids})"
    ))
    .load(c)?;
    let wanted = q.stem_alternatives();
    let snippets = rows
        .into_iter()
        .map(|r| Snippet {
            snippet: stems::snippet(&[&r.doc.title, &r.summary, &r.body], &wanted, 24),
            doc: r.doc,
        })
        .collect();
    Ok(in_rank_order(page, snippets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::PlaceKind;

    #[test]
    fn fts_rowids_keep_types_and_locales_in_separate_id_ordered_ranges() {
        let mut slices = Vec::new();
        for r in [
            ResourceType::Article,
            ResourceType::Place(PlaceKind::TouristSite),
            ResourceType::Event,
        ] {
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
}

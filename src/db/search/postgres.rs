//! PostgreSQL: `search_documents` with a weighted `tsvector` (GIN index) and a
//! BRIN index on ids, searched a range of recent ids at a time.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
use diesel::PgConnection;

use super::{in_rank_order, pg_config, Hit, Id, Ranked, SearchDoc, SearchQuery, Snippet, Window};
use crate::error::AppResult;
use crate::resource::ResourceType;

pub(super) fn clear(c: &mut PgConnection) -> AppResult<()> {
    diesel::sql_query("TRUNCATE search_documents").execute(c)?;
    Ok(())
}

/// `search::bulk_load`: the GIN index of the words, built once after a full
/// rebuild (with memory enough to sort in one pass), not row by row.
pub(super) fn bulk_load(c: &mut PgConnection, at: super::Load) -> AppResult<()> {
    c.batch_execute(match at {
        super::Load::Start => {
            "SET LOCAL maintenance_work_mem = '256MB'; DROP INDEX IF EXISTS search_documents_tsv;"
        }
        super::Load::End => {
            "CREATE INDEX IF NOT EXISTS search_documents_tsv ON search_documents USING GIN (tsv);"
        }
    })?;
    Ok(())
}

pub(super) fn insert(c: &mut PgConnection, d: &SearchDoc) -> AppResult<()> {
    diesel::sql_query(
        "INSERT INTO search_documents (resource, item_id, locale, slug, status, published_at, title, summary, body, config, tsv) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::regconfig, \
         setweight(to_tsvector($10::regconfig, $7), 'A') || setweight(to_tsvector($10::regconfig, $8), 'B') || setweight(to_tsvector($10::regconfig, $9), 'C'))",
    )
    .bind::<Text, _>(d.resource.as_str())
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
    Ok(())
}

/// One statement a chunk: the rows come in as arrays.
pub(super) fn insert_many(c: &mut PgConnection, docs: &[SearchDoc]) -> AppResult<()> {
    for part in docs.chunks(500) {
        let col = |f: fn(&SearchDoc) -> &str| part.iter().map(f).collect::<Vec<&str>>();
        let ids: Vec<i64> = part.iter().map(|d| d.item_id).collect();
        let published: Vec<Option<NaiveDateTime>> = part.iter().map(|d| d.published_at).collect();
        let configs: Vec<&str> = part.iter().map(|d| pg_config(&d.locale)).collect();
        diesel::sql_query(
            "INSERT INTO search_documents (resource, item_id, locale, slug, status, published_at, title, summary, body, config, tsv) \
             SELECT resource, item_id, locale, slug, status, published_at, title, summary, body, config::regconfig, \
             setweight(to_tsvector(config::regconfig, title), 'A') || setweight(to_tsvector(config::regconfig, summary), 'B') || setweight(to_tsvector(config::regconfig, body), 'C') \
             FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamp[], $7::text[], $8::text[], $9::text[], $10::text[]) \
             AS d (resource, item_id, locale, slug, status, published_at, title, summary, body, config)",
        )
        .bind::<Array<Text>, _>(col(|d| d.resource.as_str()))
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
    Ok(())
}

pub(super) fn remove_many(
    c: &mut PgConnection,
    resource: ResourceType,
    ids: &[i64],
) -> AppResult<()> {
    diesel::sql_query("DELETE FROM search_documents WHERE resource = $1 AND item_id = ANY($2)")
        .bind::<Text, _>(resource.as_str())
        .bind::<Array<BigInt>, _>(ids)
        .execute(c)?;
    Ok(())
}

pub(super) fn is_empty(c: &mut PgConnection) -> AppResult<bool> {
    let n: Id = diesel::sql_query(
        "SELECT COUNT(*) AS id FROM (SELECT item_id FROM search_documents LIMIT 1) d",
    )
    .get_result(c)?;
    Ok(n.id == 0)
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
fn estimated_docs(
    c: &mut PgConnection,
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
const SEARCH_SETTINGS: &str = "SET LOCAL enable_indexscan = off; \
     SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0; \
     SET LOCAL jit = off";

pub(super) fn windows(
    c: &mut PgConnection,
    q: &SearchQuery,
    resources: &[ResourceType],
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
        .bind::<Text, _>(r.as_str())
        .get_result(c)?;
        if let (Some(lo), Some(hi)) = (b.lo, b.hi) {
            bounds.push((*r, lo, hi));
        }
    }
    let config = pg_config(&q.locale);
    let tsq = q.tsquery();
    let docs = estimated_docs(c, config, &tsq)?;
    c.batch_execute(SEARCH_SETTINGS)?;
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
            .bind::<Text, _>(r.as_str())
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

pub(super) fn snippets(
    c: &mut PgConnection,
    q: &SearchQuery,
    page: Vec<(ResourceType, Ranked)>,
) -> AppResult<Vec<Hit>> {
    // Primary keys of the page (`resource` and `item_id` are ours, not the user's).
    let keys = page
        .iter()
        .map(|(r, m)| format!("('{}', {})", r.as_str(), m.id))
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

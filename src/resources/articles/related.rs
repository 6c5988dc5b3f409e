//! The related articles shown with an article (and on lists with
//! `include=related`): most shared tags first, then the newest of its section.

use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::api::RelatedArticle;
use super::queries::visible;
use crate::db::schema::articles;
use crate::db::sql::cached;
use crate::db::{is_sqlite, AnyConnection};
use crate::domain::{utc, Visibility};
use crate::error::AppResult;

/// How many related articles an article shows.
pub(crate) const RELATED: usize = 4;
/// Per tag, how many of its newest taggings are candidates. Both bound what a
/// write can change (`resources::item::deps`).
pub(crate) const PER_TAG: i64 = 25;

/// The lookup as one statement (one prepared statement per connection, one
/// round trip):
///
/// - `shared`: per candidate, of how many of the article's tags it is one of
///   the `PER_TAG` newest taggings (by id) but the article's own: per tag one
///   index range of `(tag, article_id)`, however many articles share a common
///   tag;
/// - `picked`: the `RELATED` publicly visible candidates in the article's
///   locale with most shared tags, then newest, then highest id;
/// - with `top_up`, `more`: as many as are missing of the newest visible
///   articles of its section and locale, but itself and those picked. Its
///   `LIMIT` is 0 when `RELATED` were picked, and PostgreSQL then skips it.
///
/// Only `shared` differs between the backends; its binds come first (see
/// [`SQLITE`], [`PG`]), then now, locale, and with `top_up` section, now,
/// locale, id.
fn statement(shared: &str, top_up: bool) -> String {
    let picked = format!(
        "WITH shared AS ({shared}), \
         picked AS (\
            SELECT a.id AS id, a.slug AS slug, a.title AS title, \
                a.published_at AS published_at, shared.n AS n \
            FROM shared JOIN articles a ON a.id = shared.id \
            WHERE a.status = 'published' AND a.published_at <= ? AND a.locale = ? \
            ORDER BY shared.n DESC, a.published_at DESC, a.id DESC LIMIT {n}) \
         SELECT id, slug, title, published_at, n FROM picked",
        n = RELATED,
    );
    if !top_up {
        return picked;
    }
    format!(
        "{picked} UNION ALL \
         SELECT id, slug, title, published_at, n FROM (\
            SELECT a.id AS id, a.slug AS slug, a.title AS title, \
                a.published_at AS published_at, 0 AS n \
            FROM articles a \
            WHERE a.section_id = ? AND a.status = 'published' AND a.published_at <= ? \
                AND a.locale = ? AND a.id <> ? AND a.id NOT IN (SELECT id FROM picked) \
            ORDER BY a.published_at DESC, a.id DESC \
            LIMIT {n} - (SELECT COUNT(*) FROM picked)) more",
        n = RELATED,
    )
}

/// SQLite (no `LATERAL`): per tag of the article, the id of the tag's
/// `PER_TAG`-th newest tagging but the article's (`lo`; the smallest id when
/// there are fewer) bounds the range. Binds: id, the smallest id, id, id.
/// Without the top-up: SQLite builds `more`'s lists even when its `LIMIT` is
/// 0 (a fifth of the statement's instructions); the rarer top-up is a
/// statement of its own ([`top_up`]).
static SQLITE: LazyLock<String> = LazyLock::new(|| {
    statement(
        &format!(
            "SELECT t.article_id AS id, COUNT(*) AS n \
             FROM (SELECT m.tag AS tag, COALESCE((\
                    SELECT x.article_id FROM article_tags x \
                    WHERE x.tag = m.tag AND x.article_id <> ? \
                    ORDER BY x.article_id DESC LIMIT 1 OFFSET {skip}), ?) AS lo \
                 FROM article_tags m WHERE m.article_id = ?) mine \
             JOIN article_tags t ON t.tag = mine.tag AND t.article_id >= mine.lo \
             WHERE t.article_id <> ? GROUP BY t.article_id",
            skip = PER_TAG - 1,
        ),
        false,
    )
});

/// PostgreSQL: the same per tag as a `LATERAL` subquery with a `LIMIT`,
/// which the planner counts as at most `PER_TAG` rows a tag (with the range
/// above it estimates a third of the tag's rows and, at any size, prefers
/// hashing a scan of all articles to looking the candidates up by id).
/// Binds: id, id. With the top-up: one round trip.
static PG: LazyLock<String> = LazyLock::new(|| {
    statement(
        &format!(
            "SELECT c.article_id AS id, COUNT(*) AS n \
             FROM article_tags m CROSS JOIN LATERAL (\
                 SELECT t.article_id FROM article_tags t \
                 WHERE t.tag = m.tag AND t.article_id <> ? \
                 ORDER BY t.article_id DESC LIMIT {per_tag}) c \
             WHERE m.article_id = ? GROUP BY c.article_id",
            per_tag = PER_TAG,
        ),
        true,
    )
});

/// A row of [`statement`]: one picked (`n` shared tags) or a top-up (`n` = 0).
#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    title: String,
    // `db::timestamp`: SQLite's text without chrono's format parser.
    #[diesel(sql_type = Nullable<Timestamp>, deserialize_as = crate::db::timestamp::OptTs)]
    published_at: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The related articles of the article `(id, locale, section_id)`.
pub(super) fn related_articles(
    conn: &mut AnyConnection,
    (id, locale, section_id): (i64, &str, i64),
    now: NaiveDateTime,
) -> AppResult<Vec<RelatedArticle>> {
    let mut rows: Vec<Row> = match conn {
        AnyConnection::Sqlite(c) => cached(SQLITE.as_str())
            .bind::<BigInt, _>(id)
            .bind::<BigInt, _>(i64::MIN)
            .bind::<BigInt, _>(id)
            .bind::<BigInt, _>(id)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(locale)
            .load(c)?,
        AnyConnection::Postgresql(c) => cached(PG.as_str())
            .bind::<BigInt, _>(id)
            .bind::<BigInt, _>(id)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(locale)
            .bind::<BigInt, _>(section_id)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(locale)
            .bind::<BigInt, _>(id)
            .load(c)?,
    };
    if rows.len() < RELATED && is_sqlite(conn) {
        top_up(conn, &mut rows, (id, locale, section_id), now)?;
    }
    // The picked ones (most shared tags first, then newest), then the top-up
    // (`n` = 0, newest first).
    rows.sort_by(|a, b| {
        b.n.cmp(&a.n)
            .then(b.published_at.cmp(&a.published_at))
            .then(b.id.cmp(&a.id))
    });
    rows.truncate(RELATED);
    Ok(rows
        .into_iter()
        .map(|r| RelatedArticle {
            id: r.id,
            slug: r.slug,
            title: r.title,
            published_at: r.published_at.map(utc),
        })
        .collect())
}

/// `more` of [`statement`] on its own: the `RELATED` newest visible articles
/// of the section and locale but the article itself, those not picked.
/// Among them are at most `RELATED - 1` picked ones, so enough to top up.
fn top_up(
    conn: &mut AnyConnection,
    rows: &mut Vec<Row>,
    (id, locale, section_id): (i64, &str, i64),
    now: NaiveDateTime,
) -> AppResult<()> {
    type Brief = (i64, String, String, Option<NaiveDateTime>);
    let newest: Vec<Brief> = visible(now, Visibility::Public)
        .filter(articles::section_id.eq(section_id))
        .filter(articles::locale.eq(locale.to_string()))
        .filter(articles::id.ne(id))
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(RELATED as i64)
        .select((
            articles::id,
            articles::slug,
            articles::title,
            articles::published_at,
        ))
        .load(conn)?;
    for (id, slug, title, published_at) in newest {
        if !rows.iter().any(|r| r.id == id) {
            rows.push(Row {
                id,
                slug,
                title,
                published_at,
                n: 0,
            });
        }
    }
    Ok(())
}

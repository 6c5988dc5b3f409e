//! The related articles shown with an article (and on lists with
//! `include=related`): most shared tags first, then the newest of its section.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::api::RelatedArticle;
use super::queries::visible;
use crate::db::any_of::any_of;
use crate::db::schema::{article_tags, articles};
use crate::db::AnyConnection;
use crate::domain::{utc, Visibility};
use crate::error::AppResult;

/// How many related articles an article shows.
pub(crate) const RELATED: usize = 4;
/// Per tag, how many of its newest taggings are candidates. Both bound what a
/// write can change (`resources::item::deps`).
pub(crate) const PER_TAG: i64 = 25;

/// The article whose related articles are looked up.
struct Of {
    id: i64,
    locale: String,
    section_id: i64,
}

/// The related articles of the article `(id, locale, section_id)`.
pub(super) fn related_articles(
    conn: &mut AnyConnection,
    (id, locale, section_id): (i64, &str, i64),
    now: NaiveDateTime,
) -> AppResult<Vec<RelatedArticle>> {
    let row = Of {
        id,
        locale: locale.to_string(),
        section_id,
    };
    const N: usize = RELATED;
    // Per tag, the newest taggings by id (an index range scan of (tag, article_id)),
    // so the cost stays flat however many articles share a common tag.
    let my_tags: Vec<String> = article_tags::table
        .filter(article_tags::article_id.eq(row.id))
        .select(article_tags::tag)
        .load(conn)?;
    let mut shared: HashMap<i64, usize> = HashMap::new();
    for tag in my_tags {
        let ids: Vec<i64> = article_tags::table
            .filter(article_tags::tag.eq(tag))
            .filter(article_tags::article_id.ne(row.id))
            .select(article_tags::article_id)
            .order(article_tags::article_id.desc())
            .limit(PER_TAG)
            .load(conn)?;
        for id in ids {
            *shared.entry(id).or_default() += 1;
        }
    }
    type Brief = (i64, String, String, Option<NaiveDateTime>);
    let base = || {
        visible(now, Visibility::Public)
            .filter(articles::locale.eq(row.locale.clone()))
            .filter(articles::id.ne(row.id))
            .select((
                articles::id,
                articles::slug,
                articles::title,
                articles::published_at,
            ))
    };
    // Looked up by primary key only; visibility and locale are checked here, since
    // planners otherwise prefer a range scan of the public index.
    let mut found: Vec<Brief> = if shared.is_empty() {
        Vec::new()
    } else {
        let rows: Vec<(Brief, String, String)> = articles::table
            .filter(any_of(
                conn,
                articles::id,
                &shared.keys().copied().collect::<Vec<_>>(),
            ))
            .select((
                (
                    articles::id,
                    articles::slug,
                    articles::title,
                    articles::published_at,
                ),
                articles::status,
                articles::locale,
            ))
            .load(conn)?;
        rows.into_iter()
            .filter(|(b, status, locale)| {
                Visibility::Public.allows(status, b.3, now) && *locale == row.locale
            })
            .map(|(b, _, _)| b)
            .collect()
    };
    // Most shared tags first, then newest.
    found.sort_by(|a, b| {
        let (sa, sb) = (shared.get(&a.0), shared.get(&b.0));
        sb.cmp(&sa).then(b.3.cmp(&a.3)).then(b.0.cmp(&a.0))
    });
    found.truncate(N);
    if found.len() < N {
        let have: Vec<i64> = found.iter().map(|r| r.0).collect();
        let more: Vec<Brief> = base()
            .filter(articles::section_id.eq(row.section_id))
            .filter(articles::id.ne_all(have))
            .order((articles::published_at.desc(), articles::id.desc()))
            .limit((N - found.len()) as i64)
            .load(conn)?;
        found.extend(more);
    }
    Ok(found
        .into_iter()
        .map(|(id, slug, title, published_at)| RelatedArticle {
            id,
            slug,
            title,
            published_at: published_at.map(utc),
        })
        .collect())
}

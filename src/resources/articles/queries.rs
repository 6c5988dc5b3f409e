//! Article queries: the list filters, one keyset page, an item with related
//! articles, the archive calendar's counts and the latest items for feeds.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::api::{
    summary_from_row, Article, ArticleCalendar, ArticleListItem, ArticleSummary, CalendarDay,
};
use super::related::related_articles;

use super::model::ArticleSummaryRow;
use crate::cache::Caches;
use crate::db::any_of::any_of;
use crate::db::fallback::BestLocale;
use crate::db::schema::{article_tags, articles, sections as sections_t};
use crate::db::search::{self, SearchQuery};
use crate::db::text_filter::text_match;
use crate::db::{keyset, AnyConnection, MultiBackend};
use crate::domain::time::{days_of_month, minsk_day, minsk_day_start};
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};
use crate::http::params::{ItemRef, ListParams};
use crate::http::response::Page;
use crate::resource::{ArticleId, ResourceType};
use crate::resources::sections;

/// Validated filters of the article list.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub vis: Visibility,
    pub locale: String,
    pub now: NaiveDateTime,
    pub section_ids: Option<Vec<i64>>,
    pub tag: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub q: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// Locale fallback: the preferred locales in order (empty: `locale` only).
    pub fallback: Vec<String>,
}

impl ArticleFilter {
    fn cache_key(&self) -> String {
        format!(
            "articles|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.vis,
            self.locale,
            self.fallback,
            self.section_ids,
            self.tag,
            self.from,
            self.to,
            self.q,
            self.updated_since
        )
    }
}

pub(super) fn visible(
    now: NaiveDateTime,
    vis: Visibility,
) -> articles::BoxedQuery<'static, MultiBackend> {
    crate::filter_visibility!(articles::table.into_boxed(), articles, vis, now)
}

fn filtered(
    conn: &AnyConnection,
    f: &ArticleFilter,
) -> articles::BoxedQuery<'static, MultiBackend> {
    let mut q = if f.fallback.is_empty() {
        visible(f.now, f.vis).filter(articles::locale.eq(f.locale.clone()))
    } else {
        let best = BestLocale::new("articles", None, &f.fallback, f.vis, f.now);
        visible(f.now, f.vis)
            .filter(articles::locale.eq_any(f.fallback.clone()))
            .filter(best)
    };
    if let Some(ids) = &f.section_ids {
        q = q.filter(articles::section_id.eq_any(ids.clone()));
    }
    if let Some(tag) = &f.tag {
        q = q.filter(
            articles::id.eq_any(
                article_tags::table
                    .filter(article_tags::tag.eq(tag.clone()))
                    .select(article_tags::article_id),
            ),
        );
    }
    if let Some(from) = f.from {
        q = q.filter(articles::published_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(articles::published_at.lt(to));
    }
    if let Some(text) = &f.q {
        q = match SearchQuery::parse(text, &f.locale) {
            Some(sq) => q.filter(text_match(
                conn,
                "articles.id",
                &[ResourceType::Article],
                &sq,
            )),
            None => q.filter(articles::id.eq(-1)),
        };
    }
    if let Some(t) = f.updated_since {
        q = q.filter(articles::updated_at.ge(t));
    }
    q
}

/// The total for a filter, cached for a few seconds: COUNT over a million rows
/// must not run on every page view.
fn cached_total(conn: &mut AnyConnection, caches: &Caches, f: &ArticleFilter) -> AppResult<i64> {
    caches.counts.get_or_compute(&f.cache_key(), || {
        Ok(filtered(conn, f).count().get_result(conn)?)
    })
}

/// One page of the article list.
pub fn list_articles_page(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &ArticleFilter,
    params: &ListParams,
) -> AppResult<Page<ArticleSummary>> {
    let (page, ()) = search::list_forgiving(
        conn,
        f,
        |conn, f| Ok((list_articles_as_typed(conn, caches, f, params)?, ())),
        |a| a.title.as_str(),
    )?;
    Ok(page)
}

impl search::TextFilter for ArticleFilter {
    fn text(&self) -> search::ListText<'_> {
        search::ListText {
            q: self.q.as_deref(),
            locale: &self.locale,
            resources: vec![ResourceType::Article],
        }
    }
    fn q_mut(&mut self) -> &mut Option<String> {
        &mut self.q
    }
}

fn list_articles_as_typed(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &ArticleFilter,
    params: &ListParams,
) -> AppResult<Page<ArticleSummary>> {
    let total = cached_total(conn, caches, f)?;
    let q = filtered(conn, f).select(ArticleSummaryRow::as_select());
    let title = keyset::key(articles::title, articles::id, |r: &ArticleSummaryRow| {
        (r.title.clone(), r.id)
    });
    let published_at = keyset::key(
        articles::published_at,
        articles::id,
        |r: &ArticleSummaryRow| (r.published_at, r.id),
    );
    let page = keyset::page_by(
        conn,
        q,
        params,
        total,
        &[("title", &title), ("published_at", &published_at)],
    )?;
    let translations = params.shape.includes("translations");
    page.try_map_all(|rows| summaries(conn, caches, f.now, rows, translations))
}

/// One page of the article list with the expansions asked for: each item's
/// `body_html` (one query for the page) and `related` (as on the item).
pub fn list_article_items(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &ArticleFilter,
    params: &ListParams,
) -> AppResult<Page<ArticleListItem>> {
    let page = list_articles_page(conn, caches, f, params)?;
    let with_body = params.shape.includes("body_html");
    let with_related = params.shape.includes("related");
    page.try_map_all(|items| {
        let mut bodies: HashMap<i64, String> = if with_body && !items.is_empty() {
            articles::table
                .filter(any_of(
                    conn,
                    articles::id,
                    &items.iter().map(|a| a.id).collect::<Vec<_>>(),
                ))
                .select((articles::id, articles::body_html))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .collect()
        } else {
            HashMap::new()
        };
        items
            .into_iter()
            .map(|summary| {
                let related = if with_related {
                    let of = (summary.id, summary.locale.as_str(), summary.section.id);
                    Some(related_articles(conn, of, f.now)?)
                } else {
                    None
                };
                Ok(ArticleListItem {
                    body_html: bodies.remove(&summary.id),
                    related,
                    summary,
                })
            })
            .collect()
    })
}

/// Attaches sections, tags and (`with_translations`: lists leave them out
/// unless included) visible translations to rows, in one query each.
fn summaries(
    conn: &mut AnyConnection,
    caches: &Caches,
    now: NaiveDateTime,
    rows: Vec<ArticleSummaryRow>,
    with_translations: bool,
) -> AppResult<Vec<ArticleSummary>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let all_sections = sections::load_all(conn, caches)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let groups: Vec<i64> = rows.iter().map(|r| r.group_id).collect();
    let tag_rows: Vec<(i64, String)> = article_tags::table
        .filter(any_of(conn, article_tags::article_id, &ids))
        .select((article_tags::article_id, article_tags::tag))
        .order((article_tags::article_id, article_tags::tag))
        .load(conn)?;
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, tag) in tag_rows {
        tags.entry(id).or_default().push(tag);
    }
    let sibling_rows: Vec<(i64, i64, String, String)> = if !with_translations {
        Vec::new()
    } else {
        crate::visible_siblings!(conn, articles, groups, now)
    };
    Ok(rows
        .into_iter()
        .map(|r| summary_from_row(r, &all_sections, &mut tags, &sibling_rows))
        .collect())
}

/// A visible article by id (any locale) or by slug in `locale`.
pub fn find_article(
    conn: &mut AnyConnection,
    caches: &Caches,
    item: &ItemRef<ArticleId>,
    locale: &str,
    now: NaiveDateTime,
    vis: Visibility,
) -> AppResult<Article> {
    Ok(find(conn, caches, item, locale, now, vis, false)?.0)
}

/// `find_article` and the article's own version (the `own` part of its
/// ETag, as `editorial::own_version` computes it), from the rows read.
pub fn find_article_with_own(
    conn: &mut AnyConnection,
    caches: &Caches,
    item: &ItemRef<ArticleId>,
    locale: &str,
    now: NaiveDateTime,
    vis: Visibility,
) -> AppResult<(Article, String)> {
    let (article, own) = find(conn, caches, item, locale, now, vis, true)?;
    let own = own.ok_or_else(|| AppError::Internal("no own version".into()))?;
    Ok((article, own))
}

fn find(
    conn: &mut AnyConnection,
    caches: &Caches,
    item: &ItemRef<ArticleId>,
    locale: &str,
    now: NaiveDateTime,
    vis: Visibility,
    with_own: bool,
) -> AppResult<(Article, Option<String>)> {
    let mut q = crate::filter_visibility!(
        articles::table.inner_join(sections_t::table).into_boxed(),
        articles,
        vis,
        now
    );
    q = match item {
        ItemRef::Id(id) => q.filter(articles::id.eq(id.get())),
        ItemRef::Slug(slug) => q
            .filter(articles::locale.eq(locale.to_string()))
            .filter(articles::slug.eq(slug.clone())),
    };
    // The body and the section's slug (for the own version) in the same
    // statement: two round trips less.
    let found: Option<(ArticleSummaryRow, String, String)> = q
        .select((
            ArticleSummaryRow::as_select(),
            articles::body_html,
            sections_t::slug,
        ))
        .first::<(ArticleSummaryRow, String, String)>(conn)
        .optional()?;
    let (row, body_html, section_slug) =
        found.ok_or_else(|| AppError::not_found("no such article"))?;
    let related = related_articles(conn, (row.id, &row.locale, row.section_id), now)?;
    let stored = with_own.then(|| row.clone());
    let summary = summaries(conn, caches, now, vec![row], true)?
        .pop()
        .ok_or_else(|| AppError::not_found("no such article"))?;
    let own = match stored {
        Some(row) => Some(super::write::own_version_of(
            row,
            section_slug,
            body_html.clone(),
            summary.tags.clone(),
        )?),
        None => None,
    };
    Ok((
        Article {
            summary,
            body_html,
            related,
        },
        own,
    ))
}

pub fn article_calendar_counts(
    conn: &mut AnyConnection,
    f: &ArticleFilter,
    first: NaiveDate,
) -> AppResult<ArticleCalendar> {
    let days = days_of_month(first);
    let last = *days.last().unwrap_or(&first);
    let mut range = f.clone();
    range.from = Some(minsk_day_start(first));
    range.to = last.succ_opt().map(minsk_day_start);
    let stamps: Vec<Option<NaiveDateTime>> = filtered(conn, &range)
        .select(articles::published_at)
        .load(conn)?;
    let mut counts: HashMap<NaiveDate, i64> = HashMap::new();
    for t in stamps.into_iter().flatten() {
        *counts.entry(minsk_day(t)).or_default() += 1;
    }
    Ok(ArticleCalendar {
        month: first.format("%Y-%m").to_string(),
        timezone: "Europe/Minsk".into(),
        days: days
            .into_iter()
            .map(|date| CalendarDay {
                count: counts.get(&date).copied().unwrap_or(0),
                date,
            })
            .collect(),
    })
}

/// The latest visible articles for feeds, newest first.
pub fn latest_for_feed(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &ArticleFilter,
    n: i64,
) -> AppResult<Vec<(ArticleSummary, String)>> {
    let rows: Vec<(ArticleSummaryRow, String)> = filtered(conn, f)
        .select((ArticleSummaryRow::as_select(), articles::body_html))
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(n)
        .load(conn)?;
    let (rows, bodies): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
    let items = summaries(conn, caches, f.now, rows, false)?;
    Ok(items.into_iter().zip(bodies).collect())
}

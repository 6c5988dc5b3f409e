//! Articles: the news list (keyset pagination, filters), items with related
//! articles, and the archive calendar.

mod api;
mod filters;
mod model;
mod queries;
mod related;
pub mod write;

/// Moved to `domain::time`.
pub use crate::domain::time::days_of_month;
pub use api::{
    Article, ArticleCalendar, ArticleListItem, ArticleSummary, CalendarDay, RelatedArticle,
};
pub use filters::{section_filter, validate_tag};
pub use model::ArticleSummaryRow;
pub use queries::{
    article_calendar_counts, find_article, find_article_with_own, latest_for_feed,
    list_article_items, list_articles_page, ArticleFilter,
};
pub(crate) use related::{PER_TAG, RELATED};

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db;
use crate::error::AppResult;
use crate::http::list::{ListFilters, ListQuery};
use crate::http::locale::negotiate;
use crate::http::params::{day_range, parse_month, ContentItemQuery};
use crate::http::response::{self, ListBody};
use crate::resource::ResourceType;
use crate::resources::item::item;
use crate::resources::jsonld;
use crate::AppState;

/// The article list's own filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleFilters {
    /// Section slug; includes its subsections.
    pub section: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// First published day, inclusive (`YYYY-MM-DD`, Europe/Minsk).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last published day, inclusive (`YYYY-MM-DD`, Europe/Minsk).
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

impl ListFilters for ArticleFilters {
    const SORTS: &'static [&'static str] = &["published_at", "title"];
    const DEFAULT_SORT: &'static str = "-published_at";
    const SORT_DOC: Option<&'static str> =
        Some("`published_at` or `title`, prefix `-` for descending; default `-published_at`.");
    const Q_DOC: Option<&'static str> =
        Some("Text to find in the title or lead (case-insensitive).");
    const UPDATED_SINCE_DOC: Option<&'static str> =
        Some("Only articles changed at or after this instant (RFC 3339).");
    const STATUS_DOC: Option<&'static str> = Some(
        "Editors only (needs a key): `draft`, `published` (scheduled included), `archived` or `any`.",
    );
    const INCLUDE: &'static [&'static str] = &["translations", "body_html", "related"];
    const FALLBACK: bool = true;
}

/// List articles
///
/// Published news articles in the requested locale (`lang`, or `Accept-Language`;
/// `fallback=true` or `lang=be,ru,en` gives each article once in the best locale
/// available), newest first (`sort=-published_at`, the default) or by `title`.
/// Filter by `section`, `tag`, a Minsk day range `from`/`to`, `updated_since`, and
/// search title, lead and body with `q`.
///
/// Pages hold `limit` items (default 20, at most 100): follow `links.next` (or the
/// `Link` header, or `meta.next_cursor` as `cursor`), or ask for a numbered
/// `page`. Items leave out `body_html`, `related` and `translations` unless
/// `include` names them; `fields` keeps only the fields named.
///
/// Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`
/// previews drafts, scheduled and archived articles.
#[utoipa::path(
    tag = "news",
    params(ListQuery<ArticleFilters>),
    responses(
        (status = 200, description = "Published articles, newest first by default. Each item is the article without `body_html`, `related` and `translations` unless `include` asks for them", body = ListBody<ArticleListItem>,
            headers(("Link" = String, description = "RFC 8288 links: next (and first, prev, last with `page`)"))),
    )
)]
#[get("/articles")]
pub async fn list_articles(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<ArticleFilters>,
) -> AppResult<HttpResponse> {
    let locales = query.locales(&req, &state.config)?;
    let fallback = locales.fallback();
    let vis = crate::http::auth::visibility(&req, query.common.status.as_deref()).await?;
    let params = query.params()?;
    let q = query.filters;
    let (from, to) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let tag = validate_tag(q.tag.as_deref())?;
    let caches = state.caches.clone();
    let loc = locales.first().to_string();
    let section = q.section.clone();
    let p = params.clone();
    let page = db::run(&state.pool, move |conn| {
        let f = ArticleFilter {
            section_ids: section_filter(conn, &caches, &loc, section.as_deref())?,
            vis,
            locale: loc,
            now: db::now(),
            tag,
            from,
            to,
            q: p.q.clone(),
            updated_since: p.updated_since,
            fallback,
        };
        list_article_items(conn, &caches, &f, &p)
    })
    .await?;
    let present: Vec<String> = page
        .items
        .iter()
        .map(|a| a.summary.locale.clone())
        .collect();
    let language = locales.content_language(&present);
    Ok(response::list(&req, &language, &params, page))
}

/// Get an article
///
/// One published article by numeric id or by its slug in the requested locale,
/// with its body (`body_html`, sanitized), image, tags, `related` articles and
/// `translations` (the same article in the other locales); `fields` keeps only
/// the fields named. With `Accept: application/ld+json` the answer is its
/// schema.org `NewsArticle` (headline, dates, section, image, author, publisher,
/// language, url), for search engines (schema `JsonLd`).
///
/// Public and cacheable: the `ETag` is `"<own>-<body>"`; send it in
/// `If-None-Match` for a 304, or its own part in `If-Match` when writing. With an
/// editor key, `status` previews an article the public cannot see yet.
#[utoipa::path(
    tag = "news",
    params(("id" = String, Path, description = "Article id, or slug in the requested locale"), ContentItemQuery),
    responses(
        (status = 200, description = "The article", body = Article,
            headers(("ETag" = String, description = "`\"<own>-<body>\"`: If-Match compares the own part (the item's own fields), If-None-Match the whole"))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such published article"),
    )
)]
#[get("/articles/{id}")]
pub async fn get_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ContentItemQuery>,
) -> AppResult<HttpResponse> {
    item(
        &req,
        &state,
        ResourceType::Article,
        &path,
        &query,
        jsonld::article,
        |c, l| {
            let (article, own) =
                find_article_with_own(c, &l.caches, &l.item, &l.locale, l.now, l.vis)?;
            let locale = article.summary.locale.clone();
            Ok((article, locale, own))
        },
    )
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// The month, `YYYY-MM`.
    #[param(pattern = r"^\d{4}-\d{2}$", example = "2023-05")]
    pub month: Option<String>,
    /// Only this section (slug) and its subsections.
    pub section: Option<String>,
    /// Response locale (`be`, `ru`, `en`).
    pub lang: Option<String>,
}

/// Article archive calendar
///
/// How many articles were published on each Minsk day of a `month` (`YYYY-MM`),
/// optionally in one `section`, for an archive calendar widget: every day of
/// the month in order, with its count (0 included). Public and cacheable.
#[utoipa::path(
    tag = "news",
    params(CalendarQuery),
    responses(
        (status = 200, description = "Published articles per day of the month", body = ArticleCalendar),
        (status = 400, description = "Missing or malformed month"),
    )
)]
#[get("/articles/calendar")]
pub async fn article_calendar(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CalendarQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let locale = negotiate(&req, q.lang.as_deref(), &state.config)?;
    let first = parse_month(q.month.as_deref())?;
    let loc = locale.clone();
    let caches = state.caches.clone();
    let cal = db::run(&state.pool, move |conn| {
        let f = ArticleFilter {
            section_ids: section_filter(conn, &caches, &loc, q.section.as_deref())?,
            locale: loc,
            now: db::now(),
            ..Default::default()
        };
        article_calendar_counts(conn, &f, first)
    })
    .await?;
    Ok(response::json(Some(&locale), &cal))
}

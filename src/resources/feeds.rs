//! Atom (RFC 4287) and RSS 2.0 feeds of the latest 50 articles, built with the
//! atom_syndication and rss crates.

use actix_web::{get, web, HttpRequest, HttpResponse};
use atom_syndication as atom;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::articles::{latest_for_feed, section_filter, ArticleFilter, ArticleSummary};
use crate::db;
use crate::error::AppResult;
use crate::http::locale::negotiate;
use crate::http::response;
use crate::AppState;

const FEED_SIZE: i64 = 50;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Section slug; includes its subsections.
    pub section: Option<String>,
    /// Feed locale (`be`, `ru`, `en`).
    pub lang: Option<String>,
}

struct FeedData {
    locale: String,
    base: String,
    self_path: String,
    items: Vec<(ArticleSummary, String)>,
}

async fn load(req: &HttpRequest, state: &AppState, q: FeedQuery) -> AppResult<FeedData> {
    let locale = negotiate(req, q.lang.as_deref(), &state.config)?;
    let loc = locale.clone();
    let caches = state.caches.clone();
    let items = db::run(&state.pool, move |conn| {
        let f = ArticleFilter {
            section_ids: section_filter(conn, &caches, &loc, q.section.as_deref())?,
            locale: loc,
            now: db::now(),
            ..Default::default()
        };
        latest_for_feed(conn, &caches, &f, FEED_SIZE)
    })
    .await?;
    let base = crate::http::public_url(req);
    let self_path = match req.query_string() {
        "" => req.path().to_string(),
        qs => format!("{}?{}", req.path(), qs),
    };
    Ok(FeedData {
        locale,
        base,
        self_path,
        items,
    })
}

fn article_url(base: &str, a: &ArticleSummary) -> String {
    format!("{base}/v1/articles/{}?lang={}", a.slug, a.locale)
}

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

fn newest(items: &[(ArticleSummary, String)]) -> DateTime<Utc> {
    items
        .iter()
        .map(|(a, _)| a.updated_at.max(a.published_at.unwrap_or(a.updated_at)))
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Articles as an Atom feed
///
/// An Atom 1.0 feed of the 50 latest published articles, optionally of one
/// `section`, in the requested locale, for feed readers and aggregators. Public
/// and cacheable.
#[utoipa::path(
    tag = "news",
    params(FeedQuery),
    responses(
        (status = 200, description = "Atom feed of the latest 50 articles", content_type = "application/atom+xml", body = String),
    )
)]
#[get("/articles/feed.atom")]
pub async fn atom_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<FeedQuery>,
) -> AppResult<HttpResponse> {
    let d = load(&req, &state, query.into_inner()).await?;
    let mut feed = atom::Feed::default();
    feed.set_title(atom::Text::plain("belportal: news"));
    feed.set_id(format!("{}{}", d.base, d.self_path));
    feed.set_updated(fixed(newest(&d.items)));
    feed.set_lang(Some(d.locale.clone()));
    let mut self_link = atom::Link::default();
    self_link.set_href(format!("{}{}", d.base, d.self_path));
    self_link.set_rel("self");
    self_link.set_mime_type(Some("application/atom+xml".to_string()));
    feed.set_links(vec![self_link]);
    let entries = d
        .items
        .iter()
        .map(|(a, body)| {
            let mut e = atom::Entry::default();
            let url = article_url(&d.base, a);
            e.set_id(format!("{}/v1/articles/{}", d.base, a.id));
            e.set_title(atom::Text::plain(a.title.clone()));
            e.set_updated(fixed(a.updated_at));
            e.set_published(a.published_at.map(fixed));
            let mut link = atom::Link::default();
            link.set_href(url);
            link.set_rel("alternate");
            e.set_links(vec![link]);
            e.set_summary(Some(atom::Text::plain(a.lead.clone())));
            let mut content = atom::Content::default();
            content.set_value(Some(body.clone()));
            content.set_content_type(Some("html".to_string()));
            e.set_content(Some(content));
            let mut author = atom::Person::default();
            author.set_name(
                a.author
                    .clone()
                    .or(a.source.clone())
                    .unwrap_or_else(|| "belportal".into()),
            );
            e.set_authors(vec![author]);
            let mut cats: Vec<atom::Category> = Vec::new();
            let mut section = atom::Category::default();
            section.set_term(a.section.slug.clone());
            section.set_label(Some(a.section.title.clone()));
            cats.push(section);
            for t in &a.tags {
                let mut c = atom::Category::default();
                c.set_term(t.clone());
                cats.push(c);
            }
            e.set_categories(cats);
            e
        })
        .collect::<Vec<_>>();
    feed.set_entries(entries);
    Ok(response::typed(
        "application/atom+xml; charset=utf-8",
        &d.locale,
        feed.to_string(),
    ))
}

/// Articles as an RSS feed
///
/// An RSS 2.0 feed of the 50 latest published articles, optionally of one
/// `section`, in the requested locale, for feed readers and aggregators. Public
/// and cacheable.
#[utoipa::path(
    tag = "news",
    params(FeedQuery),
    responses(
        (status = 200, description = "RSS 2.0 feed of the latest 50 articles", content_type = "application/rss+xml", body = String),
    )
)]
#[get("/articles/feed.rss")]
pub async fn rss_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<FeedQuery>,
) -> AppResult<HttpResponse> {
    let d = load(&req, &state, query.into_inner()).await?;
    let items: Vec<rss::Item> = d
        .items
        .iter()
        .map(|(a, _)| {
            let url = article_url(&d.base, a);
            let mut cats = vec![rss::Category {
                name: a.section.title.clone(),
                domain: None,
            }];
            cats.extend(a.tags.iter().map(|t| rss::Category {
                name: t.clone(),
                domain: None,
            }));
            rss::ItemBuilder::default()
                .title(Some(a.title.clone()))
                .link(Some(url.clone()))
                .description(Some(a.lead.clone()))
                .guid(Some(rss::Guid {
                    value: url,
                    permalink: true,
                }))
                .pub_date(a.published_at.map(|t| t.to_rfc2822()))
                .categories(cats)
                .build()
        })
        .collect();
    let channel = rss::ChannelBuilder::default()
        .title("belportal: news")
        .link(format!("{}/v1/articles?lang={}", d.base, d.locale))
        .description("The latest news of the national portal")
        .language(Some(d.locale.clone()))
        .last_build_date(Some(newest(&d.items).to_rfc2822()))
        .items(items)
        .build();
    Ok(response::typed(
        "application/rss+xml; charset=utf-8",
        &d.locale,
        channel.to_string(),
    ))
}

//! `/v1/search`: ranked full-text search over articles, places of every kind and
//! events, and keeping the search documents current (in the write's transaction).

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{articles, events, places};
use crate::db::search::{self, SearchDoc, SearchQuery};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::http::locale::negotiate;
use crate::http::params::{CursorKey, ListParams, Paging, RawList};
use crate::http::response::{self, ListBody, Page};
use crate::resource::{PlaceKind, ResourceType};
use crate::AppState;

/// Text of HTML for indexing and snippets: tags dropped, common entities decoded.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn join(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rewrites the search document of one item (or removes it when the item is gone
/// or not searchable). Call inside the write's transaction.
pub fn reindex(conn: &mut AnyConnection, resource: ResourceType, id: i64) -> AppResult<()> {
    reindex_many(conn, &[(resource, id)])
}

type ArticleText = (
    i64,
    String,
    String,
    String,
    Option<chrono::NaiveDateTime>,
    String,
    String,
    String,
    Option<String>,
);

fn article_docs(rows: Vec<ArticleText>) -> Vec<SearchDoc> {
    rows.into_iter()
        .map(
            |(id, locale, slug, status, published_at, title, lead, body, author)| SearchDoc {
                resource: ResourceType::Article,
                item_id: id,
                locale,
                slug,
                status,
                published_at,
                title,
                summary: lead,
                body: join(&[Some(&plain_text(&body)), author.as_deref()]),
            },
        )
        .collect()
}

macro_rules! article_text {
    () => {
        (
            articles::id,
            articles::locale,
            articles::slug,
            articles::status,
            articles::published_at,
            articles::title,
            articles::lead,
            articles::body_html,
            articles::author,
        )
    };
}

type PlaceText = (
    i64,
    String,
    String,
    String,
    String,
    Option<chrono::NaiveDateTime>,
    String,
    String,
    String,
    Option<String>,
);

macro_rules! place_text {
    () => {
        (
            places::id,
            places::kind,
            places::locale,
            places::slug,
            places::status,
            places::published_at,
            places::name,
            places::summary,
            places::description_html,
            places::locality,
        )
    };
}

fn place_docs(rows: Vec<PlaceText>) -> AppResult<Vec<SearchDoc>> {
    rows.into_iter()
        .map(
            |(id, kind, locale, slug, status, published_at, name, summary, html, locality)| {
                let kind = PlaceKind::from_type_str(&kind).ok_or_else(|| {
                    AppError::Internal(format!("place {id} has unknown kind `{kind}`"))
                })?;
                Ok(SearchDoc {
                    resource: kind.into(),
                    item_id: id,
                    locale,
                    slug,
                    status,
                    published_at,
                    title: name,
                    summary,
                    body: join(&[Some(&plain_text(&html)), locality.as_deref()]),
                })
            },
        )
        .collect()
}

type EventText = (
    i64,
    String,
    String,
    String,
    Option<chrono::NaiveDateTime>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

macro_rules! event_text {
    () => {
        (
            events::id,
            events::locale,
            events::slug,
            events::status,
            events::published_at,
            events::title,
            events::summary,
            events::description_html,
            events::venue_name,
            events::venue_locality,
        )
    };
}

fn event_docs(rows: Vec<EventText>) -> Vec<SearchDoc> {
    rows.into_iter()
        .map(
            |(id, locale, slug, status, published_at, title, summary, html, venue, locality)| {
                SearchDoc {
                    resource: ResourceType::Event,
                    item_id: id,
                    locale,
                    slug,
                    status,
                    published_at,
                    title,
                    summary,
                    body: join(&[
                        Some(&plain_text(&html)),
                        venue.as_deref(),
                        locality.as_deref(),
                    ]),
                }
            },
        )
        .collect()
}

/// `reindex` for many items, e.g. everything an import saved: call once, after
/// the content is written, in the same transaction. All the removals come
/// first, then the documents are inserted back to back: SQLite's FTS5 writes
/// its pending terms out as a new segment whenever another statement opens a
/// savepoint, so a reindex after every saved item (interleaved with the
/// item's other statements) made one tiny segment per item, and merging them
/// came to dominate a large import.
pub fn reindex_many(conn: &mut AnyConnection, items: &[(ResourceType, i64)]) -> AppResult<()> {
    const CHUNK: usize = 500;
    let mut by_resource: Vec<(ResourceType, Vec<i64>)> = ResourceType::SEARCHABLE
        .into_iter()
        .map(|r| (r, Vec::new()))
        .collect();
    for (resource, id) in items {
        if let Some((_, ids)) = by_resource.iter_mut().find(|(r, _)| r == resource) {
            ids.push(*id);
        }
    }
    by_resource.retain(|(_, ids)| !ids.is_empty());
    for (_, ids) in &mut by_resource {
        ids.sort_unstable();
        ids.dedup();
    }
    for (resource, ids) in &by_resource {
        search::remove_many(conn, *resource, ids)?;
    }
    for (resource, ids) in &by_resource {
        for part in ids.chunks(CHUNK) {
            let docs = docs_of(conn, *resource, Rows::Ids(part))?;
            search::insert_many(conn, &docs)?;
        }
    }
    Ok(())
}

/// Which rows of a table to make documents of.
#[derive(Clone, Copy)]
enum Rows<'a> {
    /// These ids.
    Ids(&'a [i64]),
    /// The next `limit` ids after `after`.
    After { after: i64, limit: i64 },
}

/// The search documents of some items of one resource, in id order (none for
/// sections, which are not searched).
fn docs_of(
    conn: &mut AnyConnection,
    resource: ResourceType,
    rows: Rows,
) -> AppResult<Vec<SearchDoc>> {
    macro_rules! load {
        ($tb:ident, $columns:expr) => {{
            let q = $tb::table.order($tb::id).select($columns).into_boxed();
            match rows {
                Rows::Ids(ids) => q.filter($tb::id.eq_any(ids)).load(conn)?,
                Rows::After { after, limit } => {
                    q.filter($tb::id.gt(after)).limit(limit).load(conn)?
                }
            }
        }};
    }
    Ok(match resource {
        ResourceType::Section => Vec::new(),
        ResourceType::Article => article_docs(load!(articles, article_text!())),
        ResourceType::Event => event_docs(load!(events, event_text!())),
        // All kinds share the table: the rows give each document its kind.
        ResourceType::Place(_) => place_docs(load!(places, place_text!()))?,
    })
}

/// Rebuilds every search document (after bulk loads: demo content, the
/// generator, imports), in chunks of ids, each chunk one transaction.
pub fn reindex_all(conn: &mut AnyConnection) -> AppResult<u64> {
    const CHUNK: i64 = 2000;
    search::clear(conn)?;
    let mut n = 0u64;
    // One type per table: every place kind is in `places`.
    let tables = [
        ResourceType::Article,
        ResourceType::Place(PlaceKind::TouristSite),
        ResourceType::Event,
    ];
    for table in tables {
        let mut after = 0i64;
        loop {
            let rows = Rows::After {
                after,
                limit: CHUNK,
            };
            let docs = docs_of(conn, table, rows)?;
            let Some(last) = docs.last().map(|d| d.item_id) else {
                break;
            };
            conn.transaction::<_, AppError, _>(|conn| {
                for d in &docs {
                    search::insert(conn, d)?;
                }
                Ok(())
            })?;
            n += docs.len() as u64;
            after = last;
        }
    }
    Ok(n)
}

/// One search result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// `article`, `tourist_site`, `unesco_site`, `sanatorium`, `monument`, `souvenir` or `event`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    pub slug: String,
    pub title: String,
    /// Escaped text around the matches, each match wrapped in `<mark>`...`</mark>` (safe to insert as HTML).
    pub snippet: String,
    /// Relevance, higher is better (comparable within one response).
    pub score: f64,
}

/// HTML-escapes a snippet and turns the backend's match markers into `<mark>`.
pub fn mark_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for ch in raw.chars() {
        match ch {
            '\u{2}' => out.push_str("<mark>"),
            '\u{3}' => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words to find (any text; quotes and operators are treated as spaces). Required, at most 200 characters.
    pub q: Option<String>,
    /// Comma-separated types to search (default all): article, tourist_site, unesco_site, sanatorium, monument, souvenir, event.
    pub types: Option<String>,
    /// Locale searched and answered in (`be`, `ru`, `en`).
    pub lang: Option<String>,
    /// Page size, 1-100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Opaque cursor from `meta.next_cursor`.
    pub cursor: Option<String>,
    /// 1-based page number (not with `cursor`).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub page: Option<String>,
}

fn parse_types(v: Option<&str>) -> AppResult<Vec<ResourceType>> {
    ResourceType::parse_list(v, &ResourceType::SEARCHABLE)
        .map_err(|message| AppError::bad_param("types", message))
}

#[utoipa::path(
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "Public items matching every word, best first, with highlighted snippets. English is stemmed on both databases, Russian on PostgreSQL; Belarusian (and Russian on SQLite) words also match longer forms sharing their stem. Per type, the newest 500 matches (`BELPORTAL_SEARCH_WINDOW`) are ranked: `meta.total` counts the ranked matches (what can be paged through) and `meta.total_capped` is true when more documents matched (show \"500+\"; add a word, or use `q` in a list, which is exact, to reach older items).", body = ListBody<SearchHit>),
        (status = 400, description = "Missing or too long `q`, unknown type, or another bad parameter"),
    )
)]
#[get("/search")]
pub async fn search_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    let p = query.into_inner();
    let locale = negotiate(&req, p.lang.as_deref(), &state.config)?;
    let text =
        p.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::bad_param("q", "is required"))?;
    if text.chars().count() > 200 {
        return Err(AppError::bad_param("q", "must be at most 200 characters"));
    }
    let types = parse_types(p.types.as_deref())?;
    let params = ListParams::parse(
        RawList {
            limit: p.limit.as_deref(),
            cursor: p.cursor.as_deref(),
            page: p.page.as_deref(),
            ..Default::default()
        },
        &["relevance"],
        "relevance",
    )?;
    let offset = match &params.paging {
        Paging::Cursor(Some(c)) => c.key_i64()?.max(0),
        _ => params.offset(),
    };
    let limit = params.limit;
    let parsed = SearchQuery::parse(text, &locale);
    let found = match parsed {
        None => search::Found {
            total: 0,
            capped: false,
            hits: Vec::new(),
        },
        Some(q) => {
            let limits = search::Limits {
                window: state.config.search_window,
                bm25_max_docs: state.config.search_bm25_max_docs,
            };
            db::run(&state.pool, move |conn| {
                search::search(conn, &q, &types, db::now(), limits, limit + 1, offset)
            })
            .await?
        }
    };
    let search::Found {
        total,
        capped,
        hits,
    } = found;
    let has_more = hits.len() as i64 > limit;
    let items: Vec<SearchHit> = hits
        .into_iter()
        .take(limit as usize)
        .map(|h| SearchHit {
            kind: h.resource.as_str().to_string(),
            id: h.item_id,
            slug: h.slug,
            title: h.title,
            snippet: mark_snippet(&h.snippet),
            score: (h.score * 1e6).round() / 1e6,
        })
        .collect();
    let next_key = (has_more && params.page().is_none()).then(|| CursorKey {
        sort: "relevance".into(),
        key: serde_json::json!(offset + limit),
        id: 0,
    });
    let page = Page {
        items,
        total,
        next_key,
        has_more,
    };
    let (mut meta, links, link) = response::list_parts(&req, &params, &page);
    meta.total_capped = Some(capped);
    let body = ListBody {
        data: page.items,
        meta,
        links,
    };
    Ok(response::with_link_header(
        response::json(Some(&locale), &body),
        link,
    ))
}

/// Rebuilds the search index when it is empty but content exists (after a
/// migration that changed its layout). Returns the documents written.
pub fn ensure_index(conn: &mut AnyConnection) -> AppResult<u64> {
    if !search::is_empty(conn)? {
        return Ok(0);
    }
    let any_article = articles::table
        .select(articles::id)
        .first::<i64>(conn)
        .optional()?;
    let any_place = places::table
        .select(places::id)
        .first::<i64>(conn)
        .optional()?;
    let any_event = events::table
        .select(events::id)
        .first::<i64>(conn)
        .optional()?;
    if any_article.is_none() && any_place.is_none() && any_event.is_none() {
        return Ok(0);
    }
    reindex_all(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_tags_and_decodes_entities() {
        assert_eq!(
            plain_text("<p>Mir &amp; Nesvizh</p><p>castles&nbsp;<b>two</b></p>"),
            "Mir & Nesvizh castles two"
        );
    }

    #[test]
    fn snippets_are_escaped_before_marks_are_added() {
        assert_eq!(
            mark_snippet("a <b> \u{2}castle\u{3} & more"),
            "a &lt;b&gt; <mark>castle</mark> &amp; more"
        );
    }
}

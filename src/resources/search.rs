//! `/v1/search`: ranked full-text search over articles, places of every kind and
//! events, and keeping the search documents current (in the write's transaction).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db;
use crate::db::search::{self, SearchQuery};
use crate::error::{AppError, AppResult};
use crate::http::list::{ListFilters, ListQuery};
use crate::http::locale::negotiate;
use crate::http::params::{CursorKey, Paging};
use crate::http::response::{self, ListBody, Page, SearchMeta};
use crate::resource::ResourceType;
use crate::AppState;

/// One search result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// `article`, `tourist_site`, `unesco_site`, `sanatorium`, `monument`, `souvenir` or `event`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: ResourceType,
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
pub struct SearchFilters {
    /// The words to find (any text; quotes and operators are treated as spaces). Required, at most 200 characters.
    #[param(value_type = String)]
    pub q: Option<String>,
    /// Comma-separated item types to search (default all): `article`,
    /// `tourist_site`, `unesco_site`, `sanatorium`, `monument`, `souvenir`,
    /// `event`, the words of each hit's `type`. (The collection names, like
    /// `unesco-sites`, are accepted too.)
    pub types: Option<String>,
}

/// `q` is search's own: required, and worded for ranked search, not a list's filter.
impl ListFilters for SearchFilters {
    const SORTS: &'static [&'static str] = &["relevance"];
    const DEFAULT_SORT: &'static str = "relevance";
    const LANG_DOC: Option<&'static str> =
        Some("Locale searched and answered in (`be`, `ru`, `en`).");
    const PARAM_ORDER: &'static [&'static str] = &["q", "types", "lang", "limit", "cursor", "page"];
}

/// The `types` parameter (search, suggestions, nearby): some of `allowed`, all
/// when absent.
pub fn parse_types(v: Option<&str>, allowed: &[ResourceType]) -> AppResult<Vec<ResourceType>> {
    ResourceType::parse_list(v, allowed).map_err(|message| AppError::bad_param("types", message))
}

/// `q` of search and suggestions: required, trimmed, at most `max` characters.
pub fn required_q(q: Option<&str>, max: usize) -> AppResult<&str> {
    let text = q
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::bad_param("q", "is required"))?;
    if text.chars().count() > max {
        return Err(AppError::bad_param(
            "q",
            format!("must be at most {max} characters"),
        ));
    }
    Ok(text)
}

/// Search everything
///
/// Ranked full-text search over public articles, places of every kind and events
/// in one locale: hits carry `type` (the item type, like `unesco_site`), id, slug,
/// title, a highlighted snippet and a score, best first. `types` narrows the item
/// types; pages follow `links.next` or `cursor`, or `page`. Public and cacheable.
#[utoipa::path(
    tag = "search",
    params(ListQuery<SearchFilters>),
    responses(
        (status = 200, description = "Public items matching every word, best first, with highlighted snippets. English and Russian are stemmed on both databases (Russian with Snowball: `театрами` finds `Театры`); Belarusian words also match longer forms sharing their stem. Per type, the newest 500 matches (`BELPORTAL_SEARCH_WINDOW`) are ranked: `meta.total` counts the ranked matches (what can be paged through) and `meta.total_capped` is true when more documents matched (show \"500+\"; add a word, or use `q` in a list, which is exact, to reach older items). Every word also matches its fold (README, \"Search\": `Нясвіж` finds `Niasviž`), and places' aliases are searched. When the first page has room, matches of the closest spelling one letter off (two in words of 8+ letters) follow the exact ones; with no exact match, `meta.did_you_mean` names that spelling.", body = ListBody<SearchHit>),
        (status = 400, description = "Missing or too long `q`, unknown type, or another bad parameter"),
    )
)]
#[get("/search")]
pub async fn search_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<SearchFilters>,
) -> AppResult<HttpResponse> {
    let p = &query.filters;
    let locale = negotiate(&req, query.common.lang.as_deref(), &state.config)?;
    let text = required_q(p.q.as_deref(), 200)?;
    let types = parse_types(p.types.as_deref(), ResourceType::SEARCHABLE)?;
    let params = query.params()?;
    let offset = match &params.paging {
        Paging::Cursor(Some(c)) => c.key_i64()?.max(0),
        _ => params.offset(),
    };
    let limit = params.limit;
    let parsed = SearchQuery::parse(text, &locale);
    let forgiven = match parsed {
        None => search::Forgiven {
            found: search::Found {
                total: 0,
                capped: false,
                hits: Vec::new(),
            },
            did_you_mean: None,
        },
        Some(q) => {
            let limits = search::Limits {
                window: state.config.search_window,
                bm25_max_docs: state.config.search_bm25_max_docs,
            };
            db::run(&state.pool, move |conn| {
                let at = search::SearchPage {
                    now: db::now(),
                    limits,
                    limit: limit + 1,
                    offset,
                };
                search::search_forgiving(conn, &q, &types, at)
            })
            .await?
        }
    };
    let search::Found {
        total,
        capped,
        hits,
    } = forgiven.found;
    let has_more = hits.len() as i64 > limit;
    let items: Vec<SearchHit> = hits
        .into_iter()
        .take(limit as usize)
        .map(|h| SearchHit {
            kind: h.resource,
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
        did_you_mean: None,
    };
    Ok(response::list_in(
        &req,
        Some(&locale),
        &params,
        page,
        Some(SearchMeta {
            total_capped: capped,
            did_you_mean: forgiven.did_you_mean,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::search::plain_text;

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

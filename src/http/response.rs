//! Response building: JSON bodies with Content-Language, and the list envelope
//! with `meta`, `links` and an RFC 8288 `Link` header.

use actix_web::body::MessageBody;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::params::{CursorKey, ListParams, Sort};

pub mod rfc3339;

/// `{data, meta, links}`: every list has this shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListBody<T> {
    pub data: Vec<T>,
    pub meta: ListMeta,
    pub links: ListLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    /// Items matching the filters, over all pages.
    pub total: i64,
    pub limit: i64,
    /// The page number when paging with `page`, else null.
    pub page: Option<i64>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Search only: more documents matched than were ranked (`total` counts
    /// the ranked ones, the newest `BELPORTAL_SEARCH_WINDOW` (500) matches of each type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_capped: Option<bool>,
    /// Search and lists with `q`: the spelling whose matches are shown when the
    /// words as typed matched nothing (one or two letters off; see README, "Search").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
}

/// The `meta` fields only search has.
#[derive(Debug, Clone, Default)]
pub struct SearchMeta {
    pub total_capped: bool,
    pub did_you_mean: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub next: Option<String>,
}

pub use crate::paging::Page;

/// A 200 with a body of `content_type` (a feed, a calendar, GeoJSON, JSON-LD)
/// in `locale`.
pub fn typed(content_type: &str, locale: &str, body: impl MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_LANGUAGE, locale.to_string()))
        .body(body)
}

pub fn json<T: Serialize>(locale: Option<&str>, body: &T) -> HttpResponse {
    json_tagged(locale, body, None)
}

/// `json` for one writable item whose own version is `own`: its ETag is
/// `"<own>-<body>"`, so `If-Match` survives writes to other items (see
/// `http::preconditions`).
pub fn item<T: Serialize>(locale: Option<&str>, body: &T, own: &str) -> HttpResponse {
    json_tagged(locale, body, Some(own))
}

fn json_tagged<T: Serialize>(locale: Option<&str>, body: &T, own: Option<&str>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type("application/json");
    if let Some(l) = locale {
        res.insert_header((header::CONTENT_LANGUAGE, l.to_string()));
    }
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            if let Some(own) = own {
                res.insert_header((header::ETAG, super::preconditions::item_etag(own, &bytes)));
            }
            res.body(bytes)
        }
        Err(_) => actix_web::ResponseError::error_response(&crate::error::AppError::Internal(
            "serialization failed".into(),
        )),
    }
}

/// `201 Created` with `body` and the new item's path in `Location`.
pub fn created<T: Serialize>(body: &T, location: &str) -> HttpResponse {
    let mut res = json(None, body);
    *res.status_mut() = actix_web::http::StatusCode::CREATED;
    if let Ok(v) = header::HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// `201 Created` for a body that carries a secret (a new API key, a webhook's
/// signing secret): `Cache-Control: private, no-store`, so no cache keeps it.
pub fn created_secret<T: Serialize>(body: &T, location: &str) -> HttpResponse {
    let mut res = created(body, location);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(crate::http::edge::NO_STORE),
    );
    res
}

/// The request's path and query with the paging parameters replaced.
fn link_with(req: &HttpRequest, set: Option<(&str, String)>) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    if let Some((k, v)) = set {
        pairs.retain(|(name, _)| name != "cursor" && name != "page");
        pairs.push((k.to_string(), v));
    }
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if qs.is_empty() {
        req.path().to_string()
    } else {
        format!("{}?{}", req.path(), qs)
    }
}

/// The `meta`, `links` and `Link` header value of a list page.
pub fn list_parts<T>(
    req: &HttpRequest,
    params: &ListParams,
    page: &Page<T>,
) -> (ListMeta, ListLinks, Option<String>) {
    let next_cursor = page.next_key.as_ref().map(CursorKey::encode);
    let next = match (params.page(), &next_cursor) {
        (Some(p), _) if page.has_more => Some(link_with(req, Some(("page", (p + 1).to_string())))),
        (None, Some(c)) => Some(link_with(req, Some(("cursor", c.clone())))),
        _ => None,
    };
    let mut link_header = Vec::new();
    if let Some(n) = &next {
        link_header.push(format!("<{n}>; rel=\"next\""));
    }
    if let Some(p) = params.page() {
        let last = ((page.total + params.limit - 1) / params.limit).max(1);
        link_header.push(format!(
            "<{}>; rel=\"first\"",
            link_with(req, Some(("page", "1".into())))
        ));
        if p > 1 {
            let prev = (p - 1).min(last);
            link_header.push(format!(
                "<{}>; rel=\"prev\"",
                link_with(req, Some(("page", prev.to_string())))
            ));
        }
        link_header.push(format!(
            "<{}>; rel=\"last\"",
            link_with(req, Some(("page", last.to_string())))
        ));
    }
    let meta = ListMeta {
        total: page.total,
        limit: params.limit,
        page: params.page(),
        next_cursor,
        total_capped: None,
        did_you_mean: page.did_you_mean.clone(),
    };
    let links = ListLinks {
        self_: link_with(req, None),
        next,
    };
    let header = (!link_header.is_empty()).then(|| link_header.join(", "));
    (meta, links, header)
}

pub fn with_link_header(mut res: HttpResponse, link: Option<String>) -> HttpResponse {
    if let Some(v) = link.and_then(|l| header::HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LINK, v);
    }
    res
}

/// A page of a list in the envelope, with Content-Language `locale`.
pub fn list<T: Serialize + ToSchema + 'static>(
    req: &HttpRequest,
    locale: &str,
    params: &ListParams,
    page: Page<T>,
) -> HttpResponse {
    list_in(req, Some(locale), params, page, None)
}

/// A page of a list in the envelope: `locale` is `None` for lists that are not
/// localized (media, admin and editor lists); `search` is search's meta. Each
/// item in the list's shape (`fields`, `include`); an unknown field is a 400.
pub fn list_in<T: Serialize + ToSchema + 'static>(
    req: &HttpRequest,
    locale: Option<&str>,
    params: &ListParams,
    page: Page<T>,
    search: Option<SearchMeta>,
) -> HttpResponse {
    if let Err(e) = params.shape.check::<T>() {
        return actix_web::ResponseError::error_response(&e);
    }
    let (mut meta, links, link) = list_parts(req, params, &page);
    if let Some(s) = search {
        meta.total_capped = Some(s.total_capped);
        meta.did_you_mean = s.did_you_mean.or(meta.did_you_mean);
    }
    let body = ListBody {
        data: params.shape.items(page.items),
        meta,
        links,
    };
    with_link_header(json(locale, &body), link)
}

/// The admin lists (keys, webhooks): every item on one page of up to 100, by id.
pub fn admin_list<T: Serialize + ToSchema + 'static>(
    req: &HttpRequest,
    all: Vec<T>,
) -> HttpResponse {
    let params = ListParams::first_page(
        100,
        Sort {
            field: "id",
            desc: false,
        },
    );
    let page = Page::from_slice(all, &params);
    list_in(req, None, &params, page, None)
}

//! Cross-cutting response rules: strong ETags with 304 and Cache-Control on GETs
//! (inner, on the uncompressed body), the body's content coding (made here, once
//! per response or cached entry: `http::encoding`), and request ids, Vary, problem+json for
//! every error and 5xx logging (outermost).

use actix_web::body::{to_bytes, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AcceptEncoding;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, Error, HttpMessage, HttpResponse};

use crate::error::{problem_response, PROBLEM_JSON};
use crate::http::encoding::{self, Coding};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const VARY_VALUE: &str = "Accept, Accept-Language, Accept-Encoding";

/// Settings the middleware reads from app data.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub cache_max_age: u32,
}

/// Marks a response (in its extensions) that carries its own validators and
/// `Cache-Control` and may be large (media files): `conditional_get` passes it
/// through without buffering the body or touching its headers.
#[derive(Debug, Clone, Copy)]
pub struct SelfValidated;

/// The request id, stored in request extensions for logging.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A strong ETag from the body bytes (xxh3-128: fast, and collisions are not a
/// security concern for cache validators).
pub fn etag_for(bytes: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// RFC 9110 13.1.2: weak comparison for If-None-Match.
pub fn if_none_match_matches(header_value: &str, etag: &str) -> bool {
    let etag = etag.trim_start_matches("W/");
    header_value
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// The 304 for a 200 GET whose headers are final, when `If-None-Match` matches
/// its ETag (the same in every content coding: see docs/PERFORMANCE.md).
fn not_modified(headers: &[(HeaderName, HeaderValue)], inm: Option<&str>) -> Option<HttpResponse> {
    let etag = headers
        .iter()
        .find(|(n, _)| n == header::ETAG)
        .and_then(|(_, v)| v.to_str().ok())
        .unwrap_or("");
    if !inm.is_some_and(|v| if_none_match_matches(v, etag)) {
        return None;
    }
    let mut not_modified = HttpResponse::NotModified();
    for (name, v) in headers {
        if [
            header::ETAG,
            header::CACHE_CONTROL,
            header::CONTENT_LANGUAGE,
            header::LINK,
        ]
        .contains(name)
        {
            not_modified.insert_header((name.clone(), v.clone()));
        }
    }
    Some(not_modified.finish())
}

/// A 200 with these headers and `body`, already in `coding` when there is one.
fn ok_response(
    headers: &[(HeaderName, HeaderValue)],
    body: Bytes,
    coding: Option<Coding>,
) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    for (name, v) in headers {
        res.append_header((name.clone(), v.clone()));
    }
    if let Some(c) = coding {
        res.insert_header((header::CONTENT_ENCODING, c.header_value()));
    }
    res.body(body)
}

/// Whether a body of this type and size is worth compressing (as `Compress`
/// decides: not images other than SVG, not video; and not tiny bodies).
fn compressible(headers: &[(HeaderName, HeaderValue)], len: usize) -> bool {
    if len < encoding::MIN_SIZE {
        return false;
    }
    let ct = |n: &HeaderName| n == header::CONTENT_TYPE;
    !headers.iter().any(|(n, v)| {
        n == header::CONTENT_ENCODING
            || (ct(n) && {
                let v = v.as_bytes();
                (v.starts_with(b"image/") && !v.starts_with(b"image/svg"))
                    || v.starts_with(b"video/")
            })
    })
}

/// Strong ETags and 304s on every successful GET, `Cache-Control`, and the
/// short-lived response cache for anonymous GETs (an item response is kept
/// with what it shows, `cache::ItemDeps`, for targeted invalidation).
pub async fn conditional_get(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_get = matches!(*req.method(), Method::GET | Method::HEAD);
    let authed = req.headers().contains_key(header::AUTHORIZATION);
    let max_age = req
        .app_data::<web::Data<HttpSettings>>()
        .map(|s| s.cache_max_age)
        .unwrap_or(60);
    // The coding this GET's body will be sent in (None: identity).
    let coding = is_get
        .then(|| Coding::negotiate(req.get_header::<AcceptEncoding>().as_ref()))
        .flatten();
    let inm = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let state = req.app_data::<web::Data<crate::AppState>>();
    let made = state.map(|s| s.caches.compressions.clone());
    // Only the content API is cached: `/metrics` (answered by the Prometheus
    // middleware inside this one), the probes and the docs never are.
    let content = req.path().starts_with("/v1/");
    let cache = match state {
        Some(state) if is_get && !authed && content => state
            .caches
            .responses
            .clone()
            .map(|c| (c, state.caches.response_results.clone())),
        _ => None,
    };
    let key = cache.as_ref().map(|_| {
        let h = |n: header::HeaderName| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        format!(
            "{}|{}|{}",
            req.uri(),
            h(header::ACCEPT),
            h(header::ACCEPT_LANGUAGE)
        )
    });
    if let (Some((c, counter)), Some(key)) = (&cache, &key) {
        if let crate::cache::Lookup::Hit(hit) = c.lookup(key) {
            counter.with_label_values(&["hit"]).inc();
            let (http_req, _) = req.into_parts();
            let res = match not_modified(&hit.headers, inm.as_deref()) {
                Some(r) => r,
                None => match coding.filter(|_| compressible(&hit.headers, hit.body.len())) {
                    Some(c) => match hit.encoded(c, made.as_ref()) {
                        Ok(b) => ok_response(&hit.headers, b, Some(c)),
                        Err(_) => ok_response(&hit.headers, hit.body.clone(), None),
                    },
                    None => ok_response(&hit.headers, hit.body.clone(), None),
                },
            };
            return Ok(ServiceResponse::new(http_req, res));
        }
        counter.with_label_values(&["miss"]).inc();
    }
    let res = next.call(req).await?;
    if res.response().extensions().get::<SelfValidated>().is_some() {
        return Ok(res.map_into_boxed_body());
    }
    if !is_get || res.status() != StatusCode::OK {
        return Ok(res.map_into_boxed_body());
    }
    if matches!(res.response().body().size(), BodySize::Stream) {
        // Streams (exports) are not buffered to compute a validator.
        return Ok(res.map_into_boxed_body());
    }
    // An item response says what it shows: a write drops it only if it can change it.
    let deps = res
        .response()
        .extensions()
        .get::<crate::cache::ItemDeps>()
        .map(|d| d.0.clone());
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = match to_bytes(body).await {
        Ok(b) => b,
        Err(_) => {
            let r = problem_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "an unexpected error occurred".into(),
                None,
            );
            return Ok(ServiceResponse::new(req, r));
        }
    };
    let headers = head.headers_mut();
    if !headers.contains_key(header::ETAG) {
        if let Ok(v) = HeaderValue::from_str(&etag_for(&bytes)) {
            headers.insert(header::ETAG, v);
        }
    }
    if authed || req.path() == crate::ops::METRICS_PATH {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(crate::http::edge::NO_STORE),
        );
    } else if !headers.contains_key(header::CACHE_CONTROL) {
        if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
            headers.insert(header::CACHE_CONTROL, v);
        }
    }
    let stored: Vec<(HeaderName, HeaderValue)> = headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let no_store = headers
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes().windows(8).any(|w| w == b"no-store"));
    let entry =
        std::sync::Arc::new(crate::cache::CachedResponse::new(stored, bytes).with_deps(deps));
    if let (Some((c, _)), Some(key), false) = (&cache, key, no_store) {
        c.insert(key, entry.clone());
    }
    if let Some(r) = not_modified(&entry.headers, inm.as_deref()) {
        return Ok(ServiceResponse::new(req, r));
    }
    let coding = coding.filter(|_| compressible(&entry.headers, entry.body.len()));
    let res = match coding.map(|c| (c, entry.encoded(c, made.as_ref()))) {
        Some((c, Ok(b))) => ok_response(&entry.headers, b, Some(c)),
        // Sent as it is; `Compress` encodes it.
        _ => ok_response(&entry.headers, entry.body.clone(), None),
    };
    Ok(ServiceResponse::new(req, res))
}

fn valid_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?.trim();
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| s.to_string())
}

pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let rid = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(valid_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(rid.clone()));
    let mut req = req;
    if req.method() == Method::HEAD {
        // HEAD is GET without a body: route it as GET; the HTTP layer, which saw
        // the original method, sends headers only.
        req.head_mut().method = Method::GET;
    }
    let is_get = matches!(*req.method(), Method::GET | Method::HEAD);
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if status.is_server_error() {
        let cause = res
            .response()
            .error()
            .map(|e| format!("{e:?}"))
            .unwrap_or_default();
        let (method, path) = (res.request().method(), res.request().path());
        let client = res
            .request()
            .extensions()
            .get::<crate::http::edge::ClientAddr>()
            .and_then(|c| c.0)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        tracing::error!(request_id = %rid, %client, %method, %path, status = status.as_u16(), %cause, "request failed");
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        // The framework's own errors (and any middleware's) become problem+json too.
        let (req, old) = res.into_parts();
        let keep: Vec<(HeaderName, HeaderValue)> = [
            header::ALLOW,
            header::RETRY_AFTER,
            header::CACHE_CONTROL,
            header::WWW_AUTHENTICATE,
            crate::http::edge::RATELIMIT_POLICY,
            crate::http::edge::RATELIMIT,
        ]
        .into_iter()
        .filter_map(|n| old.headers().get(&n).map(|v| (n, v.clone())))
        .collect();
        let text = to_bytes(old.into_body()).await.unwrap_or_default();
        let detail = match std::str::from_utf8(&text) {
            Ok(t) if status.is_client_error() && !t.trim().is_empty() && t.len() < 500 => {
                t.trim().to_string()
            }
            _ => status.canonical_reason().unwrap_or("Error").to_string(),
        };
        let mut fresh = problem_response(status, detail, None);
        for (n, v) in keep {
            fresh.headers_mut().insert(n, v);
        }
        res = ServiceResponse::new(req, fresh);
    }
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&rid) {
        headers.insert(REQUEST_ID, v);
    }
    if is_get {
        headers.insert(header::VARY, HeaderValue::from_static(VARY_VALUE));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        let e = etag_for(b"hello");
        assert!(if_none_match_matches(&e, &e));
        assert!(if_none_match_matches(&format!("\"x\", W/{e}"), &e));
        assert!(if_none_match_matches("*", &e));
        assert!(!if_none_match_matches("\"other\"", &e));
    }

    #[test]
    fn etag_is_strong_and_depends_on_the_bytes() {
        assert!(etag_for(b"a").starts_with('"'));
        assert_ne!(etag_for(b"a"), etag_for(b"b"));
    }
}

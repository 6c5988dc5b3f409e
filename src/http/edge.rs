//! The edge of every request, before the response cache and any handler: the
//! client address (through trusted proxies only), the API key (any
//! `Authorization` header must be a valid key, else 401), the rate limit (per
//! key, else per address; 429 with `Retry-After`), the `RateLimit-Policy` /
//! `RateLimit` headers, and `Cache-Control: private, no-store` on every response to a
//! request that carried a key.

use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};

use crate::error::AppError;
use crate::http::auth::{self, Authenticated};
use crate::http::ratelimit::{cost, Decision, RateKey};
use crate::net;
use crate::AppState;

/// `Cache-Control` of every response to a request with a key, and of secrets (API.md).
pub const NO_STORE: &str = "private, no-store";
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client's address (in request extensions): the peer, or, when the peer is a
/// trusted proxy, the first untrusted hop of its forwarding header. None when the
/// connection has no peer address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

fn client_addr(req: &ServiceRequest, trusted: &[net::Cidr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if trusted.is_empty() {
        return Some(net::canonical(peer));
    }
    let values = |name: &HeaderName| -> Vec<&str> {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect()
    };
    let forwarded = values(&FORWARDED);
    let hops = if forwarded.is_empty() {
        net::x_forwarded_for(&values(&X_FORWARDED_FOR))
    } else {
        net::forwarded_for(&forwarded)
    };
    Some(net::client_addr(peer, &hops, trusted))
}

fn set_limit_headers(headers: &mut HeaderMap, d: &Decision) {
    for (name, value) in [(RATELIMIT_POLICY, &d.policy), (RATELIMIT, &d.state)] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
}

/// A response the edge gives itself (401, 429), with the limit headers.
fn refuse(
    req: ServiceRequest,
    err: AppError,
    decision: Option<&Decision>,
) -> ServiceResponse<BoxBody> {
    let mut res = err.error_response();
    if let Some(d) = decision {
        set_limit_headers(res.headers_mut(), d);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    req.into_response(res)
}

pub async fn edge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let client = client_addr(&req, &state.config.trusted_proxies);
    req.extensions_mut().insert(ClientAddr(client));
    let has_key = req.headers().contains_key(header::AUTHORIZATION);
    let caller = if has_key {
        auth::authenticate(req.request()).await
    } else {
        Ok(None)
    };
    let bucket = match &caller {
        Ok(Some(c)) => RateKey::Key(c.key_id),
        // Bad keys are charged to the address: guessing keys is rate-limited too.
        _ => RateKey::for_addr(client),
    };
    let decision = state
        .limiter
        .as_ref()
        .map(|l| l.check(&bucket, cost(req.method(), req.path(), req.query_string())));
    if let Some(retry_after) = decision.as_ref().and_then(|d| d.retry_after) {
        tracing::info!(client = ?client, by = ?bucket, path = %req.path(), "rate limited");
        let err = AppError::TooManyRequests { retry_after };
        return Ok(refuse(req, err, decision.as_ref()));
    }
    match caller {
        Err(err) => return Ok(refuse(req, err, decision.as_ref())),
        Ok(Some(c)) => {
            req.extensions_mut().insert(Authenticated(c));
        }
        Ok(None) => {}
    }
    // Anonymous reads may come from the read replica (`db::replica`); a
    // request with a key reads the primary, so an editor sees their writes.
    let anonymous_read = !has_key && matches!(*req.method(), Method::GET | Method::HEAD);
    let res = next.call(req);
    let res = if anonymous_read {
        crate::db::replica::anonymous_read(res).await
    } else {
        res.await
    };
    let mut res = res?.map_into_boxed_body();
    let headers = res.headers_mut();
    if let Some(d) = &decision {
        set_limit_headers(headers, d);
    }
    if has_key {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    }
    Ok(res)
}

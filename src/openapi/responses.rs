//! The shared responses (`#/components/responses/...`): every error is an RFC
//! 9457 problem, and the statuses many operations share are declared once here
//! and referenced from each operation.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Content, ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// A problem+json body.
fn problem() -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

/// A documented header of type `ty`.
pub(super) fn header(ty: Type, description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(ty)))
        .description(Some(description))
        .build()
}

fn retry_after(what: &str) -> Header {
    header(
        Type::Integer,
        &format!("Whole seconds to wait before retrying{what}, at least 1"),
    )
}

/// An error response: a problem+json body and `description`.
fn error(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", problem())
}

/// The shared responses, by name.
fn shared() -> Vec<(&'static str, Response)> {
    vec![
        ("ClientError", error("Client error (bad parameter or body, missing or bad key, unknown item, ...): a problem+json whose `detail` says what to change").build()),
        ("ServerError", error("Server error: a problem+json that leaks no internals; the request id (`X-Request-Id`) finds it in the logs").build()),
        ("BadRequest", error("A bad parameter or body: `detail` names the parameter and what it allows (unknown parameters, values out of range, a malformed cursor, unknown `fields`)").build()),
        ("Unauthorized", error("No valid API key: `Authorization: Bearer <key>` is missing, unknown or revoked (also an editor-only parameter such as `status` sent without a key)")
            .header("WWW-Authenticate", header(Type::String, "`Bearer`"))
            .build()),
        ("Forbidden", error("The key's role may not do this (an `editor` key on an admin endpoint)").build()),
        ("PayloadTooLarge", error("The body is larger than this endpoint takes (1 MiB of JSON; see the endpoint for uploads and imports)").build()),
        ("UnsupportedMediaType", error("The body's `Content-Type` is not one this endpoint takes (JSON: `application/json` or `application/merge-patch+json`)").build()),
        ("NotModified", ResponseBuilder::new()
            .description("Not modified: `If-None-Match` names the current `ETag`; no body. Reuse the cached representation")
            .header("ETag", header(Type::String, "The current strong validator"))
            .header("Cache-Control", header(Type::String, "As on the 200"))
            .build()),
        ("TooManyRequests", error("Rate limit exceeded (per API key, or per client address without one): retry after `Retry-After` seconds")
            .header("Retry-After", retry_after(""))
            .header("RateLimit-Policy", header(Type::String, "The quota policy (draft-ietf-httpapi-ratelimit-headers-10), e.g. `\"default\";q=100;w=2`; on every response while limiting is on"))
            .header("RateLimit", header(Type::String, "What is left of the quota, e.g. `\"default\";r=0;t=1`; on every response while limiting is on"))
            .build()),
        ("ServiceUnavailable", error("Temporarily unavailable: the database did not answer within the read timeout, is read-only (a write during failover or maintenance), or the server is overloaded (no database connection free in time). Safe to retry after `Retry-After`")
            .header("Retry-After", retry_after(" (a few seconds)"))
            .build()),
    ]
}

/// Declares the error responses once for every operation: `4XX` and `5XX`
/// answer with RFC 9457 problem details, `429` and `503` with `Retry-After`,
/// and every error status an operation names for a client to handle (404, 409,
/// 412, 422, ...) carries the same problem+json body, so an annotation only
/// says which status and why.
pub fn declare_errors(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    for (name, response) in shared() {
        components.responses.insert(name.into(), response.into());
    }
    for op in super::operations::each(api).map(|(_, _, op)| op) {
        for (status, response) in op.responses.responses.iter_mut() {
            let is_error = status.starts_with('4') || status.starts_with('5');
            if let (true, RefOr::T(r)) = (is_error, response) {
                if r.content.is_empty() {
                    r.content
                        .insert("application/problem+json".into(), problem().into());
                }
            }
        }
        for (status, name) in [
            ("429", "TooManyRequests"),
            ("503", "ServiceUnavailable"),
            ("4XX", "ClientError"),
            ("5XX", "ServerError"),
        ] {
            refer(op, status, name);
        }
    }
}

/// Adds `status` as a reference to the shared response `name`, unless the
/// operation documents that status itself.
pub(super) fn refer(op: &mut Operation, status: &str, name: &str) {
    op.responses
        .responses
        .entry(status.into())
        .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
}

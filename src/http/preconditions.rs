//! `If-Match` on PATCH and DELETE: a write based on an older version of the
//! item is a 412.
//!
//! The ETag of a writable item is `"<own>-<body>"`: `own` hashes the item's
//! own stored state (its writable fields, what a PATCH merges onto), `body`
//! hashes the bytes sent. `If-Match` compares only `own`, so writes to other
//! items that change this item's body (its `related` list, a section's
//! name shown in it) never fail an editor's precondition, while any change
//! to the item itself does. Caches and `If-None-Match` see the whole ETag,
//! which changes whenever the body does.

use actix_web::http::header;
use actix_web::HttpRequest;
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// The `own` part of an item's ETag: 16 hex digits of the xxh3 of its
/// stored writable fields as JSON.
pub fn own_version<T: Serialize>(fields: &T) -> String {
    let bytes = serde_json::to_vec(fields).unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// `"<own>-<xxh3-128 of body>"`: the strong ETag of a writable item.
pub fn item_etag(own: &str, body: &[u8]) -> String {
    format!("\"{own}-{:032x}\"", xxhash_rust::xxh3::xxh3_128(body))
}

/// 412 unless `If-Match` (when sent) names the current representation
/// (strong comparison, RFC 9110 13.1.1; `*` matches any existing item). For
/// resources whose body is only their own state (media items).
pub fn check_if_match(if_match: Option<&str>, current: &str) -> AppResult<()> {
    if_match_with(if_match, |t| t == current)
}

/// 412 unless `If-Match` (when sent) names the item's current own version:
/// an ETag `"<own>-<body>"` whose `own` part is `current_own` (strong
/// comparison of that part; `*` matches any existing item).
pub fn check_own_if_match(if_match: Option<&str>, current_own: &str) -> AppResult<()> {
    if_match_with(if_match, |t| {
        t.trim_matches('"').split_once('-').map(|(own, _)| own) == Some(current_own)
    })
}

fn if_match_with(if_match: Option<&str>, matches: impl Fn(&str) -> bool) -> AppResult<()> {
    let Some(v) = if_match else { return Ok(()) };
    let ok = v
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || (!t.starts_with("W/") && matches(t)));
    if ok {
        Ok(())
    } else {
        Err(AppError::PreconditionFailed(
            "the item has changed since the ETag in If-Match was issued; fetch it again".into(),
        ))
    }
}

pub fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_uses_strong_comparison() {
        let e = "\"abc\"";
        assert!(check_if_match(None, e).is_ok());
        assert!(check_if_match(Some("\"abc\""), e).is_ok());
        assert!(check_if_match(Some("\"x\", \"abc\""), e).is_ok());
        assert!(check_if_match(Some("*"), e).is_ok());
        assert!(check_if_match(Some("W/\"abc\""), e).is_err());
        assert!(check_if_match(Some("\"old\""), e).is_err());
    }

    #[test]
    fn if_match_compares_the_own_version() {
        let own = "00000000000000ab";
        let e = item_etag(own, b"body");
        assert!(e.starts_with("\"00000000000000ab-") && e.ends_with('"'));
        assert!(check_own_if_match(None, own).is_ok());
        assert!(check_own_if_match(Some(&e), own).is_ok());
        // Another body, same own state: still the version the editor saw.
        assert!(check_own_if_match(Some(&item_etag(own, b"other body")), own).is_ok());
        assert!(check_own_if_match(Some(&format!("\"x\", {e}")), own).is_ok());
        assert!(check_own_if_match(Some("*"), own).is_ok());
        assert!(check_own_if_match(Some(&format!("W/{e}")), own).is_err());
        assert!(check_own_if_match(Some(&item_etag("00000000000000ac", b"body")), own).is_err());
        assert!(check_own_if_match(Some("\"old\""), own).is_err());
    }

    #[test]
    fn own_version_depends_on_the_fields() {
        let a = own_version(&serde_json::json!({"title": "a"}));
        assert_eq!(a.len(), 16);
        assert_eq!(a, own_version(&serde_json::json!({"title": "a"})));
        assert_ne!(a, own_version(&serde_json::json!({"title": "b"})));
    }
}

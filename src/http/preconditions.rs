//! `If-Match` on PATCH and DELETE: a write based on an older version is a 412.

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::error::{AppError, AppResult};

/// 412 unless `If-Match` (when sent) names the current representation
/// (strong comparison, RFC 9110 13.1.1; `*` matches any existing item).
pub fn check_if_match(if_match: Option<&str>, current: &str) -> AppResult<()> {
    let Some(v) = if_match else { return Ok(()) };
    let ok = v
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || (!t.starts_with("W/") && t == current));
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
}

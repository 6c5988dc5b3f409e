//! The HTTP edge: allowed CORS origins, the public URL, the trusted proxies
//! and the rate limit.

use super::{err, number, Config, ConfigError};

/// `BELPORTAL_CORS_ORIGINS`: comma-separated http(s) origins.
pub(super) fn cors_origins(v: &str) -> Result<Vec<String>, ConfigError> {
    let mut origins = Vec::new();
    for o in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parsed = url::Url::parse(o).map_err(|_| {
            err(
                "BELPORTAL_CORS_ORIGINS",
                format!("`{o}` is not an origin URL"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(err(
                "BELPORTAL_CORS_ORIGINS",
                format!("`{o}` is not an http(s) origin"),
            ));
        }
        origins.push(o.trim_end_matches('/').to_string());
    }
    Ok(origins)
}

/// `BELPORTAL_PUBLIC_URL` (default: `http://` and the listen address),
/// `BELPORTAL_TRUSTED_PROXIES`, `BELPORTAL_RATE_LIMIT` and
/// `BELPORTAL_RATE_LIMIT_BURST` (default: twice the rate).
pub(super) fn read(
    get: &dyn Fn(&str) -> Option<String>,
    c: &mut Config,
) -> Result<(), ConfigError> {
    c.public_url = match get("BELPORTAL_PUBLIC_URL") {
        Some(v) => parse_public_url(&v)?,
        None => format!("http://{}", c.addr),
    };
    if let Some(v) = get("BELPORTAL_TRUSTED_PROXIES") {
        c.trusted_proxies = v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                crate::net::Cidr::parse(s).ok_or_else(|| {
                    err(
                        "BELPORTAL_TRUSTED_PROXIES",
                        format!("`{s}` is not an address or CIDR block"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(n) = number(get, "BELPORTAL_RATE_LIMIT", 0, 1_000_000_000)? {
        c.rate_limit = n as u32;
    }
    c.rate_limit_burst = match number(get, "BELPORTAL_RATE_LIMIT_BURST", 1, 1_000_000_000)? {
        Some(n) => n as u32,
        None => c.rate_limit.saturating_mul(2).max(1),
    };
    Ok(())
}

/// `BELPORTAL_PUBLIC_URL`: an http(s) URL with a host and no query or fragment.
fn parse_public_url(v: &str) -> Result<String, ConfigError> {
    let bad = |m: &str| err("BELPORTAL_PUBLIC_URL", format!("`{v}` {m}"));
    let u = url::Url::parse(v.trim()).map_err(|_| bad("is not a URL"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(bad("is not an http(s) URL with a host"));
    }
    if u.query().is_some() || u.fragment().is_some() || !u.username().is_empty() {
        return Err(bad("must not have a query, fragment or user"));
    }
    Ok(u.as_str().trim_end_matches('/').to_string())
}

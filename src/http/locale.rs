//! Locale negotiation: `lang`, else `Accept-Language` (with q-values), else the default.

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::config::Config;
use crate::error::{AppError, AppResult};

/// Picks the response locale for a request.
pub fn negotiate(req: &HttpRequest, lang: Option<&str>, config: &Config) -> AppResult<String> {
    if let Some(lang) = lang {
        let l = lang.trim().to_ascii_lowercase();
        if config.is_supported_locale(&l) {
            return Ok(l);
        }
        return Err(AppError::bad_param(
            "lang",
            format!(
                "unsupported locale `{lang}`; supported: {}",
                config.locales.join(", ")
            ),
        ));
    }
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(from_accept_language(accept, &config.locales)
        .unwrap_or_else(|| config.default_locale.clone()))
}

/// The locales of a list that may fall back: `lang=be,ru,en` (a preference
/// list), or `fallback=true` (the negotiated locale, then the default, then
/// the other supported ones in configured order). One locale: no fallback.
pub fn negotiate_list(
    req: &HttpRequest,
    lang: Option<&str>,
    fallback: Option<&str>,
    config: &Config,
) -> AppResult<ListLocales> {
    let wants = match fallback.map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::bad_param("fallback", "expected true or false")),
    };
    let mut out: Vec<String> = Vec::new();
    match lang {
        Some(list) if list.contains(',') => {
            for l in list.split(',') {
                let l = negotiate(req, Some(l), config)?;
                if !out.contains(&l) {
                    out.push(l);
                }
            }
        }
        _ => out.push(negotiate(req, lang, config)?),
    }
    if wants {
        let rest = std::iter::once(&config.default_locale).chain(config.locales.iter());
        for l in rest {
            if !out.contains(l) {
                out.push(l.clone());
            }
        }
    }
    Ok(ListLocales(out))
}

/// The locales a list answers in, best first: one, or with fallback several.
#[derive(Debug, Clone)]
pub struct ListLocales(Vec<String>);

impl ListLocales {
    /// The locale asked for first: the items' locale unless they fall back.
    pub fn first(&self) -> &str {
        self.0.first().map_or("", String::as_str)
    }

    /// The preference list items fall back along; empty with one locale.
    pub fn fallback(&self) -> Vec<String> {
        if self.0.len() > 1 {
            self.0.clone()
        } else {
            Vec::new()
        }
    }

    /// `Content-Language` of the list: the preferred locales its items are in
    /// (`present`), in preference order (the first preference when there are none).
    pub fn content_language(&self, present: &[String]) -> String {
        let used: Vec<&str> = self
            .0
            .iter()
            .filter(|p| present.contains(p))
            .map(String::as_str)
            .collect();
        match used.as_slice() {
            [] => self.first().to_string(),
            all => all.join(", "),
        }
    }
}

/// The best supported locale named by an `Accept-Language` value (RFC 9110 12.5.4),
/// matching on the primary subtag; q=0 excludes. `*` ("any language") reached
/// before any supported tag gives None, so the caller answers in its default
/// locale rather than in whichever locale happens to be listed first.
pub fn from_accept_language(value: &str, supported: &[String]) -> Option<String> {
    let mut ranges: Vec<(String, f32, usize)> = Vec::new();
    for (i, part) in value.split(',').enumerate().take(32) {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        if tag.is_empty() {
            continue;
        }
        let mut q = 1.0f32;
        for p in pieces {
            if let Some(v) = p.trim().strip_prefix("q=") {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        if q > 0.0 && q <= 1.0 {
            ranges.push((tag, q, i));
        }
    }
    // Highest q first; equal q keeps header order.
    ranges.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    for (tag, _, _) in ranges {
        if tag == "*" {
            return None;
        }
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(l) = supported.iter().find(|l| l.as_str() == primary) {
            return Some(l.clone());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sup() -> Vec<String> {
        vec!["be".into(), "ru".into(), "en".into()]
    }

    #[test]
    fn highest_q_value_wins_over_header_order() {
        assert_eq!(
            from_accept_language("en;q=0.5, ru-RU;q=0.9, de", &sup()).as_deref(),
            Some("ru")
        );
    }

    #[test]
    fn unsupported_and_zero_q_ranges_are_skipped() {
        assert_eq!(from_accept_language("de, ru;q=0", &sup()), None);
        assert_eq!(
            from_accept_language("fr-CA, be-BY;q=0.3", &sup()).as_deref(),
            Some("be")
        );
    }

    #[test]
    fn a_wildcard_leaves_the_choice_to_the_default_locale() {
        assert_eq!(from_accept_language("*", &sup()), None);
        assert_eq!(from_accept_language("de, *;q=0.5", &sup()), None);
        assert_eq!(
            from_accept_language("*;q=0.5, ru;q=0.8", &sup()).as_deref(),
            Some("ru")
        );
    }

    #[test]
    fn garbage_headers_fall_back_to_none() {
        assert_eq!(from_accept_language(";;;,q=, ", &sup()), None);
        assert_eq!(from_accept_language("en;q=abc", &sup()), None);
    }
}

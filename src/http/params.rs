//! Query parameter parsing shared by every list: limit, cursor/page, sort, q,
//! updated_since, day ranges and months. Every bad value is a 400 naming the field.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use super::list::CommonParams;
use crate::domain::time::{minsk_days_utc, month_start};
use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;
pub const MAX_Q_LEN: usize = 200;
/// Numbered pages reach this many items deep (`page` × `limit`): a deeper
/// `OFFSET` makes the database walk every row before it; cursors seek instead.
pub const MAX_PAGE_DEPTH: i64 = 10_000;

pub use crate::paging::{CursorKey, ListParams, Paging, Sort};

impl ListParams {
    /// Validates the shared parameters as they came (see [`ListQuery::params`]);
    /// `sorts` lists the allowed fields; `default_sort` is like `-published_at`.
    ///
    /// [`ListQuery::params`]: super::list::ListQuery::params
    pub fn parse(
        raw: &CommonParams,
        sorts: &[&'static str],
        default_sort: &str,
    ) -> AppResult<Self> {
        let limit = match raw.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    AppError::bad_param(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
        let sort = parse_sort(raw.sort.as_deref().unwrap_or(default_sort), sorts)?;
        let paging = match (raw.cursor.as_deref(), raw.page.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_request(
                    "`cursor` and `page` cannot be combined; use one way of paging",
                ))
            }
            (Some(c), None) => {
                let key = CursorKey::decode(c).ok_or_else(crate::paging::invalid_cursor)?;
                if key.sort != sort.as_param() {
                    return Err(AppError::bad_param(
                        "cursor",
                        format!("this cursor belongs to sort `{}`", key.sort),
                    ));
                }
                Paging::Cursor(Some(key))
            }
            (None, Some(p)) => {
                let page = p
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| AppError::bad_param("page", "must be a whole number from 1"))?;
                if page.saturating_mul(limit) > MAX_PAGE_DEPTH {
                    return Err(AppError::bad_param(
                        "page",
                        format!(
                            "numbered pages reach {MAX_PAGE_DEPTH} items deep (page × limit); \
                             to read further, page with `cursor` (follow `links.next`)"
                        ),
                    ));
                }
                Paging::Page(page)
            }
            (None, None) => Paging::Cursor(None),
        };
        let q = parse_q(raw.q.as_deref())?;
        let updated_since = raw
            .updated_since
            .as_deref()
            .map(|v| parse_instant("updated_since", v))
            .transpose()?;
        Ok(ListParams {
            limit,
            paging,
            sort,
            q,
            updated_since,
            shape: Default::default(),
        })
    }
}

pub fn parse_sort(v: &str, sorts: &[&'static str]) -> AppResult<Sort> {
    let (desc, name) = match v.trim().strip_prefix('-') {
        Some(n) => (true, n),
        None => (false, v.trim()),
    };
    sorts
        .iter()
        .find(|s| **s == name)
        .map(|field| Sort { field, desc })
        .ok_or_else(|| {
            AppError::bad_param(
                "sort",
                format!(
                    "unknown sort `{v}`; allowed: {} (prefix `-` for descending)",
                    sorts.join(", ")
                ),
            )
        })
}

/// `q`: trimmed, non-empty, at most 200 characters, no control characters.
pub fn parse_q(v: Option<&str>) -> AppResult<Option<String>> {
    let Some(v) = v else { return Ok(None) };
    let t = v.trim();
    if t.is_empty() {
        return Err(AppError::bad_param("q", "must not be empty"));
    }
    if t.chars().count() > MAX_Q_LEN {
        return Err(AppError::bad_param(
            "q",
            format!("at most {MAX_Q_LEN} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(AppError::bad_param(
            "q",
            "must not contain control characters",
        ));
    }
    Ok(Some(t.to_string()))
}

/// An RFC 3339 instant with offset, returned as naive UTC.
pub fn parse_instant(field: &str, v: &str) -> AppResult<NaiveDateTime> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|t| t.with_timezone(&Utc).naive_utc())
        .map_err(|_| {
            AppError::bad_param(
                field,
                "must be an RFC 3339 date-time with offset, e.g. 2024-05-31T12:00:00Z",
            )
        })
}

pub fn parse_date(field: &str, v: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2200).contains(&d.year()))
        .ok_or_else(|| {
            AppError::bad_param(field, "must be a date YYYY-MM-DD between 1900 and 2200")
        })
}

/// The first day of the month a calendar asks for (`month`, required, `YYYY-MM`).
pub fn parse_month(month: Option<&str>) -> AppResult<NaiveDate> {
    let v = month.ok_or_else(|| AppError::bad_param("month", "is required (YYYY-MM)"))?;
    month_start(v).ok_or_else(|| {
        AppError::bad_param("month", "must be a month YYYY-MM between 1900 and 2200")
    })
}

/// `from`/`to` day range (inclusive, Minsk days) as a half-open UTC interval.
pub fn day_range(
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<(Option<NaiveDateTime>, Option<NaiveDateTime>)> {
    let from = from.map(|v| parse_date("from", v)).transpose()?;
    let to = to.map(|v| parse_date("to", v)).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::bad_param("to", "must not be before `from`"));
        }
    }
    Ok(minsk_days_utc(from, to))
}

/// A slug path segment or filter value: lowercase letters, digits and hyphens.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// An item path segment: a numeric id (typed: `ArticleId`, `PlaceId`, ...) or a slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef<I> {
    Id(I),
    Slug(String),
}

impl<I: From<i64>> ItemRef<I> {
    pub fn parse(v: &str) -> AppResult<Self> {
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            return v
                .parse::<i64>()
                .map(|id| ItemRef::Id(I::from(id)))
                .map_err(|_| AppError::not_found("no such item"));
        }
        if is_slug(v) {
            Ok(ItemRef::Slug(v.to_string()))
        } else {
            // Not a shape any item can have: nothing lives there.
            Err(AppError::not_found("no such item"))
        }
    }
}

/// The query of a content item endpoint: the locale, and an editor's preview.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContentItemQuery {
    /// Locale in which a slug is looked up and the response is given.
    pub lang: Option<String>,
    /// Editors only (needs a key): `draft`, `published` (scheduled included), `archived` or `any`, to preview items the public cannot see yet.
    #[param(pattern = "^(draft|published|archived|any)$")]
    pub status: Option<String>,
    /// Only these fields of the item (`id` always), comma-separated, like
    /// `fields=id,title`. An unknown field is a 400 listing the allowed ones.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["id", "title"]))]
    pub fields: Option<String>,
}

impl ContentItemQuery {
    /// The item's shape: `fields` (an item has every expansion).
    pub fn shape(&self) -> AppResult<super::shape::Shape> {
        super::shape::Shape::parse(self.fields.as_deref(), None, &[])
    }
}

/// Write paths address items by numeric id, typed as the resource's (`MediaId`, ...).
pub fn write_id<I: From<i64>>(path: &str) -> AppResult<I> {
    path.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(I::from)
        .ok_or_else(|| AppError::not_found("writes address items by their numeric id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::ArticleId;

    fn raw(limit: Option<&str>, cursor: Option<&str>, page: Option<&str>) -> CommonParams {
        CommonParams {
            limit: limit.map(str::to_string),
            cursor: cursor.map(str::to_string),
            page: page.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn limit_outside_1_to_100_is_rejected() {
        for bad in ["0", "101", "-1", "abc", "1.5", ""] {
            assert!(
                ListParams::parse(&raw(Some(bad), None, None), &["title"], "title").is_err(),
                "{bad}"
            );
        }
        let p = ListParams::parse(&raw(Some("100"), None, None), &["title"], "title").unwrap();
        assert_eq!(p.limit, 100);
    }

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_sort() {
        let c = CursorKey {
            sort: "-published_at".into(),
            key: serde_json::json!("2024-01-01T00:00:00Z"),
            id: 7,
        };
        let enc = c.encode();
        assert_eq!(CursorKey::decode(&enc), Some(c));
        let sorts = &["published_at", "title"];
        assert!(ListParams::parse(&raw(None, Some(&enc), None), sorts, "-published_at").is_ok());
        let r = CommonParams {
            cursor: Some(enc.clone()),
            sort: Some("title".into()),
            ..Default::default()
        };
        assert!(ListParams::parse(&r, sorts, "-published_at").is_err());
        assert!(ListParams::parse(&raw(None, Some("!!"), None), sorts, "-published_at").is_err());
    }

    #[test]
    fn cursor_and_page_together_are_rejected() {
        let c = CursorKey {
            sort: "title".into(),
            key: serde_json::json!("a"),
            id: 1,
        }
        .encode();
        assert!(ListParams::parse(&raw(None, Some(&c), Some("2")), &["title"], "title").is_err());
    }

    #[test]
    fn slugs_need_a_letter_and_no_odd_characters() {
        assert!(is_slug("fm-belarus-pakistan-talks"));
        assert!(!is_slug("123"));
        assert!(!is_slug("Bad Slug"));
        assert!(!is_slug("-x"));
        assert_eq!(ItemRef::parse("42").unwrap(), ItemRef::Id(ArticleId(42)));
        assert!(ItemRef::<ArticleId>::parse("99999999999999999999999").is_err());
    }
}

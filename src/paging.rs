//! Paging of every list: the validated parameters (limit, sort, cursor or page),
//! opaque keyset cursors, and one page of results. Shared by `http` (which
//! parses the parameters) and `db` (which pages queries by them).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// A sort order: a field name from the list's allowed set, ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: &'static str,
    pub desc: bool,
}

impl Sort {
    pub fn as_param(&self) -> String {
        if self.desc {
            format!("-{}", self.field)
        } else {
            self.field.to_string()
        }
    }
}

/// The position after the last item of a page: the sort key and the id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CursorKey {
    /// The sort the cursor belongs to (`-published_at`).
    #[serde(rename = "s")]
    pub sort: String,
    /// The sort key of the last item (string, number or null).
    #[serde(rename = "k")]
    pub key: serde_json::Value,
    #[serde(rename = "i")]
    pub id: i64,
}

impl CursorKey {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(s: &str) -> Option<Self> {
        if s.len() > 1024 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn key_str(&self) -> AppResult<&str> {
        self.key.as_str().ok_or_else(invalid_cursor)
    }

    pub fn key_i64(&self) -> AppResult<i64> {
        self.key.as_i64().ok_or_else(invalid_cursor)
    }

    pub fn key_time(&self) -> AppResult<NaiveDateTime> {
        let s = self.key_str()?;
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.naive_utc())
            .map_err(|_| invalid_cursor())
    }
}

pub(crate) fn invalid_cursor() -> AppError {
    AppError::bad_param("cursor", "not a cursor issued by this list")
}

#[derive(Debug, Clone, PartialEq)]
pub enum Paging {
    /// Keyset pagination; `None` is the first page.
    Cursor(Option<CursorKey>),
    /// Numbered pages, 1-based.
    Page(i64),
}

/// The parameters every list takes, validated.
#[derive(Debug, Clone)]
pub struct ListParams {
    pub limit: i64,
    pub paging: Paging,
    pub sort: Sort,
    pub q: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// `fields` and `include`: what of each item is sent.
    pub shape: crate::http::shape::Shape,
}

impl ListParams {
    /// The first page of `limit` items in `sort` order, for a list that takes
    /// no paging parameters (the admin lists show everything on one page).
    pub fn first_page(limit: i64, sort: Sort) -> Self {
        ListParams {
            limit,
            paging: Paging::Cursor(None),
            sort,
            q: None,
            updated_since: None,
            shape: Default::default(),
        }
    }

    pub fn page(&self) -> Option<i64> {
        match self.paging {
            Paging::Page(p) => Some(p),
            Paging::Cursor(_) => None,
        }
    }

    pub fn cursor(&self) -> Option<&CursorKey> {
        match &self.paging {
            Paging::Cursor(c) => c.as_ref(),
            Paging::Page(_) => None,
        }
    }

    pub fn offset(&self) -> i64 {
        match self.paging {
            Paging::Page(p) => (p - 1) * self.limit,
            Paging::Cursor(_) => 0,
        }
    }
}

/// One page of a list as a query returns it: up to `limit` items, whether more
/// follow, and the total.
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// The cursor of the last item, when more items follow (cursor paging).
    pub next_key: Option<CursorKey>,
    pub has_more: bool,
    /// The spelling a list's `q` was matched as, when the words as typed
    /// matched nothing (`meta.did_you_mean`).
    pub did_you_mean: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows; `key` gives the cursor key of an item.
    pub fn from_rows(
        mut rows: Vec<T>,
        total: i64,
        params: &ListParams,
        key: impl Fn(&T) -> (serde_json::Value, i64),
    ) -> Self {
        let has_more = rows.len() as i64 > params.limit;
        rows.truncate(params.limit as usize);
        let next_key = if has_more && params.page().is_none() {
            rows.last().map(|last| {
                let (k, id) = key(last);
                CursorKey {
                    sort: params.sort.as_param(),
                    key: k,
                    id,
                }
            })
        } else {
            None
        };
        Page {
            items: rows,
            total,
            next_key,
            has_more,
            did_you_mean: None,
        }
    }

    /// Paginates an in-memory list (small reference lists such as regions and sections):
    /// the cursor then carries the offset.
    pub fn from_slice(all: Vec<T>, params: &ListParams) -> Self {
        let total = all.len() as i64;
        let start = Self::offset_of(params);
        let rows: Vec<T> = all
            .into_iter()
            .skip(start as usize)
            .take(params.limit as usize + 1)
            .collect();
        Self::from_offset_rows(rows, total, start, params)
    }

    /// [`Page::from_slice`] of a list sorted ascending by the sort's field,
    /// reversed first when the sort is descending.
    pub fn from_sorted(mut all: Vec<T>, params: &ListParams) -> Self {
        if params.sort.desc {
            all.reverse();
        }
        Self::from_slice(all, params)
    }

    /// Where an offset-paged list starts: the cursor's offset, or the page's.
    pub fn offset_of(params: &ListParams) -> i64 {
        match params.cursor() {
            Some(c) => c.key.as_i64().unwrap_or(0).max(0),
            None => params.offset(),
        }
    }

    /// A page from up to `limit + 1` rows read from `start` (see [`Page::offset_of`])
    /// of a list of `total`: for lists paged in the database by offset.
    pub fn from_offset_rows(rows: Vec<T>, total: i64, start: i64, params: &ListParams) -> Self {
        let end = start + params.limit;
        let mut page = Page::from_rows(rows, total, params, |_| (serde_json::json!(end), 0));
        if let Some(k) = page.next_key.as_mut() {
            k.key = serde_json::json!(end);
        }
        page
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            next_key: self.next_key,
            has_more: self.has_more,
            did_you_mean: self.did_you_mean,
        }
    }

    /// Replaces the items as a whole (e.g. rows to API types in a few batched queries).
    pub fn try_map_all<U, E>(
        self,
        f: impl FnOnce(Vec<T>) -> Result<Vec<U>, E>,
    ) -> Result<Page<U>, E> {
        Ok(Page {
            items: f(self.items)?,
            total: self.total,
            next_key: self.next_key,
            has_more: self.has_more,
            did_you_mean: self.did_you_mean,
        })
    }
}

//! `/v1/suggest`: what a search box shows for the first letters typed, in any
//! script or common spelling, forgiving a typo (`db::search::suggest`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db;
use crate::db::search::suggest::{self, SuggestQuery, Suggestion};
use crate::domain::fold::fold_word;
use crate::error::{AppError, AppResult};
use crate::http::locale::negotiate;
use crate::http::response;
use crate::resource::ResourceType;
use crate::resources::search::{parse_types, required_q};
use crate::AppState;

pub const DEFAULT_LIMIT: usize = 8;
pub const MAX_LIMIT: usize = 20;
pub const MAX_Q: usize = 100;

/// One suggestion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestItem {
    /// `tourist_site`, `unesco_site`, `sanatorium`, `monument`, `souvenir`, `event` or `article`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: ResourceType,
    pub id: i64,
    pub slug: String,
    /// The item's name or title.
    pub title: String,
    pub locale: String,
    /// Escaped HTML: the title with the words typed wrapped in `<mark>`...`</mark>`; when
    /// an alias matched, the title followed by the alias in parentheses, marked.
    pub highlight: String,
}

/// `{data}`: the suggestions, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestBody {
    pub data: Vec<SuggestItem>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What was typed so far (any script; 1-100 characters). Required.
    #[param(value_type = String)]
    pub q: Option<String>,
    /// Comma-separated item types (default all): `tourist_site`, `unesco_site`,
    /// `sanatorium`, `monument`, `souvenir`, `event`, `article`, the words of
    /// each item's `type`. (The collection names, like `unesco-sites`, are
    /// accepted too.)
    pub types: Option<String>,
    /// Only items in this locale (`be`, `ru`, `en`); items of every locale when absent.
    pub lang: Option<String>,
    /// 1-20, default 8.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 20)]
    pub limit: Option<String>,
}

fn escape(s: &str) -> String {
    crate::resources::search::mark_snippet(s)
}

/// The byte ranges of the words of `text` (as `fold_words` splits them).
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let inside = c.is_alphanumeric() || matches!(c, '\'' | '’' | 'ʼ');
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// `label` with the words the match covers in `<mark>` (the word `term`
/// starts at, and as many as were typed), escaped.
fn mark_label(label: &str, term: &str, typed_words: usize) -> String {
    let spans: Vec<(usize, usize)> = word_spans(label)
        .into_iter()
        .filter(|(a, b)| !fold_word(&label[*a..*b]).is_empty())
        .collect();
    let folded: Vec<String> = spans
        .iter()
        .map(|(a, b)| fold_word(&label[*a..*b]))
        .collect();
    let first = (0..folded.len()).find(|i| folded[*i..].join(" ").starts_with(term));
    let Some(i) = first else {
        return escape(label);
    };
    let last = (i + typed_words.max(1) - 1).min(spans.len() - 1);
    let (a, b) = (spans[i].0, spans[last].1);
    format!(
        "{}<mark>{}</mark>{}",
        escape(&label[..a]),
        escape(&label[a..b]),
        escape(&label[b..])
    )
}

/// The highlight of a suggestion (see `SuggestItem::highlight`).
pub fn highlight(s: &Suggestion) -> String {
    let typed = usize::try_from(s.typed_words).unwrap_or(1);
    let marked = mark_label(&s.label, &s.term, typed);
    if s.label == s.title {
        marked
    } else {
        format!("{} ({marked})", escape(&s.title))
    }
}

fn parse_limit(v: Option<&str>) -> AppResult<usize> {
    match v {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => s
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                AppError::bad_param("limit", format!("must be an integer from 1 to {MAX_LIMIT}"))
            }),
    }
}

/// Suggest as you type
///
/// Up to `limit` (1-20, default 8) public items whose names, aliases or titles
/// begin with the words typed, for a search box: each with its type, id, slug,
/// title, locale and a highlight. Latin and Cyrillic spellings meet (`Нясвіж`, `Niasviž`,
/// `niasviz`). Public and cacheable.
#[utoipa::path(
    tag = "search",
    params(SuggestParams),
    responses(
        (status = 200, description = "Public items whose name, alias or title has words beginning with the words typed, best first: place names, then place aliases, then event titles, then article titles; within each, names typed from their first word, then the shortest. Latin and Cyrillic spellings meet through one fold (README, \"Search\"): `Нясвіж`, `Niasviž` and `niasviz` are one. When the exact prefixes give fewer than `limit` items, one typo (two in words of 8 letters or more) is forgiven in words of 4 letters or more.", body = SuggestBody),
        (status = 400, description = "Missing, blank or too long `q`, unknown type, unsupported `lang`, `limit` outside 1-20, or an unknown parameter"),
    )
)]
#[get("/suggest")]
pub async fn suggest_items(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SuggestParams>,
) -> AppResult<HttpResponse> {
    let p = query.into_inner();
    let text = required_q(p.q.as_deref(), MAX_Q)?;
    let types = parse_types(p.types.as_deref(), ResourceType::SEARCHABLE)?;
    let locale = match p.lang.as_deref() {
        Some(l) => Some(negotiate(&req, Some(l), &state.config)?),
        None => None,
    };
    let limit = parse_limit(p.limit.as_deref())?;
    let found = match SuggestQuery::new(text, locale.clone(), types, limit) {
        None => Vec::new(),
        Some(q) => {
            db::run(&state.pool, move |conn| {
                suggest::suggest(conn, &q, db::now())
            })
            .await?
        }
    };
    let data = found
        .iter()
        .map(|s| {
            let kind = ResourceType::from_type_str(&s.resource).ok_or_else(|| {
                AppError::Internal(format!("suggestion of unknown type `{}`", s.resource))
            })?;
            Ok(SuggestItem {
                kind,
                id: s.item_id,
                slug: s.slug.clone(),
                title: s.title.clone(),
                locale: s.locale.clone(),
                highlight: highlight(s),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(response::json(locale.as_deref(), &SuggestBody { data }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(title: &str, label: &str, term: &str, typed: i32) -> Suggestion {
        Suggestion {
            resource: "tourist_site".into(),
            item_id: 1,
            locale: "en".into(),
            slug: "x".into(),
            title: title.into(),
            label: label.into(),
            term: term.into(),
            typed_words: typed,
        }
    }

    #[test]
    fn the_words_typed_are_marked_in_the_name_or_the_alias() {
        assert_eq!(
            highlight(&s(
                "Mir Castle Complex",
                "Mir Castle Complex",
                "castle complex",
                1
            )),
            "Mir <mark>Castle</mark> Complex"
        );
        assert_eq!(
            highlight(&s(
                "Mir Castle Complex",
                "Mir Castle Complex",
                "mir castle complex",
                2
            )),
            "<mark>Mir Castle</mark> Complex"
        );
        assert_eq!(
            highlight(&s("Nesvizh Palace", "Нясвіж", "nasviz", 1)),
            "Nesvizh Palace (<mark>Нясвіж</mark>)"
        );
        assert_eq!(
            highlight(&s("A <b> & C", "A <b> & C", "c", 1)),
            "A &lt;b&gt; &amp; <mark>C</mark>"
        );
    }
}

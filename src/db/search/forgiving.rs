//! `/v1/search` forgiving typos: when the exact words fill less than the first
//! page, the closest spelling of indexed names and titles (`suggest::corrected`,
//! the typo rules of `typo.rs`) is searched too, its hits ranked below every
//! exact one; with no exact hit at all, that spelling is the `did_you_mean`.

use chrono::NaiveDateTime;

use super::{any_match, search, suggest, Found, Limits, SearchQuery};
use crate::db::AnyConnection;
use crate::domain::fold::fold_word;
use crate::error::AppResult;
use crate::resource::ResourceType;

/// A search whose first page may end with typo matches.
pub struct Forgiven {
    pub found: Found,
    /// The spelling whose matches were shown, when the words as typed had none.
    pub did_you_mean: Option<String>,
}

/// `search`, then (first page only, when fewer than `limit - 1` hits came) the
/// hits of the closest corrected spelling, up to `limit - 1` in all (so they
/// never make another page).
#[allow(clippy::too_many_arguments)]
pub fn search_forgiving(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    resources: &[ResourceType],
    now: NaiveDateTime,
    limits: Limits,
    limit: i64,
    offset: i64,
) -> AppResult<Forgiven> {
    let mut found = search(conn, q, resources, now, limits, limit, offset)?;
    let room = usize::try_from(limit - 1).unwrap_or(0);
    if offset > 0 || found.hits.len() >= room {
        return Ok(Forgiven {
            found,
            did_you_mean: None,
        });
    }
    let words: Vec<String> = q.words.iter().map(|w| fold_word(w)).collect();
    let mut did_you_mean = None;
    for phrase in suggest::corrected(conn, &words, false)?.iter().take(3) {
        let Some(alt) = SearchQuery::parse(phrase, &q.locale) else {
            continue;
        };
        let more = search(conn, &alt, resources, now, limits, limit, 0)?;
        if more.hits.is_empty() {
            continue;
        }
        if found.hits.is_empty() {
            let titles: Vec<&str> = more.hits.iter().map(|h| h.title.as_str()).collect();
            did_you_mean = Some(respell(&q.words, phrase, &titles));
        }
        let mut floor = found.hits.last().map_or(f64::MAX, |h| h.score / 2.0);
        let before = found.hits.len();
        for mut h in more.hits {
            if found.hits.len() >= room {
                break;
            }
            let seen = found
                .hits
                .iter()
                .any(|x| x.resource == h.resource && x.item_id == h.item_id);
            if !seen {
                // Below every exact match, in their own order.
                h.score = h.score.min(floor);
                floor = h.score;
                found.hits.push(h);
            }
        }
        found.total += (found.hits.len() - before) as i64;
        break;
    }
    Ok(Forgiven {
        found,
        did_you_mean,
    })
}

/// A list's `q` forgiving typos: when its words as typed match no document of
/// `resources`, the closest spelling that does (the typo rules of `/v1/search`)
/// is the one to filter with. A list is ordered by its sort, not by relevance,
/// so it filters by one spelling, never a mix: the words as typed whenever
/// anything matches them, so every page of a list agrees.
pub fn respelled_list_q(
    conn: &mut AnyConnection,
    q: Option<&str>,
    locale: &str,
    resources: &[ResourceType],
) -> AppResult<Option<Respelled>> {
    let Some(sq) = q.and_then(|text| SearchQuery::parse(text, locale)) else {
        return Ok(None);
    };
    if any_match(conn, &sq, resources)? {
        return Ok(None);
    }
    let words: Vec<String> = sq.words.iter().map(|w| fold_word(w)).collect();
    for phrase in suggest::corrected(conn, &words, false)?.iter().take(3) {
        if let Some(alt) = SearchQuery::parse(phrase, locale) {
            if any_match(conn, &alt, resources)? {
                return Ok(Some(Respelled {
                    phrase: phrase.clone(),
                    typed: sq.words,
                }));
            }
        }
    }
    Ok(None)
}

/// The spelling a list's `q` is matched as instead of the words typed.
pub struct Respelled {
    /// Folded words, to filter with.
    pub phrase: String,
    typed: Vec<String>,
}

impl Respelled {
    /// `did_you_mean`: corrected words as the listed items' titles write them.
    pub fn shown<'a>(&self, titles: impl Iterator<Item = &'a str>) -> String {
        let titles: Vec<&str> = titles.collect();
        respell(&self.typed, &self.phrase, &titles)
    }
}

/// The phrase with each corrected word as the hits' titles write it
/// (`nesviz` → `Nesvizh`; folded when no title has it), the others as typed.
fn respell(typed: &[String], phrase: &str, titles: &[&str]) -> String {
    phrase
        .split(' ')
        .zip(typed)
        .map(|(w, t)| {
            if fold_word(t) == w {
                return t.clone();
            }
            titles
                .iter()
                .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
                .find(|x| !x.is_empty() && fold_word(x) == w)
                .map_or_else(|| w.to_string(), str::to_string)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

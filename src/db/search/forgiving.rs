//! `/v1/search` forgiving typos: when the exact words fill less than the first
//! page, the closest spelling of indexed names and titles (`suggest::corrected`,
//! the typo rules of `typo.rs`) is searched too, its hits ranked below every
//! exact one; with no exact hit at all, that spelling is the `did_you_mean`.

use super::{any_match, search, suggest, Found, SearchPage, SearchQuery};
use crate::db::AnyConnection;
use crate::domain::fold::fold_word;
use crate::error::AppResult;
use crate::paging::Page;
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
pub fn search_forgiving(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    resources: &[ResourceType],
    at: SearchPage,
) -> AppResult<Forgiven> {
    let SearchPage { limit, offset, .. } = at;
    let mut found = search(conn, q, resources, at)?;
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
        let more = search(conn, &alt, resources, SearchPage { offset: 0, ..at })?;
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

/// What a list's `q` searches: the text, its locale and the types listed.
pub struct ListText<'a> {
    pub q: Option<&'a str>,
    pub locale: &'a str,
    pub resources: Vec<ResourceType>,
}

/// A list filter with a `q` that forgives typos (see [`list_forgiving`]).
pub trait TextFilter: Clone {
    /// What its `q` searches.
    fn text(&self) -> ListText<'_>;
    /// Its `q`, which a respelled run replaces.
    fn q_mut(&mut self) -> &mut Option<String>;
}

/// A list whose `q` forgives typos: `list` runs with the words as typed; when
/// nothing matches them (total 0) and no document of the type has them, it
/// runs again with the closest spelling that matches (the typo rules of
/// `/v1/search`), named in `meta.did_you_mean`. A list is ordered by its sort,
/// not by relevance, so it filters by one spelling, never a mix, and every
/// page of it agrees. The extra work is paid by empty lists only.
pub fn list_forgiving<F: TextFilter, T, X>(
    conn: &mut AnyConnection,
    filter: &F,
    mut list: impl FnMut(&mut AnyConnection, &F) -> AppResult<(Page<T>, X)>,
    title: impl Fn(&T) -> &str,
) -> AppResult<(Page<T>, X)> {
    let typed = list(conn, filter)?;
    if typed.0.total > 0 {
        return Ok(typed);
    }
    let Some(alt) = respelled(conn, &filter.text())? else {
        return Ok(typed);
    };
    let mut respelled = filter.clone();
    *respelled.q_mut() = Some(alt.phrase.clone());
    let (mut page, extra) = list(conn, &respelled)?;
    page.did_you_mean = Some(alt.shown(page.items.iter().map(title)));
    Ok((page, extra))
}

/// The closest spelling of `text` that matches, when its words as typed match
/// no document of its types.
fn respelled(conn: &mut AnyConnection, text: &ListText<'_>) -> AppResult<Option<Respelled>> {
    let Some(sq) = text.q.and_then(|q| SearchQuery::parse(q, text.locale)) else {
        return Ok(None);
    };
    if any_match(conn, &sq, &text.resources)? {
        return Ok(None);
    }
    let words: Vec<String> = sq.words.iter().map(|w| fold_word(w)).collect();
    for phrase in suggest::corrected(conn, &words, false)?.iter().take(3) {
        if let Some(alt) = SearchQuery::parse(phrase, text.locale) {
            if any_match(conn, &alt, &text.resources)? {
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
struct Respelled {
    /// Folded words, to filter with.
    phrase: String,
    typed: Vec<String>,
}

impl Respelled {
    /// `did_you_mean`: corrected words as the listed items' titles write them.
    fn shown<'a>(&self, titles: impl Iterator<Item = &'a str>) -> String {
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

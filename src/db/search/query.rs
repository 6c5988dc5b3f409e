//! A user's query as words for either backend's full-text syntax: each word
//! also matches its fold (`domain::fold`), which places' names and aliases and
//! every title are indexed with, so other scripts and spellings meet.

use crate::domain::fold::fold_word;

/// A user's query reduced to words, ready for either backend.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub locale: String,
    pub words: Vec<String>,
}

const MAX_WORDS: usize = 16;

impl SearchQuery {
    /// Splits `q` into lowercase words (letters and digits); quotes, operators and
    /// punctuation are separators. `None` when nothing searchable remains.
    pub fn parse(q: &str, locale: &str) -> Option<SearchQuery> {
        let mut words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase().chars().take(64).collect::<String>())
            .collect();
        words.dedup();
        words.truncate(MAX_WORDS);
        (!words.is_empty()).then(|| SearchQuery {
            locale: locale.to_string(),
            words,
        })
    }

    /// English and Russian are stemmed by both backends (SQLite: porter for
    /// English, `stems` for Russian). Elsewhere a word also matches longer forms
    /// sharing its first letters (a crude stem).
    fn prefix_words(&self, _sqlite: bool) -> bool {
        !matches!(self.locale.as_str(), "en" | "ru")
    }

    /// What the snippets of a stemmed search mark: each word, lowercase, and its stem.
    pub(super) fn stem_alternatives(&self) -> Vec<String> {
        let mut out = Vec::new();
        for w in &self.words {
            for a in [w.replace('ё', "е"), super::stems::stem_word(w)] {
                if !a.is_empty() && !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// The word cut to a likely stem for prefix matching: inflected endings in
    /// Belarusian and Russian are one to three letters.
    fn stem(w: &str) -> String {
        let n = w.chars().count();
        let keep = match n {
            0..=3 => n,
            4..=5 => n - 1,
            _ => n - 2,
        };
        w.chars().take(keep).collect()
    }

    /// FTS5 syntax: each word quoted (so nothing is an operator), AND-ed
    /// (explicitly: FTS5 has no implicit AND before a parenthesized group).
    pub fn fts5(&self) -> String {
        self.fts5_terms().join(" AND ")
    }

    /// Each word and its fold (when it differs), the alternatives a word
    /// matches; `prefix` cuts them to their stems.
    fn alternatives(&self, prefix: bool) -> Vec<Vec<(String, bool)>> {
        self.words
            .iter()
            .map(|w| {
                let folded = fold_word(w);
                let mut alts = vec![w.clone()];
                if !folded.is_empty() && folded != *w {
                    alts.push(folded);
                }
                alts.into_iter()
                    .map(|a| {
                        if prefix && a.chars().count() > 3 {
                            (Self::stem(&a), true)
                        } else {
                            (a, false)
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Each word as an FTS5 term (quoted; a prefix term where words are not
    /// stemmed; with its fold, an OR group).
    /// In a stemmed locale (Russian) a word also matches its Snowball stem in
    /// the stem columns.
    pub(super) fn fts5_terms(&self) -> Vec<String> {
        let stemmed = super::stems::stemmed(&self.locale);
        self.alternatives(self.prefix_words(true))
            .into_iter()
            .zip(&self.words)
            .map(|(alts, word)| {
                let mut terms: Vec<String> = alts
                    .iter()
                    .map(|(a, star)| {
                        format!("\"{}\"{}", a.replace('"', ""), if *star { "*" } else { "" })
                    })
                    .collect();
                let stem = super::stems::stem_word(word).replace('"', "");
                if stemmed && !stem.is_empty() {
                    terms.push(format!(
                        "{{title_stems summary_stems body_stems}} : \"{stem}\""
                    ));
                }
                group(terms, " OR ")
            })
            .collect()
    }

    /// `to_tsquery` syntax: words of letters and digits only (each with its
    /// fold, OR-ed), AND-ed.
    pub fn tsquery(&self) -> String {
        self.alternatives(self.prefix_words(false))
            .into_iter()
            .map(|alts| {
                let terms: Vec<String> = alts
                    .iter()
                    .map(|(a, star)| format!("{a}{}", if *star { ":*" } else { "" }))
                    .collect();
                group(terms, " | ")
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// One term, or alternatives in parentheses.
fn group(terms: Vec<String>, or: &str) -> String {
    if terms.len() == 1 {
        terms.into_iter().collect()
    } else {
        format!("({})", terms.join(or))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_input_becomes_a_safe_query() {
        let q = SearchQuery::parse(r#"Mir "castle" OR -NEAR(* ^ ) AND'); DROP"#, "en").unwrap();
        assert_eq!(q.words, ["mir", "castle", "or", "near", "and", "drop"]);
        assert_eq!(
            q.fts5(),
            r#""mir" AND "castle" AND "or" AND "near" AND "and" AND "drop""#
        );
        assert_eq!(q.tsquery(), "mir & castle & or & near & and & drop");
        assert!(SearchQuery::parse(" \"\" ** ()", "en").is_none());
    }

    #[test]
    fn belarusian_matches_by_stem_prefix_and_russian_by_snowball_stem() {
        let q = SearchQuery::parse("Замак фестывалю", "be").unwrap();
        assert_eq!(
            q.fts5(),
            "(\"зама\"* OR \"zama\"*) AND (\"фестыва\"* OR \"festyva\"*)"
        );
        assert_eq!(q.tsquery(), "(зама:* | zama:*) & (фестыва:* | festyva:*)");
        let ru = SearchQuery::parse("замка", "ru").unwrap();
        assert_eq!(
            ru.fts5(),
            "(\"замка\" OR \"zamka\" OR {title_stems summary_stems body_stems} : \"замк\")",
            "Russian on SQLite: the Snowball stem in the stem columns"
        );
        assert_eq!(
            ru.tsquery(),
            "(замка | zamka)",
            "PostgreSQL stems Russian itself"
        );
    }

    #[test]
    fn every_word_also_matches_its_fold() {
        let q = SearchQuery::parse("Niasviž castle", "en").unwrap();
        assert_eq!(q.fts5(), "(\"niasviž\" OR \"nasviz\") AND \"castle\"");
        assert_eq!(q.tsquery(), "(niasviž | nasviz) & castle");
    }
}

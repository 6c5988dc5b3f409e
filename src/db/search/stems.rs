//! Russian stemming for SQLite (`rust-stemmers`, the Snowball algorithm that
//! PostgreSQL's `russian` configuration also uses). FTS5 has no Russian
//! tokenizer, so a `ru` document carries the stems of its title, summary and
//! body in three more columns, and a Russian word also matches its stem there.
//! Snippets of such matches are made here, from the original text: FTS5 can
//! only highlight tokens of the column that matched, which are stems.

use rust_stemmers::{Algorithm, Stemmer};

/// Whether documents and queries of this locale are stemmed here.
pub fn stemmed(locale: &str) -> bool {
    locale == "ru"
}

/// The stem of one word (lowercase; `ё` is `е`).
pub fn stem_word(word: &str) -> String {
    let w = word.to_lowercase().replace('ё', "е");
    Stemmer::create(Algorithm::Russian).stem(&w).into_owned()
}

/// The words of a text, as the queries split them (letters and digits).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// A text as its stems, space-separated (the indexed stem columns).
pub fn stem_text(text: &str) -> String {
    let stemmer = Stemmer::create(Algorithm::Russian);
    words(text)
        .map(|w| {
            let w = w.to_lowercase().replace('ё', "е");
            stemmer.stem(&w).into_owned()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words (with their byte spans) of a text.
fn spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// The best window of one text: its matches, the text's words and which match.
struct Best<'a> {
    matches: usize,
    text: &'a str,
    spans: Vec<(usize, usize)>,
    start: usize,
    hits: Vec<bool>,
}

/// FTS5-style snippet of the best of `texts` (title, summary, body): the
/// `tokens`-word stretch with the most words whose stem (or lowercase form)
/// is in `wanted`, the matched words between `\u{2}` and `\u{3}`, `…` where the
/// text is cut. The first text when nothing matches.
pub fn snippet(texts: &[&str], wanted: &[String], tokens: usize) -> String {
    let stemmer = Stemmer::create(Algorithm::Russian);
    let hit = |w: &str| {
        let lower = w.to_lowercase().replace('ё', "е");
        wanted.contains(&lower) || wanted.iter().any(|s| *s == stemmer.stem(&lower))
    };
    let mut best: Option<Best> = None;
    for text in texts {
        let sp = spans(text);
        if sp.is_empty() {
            continue;
        }
        let hits: Vec<bool> = sp.iter().map(|(a, b)| hit(&text[*a..*b])).collect();
        let n = tokens.min(sp.len()).max(1);
        let mut top = (0usize, 0usize);
        for start in 0..=sp.len().saturating_sub(n) {
            let count = hits[start..(start + n).min(hits.len())]
                .iter()
                .filter(|h| **h)
                .count();
            if count > top.0 {
                top = (count, start);
            }
        }
        // The earliest best window ends at a match: start a little before the
        // first match instead, when that keeps as many.
        if let Some(first) = (top.1..sp.len()).find(|i| hits[*i]) {
            let shifted = first.saturating_sub(n / 4).min(sp.len() - n);
            let count = hits[shifted..shifted + n].iter().filter(|h| **h).count();
            if count >= top.0 {
                top.1 = shifted;
            }
        }
        if best.as_ref().is_none_or(|b| top.0 > b.matches) {
            best = Some(Best {
                matches: top.0,
                text,
                spans: sp,
                start: top.1,
                hits,
            });
        }
    }
    let Some(Best {
        text,
        spans: sp,
        start,
        hits,
        ..
    }) = best
    else {
        return String::new();
    };
    let end = (start + tokens).min(sp.len());
    let mut out = String::new();
    let from = if start == 0 { 0 } else { sp[start].0 };
    if start > 0 {
        out.push('…');
    }
    let mut pos = from;
    for i in start..end {
        let (a, b) = sp[i];
        out.push_str(&text[pos..a]);
        if hits[i] {
            out.push('\u{2}');
            out.push_str(&text[a..b]);
            out.push('\u{3}');
        } else {
            out.push_str(&text[a..b]);
        }
        pos = b;
    }
    if end == sp.len() {
        out.push_str(&text[pos..]);
    } else {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_share_a_stem() {
        // As PostgreSQL's `russian` configuration stems them (both Snowball).
        let s = stem_word("музеи");
        for form in ["музей", "Музею"] {
            assert_eq!(stem_word(form), s, "{form}");
        }
        let s = stem_word("театры");
        for form in ["театров", "театрах", "театр"] {
            assert_eq!(stem_word(form), s, "{form}");
        }
        assert_eq!(stem_text("Замки и ЗАМОК, ёлка"), "замк и замок елк");
    }

    #[test]
    fn snippets_mark_inflected_forms_in_the_original_text() {
        let wanted = vec![stem_word("театры")];
        let s = snippet(
            &["Заголовок", "В Минске много музеев и театров."],
            &wanted,
            24,
        );
        assert_eq!(s, "В Минске много музеев и \u{2}театров\u{3}.");
        let wanted = vec![stem_word("музеи")];
        let long = "раз два три четыре пять шесть музей семь восемь";
        let s = snippet(&[long], &wanted, 3);
        assert_eq!(s, "…\u{2}музей\u{3} семь восемь");
        let s = snippet(&[long], &wanted, 4);
        assert_eq!(s, "…шесть \u{2}музей\u{3} семь восемь");
        assert_eq!(snippet(&["", ""], &wanted, 24), "");
    }
}

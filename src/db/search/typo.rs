//! Typo rules (pure): one wrong, missing or extra letter is forgiven in words
//! of 4 letters or more, two in words of 8 or more. Candidates come from the
//! databases' trigram indexes (`suggest.rs`); the edit distance decides here.

/// How many edits a (folded) word of this length forgives.
pub fn allowed_edits(word: &str) -> usize {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The edits between `typed` and `word` (a whole word), when within the rule.
pub fn word_distance(typed: &str, word: &str) -> Option<usize> {
    let allowed = allowed_edits(typed);
    if allowed == 0 {
        return None;
    }
    let d = strsim::levenshtein(typed, word);
    (d <= allowed).then_some(d)
}

/// The edits between `typed` and the closest beginning of `word` (what a
/// search box has of a word being typed), when within the rule.
pub fn prefix_distance(typed: &str, word: &str) -> Option<usize> {
    let allowed = allowed_edits(typed);
    if allowed == 0 {
        return None;
    }
    let n = typed.chars().count();
    let chars: Vec<char> = word.chars().collect();
    (n.saturating_sub(allowed)..=(n + allowed).min(chars.len()))
        .map(|k| strsim::levenshtein(typed, &chars[..k].iter().collect::<String>()))
        .min()
        .filter(|d| *d <= allowed)
}

/// The best corrections of `typed` among `candidates`: closest first, then
/// shortest, at most `max`, never `typed` itself. `prefix` compares with the
/// beginnings of the candidates (the word being typed), else whole words.
pub fn corrections(typed: &str, candidates: &[String], prefix: bool, max: usize) -> Vec<String> {
    let mut scored: Vec<(usize, &String)> = candidates
        .iter()
        .filter(|c| c.as_str() != typed && !(prefix && c.starts_with(typed)))
        .filter_map(|c| {
            let d = if prefix {
                prefix_distance(typed, c)
            } else {
                word_distance(typed, c)
            };
            d.map(|d| (d, c))
        })
        .collect();
    scored.sort_by(|(da, a), (db, b)| da.cmp(db).then(a.len().cmp(&b.len())).then(a.cmp(b)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(max)
        .map(|(_, c)| c.clone())
        .collect()
}

/// The trigrams of a word (as FTS5's `trigram` tokenizer and `pg_trgm` see
/// the inside of a word), for candidate lookups.
pub fn trigrams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_words_forgive_nothing_long_words_two() {
        assert_eq!(word_distance("mir", "mor"), None);
        assert_eq!(word_distance("lida", "lido"), Some(1));
        assert_eq!(word_distance("lida", "lado"), None);
        assert_eq!(word_distance("belovezskaa", "belavezkaa"), Some(2));
        assert_eq!(word_distance("belovezskaa", "bilavezkaa"), None);
    }

    #[test]
    fn a_word_being_typed_matches_the_beginning_of_a_word() {
        assert_eq!(prefix_distance("nisvi", "nesviz"), Some(1));
        assert_eq!(prefix_distance("nesvz", "nesviz"), Some(1));
        assert_eq!(prefix_distance("nessvi", "nesviz"), Some(1));
        assert_eq!(prefix_distance("grodn", "hrodna"), Some(1));
        assert_eq!(prefix_distance("xyzq", "nesviz"), None);
    }

    #[test]
    fn corrections_are_closest_first() {
        let words: Vec<String> = ["nesviz", "nasviz", "nesvizski", "minsk", "nesvizh"]
            .map(String::from)
            .into();
        assert_eq!(corrections("nesvis", &words, false, 3), ["nesviz"]);
        assert_eq!(corrections("minsk", &words, false, 3), Vec::<String>::new());
        assert_eq!(corrections("nisviz", &words, true, 2), ["nasviz", "nesviz"]);
        assert_eq!(trigrams("nesviz"), ["esv", "nes", "svi", "viz"]);
    }
}

//! `Dep`: what a cached item response shows, and what a write touched.

use std::sync::Arc;

/// What a cached item response shows, or what a write of one item touched,
/// within the item's collection: a write drops the collection's item responses
/// whose `Dep`s meet its own (`Caches::invalidate`). The item flow lists an item
/// response's (`resources::item::deps::of_item`), the write flow a write's
/// before and after it (`deps::state`, `deps::touched`); the rules that tie
/// them are there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dep {
    /// One item, by id: the item itself, a translation or a related article shown.
    Item(i64),
    /// A translation group: the item in every locale (and `translations` lists).
    Group(i64),
    /// Articles tagged so (what related articles are chosen from).
    Tag(Box<str>),
    /// Articles of a section in a locale (what related articles are topped up from).
    Section(i64, Box<str>),
}

impl Dep {
    /// The word this `Dep` travels as in a change announcement (`db::notify`):
    /// `i12`, `g12`, `teconomy`, `s3.be`; None if a name would not survive
    /// the trip (a space, comma or dot in it).
    pub fn word(&self) -> Option<String> {
        let plain = |s: &str| !s.is_empty() && !s.contains([' ', ',', '.']);
        match self {
            Dep::Item(id) => Some(format!("i{id}")),
            Dep::Group(id) => Some(format!("g{id}")),
            Dep::Tag(t) => plain(t).then(|| format!("t{t}")),
            Dep::Section(id, locale) => plain(locale).then(|| format!("s{id}.{locale}")),
        }
    }

    /// The `Dep` of `word` (see `word`).
    pub fn from_word(word: &str) -> Option<Dep> {
        let mut chars = word.chars();
        let kind = chars.next()?;
        let rest = chars.as_str();
        match kind {
            'i' => rest.parse().ok().map(Dep::Item),
            'g' => rest.parse().ok().map(Dep::Group),
            't' if !rest.is_empty() => Some(Dep::Tag(rest.into())),
            's' => {
                let (id, locale) = rest.split_once('.')?;
                (!locale.is_empty()).then_some(())?;
                Some(Dep::Section(id.parse().ok()?, locale.into()))
            }
            _ => None,
        }
    }
}

/// Marks an item response (in its extensions) with what it shows: the
/// middleware keeps it with the cached response.
#[derive(Debug, Clone)]
pub struct ItemDeps(pub Arc<[Dep]>);

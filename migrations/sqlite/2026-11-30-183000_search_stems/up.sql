-- Russian stemming on SQLite (issue 16): each document also carries the
-- Snowball stems of its title, summary and body (filled for `ru` documents by
-- db/search/stems.rs, empty otherwise); Russian queries match a word's stem
-- there. The index is dropped; `belportal serve` (and import and generate)
-- rebuild an empty index when content exists.
DROP TABLE search_fts;
CREATE VIRTUAL TABLE search_fts USING fts5(
    title,
    summary,
    body,
    title_stems,
    summary_stems,
    body_stems,
    resource UNINDEXED,
    item_id UNINDEXED,
    locale UNINDEXED,
    slug UNINDEXED,
    status UNINDEXED,
    published_at UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

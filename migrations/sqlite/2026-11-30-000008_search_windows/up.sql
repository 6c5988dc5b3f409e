-- FTS5 rowids now encode type, locale and id (db/search.rs), so that "the newest
-- matches of one type in one locale" is a rowid range FTS5 walks backwards and
-- stops early. The old rowids are dropped; `belportal serve` (and import and
-- generate) rebuild an empty index when content exists.
DROP TABLE search_fts;
CREATE VIRTUAL TABLE search_fts USING fts5(
    title,
    summary,
    body,
    resource UNINDEXED,
    item_id UNINDEXED,
    locale UNINDEXED,
    slug UNINDEXED,
    status UNINDEXED,
    published_at UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Full-text search over articles, places of every kind and events: one FTS5
-- table kept current by the service in the same transaction as each write.
-- porter stems English; Cyrillic tokens pass through unchanged (be/ru get
-- prefix matching in the query instead, see db/search.rs).
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

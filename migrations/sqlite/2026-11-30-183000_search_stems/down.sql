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

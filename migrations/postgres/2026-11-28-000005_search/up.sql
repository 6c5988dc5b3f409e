-- Full-text search over articles, places of every kind and events, kept current
-- by the service in the same transaction as each write. `config` is the text
-- search configuration of the row's locale (english, russian; simple for be).
CREATE TABLE search_documents (
    resource TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    locale TEXT NOT NULL,
    slug TEXT NOT NULL,
    status TEXT NOT NULL,
    published_at TIMESTAMP,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    config REGCONFIG NOT NULL,
    tsv TSVECTOR NOT NULL,
    PRIMARY KEY (resource, item_id)
);
CREATE INDEX search_documents_tsv ON search_documents USING GIN (tsv);

-- The search box (/v1/suggest, db/search/suggest.rs). Each name, alias and
-- title is folded (domain/fold.rs) and stored once per word it can be typed
-- from: the `term` runs from that word to the end. A prefix of `term` is a
-- B-tree range (byte order: COLLATE "C"); `rank` orders place names, place
-- aliases, event titles and article titles. Filled by the service when empty.
-- pg_trgm ships with PostgreSQL (contrib): typo candidates among the words.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE suggest_terms (
    resource TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    locale TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    label TEXT NOT NULL,
    term TEXT COLLATE "C" NOT NULL,
    rank INTEGER NOT NULL,
    status TEXT NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX suggest_terms_prefix ON suggest_terms (rank, term);
CREATE INDEX suggest_terms_item ON suggest_terms (resource, item_id);

-- Every folded word once, with a trigram index for typo candidates.
CREATE TABLE suggest_words (
    word TEXT COLLATE "C" PRIMARY KEY
);
CREATE INDEX suggest_words_trgm ON suggest_words USING GIN (word gin_trgm_ops);

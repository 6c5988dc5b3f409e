-- The search box (/v1/suggest, db/search/suggest.rs). Each name, alias and
-- title is folded (domain/fold.rs) and stored once per word it can be typed
-- from: the `term` runs from that word to the end. A prefix of `term` is a
-- B-tree range; `rank` orders place names, place aliases, event titles and
-- article titles. Filled by the service when empty (like the search index).
CREATE TABLE suggest_terms (
    resource TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    locale TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    label TEXT NOT NULL,
    term TEXT NOT NULL,
    rank INTEGER NOT NULL,
    status TEXT NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX suggest_terms_prefix ON suggest_terms (rank, term);
CREATE INDEX suggest_terms_item ON suggest_terms (resource, item_id);

-- Every folded word once, with a trigram index for typo candidates.
CREATE TABLE suggest_words (
    id INTEGER PRIMARY KEY,
    word TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE suggest_words_trgm USING fts5(
    word,
    content = 'suggest_words',
    content_rowid = 'id',
    tokenize = 'trigram'
);
CREATE TRIGGER suggest_words_ai AFTER INSERT ON suggest_words BEGIN
    INSERT INTO suggest_words_trgm (rowid, word) VALUES (new.id, new.word);
END;
CREATE TRIGGER suggest_words_ad AFTER DELETE ON suggest_words BEGIN
    INSERT INTO suggest_words_trgm (suggest_words_trgm, rowid, word) VALUES ('delete', old.id, old.word);
END;

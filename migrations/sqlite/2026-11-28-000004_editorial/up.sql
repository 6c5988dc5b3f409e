-- API keys: only a SHA-256 hash of the key is stored; `prefix` (public, random)
-- finds the row, and the hash is compared in constant time.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('editor', 'admin')),
    prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- The changes feed. Every write transaction first locks the single counter row,
-- so writes commit in sequence order and a rolled-back write leaves no gap.
CREATE TABLE change_seq (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO change_seq (id, seq) VALUES (1, 0);

CREATE TABLE changes (
    seq BIGINT PRIMARY KEY NOT NULL,
    resource TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    slug TEXT NOT NULL,
    locale TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
    -- Whether the item was public right after the write (before it, for deletes):
    -- anonymous readers see the slug only then.
    public BOOLEAN NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX changes_item ON changes (resource, item_id);

-- Published items whose published_at is still ahead: when it passes, the next
-- read of the changes feed appends an `updated` entry for them (no job runs).
CREATE TABLE scheduled_changes (
    resource TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    slug TEXT NOT NULL,
    locale TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    PRIMARY KEY (resource, item_id)
);
CREATE INDEX scheduled_changes_due ON scheduled_changes (due_at);

-- Every saved version of an article, with who saved it.
CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    key_name TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    content TEXT NOT NULL,
    UNIQUE (article_id, number)
);

-- Responses of POSTs sent with Idempotency-Key, stored in the write's transaction.
CREATE TABLE idempotency_keys (
    api_key_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    location TEXT,
    etag TEXT,
    content_language TEXT,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

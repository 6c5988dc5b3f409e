-- Reference data: the six regions and Minsk city, names per locale.
CREATE TABLE regions (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL
);

CREATE TABLE region_names (
    region_id BIGINT NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    name TEXT NOT NULL,
    capital TEXT NOT NULL,
    PRIMARY KEY (region_id, locale)
);

-- News sections form a tree inside one locale; group_id links translations.
CREATE TABLE sections (
    id INTEGER PRIMARY KEY NOT NULL,
    group_id BIGINT NOT NULL,
    locale TEXT NOT NULL,
    slug TEXT NOT NULL,
    parent_id BIGINT REFERENCES sections (id) ON DELETE RESTRICT,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (locale, slug)
);
CREATE INDEX sections_group ON sections (group_id);
CREATE INDEX sections_parent ON sections (parent_id);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY NOT NULL,
    group_id BIGINT NOT NULL,
    locale TEXT NOT NULL,
    slug TEXT NOT NULL,
    section_id BIGINT NOT NULL REFERENCES sections (id) ON DELETE RESTRICT,
    title TEXT NOT NULL,
    lead TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    dateline TEXT,
    source TEXT,
    author TEXT,
    image TEXT,
    reading_time_minutes INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (locale, slug)
);
-- The public list: locale + visibility, newest first, keyset on (published_at, id).
CREATE INDEX articles_public ON articles (locale, status, published_at, id);
CREATE INDEX articles_section ON articles (section_id, status, published_at, id);
CREATE INDEX articles_group ON articles (group_id);
CREATE INDEX articles_updated ON articles (updated_at);
CREATE INDEX articles_title ON articles (locale, title, id);

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (article_id, tag)
);
CREATE INDEX article_tags_tag ON article_tags (tag, article_id);

-- Tourist sites, UNESCO listings, sanatoria, monuments and souvenirs share one
-- table: the place core as columns, filterable kind fields as columns, the rest
-- of each kind's fields as validated JSON in details. Souvenirs have no location.
CREATE TABLE places (
    id INTEGER PRIMARY KEY NOT NULL,
    group_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('tourist_site', 'unesco_site', 'sanatorium', 'monument', 'souvenir')),
    locale TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    description_html TEXT NOT NULL DEFAULT '',
    region TEXT REFERENCES regions (slug),
    locality TEXT,
    address TEXT,
    lat DOUBLE PRECISION CHECK (lat BETWEEN -90 AND 90),
    lon DOUBLE PRECISION CHECK (lon BETWEEN -180 AND 180),
    -- The 0.1-degree grid cell of (lat, lon) (see geo::cell): a radius search
    -- reads only the cells its bounding box touches.
    geo_cell INTEGER,
    image TEXT,
    gallery TEXT NOT NULL DEFAULT '[]',
    website TEXT,
    phone TEXT,
    email TEXT,
    category TEXT,
    -- The top-list rank, or a large number for unranked places (sort key).
    rank_order INTEGER NOT NULL DEFAULT 2147483647,
    listing_status TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((lat IS NULL) = (lon IS NULL)),
    UNIQUE (kind, locale, slug)
);
CREATE INDEX places_list ON places (kind, locale, status, rank_order, id);
CREATE INDEX places_name ON places (kind, locale, name, id);
-- Radius and box searches read candidates from this alone (covering).
CREATE INDEX places_geo ON places (kind, geo_cell, lat, lon, locale, status, published_at, rank_order, name);
CREATE INDEX places_group ON places (group_id);
CREATE INDEX places_updated ON places (updated_at);

-- Multi-valued fields: tag, criterion, profile, treatment, material, country.
CREATE TABLE place_terms (
    place_id BIGINT NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    term TEXT NOT NULL,
    value TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (place_id, term, value)
);
CREATE INDEX place_terms_value ON place_terms (term, value, place_id);

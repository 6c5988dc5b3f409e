-- The events calendar. Instants are UTC; all-day events run from the start of
-- their first Minsk day to the start of the day after their last (exclusive end).
CREATE TABLE events (
    id INTEGER PRIMARY KEY NOT NULL,
    group_id BIGINT NOT NULL,
    locale TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    description_html TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL CHECK (category IN ('festival', 'concert', 'exhibition', 'theatre', 'sport', 'fair', 'holiday', 'conference', 'other')),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    all_day BOOLEAN NOT NULL DEFAULT 0,
    timezone TEXT NOT NULL DEFAULT 'Europe/Minsk',
    venue_name TEXT,
    venue_address TEXT,
    venue_locality TEXT,
    region TEXT REFERENCES regions (slug),
    lat DOUBLE PRECISION CHECK (lat BETWEEN -90 AND 90),
    lon DOUBLE PRECISION CHECK (lon BETWEEN -180 AND 180),
    organizer TEXT,
    website TEXT,
    price TEXT,
    is_free BOOLEAN NOT NULL DEFAULT 0,
    event_status TEXT NOT NULL DEFAULT 'scheduled' CHECK (event_status IN ('scheduled', 'cancelled', 'postponed')),
    image TEXT,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (ends_at >= starts_at),
    CHECK ((lat IS NULL) = (lon IS NULL)),
    UNIQUE (locale, slug)
);
-- Upcoming lists and range overlap: by end, then start.
CREATE INDEX events_upcoming ON events (locale, status, ends_at, starts_at);
CREATE INDEX events_starts ON events (locale, status, starts_at, id);
CREATE INDEX events_geo ON events (lat, lon);
CREATE INDEX events_group ON events (group_id);
CREATE INDEX events_updated ON events (updated_at);

CREATE TABLE event_tags (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (event_id, tag)
);
CREATE INDEX event_tags_tag ON event_tags (tag, event_id);

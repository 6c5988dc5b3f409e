-- The media library. Files are content-addressed (sha256 of the stored bytes plus
-- an extension) in the media store; rows hold their metadata.
CREATE TABLE media (
    id INTEGER PRIMARY KEY NOT NULL,
    -- File name of the stored (re-encoded, metadata-free) original.
    file_name TEXT NOT NULL,
    mime TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'image/webp')),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    alt TEXT NOT NULL,
    caption TEXT,
    credit TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX media_created ON media (created_at, id);

-- Downscaled renditions of a media item (never wider than the original).
CREATE TABLE media_variants (
    media_id BIGINT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (media_id, file_name)
);
CREATE INDEX media_variants_file ON media_variants (file_name);

-- Which content items use which media item, replaced on every save of the item:
-- a media item in use cannot be deleted.
CREATE TABLE media_usage (
    media_id BIGINT NOT NULL REFERENCES media (id),
    resource TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    slug TEXT NOT NULL,
    PRIMARY KEY (media_id, resource, item_id)
);
CREATE INDEX media_usage_item ON media_usage (resource, item_id);

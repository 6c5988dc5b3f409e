DROP INDEX places_geo;
CREATE INDEX places_geo ON places (kind, geo_cell, lat, lon, locale, status, published_at, rank_order, name);

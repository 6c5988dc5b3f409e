-- The PostgreSQL migration of this version adds id to places_geo so that the
-- radius search's candidate query (id, lat, lon, sort key) is index-only.
-- SQLite needs nothing: id is the rowid, which every index entry holds, so
-- places_geo already covers that query.
SELECT 1;

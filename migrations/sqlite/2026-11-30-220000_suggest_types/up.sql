-- The search box with `types=` (db/search/suggest): one range of
-- (rank, resource, term) per type asked for. In one range of (rank, term)
-- filtered on the type, PostgreSQL read every matching term of the other
-- types first (68 ms at 1,000,000 articles + 100,000 places), or planned on
-- suggest_terms_item and sorted. db/search/suggest/index.rs drops and builds
-- the same indexes around a full rebuild: keep them alike.
CREATE INDEX suggest_terms_typed ON suggest_terms (rank, resource, term);

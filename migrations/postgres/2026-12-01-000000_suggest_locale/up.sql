-- The search box with `lang=` (db/search/suggest): one range of
-- (rank, locale, term). In the range of (rank, term) filtered on the locale,
-- a locale with few entries made the database read every matching term of
-- the others (`lang=be&q=b` over a million English titles). db/search/suggest/
-- index.rs drops and builds the same indexes around a full rebuild: keep them alike.
CREATE INDEX suggest_terms_locale ON suggest_terms (rank, locale, term);

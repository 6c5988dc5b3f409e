-- The newest documents of one type in one locale, for the search window
-- (db/search.rs): its bitmap is AND-ed with the GIN bitmap of the words, so only
-- recent matches are read from the heap.
CREATE INDEX search_documents_recent ON search_documents (resource, locale, item_id);

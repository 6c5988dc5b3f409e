-- The search window (db/search.rs) is a range of recent ids. Rows are stored
-- roughly in id order, so a BRIN index gives that range's pages almost for
-- free; AND-ed with the GIN bitmap of the words, only recent matches are read
-- from the heap.
CREATE INDEX search_documents_id_brin ON search_documents USING BRIN (item_id) WITH (pages_per_range = 16);

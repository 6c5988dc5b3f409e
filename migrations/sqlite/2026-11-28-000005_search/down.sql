DROP TABLE search_fts;

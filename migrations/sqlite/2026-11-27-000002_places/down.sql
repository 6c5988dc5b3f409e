DROP TABLE place_terms;
DROP TABLE places;

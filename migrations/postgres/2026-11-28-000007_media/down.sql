DROP TABLE media_usage;
DROP TABLE media_variants;
DROP TABLE media;

DROP TABLE article_tags;
DROP TABLE articles;
DROP TABLE sections;
DROP TABLE region_names;
DROP TABLE regions;

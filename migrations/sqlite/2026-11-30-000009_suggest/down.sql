DROP TRIGGER suggest_words_ad;
DROP TRIGGER suggest_words_ai;
DROP TABLE suggest_words_trgm;
DROP TABLE suggest_words;
DROP TABLE suggest_terms;

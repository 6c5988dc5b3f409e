DROP TABLE suggest_words;
DROP TABLE suggest_terms;

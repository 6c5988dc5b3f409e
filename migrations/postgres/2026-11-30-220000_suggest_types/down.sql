DROP INDEX suggest_terms_typed;

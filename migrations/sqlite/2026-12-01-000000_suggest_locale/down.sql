DROP INDEX suggest_terms_locale;

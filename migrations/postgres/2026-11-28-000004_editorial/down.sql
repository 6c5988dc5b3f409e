DROP TABLE idempotency_keys;
DROP TABLE article_revisions;
DROP TABLE scheduled_changes;
DROP TABLE changes;
DROP TABLE change_seq;
DROP TABLE api_keys;

-- Webhook subscriptions: `events` is a comma-separated subset of
-- published,updated,deleted (validated in the service).
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The outbox: one row per webhook and content change, written in the change's
-- transaction and sent after commit by the delivery worker. `next_attempt_at`
-- is when it is due; `claimed_until` is a worker's lease, so two instances never
-- send the same delivery at once; `delivered_at` or `failed_at` ends it.
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL CHECK (event IN ('published', 'updated', 'deleted')),
    resource TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    status_code INTEGER,
    last_error TEXT,
    next_attempt_at TIMESTAMP,
    claimed_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    failed_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

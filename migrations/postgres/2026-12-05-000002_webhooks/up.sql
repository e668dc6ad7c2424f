-- Webhook subscriptions: where to send which events, for whom. The events a subscription gets are
-- those its owner may read (types by scope, province by territory). The secret signs deliveries
-- (Standard Webhooks) and so is kept as given, not hashed. A deleted subscription keeps its row and
-- its deliveries (`deleted_at`).
CREATE TABLE webhook_subscriptions (
    id BIGSERIAL PRIMARY KEY,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    url TEXT NOT NULL,
    description TEXT,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    province_code TEXT,
    active BOOLEAN NOT NULL,
    disabled_reason TEXT,
    failing_since TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX webhook_subscriptions_owner ON webhook_subscriptions (owner_user_id);

-- One event to send to one subscription: made when the event is published, in the same
-- transaction, so a delivery survives restarts. `pending` until answered 2xx (`delivered`) or
-- given up (`failed`); `next_attempt_at` is when a worker may take it next.
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id),
    event_id BIGINT NOT NULL REFERENCES events (id),
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    last_status INTEGER,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

-- Each try of a delivery and the receiver's answer (status and the start of its body) or the
-- network error.
CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at TIMESTAMP NOT NULL,
    duration_ms BIGINT NOT NULL,
    status INTEGER,
    response_body TEXT,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- Domain events, written in the transaction of the change they describe. A row gets its feed
-- `position` only once every transaction that might still add an earlier event has ended: the
-- publisher numbers the rows whose writing transaction (`xact_id`) is below the oldest one still
-- running, under an advisory lock, so positions grow in the order readers can see them and a
-- reader that follows the feed never skips an event committed late.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    position BIGINT UNIQUE,
    xact_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    province_code TEXT,
    payload TEXT NOT NULL,
    personal_data TEXT
);
CREATE INDEX events_unpublished ON events (xact_id, id) WHERE position IS NULL;
CREATE INDEX events_type_position ON events (event_type, position);

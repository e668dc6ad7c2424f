-- Domain events, written in the transaction of the change they describe. SQLite has one writer at
-- a time, so rows commit in the order of their ids; the publisher gives them their feed `position`
-- in that order.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    position BIGINT UNIQUE,
    event_type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    province_code TEXT,
    payload TEXT NOT NULL,
    personal_data TEXT
);
CREATE INDEX events_unpublished ON events (id) WHERE position IS NULL;
CREATE INDEX events_type_position ON events (event_type, position);

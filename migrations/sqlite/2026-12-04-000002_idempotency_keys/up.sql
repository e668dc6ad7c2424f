-- The first answer to a POST sent with an `Idempotency-Key`, kept per caller and key for 24 hours
-- so that a retry gets the same answer instead of a second effect. A row is claimed (`running`)
-- before the request runs; a retry meanwhile is refused, one with another request under the same
-- key too. `fingerprint` is the SHA-256 of the method, path, query and body.
CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    status INTEGER,
    headers TEXT,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
);

-- Integration clients: service accounts of third-party systems. Each is a `users` row of role
-- `integration` (its client id is the username; its name, province restriction, active flag and
-- version live there, and the audit log names it like any account). This table holds what only a
-- machine has: the scopes it was granted and its secrets, stored as SHA-256 hashes. A rotated
-- secret keeps working until `previous_secret_valid_until`.
CREATE TABLE integration_clients (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    scopes TEXT NOT NULL,
    contact TEXT,
    secret_hash TEXT NOT NULL,
    previous_secret_hash TEXT,
    previous_secret_valid_until TIMESTAMP,
    secret_rotated_at TIMESTAMP,
    last_used_at TIMESTAMP
);

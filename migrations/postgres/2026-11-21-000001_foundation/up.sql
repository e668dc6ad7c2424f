-- Reference data: administrative units before and after the 1 July 2025 reform. Codes are reused
-- between eras, so each era has its own tables.
CREATE TABLE provinces_pre2025 (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    name_en TEXT NOT NULL,
    region TEXT NOT NULL,
    successor_code TEXT NOT NULL,
    search_key TEXT NOT NULL
);

CREATE TABLE provinces_2025 (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    name_en TEXT NOT NULL,
    region TEXT NOT NULL,
    region_mixed BOOLEAN NOT NULL,
    search_key TEXT NOT NULL
);

CREATE TABLE communes_2025 (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    province_code TEXT NOT NULL REFERENCES provinces_2025 (code),
    name_en TEXT NOT NULL,
    search_key TEXT NOT NULL
);
CREATE INDEX communes_2025_province_code ON communes_2025 (province_code, code);

CREATE TABLE districts_pre2025 (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    province_code TEXT NOT NULL REFERENCES provinces_pre2025 (code),
    successor_province_code TEXT NOT NULL REFERENCES provinces_2025 (code),
    name_en TEXT NOT NULL,
    in_force_2025_06_30 BOOLEAN NOT NULL,
    search_key TEXT NOT NULL
);
CREATE INDEX districts_pre2025_province_code ON districts_pre2025 (province_code, code);

-- Which version (checksum) of each reference file is loaded.
CREATE TABLE reference_data_versions (
    name TEXT PRIMARY KEY,
    checksum TEXT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    province_code TEXT REFERENCES provinces_2025 (code),
    commune_code TEXT REFERENCES communes_2025 (code),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);
CREATE INDEX users_province_code ON users (province_code);

-- Rotating refresh tokens, stored as SHA-256 hashes. Tokens of one login share a family; reuse of a
-- rotated token revokes the family.
CREATE TABLE refresh_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Append-only record of every mutation, written in the same transaction as the change.
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id BIGINT,
    actor_username TEXT,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT,
    province_code TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, id);
CREATE INDEX audit_events_actor ON audit_events (actor_user_id, id);
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at, id);

-- Product selection and certificates (TT 26/2014/TT-BCT as amended by TT 14/2018 and TT 38/2025).

-- Products of rural industrial establishments (sản phẩm CNNT). Their province is their producer's.
CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    name TEXT NOT NULL,
    product_group TEXT NOT NULL,
    is_set BOOLEAN NOT NULL DEFAULT FALSE,
    description TEXT,
    -- JSON arrays: standards applied, awards held, photo references {url, sha256}.
    quality_standards_json TEXT NOT NULL DEFAULT '[]',
    awards_json TEXT NOT NULL DEFAULT '[]',
    photos_json TEXT NOT NULL DEFAULT '[]',
    search_key TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX products_beneficiary ON products (beneficiary_id, id);

-- A selection round at one level; its scope code is read in its era.
CREATE TABLE selection_rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    level TEXT NOT NULL,
    year BIGINT NOT NULL,
    era TEXT NOT NULL,
    title TEXT NOT NULL,
    commune_code TEXT,
    district_code TEXT,
    province_code TEXT,
    region_code TEXT,
    -- The current province the round belongs to (its organiser's), NULL for regional and national rounds.
    owner_province_code TEXT,
    decision_number TEXT,
    decision_date DATE,
    lower_level_round_not_held BOOLEAN NOT NULL DEFAULT FALSE,
    -- Policy in force when the round was opened: the average total an entry needs to qualify.
    qualifying_score BIGINT NOT NULL,
    status TEXT NOT NULL,
    recognition_decision_number TEXT,
    recognition_decision_date DATE,
    published_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX selection_rounds_level_year ON selection_rounds (level, year, id);
CREATE INDEX selection_rounds_owner ON selection_rounds (owner_province_code, id);

CREATE TABLE selection_round_judges (
    round_id BIGINT NOT NULL REFERENCES selection_rounds (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (round_id, user_id)
);

-- A dossier: one product entered in one round, with the lower-level certificate it relies on.
CREATE TABLE selection_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id BIGINT NOT NULL REFERENCES selection_rounds (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    basis_certificate_id BIGINT,
    note TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (round_id, product_id)
);
CREATE INDEX selection_entries_product ON selection_entries (product_id);
CREATE INDEX selection_entries_basis ON selection_entries (basis_certificate_id);

-- One judge's points for one entry, per criterion.
CREATE TABLE selection_scores (
    entry_id BIGINT NOT NULL REFERENCES selection_entries (id),
    judge_user_id BIGINT NOT NULL REFERENCES users (id),
    market BIGINT NOT NULL,
    economic_technical_social_environmental BIGINT NOT NULL,
    cultural_aesthetic BIGINT NOT NULL,
    other BIGINT NOT NULL,
    total BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (entry_id, judge_user_id)
);

-- Certificates of recognition, issued by a round or recorded from before the registry (legacy).
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL,
    year BIGINT NOT NULL,
    era TEXT NOT NULL,
    scope_code TEXT NOT NULL,
    round_id BIGINT REFERENCES selection_rounds (id),
    entry_id BIGINT REFERENCES selection_entries (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    -- Where the producer was when the certificate was issued: current province and its region.
    province_code TEXT NOT NULL,
    region_code TEXT NOT NULL,
    decision_number TEXT NOT NULL,
    issued_on DATE NOT NULL,
    valid_until DATE NOT NULL,
    legacy BOOLEAN NOT NULL DEFAULT FALSE,
    revoked_at TIMESTAMP,
    revocation_reason TEXT,
    revocation_decision_number TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX certificates_product ON certificates (product_id, level);
CREATE INDEX certificates_province ON certificates (province_code, id);
CREATE INDEX certificates_round ON certificates (round_id);

-- The last sequence number drawn per certificate-number prefix (level, year, scope).
CREATE TABLE certificate_number_sequences (
    prefix TEXT PRIMARY KEY,
    last_value BIGINT NOT NULL
);

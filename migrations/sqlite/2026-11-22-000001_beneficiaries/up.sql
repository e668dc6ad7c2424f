-- Rural industrial establishments (cơ sở công nghiệp nông thôn): one record per establishment.
CREATE TABLE beneficiaries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    legal_form TEXT NOT NULL,
    identifier_type TEXT NOT NULL,
    identifier_value TEXT,
    representative_name TEXT,
    address_line TEXT,
    province_code TEXT NOT NULL REFERENCES provinces_2025 (code),
    commune_code TEXT REFERENCES communes_2025 (code),
    -- As recorded before the 1 July 2025 reform, for establishments registered then.
    recorded_province_code_pre2025 TEXT REFERENCES provinces_pre2025 (code),
    recorded_district_code_pre2025 TEXT REFERENCES districts_pre2025 (code),
    main_sector_vsic TEXT,
    size_class TEXT,
    employees BIGINT,
    founding_year BIGINT,
    in_craft_village BOOLEAN NOT NULL DEFAULT FALSE,
    craft_village_name TEXT,
    women_owned BOOLEAN NOT NULL DEFAULT FALSE,
    ethnic_minority_owned BOOLEAN NOT NULL DEFAULT FALSE,
    disadvantaged_area BOOLEAN NOT NULL DEFAULT FALSE,
    phone TEXT,
    email TEXT,
    website TEXT,
    status TEXT NOT NULL,
    merged_into_id BIGINT REFERENCES beneficiaries (id),
    -- Filled from the fields above for search and duplicate detection.
    search_key TEXT NOT NULL,
    name_key TEXT NOT NULL,
    phone_key TEXT,
    representative_phone_key TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX beneficiaries_identifier ON beneficiaries (identifier_type, identifier_value);
CREATE INDEX beneficiaries_province ON beneficiaries (province_code, id);
CREATE INDEX beneficiaries_recorded_province ON beneficiaries (recorded_province_code_pre2025, id);
CREATE INDEX beneficiaries_commune_name ON beneficiaries (commune_code, name_key);
CREATE INDEX beneficiaries_phone ON beneficiaries (phone_key);
CREATE INDEX beneficiaries_representative_phone ON beneficiaries (representative_phone_key);

-- Personal data of the people behind an establishment, kept apart so that it is read only for the
-- roles that may see it.
CREATE TABLE beneficiary_personal_data (
    beneficiary_id BIGINT PRIMARY KEY REFERENCES beneficiaries (id),
    representative_phone TEXT,
    representative_national_id TEXT,
    household_owner_name TEXT,
    updated_at TIMESTAMP NOT NULL
);

-- Yearly figures for impact reporting. Money in đồng.
CREATE TABLE beneficiary_annual_figures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (id),
    year BIGINT NOT NULL,
    revenue_vnd BIGINT,
    employees BIGINT,
    average_income_vnd BIGINT,
    total_assets_vnd BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (beneficiary_id, year)
);

-- A `q` that is a whole identifier is looked up here: the identifier and its branches
-- (`0101234567-001`) are one range in byte order (SQLite's BINARY collation).
CREATE INDEX beneficiaries_identifier_value ON beneficiaries (identifier_value);

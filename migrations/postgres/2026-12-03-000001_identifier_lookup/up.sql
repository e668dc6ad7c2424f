-- A `q` that is a whole identifier is looked up here: the identifier and its branches
-- (`0101234567-001`) are one range in byte order. Identifiers are codes, not words, so they are
-- compared bytewise (`C`) whatever the database's own collation is; SQLite compares bytes already.
ALTER TABLE beneficiaries ALTER COLUMN identifier_value TYPE TEXT COLLATE "C";
CREATE INDEX beneficiaries_identifier_value ON beneficiaries (identifier_value);

DROP INDEX beneficiaries_identifier_value;
ALTER TABLE beneficiaries ALTER COLUMN identifier_value TYPE TEXT COLLATE "default";

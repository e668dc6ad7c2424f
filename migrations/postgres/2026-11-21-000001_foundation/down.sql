DROP TABLE audit_events;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE reference_data_versions;
DROP TABLE districts_pre2025;
DROP TABLE communes_2025;
DROP TABLE provinces_2025;
DROP TABLE provinces_pre2025;

-- `q` matches a search key anywhere (`LIKE '%…%'`); a trigram index answers it without reading every
-- row. pg_trgm is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX beneficiaries_search ON beneficiaries USING gin (search_key gin_trgm_ops);
CREATE INDEX projects_search ON projects USING gin (search_key gin_trgm_ops);
CREATE INDEX products_search ON products USING gin (search_key gin_trgm_ops);

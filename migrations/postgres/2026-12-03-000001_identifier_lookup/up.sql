-- A `q` that is a whole identifier is looked up here. Its first ten characters are a tax code
-- without its branch number, or a whole household-business registration number: a tax code finds
-- its holder and its branches (`0101234567-001`) with one equality.
CREATE INDEX beneficiaries_identifier_root ON beneficiaries (substr(identifier_value, 1, 10));

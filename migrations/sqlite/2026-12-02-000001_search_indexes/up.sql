-- `q` matches a search key anywhere. Each searched table has an FTS5 index with the trigram
-- tokenizer over its search key (external content: the text is not stored twice), kept in sync by
-- triggers, so that a search reads the index instead of every row.

CREATE VIRTUAL TABLE beneficiaries_search USING fts5(
    search_key, content='beneficiaries', content_rowid='id', tokenize='trigram'
);
INSERT INTO beneficiaries_search (beneficiaries_search) VALUES ('rebuild');
CREATE TRIGGER beneficiaries_search_insert AFTER INSERT ON beneficiaries BEGIN
    INSERT INTO beneficiaries_search (rowid, search_key) VALUES (new.id, new.search_key);
END;
CREATE TRIGGER beneficiaries_search_delete AFTER DELETE ON beneficiaries BEGIN
    INSERT INTO beneficiaries_search (beneficiaries_search, rowid, search_key) VALUES ('delete', old.id, old.search_key);
END;
CREATE TRIGGER beneficiaries_search_update AFTER UPDATE OF search_key ON beneficiaries BEGIN
    INSERT INTO beneficiaries_search (beneficiaries_search, rowid, search_key) VALUES ('delete', old.id, old.search_key);
    INSERT INTO beneficiaries_search (rowid, search_key) VALUES (new.id, new.search_key);
END;

CREATE VIRTUAL TABLE projects_search USING fts5(
    search_key, content='projects', content_rowid='id', tokenize='trigram'
);
INSERT INTO projects_search (projects_search) VALUES ('rebuild');
CREATE TRIGGER projects_search_insert AFTER INSERT ON projects BEGIN
    INSERT INTO projects_search (rowid, search_key) VALUES (new.id, new.search_key);
END;
CREATE TRIGGER projects_search_delete AFTER DELETE ON projects BEGIN
    INSERT INTO projects_search (projects_search, rowid, search_key) VALUES ('delete', old.id, old.search_key);
END;
CREATE TRIGGER projects_search_update AFTER UPDATE OF search_key ON projects BEGIN
    INSERT INTO projects_search (projects_search, rowid, search_key) VALUES ('delete', old.id, old.search_key);
    INSERT INTO projects_search (rowid, search_key) VALUES (new.id, new.search_key);
END;

CREATE VIRTUAL TABLE products_search USING fts5(
    search_key, content='products', content_rowid='id', tokenize='trigram'
);
INSERT INTO products_search (products_search) VALUES ('rebuild');
CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_search (rowid, search_key) VALUES (new.id, new.search_key);
END;
CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_search (products_search, rowid, search_key) VALUES ('delete', old.id, old.search_key);
END;
CREATE TRIGGER products_search_update AFTER UPDATE OF search_key ON products BEGIN
    INSERT INTO products_search (products_search, rowid, search_key) VALUES ('delete', old.id, old.search_key);
    INSERT INTO products_search (rowid, search_key) VALUES (new.id, new.search_key);
END;

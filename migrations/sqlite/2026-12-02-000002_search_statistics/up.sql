-- How many records hold each trigram of the search tables: a search decides from it whether its
-- words are rare (read the index) or common (walk the table in id order).
CREATE VIRTUAL TABLE beneficiaries_search_terms USING fts5vocab(beneficiaries_search, 'row');
CREATE VIRTUAL TABLE projects_search_terms USING fts5vocab(projects_search, 'row');
CREATE VIRTUAL TABLE products_search_terms USING fts5vocab(products_search, 'row');

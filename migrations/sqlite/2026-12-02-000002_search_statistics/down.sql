DROP TABLE products_search_terms;
DROP TABLE projects_search_terms;
DROP TABLE beneficiaries_search_terms;

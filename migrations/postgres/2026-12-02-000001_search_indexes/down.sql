DROP INDEX products_search;
DROP INDEX projects_search;
DROP INDEX beneficiaries_search;

//! Integration tests: the real application against a real database, fresh for every test.
//! SQLite by default; set `TEST_DATABASE_URL=postgres://...` to run the same tests on PostgreSQL.

mod support;

mod admin_units;
mod audit;
mod auth;
mod bad_input;
mod beneficiaries;
mod binary;
mod certification;
mod certification_stats;
mod contract;
mod cors;
mod csv_export;
mod errors;
mod events;
mod health;
mod idempotency;
mod imports;
mod imports_certificates;
mod imports_projects;
mod integrations;
mod openapi;
mod outage;
mod project_money;
mod project_registry;
mod projects;
mod seed;
mod stats;
mod users;
mod webhooks;

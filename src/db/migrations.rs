//! Embedded schema migrations, one tree per backend with identical folder names, and the reference
//! data loaded right after them.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConn;
use crate::error::ApiError;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies pending migrations and (re)loads reference data that changed. Returns the names of the
/// migrations applied.
pub fn run(conn: &mut DbConn) -> Result<Vec<String>, ApiError> {
    let applied = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE),
    }
    .map_err(|e| ApiError::internal(format!("migration failed: {e}")))?
    .into_iter()
    .map(|version| version.to_string())
    .collect();
    crate::models::admin_units::load_reference_data(conn)?;
    Ok(applied)
}

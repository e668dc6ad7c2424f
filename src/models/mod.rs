//! Row structs and their queries, one module per aggregate.

pub mod admin_units;
pub mod audit;
pub mod beneficiaries;
pub mod certification;
pub mod events;
pub mod idempotency_keys;
pub mod imports;
pub mod integration_clients;
pub mod organizations;
pub mod outcomes;
pub mod programmes;
pub mod projects;
pub mod refresh_tokens;
pub mod search;
pub mod stats;
pub mod users;
pub mod webhooks;

use std::str::FromStr;

use crate::error::ApiError;

/// Reads a stored enum code; a code the program does not know means a corrupt row, not bad input.
pub fn decode<T: FromStr>(column: &str, value: &str) -> Result<T, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::internal(format!("unknown code `{value}` stored in {column}")))
}

/// The current time as stored: UTC without offset.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

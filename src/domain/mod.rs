//! Pure rules of the programme. Nothing here knows about HTTP or SQL.

pub mod admin_units;
pub mod beneficiaries;
pub mod certification;
pub mod events;
pub mod identifiers;
pub mod imports;
pub mod labels;
pub mod outcomes;
pub mod projects;
pub mod search;
pub mod text;

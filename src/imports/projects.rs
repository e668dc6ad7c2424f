//! Importing projects (đề án) with their budget and their establishments named by identifier.
//!
//! (Being built: every row is refused until the checks of this kind are in place.)

use super::Importer;
use super::columns::Column;
use super::report::{Findings, Problem};
use super::sheet::Sheet;
use crate::db::DbConn;
use crate::error::ApiError;

pub const COLUMNS: &[Column] = &[];

/// A row checked and ready to write.
#[derive(Debug, Clone)]
pub struct Record;

pub struct Checked {
    pub findings: Findings,
    pub records: Vec<Record>,
}

pub fn check(
    _conn: &mut DbConn,
    sheet: &Sheet,
    _importer: &Importer,
    done: &dyn Fn(u64),
) -> Result<Checked, ApiError> {
    done(sheet.rows.len() as u64);
    Ok(Checked {
        findings: Findings::unreadable(vec![Problem::file(
            "not_importable_yet",
            "Chưa nhập được loại dữ liệu này.".to_owned(),
            "This kind cannot be imported yet.".to_owned(),
        )]),
        records: Vec::new(),
    })
}

/// Writes the records; their ids.
pub fn write(
    _conn: &mut DbConn,
    _importer: &Importer,
    _records: &[Record],
    _done: &dyn Fn(u64),
) -> Result<Vec<i64>, ApiError> {
    Ok(Vec::new())
}

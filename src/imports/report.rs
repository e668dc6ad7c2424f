//! What an import found: rows read, rows valid and each problem with its row, column, code and
//! message. Problems are kept in both languages (a job's report is read later, maybe in the other
//! language) and rendered in the reader's.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::i18n::{Lang, Text};

/// The most problems a report lists; `problems_total` counts them all.
pub const MAX_LISTED: usize = 1_000;

/// One problem of a row (or of the file itself, on its header row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The row number the spreadsheet shows; `None` when the file cannot be read at all.
    pub row: Option<u32>,
    /// The column's code (or, for an unknown column, its header text).
    pub column: Option<String>,
    pub code: String,
    pub vi: String,
    pub en: String,
}

impl Problem {
    pub fn file(code: &'static str, vi: String, en: String) -> Problem {
        Problem {
            row: None,
            column: None,
            code: code.to_owned(),
            vi,
            en,
        }
    }

    pub fn at(mut self, row: u32, column: &str) -> Problem {
        self.row = Some(row);
        self.column = Some(column.to_owned());
        self
    }

    /// A validation error of the API, on `row`.
    pub fn of_field(row: u32, error: FieldError) -> Problem {
        Problem {
            row: Some(row),
            column: Some(error.field),
            code: error.code.to_owned(),
            vi: error.message.vi.into_owned(),
            en: error.message.en.into_owned(),
        }
    }

    fn message(&self, lang: Lang) -> String {
        Text::new(self.vi.clone(), self.en.clone()).get(lang).to_owned()
    }
}

/// What was found in a file, as kept with a job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    pub rows_read: u64,
    pub rows_valid: u64,
    /// Every problem, in row order (capped at [`MAX_LISTED`] when kept).
    pub problems: Vec<Problem>,
    pub problems_total: u64,
}

impl Findings {
    /// Findings for a file that could not be read into rows.
    pub fn unreadable(problems: Vec<Problem>) -> Findings {
        Findings {
            problems_total: problems.len() as u64,
            problems,
            ..Findings::default()
        }
    }

    pub fn is_clean(&self) -> bool {
        self.problems_total == 0
    }

    /// Keeps the first [`MAX_LISTED`] problems.
    pub fn capped(mut self) -> Findings {
        self.problems.truncate(MAX_LISTED);
        self
    }

    pub fn render(&self, lang: Lang) -> ImportReport {
        ImportReport {
            rows_read: self.rows_read,
            rows_valid: self.rows_valid,
            rows_invalid: self.rows_read - self.rows_valid,
            problems_total: self.problems_total,
            problems: self
                .problems
                .iter()
                .take(MAX_LISTED)
                .map(|p| RowProblem {
                    row: p.row,
                    column: p.column.clone(),
                    code: p.code.clone(),
                    message: p.message(lang),
                })
                .collect(),
        }
    }
}

/// The result of checking a file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows in the file (blank rows and header rows not counted).
    pub rows_read: u64,
    /// Rows with no problem.
    pub rows_valid: u64,
    pub rows_invalid: u64,
    /// Problems found; `problems` lists the first 1,000.
    pub problems_total: u64,
    pub problems: Vec<RowProblem>,
}

/// A problem of one row, or of the file itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowProblem {
    /// The row number as the spreadsheet shows it (1 is the first row of the file); `null` when
    /// the file could not be read.
    #[schema(minimum = 1)]
    pub row: Option<u32>,
    /// The column's code, as in the template's code row and the API's field names.
    #[schema(example = "identifier_value")]
    pub column: Option<String>,
    /// The API's error code for the same mistake (`invalid_tax_code_check_digit`,
    /// `unknown_commune`, `duplicate_identifier`, ...).
    #[schema(example = "invalid_tax_code_check_digit")]
    pub code: String,
    /// In the response language.
    pub message: String,
}

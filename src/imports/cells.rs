//! Reading the cells of one row by their column's kind, as every kind of file does: text, codes
//! of an enumeration (or their Vietnamese labels), whole numbers, booleans and days. A cell that is
//! not of its column's kind is a row problem (`invalid_value`), and its column is remembered as
//! unread so that the API's checks do not complain about it a second time.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::columns::{Cell, Column};
use super::sheet::{Row, Sheet};
use crate::api::checks::error;
use crate::error::FieldError;

pub struct Cells<'a> {
    sheet: &'a Sheet,
    row: &'a Row,
    columns: &'static [Column],
    pub errors: Vec<FieldError>,
    /// Columns whose cell could not be read (missing or not of their kind).
    pub unread: HashSet<&'static str>,
}

/// `1.500.000` or `1,500,000`: digits grouped by thousands, as amounts are written.
fn grouped_thousands(value: &str) -> bool {
    let mut groups = value.split(['.', ',']);
    let first = groups.next().unwrap_or_default();
    let rest: Vec<&str> = groups.collect();
    !rest.is_empty()
        && (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

impl<'a> Cells<'a> {
    pub fn new(sheet: &'a Sheet, row: &'a Row, columns: &'static [Column]) -> Cells<'a> {
        Cells {
            sheet,
            row,
            columns,
            errors: Vec::new(),
            unread: HashSet::new(),
        }
    }

    pub fn text(&self, column: &str) -> Option<String> {
        self.row.get(self.sheet, column).map(str::to_owned)
    }

    pub fn refuse(&mut self, column: &'static str, vi: String, en: String) {
        self.errors.push(error(column, "invalid_value", vi, en));
        self.unread.insert(column);
    }

    /// Every required column of the kind must have a value.
    pub fn require_all(&mut self) {
        for column in self.columns.iter().filter(|c| c.required) {
            if self.row.get(self.sheet, column.code).is_none() {
                self.errors.push(error(
                    column.code,
                    "required",
                    format!("Cột {} bắt buộc có giá trị.", column.code),
                    format!("Column {} must have a value.", column.code),
                ));
                self.unread.insert(column.code);
            }
        }
    }

    /// The API's own errors, less those about a column already reported as unread.
    pub fn add_checks(&mut self, errors: Vec<FieldError>) {
        let unread = &self.unread;
        self.errors
            .extend(errors.into_iter().filter(|e| !unread.contains(e.field.as_str())));
    }

    /// One code of the column's enumeration, given by its code or its Vietnamese label.
    pub fn code<T: std::str::FromStr>(&mut self, column: &'static str) -> Option<T> {
        let value = self.row.get(self.sheet, column)?;
        let Some(Cell::Code(values)) = self.columns.iter().find(|c| c.code == column).map(|c| c.cell) else {
            return None;
        };
        let values = values();
        match values.iter().find(|(code, label)| {
            code.eq_ignore_ascii_case(value) || label.to_lowercase() == value.to_lowercase()
        }) {
            Some((code, _)) => code.parse().ok(),
            None => {
                let codes: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
                let (vi, en) = (
                    format!("\"{value}\" không phải một trong: {}.", codes.join(", ")),
                    format!("\"{value}\" is not one of: {}.", codes.join(", ")),
                );
                self.refuse(column, vi, en);
                None
            }
        }
    }

    /// A whole number; amounts may group their thousands (`250.000.000`, `250,000,000`).
    pub fn integer(&mut self, column: &'static str) -> Option<i64> {
        let value = self.row.get(self.sheet, column)?;
        let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        let digits = if grouped_thousands(&digits) {
            digits.replace(['.', ','], "")
        } else {
            digits
        };
        match digits.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                let (vi, en) = (
                    format!("\"{value}\" không phải số nguyên."),
                    format!("\"{value}\" is not a whole number."),
                );
                self.refuse(column, vi, en);
                None
            }
        }
    }

    /// `true`/`false`, `1`/`0`, `có`/`không`, `x`; a blank cell is `false`.
    pub fn boolean(&mut self, column: &'static str) -> bool {
        let Some(value) = self.row.get(self.sheet, column) else {
            return false;
        };
        match value.to_lowercase().as_str() {
            "true" | "1" | "x" | "có" | "co" | "yes" => true,
            "false" | "0" | "không" | "khong" | "no" => false,
            _ => {
                let (vi, en) = (
                    format!("\"{value}\" không phải true/false (có/không)."),
                    format!("\"{value}\" is not true/false."),
                );
                self.refuse(column, vi, en);
                false
            }
        }
    }

    /// `YYYY-MM-DD` (what a spreadsheet's date cell reads as) or `DD/MM/YYYY`.
    pub fn date(&mut self, column: &'static str) -> Option<NaiveDate> {
        let value = self.row.get(self.sheet, column)?;
        match NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(value, "%d/%m/%Y"))
        {
            Ok(date) => Some(date),
            Err(_) => {
                let (vi, en) = (
                    format!("\"{value}\" không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY)."),
                    format!("\"{value}\" is not a date (YYYY-MM-DD or DD/MM/YYYY)."),
                );
                self.refuse(column, vi, en);
                None
            }
        }
    }
}

/// The rows on which each key (an identifier, a code, a number) first appears in a file: a key
/// seen again is `duplicate_in_file`, naming the earlier row.
#[derive(Debug, Default)]
pub struct FirstRows<K>(HashMap<K, u32>);

impl<K: std::hash::Hash + Eq> FirstRows<K> {
    /// Records `key` on `row`; the error when an earlier row has it. `what` names the key in
    /// Vietnamese and English ("Mã đề án", "Project code") and `shown` is how it is written.
    pub fn see(
        &mut self,
        key: K,
        row: u32,
        column: &str,
        what: (&str, &str),
        shown: &str,
    ) -> Option<FieldError> {
        match self.0.get(&key) {
            Some(first) => Some(error(
                column,
                "duplicate_in_file",
                format!("{} {shown} đã có ở dòng {first} của tệp.", what.0),
                format!("{} {shown} is already on row {first} of the file.", what.1),
            )),
            None => {
                self.0.insert(key, row);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FirstRows, grouped_thousands};

    #[test]
    fn a_key_seen_again_names_the_row_it_was_first_seen_on() {
        let mut seen = FirstRows::default();
        assert!(seen.see("A", 2, "code", ("Mã", "Code"), "A").is_none());
        assert!(seen.see("B", 3, "code", ("Mã", "Code"), "B").is_none());
        let again = seen.see("A", 4, "code", ("Mã", "Code"), "A").unwrap();
        assert_eq!(again.code, "duplicate_in_file");
        assert_eq!(again.message.en, "Code A is already on row 2 of the file.");
    }

    #[test]
    fn only_groups_of_three_digits_are_thousands() {
        assert!(grouped_thousands("250.000.000"));
        assert!(grouped_thousands("1,500"));
        assert!(!grouped_thousands("2012"));
        assert!(!grouped_thousands("1.5"));
        assert!(!grouped_thousands("1.5000"));
        assert!(!grouped_thousands("abc.def"));
    }
}

//! Reading an uploaded file into rows of text: CSV (UTF-8, with or without a byte-order mark) or
//! the first worksheet of an `.xlsx` workbook. Rows keep the number a spreadsheet shows, so a
//! report's "row 14" is the row the user sees as 14.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::columns::{self, Column};
use super::report::Problem;

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Xlsx,
}

pub const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl FileFormat {
    /// The format of `bytes`: an `.xlsx` workbook is a ZIP archive (it starts with `PK\x03\x04`);
    /// anything else is read as CSV.
    pub fn sniff(bytes: &[u8]) -> FileFormat {
        if bytes.starts_with(b"PK\x03\x04") {
            FileFormat::Xlsx
        } else {
            FileFormat::Csv
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
    }
}

/// A data row: its number in the file and its cells, in the order of [`Sheet::columns`].
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<String>,
}

impl Row {
    /// The cell of `column`, trimmed; `None` when the file has no such column or the cell is blank.
    pub fn get(&self, sheet: &Sheet, column: &str) -> Option<&str> {
        let index = sheet
            .columns
            .iter()
            .position(|c| c.is_some_and(|c| c.code == column))?;
        self.cells.get(index).map(|c| c.trim()).filter(|c| !c.is_empty())
    }
}

/// A file's data rows under their header.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The column of each position (`None`: a position the header leaves blank).
    pub columns: Vec<Option<&'static Column>>,
    pub rows: Vec<Row>,
}

/// Reads `bytes` as `format` against the columns of a kind. A problem with the file itself (not
/// readable, no header, unknown or missing columns) is reported like a row's, on the header row.
pub fn read(bytes: &[u8], format: FileFormat, kind: &'static [Column]) -> Result<Sheet, Vec<Problem>> {
    let raw = match format {
        FileFormat::Csv => read_csv(bytes),
        FileFormat::Xlsx => read_xlsx(bytes),
    }
    .map_err(|problem| vec![problem])?;
    header(raw, kind)
}

fn unreadable(en: String) -> Problem {
    Problem::file(
        "unreadable_file",
        format!("Không đọc được tệp: {en}"),
        format!("The file cannot be read: {en}"),
    )
}

/// Every record of a CSV file, numbered from 1.
fn read_csv(bytes: &[u8]) -> Result<Vec<Row>, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| match e.kind() {
            csv::ErrorKind::Utf8 { .. } => unreadable(format!(
                "record {} is not UTF-8 text (save the file as \"CSV UTF-8\")",
                index + 1
            )),
            _ => unreadable(e.to_string()),
        })?;
        rows.push(Row {
            number: u32::try_from(index + 1).unwrap_or(u32::MAX),
            cells: record.iter().map(str::to_owned).collect(),
        });
    }
    Ok(rows)
}

/// The rows of the first worksheet, numbered as the spreadsheet shows them.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<Row>, Problem> {
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(format!("not an .xlsx workbook ({e})")))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("the workbook has no worksheet".to_owned()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    Ok(range
        .rows()
        .enumerate()
        .map(|(index, cells)| {
            let mut row: Vec<String> = vec![String::new(); first_column as usize];
            row.extend(cells.iter().map(cell_text));
            Row {
                number: first_row + u32::try_from(index).unwrap_or(u32::MAX - first_row) + 1,
                cells: row,
            }
        })
        .collect())
}

/// A cell as the text a person typed: whole numbers without `.0` (a tax code or a commune code
/// typed as a number), dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|d| d.date().to_string())
            .unwrap_or_else(|| d.as_f64().to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn is_blank(row: &Row) -> bool {
    row.cells.iter().all(|c| c.trim().is_empty())
}

/// Whether every non-blank cell of `row` names a column (a header row: the Vietnamese headings or
/// the code row of the template).
fn names_columns(row: &Row, kind: &'static [Column]) -> bool {
    !is_blank(row)
        && row
            .cells
            .iter()
            .filter(|c| !c.trim().is_empty())
            .all(|c| columns::find(kind, c).is_some())
}

/// Finds the header (the first row naming a required column; the template's code row right under
/// its headings is skipped too) and checks its columns.
fn header(raw: Vec<Row>, kind: &'static [Column]) -> Result<Sheet, Vec<Problem>> {
    let required: Vec<&Column> = kind.iter().filter(|c| c.required).collect();
    let position = raw.iter().take(10).position(|row| {
        row.cells
            .iter()
            .any(|cell| columns::find(kind, cell).is_some_and(|c| c.required))
    });
    let Some(position) = position else {
        let names: Vec<&str> = required.iter().map(|c| c.code).collect();
        return Err(vec![Problem::file(
            "missing_header",
            format!(
                "Không tìm thấy dòng tiêu đề: một trong 10 dòng đầu phải có tên các cột ({}).",
                names.join(", ")
            ),
            format!(
                "No header row: one of the first 10 rows must name the columns ({}).",
                names.join(", ")
            ),
        )]);
    };
    let mut rows = raw.into_iter().skip(position);
    let head = rows.next().expect("the header row");
    let mut problems = Vec::new();
    let mut columns: Vec<Option<&'static Column>> = Vec::new();
    for (index, cell) in head.cells.iter().enumerate() {
        let found = columns::find(kind, cell);
        if found.is_none() && !cell.trim().is_empty() {
            problems.push(
                Problem::file(
                    "unknown_column",
                    format!("Cột {} \"{}\" không có trong mẫu.", letter(index), cell.trim()),
                    format!(
                        "Column {} \"{}\" is not one of the template's.",
                        letter(index),
                        cell.trim()
                    ),
                )
                .at(head.number, cell.trim()),
            );
        }
        if let Some(column) = found
            && columns.iter().flatten().any(|c| c.code == column.code)
        {
            problems.push(
                Problem::file(
                    "duplicate_column",
                    format!("Cột {} có hai lần.", column.code),
                    format!("Column {} appears twice.", column.code),
                )
                .at(head.number, column.code),
            );
        }
        columns.push(found);
    }
    for column in required {
        if !columns.iter().flatten().any(|c| c.code == column.code) {
            problems.push(
                Problem::file(
                    "missing_column",
                    format!("Thiếu cột bắt buộc {} ({}).", column.code, column.heading),
                    format!(
                        "The required column {} ({}) is missing.",
                        column.code, column.heading
                    ),
                )
                .at(head.number, column.code),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows: Vec<Row> = rows.filter(|row| !is_blank(row)).collect();
    // The template's second header row (codes under the Vietnamese headings).
    if rows.first().is_some_and(|row| names_columns(row, kind)) {
        rows.remove(0);
    }
    Ok(Sheet { columns, rows })
}

/// The spreadsheet letter of a 0-based column (A, B, …, Z, AA, …).
fn letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::columns::BENEFICIARIES;

    #[test]
    fn csv_with_a_byte_order_mark_and_headings_reads_its_rows_with_their_numbers() {
        let file = "\u{feff}Tên cơ sở,legal_form,identifier_type,province_code,commune_code\n\
                    ,,,,\n\
                    Cơ sở A,enterprise,tax_code,01,00004\n";
        let sheet = read(file.as_bytes(), FileFormat::Csv, BENEFICIARIES).unwrap();
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.rows[0].number, 3);
        assert_eq!(sheet.rows[0].get(&sheet, "name"), Some("Cơ sở A"));
        assert_eq!(sheet.rows[0].get(&sheet, "email"), None);
    }

    #[test]
    fn unknown_and_missing_columns_are_named() {
        let file = "name,legal_form,colour\nA,enterprise,red\n";
        let problems = read(file.as_bytes(), FileFormat::Csv, BENEFICIARIES).unwrap_err();
        let codes: Vec<(&str, Option<&str>)> = problems
            .iter()
            .map(|p| (p.code.as_str(), p.column.as_deref()))
            .collect();
        assert_eq!(
            codes,
            [
                ("unknown_column", Some("colour")),
                ("missing_column", Some("identifier_type")),
                ("missing_column", Some("province_code")),
                ("missing_column", Some("commune_code")),
            ]
        );
    }

    #[test]
    fn column_letters_follow_the_spreadsheet() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
        assert_eq!(letter(27), "AB");
    }
}

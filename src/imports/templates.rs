//! The workbook a province fills in: one data sheet (Vietnamese headings, the code row a program
//! reads, one example row, drop-down lists for enumerations, text cells so codes keep their
//! leading zeros) and a sheet that explains every column.

use rust_xlsxwriter::{Color, DataValidation, Format, FormatBorder, Note, Workbook, XlsxError};

use super::ImportKind;
use super::columns::{Cell, Column};
use crate::error::ApiError;

/// Rows of the data sheet that carry the drop-down lists.
const VALIDATED_ROWS: u32 = 10_000;

fn internal(e: XlsxError) -> ApiError {
    ApiError::internal(format!("import template: {e}"))
}

/// The values a cell of `column` may take, for its drop-down list.
pub fn allowed(column: &Column) -> Option<Vec<&'static str>> {
    match column.cell {
        Cell::Code(values) => Some(values().into_iter().map(|(code, _)| code).collect()),
        Cell::Boolean => Some(vec!["true", "false"]),
        Cell::Text | Cell::Integer | Cell::Date => None,
    }
}

/// The template of `kind` as `.xlsx` bytes.
pub fn workbook(kind: ImportKind) -> Result<Vec<u8>, ApiError> {
    build(kind.columns()).map_err(internal)
}

fn build(columns: &[Column]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let border = Format::new().set_border(FormatBorder::Thin);
    let heading = border
        .clone()
        .set_bold()
        .set_text_wrap()
        .set_background_color(Color::RGB(0xDDEBF7));
    let required = heading.clone().set_font_color(Color::RGB(0xC00000));
    let code = border
        .clone()
        .set_italic()
        .set_font_color(Color::RGB(0x595959))
        .set_background_color(Color::RGB(0xF2F2F2));
    let text = Format::new().set_num_format("@");

    let data = workbook.add_worksheet();
    data.set_name("Dữ liệu")?;
    for (index, column) in columns.iter().enumerate() {
        let c = index as u16;
        data.set_column_width(c, 18)?;
        if !matches!(column.cell, Cell::Integer) {
            data.set_column_format(c, &text)?;
        }
        let title = if column.required {
            format!("{} (*)", column.heading)
        } else {
            column.heading.to_owned()
        };
        data.write_string_with_format(0, c, title, if column.required { &required } else { &heading })?;
        data.write_string_with_format(1, c, column.code, &code)?;
        if !column.note.is_empty() {
            data.insert_note(0, c, &Note::new(column.note).add_author_prefix(false))?;
        }
        match column.cell {
            Cell::Integer if !column.example.is_empty() => {
                let value: f64 = column.example.parse().unwrap_or_default();
                data.write_number(2, c, value)?;
            }
            _ if !column.example.is_empty() => {
                data.write_string_with_format(2, c, column.example, &text)?;
            }
            _ => {}
        }
        if let Some(values) = allowed(column) {
            let validation = DataValidation::new()
                .allow_list_strings(&values)?
                .set_error_title("Giá trị không hợp lệ")?
                .set_error_message(format!("Chọn một trong: {}", values.join(", ")))?;
            data.add_data_validation(2, c, VALIDATED_ROWS, c, &validation)?;
        }
    }
    data.set_row_height(0, 45)?;
    data.set_freeze_panes(2, 0)?;

    let guide = workbook.add_worksheet();
    guide.set_name("Hướng dẫn")?;
    let header = Format::new().set_bold();
    for (c, title) in ["Mã cột", "Tên cột", "Bắt buộc", "Giá trị", "Ghi chú"]
        .iter()
        .enumerate()
    {
        guide.write_string_with_format(0, c as u16, *title, &header)?;
    }
    for (index, column) in columns.iter().enumerate() {
        let r = index as u32 + 1;
        guide.write_string(r, 0, column.code)?;
        guide.write_string(r, 1, column.heading)?;
        guide.write_string(r, 2, if column.required { "có" } else { "" })?;
        let values = match column.cell {
            Cell::Code(values) => values()
                .iter()
                .map(|(code, label)| format!("{code} ({label})"))
                .collect::<Vec<_>>()
                .join("; "),
            Cell::Boolean => "true / false".to_owned(),
            Cell::Integer => "số nguyên".to_owned(),
            Cell::Date => "ngày: YYYY-MM-DD hoặc DD/MM/YYYY".to_owned(),
            Cell::Text => String::new(),
        };
        guide.write_string(r, 3, values)?;
        guide.write_string(r, 4, column.note)?;
    }
    guide.set_column_width(0, 32)?;
    guide.set_column_width(1, 32)?;
    guide.set_column_width(3, 60)?;
    guide.set_column_width(4, 70)?;
    workbook.save_to_buffer()
}

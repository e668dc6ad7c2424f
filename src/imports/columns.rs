//! The columns of each import file: the code a program reads (the English code row of the
//! template, and the field name of the API), the Vietnamese heading people read, whether a row must
//! fill it, the values an enumeration allows and the example row of the template. The template, the
//! reader and `docs/IMPORTS.md` all describe the same list.

use crate::domain::beneficiaries::{LegalForm, SizeClass};
use crate::domain::identifiers::IdentifierType;
use crate::domain::labels::Labeled;

/// What a cell holds.
#[derive(Debug, Clone, Copy)]
pub enum Cell {
    Text,
    /// A whole number.
    Integer,
    /// A day: `YYYY-MM-DD` or `DD/MM/YYYY` (or a date cell of the workbook).
    Date,
    /// `true`/`false` (also `1`/`0`, `có`/`không`, `x`/blank); a blank cell is `false`.
    Boolean,
    /// One code of an enumeration (its Vietnamese label is read too).
    Code(fn() -> Vec<(&'static str, &'static str)>),
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub code: &'static str,
    pub heading: &'static str,
    pub required: bool,
    pub cell: Cell,
    /// The value of the template's example row.
    pub example: &'static str,
    /// What people must know to fill it (the template's cell note and the documentation).
    pub note: &'static str,
}

/// Every code of `T` with its Vietnamese label.
pub(crate) fn codes<T: Labeled>() -> Vec<(&'static str, &'static str)> {
    T::ALL.iter().map(|v| (v.code(), v.labels().0)).collect()
}

pub(crate) const fn column(
    code: &'static str,
    heading: &'static str,
    required: bool,
    cell: Cell,
    example: &'static str,
    note: &'static str,
) -> Column {
    Column {
        code,
        heading,
        required,
        cell,
        example,
        note,
    }
}

/// An establishment (cơ sở công nghiệp nông thôn), as `POST /api/v1/beneficiaries` takes it.
pub const BENEFICIARIES: &[Column] = &[
    column(
        "name",
        "Tên cơ sở",
        true,
        Cell::Text,
        "Công ty TNHH Mây tre đan Phú Vinh",
        "2–300 ký tự.",
    ),
    column(
        "legal_form",
        "Loại hình",
        true,
        Cell::Code(codes::<LegalForm>),
        "enterprise",
        "Mã loại hình (danh sách chọn).",
    ),
    column(
        "identifier_type",
        "Loại mã định danh",
        true,
        Cell::Code(codes::<IdentifierType>),
        "tax_code",
        "Doanh nghiệp: tax_code; HTX: cooperative_code; hộ kinh doanh: household_registration.",
    ),
    column(
        "identifier_value",
        "Mã định danh",
        false,
        Cell::Text,
        "0100109106",
        "Mã số thuế (kiểm tra chữ số kiểm), mã HTX hoặc số đăng ký hộ kinh doanh; để trống khi loại là none.",
    ),
    column(
        "representative_name",
        "Người đại diện",
        false,
        Cell::Text,
        "Nguyễn Văn An",
        "",
    ),
    column(
        "representative_phone",
        "Điện thoại người đại diện",
        false,
        Cell::Text,
        "0912345678",
        "Dữ liệu cá nhân.",
    ),
    column(
        "representative_national_id",
        "Số CCCD người đại diện",
        false,
        Cell::Text,
        "001085012345",
        "Dữ liệu cá nhân: 12 chữ số (CMND cũ: 9).",
    ),
    column(
        "household_owner_name",
        "Chủ hộ kinh doanh",
        false,
        Cell::Text,
        "",
        "Dữ liệu cá nhân; chỉ với hộ kinh doanh.",
    ),
    column(
        "address_line",
        "Địa chỉ",
        false,
        Cell::Text,
        "Số 12 phố Đội Cấn",
        "",
    ),
    column(
        "province_code",
        "Mã tỉnh (hiện hành)",
        true,
        Cell::Text,
        "01",
        "Mã tỉnh, thành phố từ 01/07/2025 (2 chữ số).",
    ),
    column(
        "commune_code",
        "Mã xã, phường (hiện hành)",
        true,
        Cell::Text,
        "00004",
        "Mã xã, phường từ 01/07/2025 (5 chữ số), thuộc tỉnh trên.",
    ),
    column(
        "recorded_province_code_pre2025",
        "Mã tỉnh trước 2025",
        false,
        Cell::Text,
        "01",
        "Mã tỉnh trong hồ sơ cũ (trước 01/07/2025).",
    ),
    column(
        "recorded_district_code_pre2025",
        "Mã huyện trước 2025",
        false,
        Cell::Text,
        "001",
        "Mã huyện trong hồ sơ cũ (3 chữ số), thuộc tỉnh trước 2025.",
    ),
    column(
        "main_sector_vsic",
        "Ngành chính (VSIC 2018)",
        false,
        Cell::Text,
        "1629",
        "Một chữ cái A–U hoặc 2–5 chữ số.",
    ),
    column(
        "size_class",
        "Quy mô",
        false,
        Cell::Code(codes::<SizeClass>),
        "small",
        "",
    ),
    column(
        "employees",
        "Số lao động",
        false,
        Cell::Integer,
        "25",
        "0–100000.",
    ),
    column("founding_year", "Năm thành lập", false, Cell::Integer, "2012", ""),
    column(
        "in_craft_village",
        "Thuộc làng nghề",
        false,
        Cell::Boolean,
        "false",
        "true/false.",
    ),
    column(
        "craft_village_name",
        "Tên làng nghề",
        false,
        Cell::Text,
        "",
        "Bắt buộc khi thuộc làng nghề.",
    ),
    column(
        "women_owned",
        "Do phụ nữ làm chủ",
        false,
        Cell::Boolean,
        "false",
        "true/false.",
    ),
    column(
        "ethnic_minority_owned",
        "Do người dân tộc thiểu số làm chủ",
        false,
        Cell::Boolean,
        "false",
        "true/false.",
    ),
    column(
        "disadvantaged_area",
        "Ở địa bàn khó khăn",
        false,
        Cell::Boolean,
        "false",
        "true/false.",
    ),
    column(
        "phone",
        "Điện thoại cơ sở",
        false,
        Cell::Text,
        "024 3823 4567",
        "",
    ),
    column("email", "Email", false, Cell::Text, "lienhe@maytrephuvinh.vn", ""),
    column(
        "website",
        "Trang web",
        false,
        Cell::Text,
        "https://maytrephuvinh.vn",
        "Bắt đầu bằng https:// hoặc http://.",
    ),
];

/// Finds the column a header cell names, by its code or its Vietnamese heading (case and
/// surrounding spaces ignored).
pub fn find<'a>(columns: &'a [Column], header: &str) -> Option<&'a Column> {
    let header = header.trim();
    columns
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(header) || c.heading.to_lowercase() == header.to_lowercase())
}

#[cfg(test)]
mod tests {
    use crate::domain::labels::Labeled;
    use crate::imports::ImportKind;

    /// `docs/IMPORTS.md` lists every column of every kind with its heading.
    #[test]
    fn the_import_documentation_lists_every_column() {
        let docs = include_str!("../../docs/IMPORTS.md");
        for kind in ImportKind::ALL {
            assert!(
                docs.contains(&format!("### `{}`", kind.as_str())),
                "{kind:?} has no section"
            );
            for column in kind.columns() {
                let row = format!("| `{}` | {} |", column.code, column.heading);
                assert!(
                    docs.contains(&row),
                    "docs/IMPORTS.md lacks the row of {}: {row}",
                    column.code
                );
            }
        }
    }
}

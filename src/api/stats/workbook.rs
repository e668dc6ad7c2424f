//! The year report as an Excel workbook: one sheet per family of figures, Vietnamese headings,
//! thousands separators for counts and đồng, percentages for rates.

use std::collections::HashMap;

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::projects::ProjectMeasures;
use super::reports::YearReport;
use crate::domain::labels::Labeled;
use crate::domain::projects::IndicatorCode;
use crate::error::ApiError;

/// One cell of a table.
enum Cell {
    Text(String),
    /// A count or an amount in đồng.
    Number(i64),
    /// A share, shown as a percentage; empty when there is none.
    Rate(Option<f64>),
}

struct Formats {
    title: Format,
    note: Format,
    header: Format,
    number: Format,
    rate: Format,
    text: Format,
    total_text: Format,
    total_number: Format,
    total_rate: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new().set_border(FormatBorder::Thin);
        let total = cell.clone().set_bold().set_background_color(Color::RGB(0xF2F2F2));
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            note: Format::new().set_italic(),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_background_color(Color::RGB(0xDDEBF7)),
            number: cell.clone().set_num_format("#,##0"),
            rate: cell.clone().set_num_format("0.00%"),
            text: cell.clone(),
            total_text: total.clone(),
            total_number: total.clone().set_num_format("#,##0"),
            total_rate: total.set_num_format("0.00%"),
        }
    }
}

/// A worksheet written from the top down.
struct Sheet<'a> {
    sheet: &'a mut Worksheet,
    formats: &'a Formats,
    row: u32,
}

impl<'a> Sheet<'a> {
    fn new(
        workbook: &'a mut Workbook,
        name: &str,
        formats: &'a Formats,
        widths: &[f64],
    ) -> Result<Sheet<'a>, XlsxError> {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        for (col, width) in widths.iter().enumerate() {
            sheet.set_column_width(col as u16, *width)?;
        }
        Ok(Sheet {
            sheet,
            formats,
            row: 0,
        })
    }

    fn title(&mut self, text: &str, note: &str) -> Result<(), XlsxError> {
        self.sheet
            .write_string_with_format(self.row, 0, text, &self.formats.title)?;
        self.sheet
            .write_string_with_format(self.row + 1, 0, note, &self.formats.note)?;
        self.row += 3;
        Ok(())
    }

    fn header(&mut self, headings: &[&str]) -> Result<(), XlsxError> {
        for (col, heading) in headings.iter().enumerate() {
            self.sheet
                .write_string_with_format(self.row, col as u16, *heading, &self.formats.header)?;
        }
        self.row += 1;
        Ok(())
    }

    fn line(&mut self, cells: Vec<Cell>, total: bool) -> Result<(), XlsxError> {
        let f = self.formats;
        for (col, cell) in cells.into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(text) => {
                    let format = if total { &f.total_text } else { &f.text };
                    self.sheet.write_string_with_format(self.row, col, text, format)?;
                }
                // Counts and đồng stay below 2^53, exact as a spreadsheet number.
                Cell::Number(value) => {
                    let format = if total { &f.total_number } else { &f.number };
                    self.sheet
                        .write_number_with_format(self.row, col, value as f64, format)?;
                }
                Cell::Rate(Some(value)) => {
                    let format = if total { &f.total_rate } else { &f.rate };
                    self.sheet
                        .write_number_with_format(self.row, col, value, format)?;
                }
                Cell::Rate(None) => {
                    let format = if total { &f.total_text } else { &f.text };
                    self.sheet.write_blank(self.row, col, format)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }

    fn gap(&mut self) {
        self.row += 1;
    }
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn money(m: &ProjectMeasures) -> Vec<Cell> {
    vec![
        Cell::Number(m.project_count),
        Cell::Number(m.total_cost_vnd),
        Cell::Number(m.approved.national_vnd),
        Cell::Number(m.approved.local_vnd),
        Cell::Number(m.approved.counterpart_vnd + m.approved.other_vnd),
        Cell::Number(m.state_support_vnd),
        Cell::Number(m.disbursed_state_vnd),
        Cell::Rate(Some(m.disbursement_rate)),
    ]
}

const MONEY_HEADINGS: [&str; 8] = [
    "Số đề án",
    "Tổng kinh phí (đồng)",
    "Khuyến công quốc gia (đồng)",
    "Khuyến công địa phương (đồng)",
    "Vốn đối ứng và nguồn khác (đồng)",
    "Hỗ trợ từ ngân sách (đồng)",
    "Ngân sách đã giải ngân (đồng)",
    "Tỷ lệ giải ngân",
];

/// The sheet names, in order.
pub const SHEETS: [&str; 5] = ["Đề án", "Theo tỉnh", "Chỉ tiêu", "Bình chọn", "Kế hoạch"];

/// The workbook of a year report; `activity_names` gives activity types' Vietnamese names.
pub fn year_report(
    report: &YearReport,
    activity_names: &HashMap<String, String>,
) -> Result<Vec<u8>, ApiError> {
    write(report, activity_names).map_err(|e| ApiError::internal(format!("workbook: {e}")))
}

fn write(report: &YearReport, activity_names: &HashMap<String, String>) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let place = report
        .province_name
        .clone()
        .unwrap_or_else(|| "toàn quốc".to_owned());
    let activity = |code: &str| {
        activity_names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    };

    {
        let mut sheet = Sheet::new(
            &mut workbook,
            SHEETS[0],
            &formats,
            &[40.0, 24.0, 10.0, 18.0, 18.0, 18.0, 18.0, 18.0, 18.0, 12.0],
        )?;
        sheet.title(
            &format!("Đề án khuyến công năm {} – {place}", report.year),
            "Đề án đã phê duyệt, đang thực hiện, tạm dừng, đã nghiệm thu hoặc đã quyết toán, theo nội dung và nguồn kinh phí.",
        )?;
        let mut headings = vec!["Nội dung hoạt động", "Nguồn kinh phí"];
        headings.extend(MONEY_HEADINGS);
        sheet.header(&headings)?;
        for group in &report.projects.groups {
            let code = group.key.activity_type.clone().flatten().unwrap_or_default();
            let source = group
                .key
                .funding_source
                .flatten()
                .map(|s| s.labels().0)
                .unwrap_or_default();
            let mut cells = vec![text(activity(&code)), text(source)];
            cells.extend(money(&group.measures));
            sheet.line(cells, false)?;
        }
        let mut cells = vec![text("Tổng cộng"), text("")];
        cells.extend(money(&report.projects.total));
        sheet.line(cells, true)?;
    }

    {
        let mut sheet = Sheet::new(
            &mut workbook,
            SHEETS[1],
            &formats,
            &[24.0, 10.0, 18.0, 18.0, 18.0, 18.0, 18.0, 18.0, 12.0],
        )?;
        sheet.title(
            &format!("Đề án khuyến công năm {} theo tỉnh, thành phố", report.year),
            "Đơn vị hành chính sau ngày 1/7/2025.",
        )?;
        let mut headings = vec!["Tỉnh, thành phố"];
        headings.extend(MONEY_HEADINGS);
        sheet.header(&headings)?;
        for group in &report.projects_by_province.groups {
            let mut cells = vec![text(
                group.key.province_name.clone().flatten().unwrap_or_default(),
            )];
            cells.extend(money(&group.measures));
            sheet.line(cells, false)?;
        }
        let mut cells = vec![text("Tổng cộng")];
        cells.extend(money(&report.projects_by_province.total));
        sheet.line(cells, true)?;
    }

    {
        let mut sheet = Sheet::new(
            &mut workbook,
            SHEETS[2],
            &formats,
            &[40.0, 26.0, 12.0, 10.0, 14.0, 14.0, 12.0],
        )?;
        sheet.title(
            &format!("Chỉ tiêu kết quả năm {} – {place}", report.year),
            "Tổng mục tiêu và thực hiện của các đề án trong năm.",
        )?;
        sheet.header(&[
            "Chỉ tiêu",
            "Mã",
            "Đơn vị tính",
            "Số đề án",
            "Mục tiêu",
            "Thực hiện",
            "Tỷ lệ đạt",
        ])?;
        for indicator in &report.indicators.totals {
            let label = indicator
                .code
                .parse::<IndicatorCode>()
                .map(|c| c.labels().0.to_owned())
                .unwrap_or_else(|_| indicator.code.clone());
            sheet.line(
                vec![
                    text(label),
                    text(indicator.code.clone()),
                    text(indicator.unit.clone()),
                    Cell::Number(indicator.project_count),
                    Cell::Number(indicator.target_total),
                    Cell::Number(indicator.actual_total),
                    Cell::Rate(indicator.achievement_rate),
                ],
                false,
            )?;
        }
    }

    {
        let mut sheet = Sheet::new(
            &mut workbook,
            SHEETS[3],
            &formats,
            &[
                18.0, 44.0, 14.0, 10.0, 10.0, 10.0, 10.0, 12.0, 12.0, 12.0, 12.0, 12.0,
            ],
        )?;
        sheet.title(
            &format!(
                "Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu năm {} – {place}",
                report.year
            ),
            "Các cuộc bình chọn trong năm và giấy chứng nhận theo cấp.",
        )?;
        sheet.header(&[
            "Cấp",
            "Cuộc bình chọn",
            "Trạng thái",
            "Hồ sơ",
            "Cơ sở",
            "Được chấm",
            "Đạt điểm",
            "Được công nhận",
            "Đề cử lên cấp trên",
        ])?;
        for round in &report.selection_rounds {
            let s = &round.summary;
            sheet.line(
                vec![
                    text(round.level.labels().0),
                    text(round.title.clone()),
                    text(round.status.labels().0),
                    Cell::Number(s.dossiers_received),
                    Cell::Number(s.distinct_establishments),
                    Cell::Number(s.entries_scored),
                    Cell::Number(s.entries_qualifying),
                    Cell::Number(s.entries_recognised),
                    Cell::Number(s.nominations_to_next_level),
                ],
                false,
            )?;
        }
        sheet.gap();
        sheet.header(&[
            "Cấp",
            "Hồ sơ",
            "Cơ sở",
            "Đạt điểm",
            "Được công nhận",
            "Đề cử lên cấp trên",
            "Giấy chứng nhận",
            "Còn hiệu lực",
            "Hết hạn",
            "Bị thu hồi",
        ])?;
        let lines = report
            .certification
            .groups
            .iter()
            .map(|g| {
                (
                    g.key.level.map(|l| l.labels().0).unwrap_or_default(),
                    &g.measures,
                    false,
                )
            })
            .chain(std::iter::once(("Tổng cộng", &report.certification.total, true)));
        for (level, m, total) in lines {
            sheet.line(
                vec![
                    text(level),
                    Cell::Number(m.dossiers_received),
                    Cell::Number(m.distinct_establishments),
                    Cell::Number(m.entries_qualifying),
                    Cell::Number(m.products_recognised),
                    Cell::Number(m.nominations_to_next_level),
                    Cell::Number(m.certificates_issued),
                    Cell::Number(m.certificates_active),
                    Cell::Number(m.certificates_expired),
                    Cell::Number(m.certificates_revoked),
                ],
                total,
            )?;
        }
    }

    {
        let mut sheet = Sheet::new(
            &mut workbook,
            SHEETS[4],
            &formats,
            &[24.0, 40.0, 12.0, 18.0, 12.0, 12.0, 18.0, 18.0, 14.0, 14.0],
        )?;
        sheet.title(
            &format!("Thực hiện kế hoạch – {place}, năm {}", report.year),
            "Mục tiêu của chương trình so với các đề án đã phê duyệt trong cả giai đoạn.",
        )?;
        for programme in &report.programmes {
            sheet.line(
                vec![text(format!(
                    "Chương trình {} ({}–{})",
                    programme.code, programme.start_year, programme.end_year
                ))],
                true,
            )?;
            sheet.header(&[
                "Tỉnh, thành phố",
                "Nội dung hoạt động",
                "Mục tiêu (số đề án)",
                "Mục tiêu (đồng)",
                "Đã phê duyệt",
                "Đã nghiệm thu",
                "Kinh phí phê duyệt (đồng)",
                "Kinh phí giải ngân (đồng)",
                "Tỷ lệ nghiệm thu",
                "Tỷ lệ giải ngân",
            ])?;
            let rows = programme
                .lines
                .iter()
                .map(|l| {
                    (
                        l.province_name.clone(),
                        activity(&l.activity_type),
                        &l.measures,
                        false,
                    )
                })
                .chain(std::iter::once((
                    "Tổng cộng".to_owned(),
                    String::new(),
                    &programme.total,
                    true,
                )));
            for (province, activity, m, total) in rows {
                sheet.line(
                    vec![
                        text(province),
                        text(activity),
                        m.target_count.map_or(text(""), Cell::Number),
                        m.target_amount_vnd.map_or(text(""), Cell::Number),
                        Cell::Number(m.projects_approved),
                        Cell::Number(m.projects_accepted),
                        Cell::Number(m.approved_vnd),
                        Cell::Number(m.disbursed_vnd),
                        Cell::Rate(m.accepted_count_share),
                        Cell::Rate(m.disbursed_amount_share),
                    ],
                    total,
                )?;
            }
            sheet.gap();
        }
    }

    workbook.save_to_buffer()
}

//! The editable content of a project, its validation and the row it becomes. Create starts from
//! the request, PATCH from the stored project with the changes applied; both go through the same
//! [`validate`].

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::checks::{self, clean, error};
use crate::auth::Principal;
use crate::db::DbConn;
use crate::domain::projects::{BeneficiaryRole, FundingSource};
use crate::domain::search::search_key;
use crate::domain::text::clean_line;
use crate::error::{ApiError, FieldError};
use crate::models::projects::{ProjectBeneficiaryRow, ProjectRow};
use crate::models::{admin_units, beneficiaries, decode, organizations};

/// The reform took effect on this day; records dating from before it keep their old units.
pub const REFORM_YEAR: i64 = 2025;
pub const CODE_PATTERN: &str = r"^[A-Z0-9][A-Z0-9./_-]{2,39}$";
pub const MAX_BENEFICIARIES: usize = 500;

/// An establishment named by a project, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BeneficiaryLink {
    #[schema(minimum = 1)]
    pub beneficiary_id: i64,
    pub role: BeneficiaryRole,
}

/// Everything a client may set on a project outside its lifecycle and money.
#[derive(Debug, Clone)]
pub struct Fields {
    pub code: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub activity_type: String,
    pub funding_source: FundingSource,
    pub plan_year: i64,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub recorded_province_code_pre2025: Option<String>,
    pub recorded_district_code_pre2025: Option<String>,
    pub implementing_unit_id: i64,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub complete_production_line: bool,
    pub priority_area: bool,
    pub beneficiaries: Vec<BeneficiaryLink>,
}

impl Fields {
    pub fn from_row(row: &ProjectRow, links: &[ProjectBeneficiaryRow]) -> Result<Fields, ApiError> {
        Ok(Fields {
            code: Some(row.code.clone()),
            title: row.title.clone(),
            summary: row.summary.clone(),
            activity_type: row.activity_type.clone(),
            funding_source: decode("projects.funding_source", &row.funding_source)?,
            plan_year: row.plan_year,
            province_code: Some(row.province_code.clone()),
            commune_code: row.commune_code.clone(),
            recorded_province_code_pre2025: row.recorded_province_code_pre2025.clone(),
            recorded_district_code_pre2025: row.recorded_district_code_pre2025.clone(),
            implementing_unit_id: row.implementing_unit_id,
            planned_start: row.planned_start,
            planned_end: row.planned_end,
            complete_production_line: row.complete_production_line,
            priority_area: row.priority_area,
            beneficiaries: links
                .iter()
                .map(|l| {
                    Ok(BeneficiaryLink {
                        beneficiary_id: l.beneficiary_id,
                        role: decode("project_beneficiaries.role", &l.role)?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
        })
    }

    pub fn normalized(mut self) -> Fields {
        self.code = clean(self.code);
        self.title = clean_line(&self.title);
        self.summary = self
            .summary
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        self.activity_type = self.activity_type.trim().to_owned();
        for field in [
            &mut self.province_code,
            &mut self.commune_code,
            &mut self.recorded_province_code_pre2025,
            &mut self.recorded_district_code_pre2025,
        ] {
            // Trimmed, never blanked: an empty code is an unknown one (send `null` to clear).
            *field = field.take().map(|c| c.trim().to_owned());
        }
        self
    }

    /// The row to store (code, status, budget and version are the caller's).
    pub fn to_row(&self, base: &ProjectRow) -> ProjectRow {
        let searchable = [
            Some(base.code.as_str()),
            Some(self.title.as_str()),
            self.summary.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" | ");
        ProjectRow {
            title: self.title.clone(),
            summary: self.summary.clone(),
            activity_type: self.activity_type.clone(),
            funding_source: self.funding_source.as_str().to_owned(),
            plan_year: self.plan_year,
            province_code: self.province_code.clone().unwrap_or_default(),
            commune_code: self.commune_code.clone(),
            recorded_province_code_pre2025: self.recorded_province_code_pre2025.clone(),
            recorded_district_code_pre2025: self.recorded_district_code_pre2025.clone(),
            implementing_unit_id: self.implementing_unit_id,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
            complete_production_line: self.complete_production_line,
            priority_area: self.priority_area,
            search_key: search_key(&searchable),
            updated_at: crate::models::now(),
            ..base.clone()
        }
    }

    pub fn links(&self) -> Vec<(i64, String)> {
        self.beneficiaries
            .iter()
            .map(|l| (l.beneficiary_id, l.role.as_str().to_owned()))
            .collect()
    }
}

fn check_date(errors: &mut Vec<FieldError>, field: &str, date: Option<NaiveDate>) {
    if date.is_some_and(|d| !(2000..=2100).contains(&d.year())) {
        errors.push(error(
            field,
            "out_of_range",
            "Ngày trong khoảng năm 2000–2100.",
            "The date lies between the years 2000 and 2100.",
        ));
    }
}

/// Every rule of a project's content; fills the current province from the recorded pre-2025 one
/// when only that is given. `changed_activity_type` is false when an edit keeps an activity type
/// that has since been deactivated.
pub fn validate(
    conn: &mut DbConn,
    principal: &Principal,
    fields: &mut Fields,
    changed_activity_type: bool,
) -> Result<Vec<FieldError>, ApiError> {
    let mut errors = Vec::new();
    checks::length(&mut errors, "title", &fields.title, 5, 500);
    checks::max_length(&mut errors, "summary", fields.summary.as_deref(), 2000);
    if let Some(code) = &fields.code
        && !regex_lite::Regex::new(CODE_PATTERN).is_ok_and(|re| re.is_match(code))
    {
        errors.push(error(
            "code",
            "invalid_code",
            "Mã đề án gồm 3–40 chữ in hoa không dấu, chữ số và . / _ -.",
            "A project code has 3–40 uppercase ASCII letters, digits and . / _ -.",
        ));
    }
    match organizations::find_activity_type(conn, &fields.activity_type)? {
        Some(t) if t.active || !changed_activity_type => {}
        Some(_) => errors.push(error(
            "activity_type",
            "inactive_activity_type",
            format!("Loại hoạt động {} không còn áp dụng.", fields.activity_type),
            format!("Activity type {} is no longer offered.", fields.activity_type),
        )),
        None => errors.push(error(
            "activity_type",
            "unknown_activity_type",
            format!("Không có loại hoạt động mã {}.", fields.activity_type),
            format!("No activity type has code {}.", fields.activity_type),
        )),
    }
    checks::year(&mut errors, "plan_year", fields.plan_year);
    check_units(conn, fields, &mut errors)?;
    match organizations::find(conn, fields.implementing_unit_id)? {
        None => errors.push(error(
            "implementing_unit_id",
            "unknown_organization",
            format!("Không có đơn vị thực hiện id {}.", fields.implementing_unit_id),
            format!("No implementing unit has id {}.", fields.implementing_unit_id),
        )),
        Some(unit) if !unit.active => errors.push(error(
            "implementing_unit_id",
            "inactive_organization",
            "Đơn vị thực hiện đã ngừng hoạt động.",
            "The implementing unit is inactive.",
        )),
        Some(unit) if unit.province_code.is_some() && unit.province_code != fields.province_code => errors
            .push(error(
                "implementing_unit_id",
                "organization_in_other_province",
                "Đơn vị thực hiện thuộc tỉnh khác.",
                "The implementing unit belongs to another province.",
            )),
        Some(_) => {}
    }
    check_date(&mut errors, "planned_start", fields.planned_start);
    check_date(&mut errors, "planned_end", fields.planned_end);
    if let (Some(start), Some(end)) = (fields.planned_start, fields.planned_end)
        && end < start
    {
        errors.push(error(
            "planned_end",
            "before_start",
            "Ngày kết thúc không trước ngày bắt đầu.",
            "The end date is not before the start date.",
        ));
    }
    check_beneficiaries(
        conn,
        principal,
        &fields.beneficiaries,
        "beneficiaries",
        &mut errors,
    )?;
    Ok(errors)
}

/// The establishments a project names: at most [`MAX_BENEFICIARIES`], each once, each an
/// establishment the principal sees and that was not merged away.
pub fn check_beneficiaries(
    conn: &mut DbConn,
    principal: &Principal,
    links: &[BeneficiaryLink],
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    if links.len() > MAX_BENEFICIARIES {
        errors.push(error(
            field,
            "too_many",
            format!("Tối đa {MAX_BENEFICIARIES} cơ sở."),
            format!("At most {MAX_BENEFICIARIES} establishments."),
        ));
        return Ok(());
    }
    for (i, link) in links.iter().enumerate() {
        let field = format!("{field}[{i}].beneficiary_id");
        if links[..i].iter().any(|l| l.beneficiary_id == link.beneficiary_id) {
            errors.push(error(
                &field,
                "duplicate_beneficiary",
                "Cơ sở đã có trong danh sách.",
                "The establishment is listed twice.",
            ));
            continue;
        }
        match beneficiaries::find(conn, link.beneficiary_id)? {
            Some(b) if principal.sees(crate::api::beneficiaries::owner(&b)) => {
                if b.status == "merged" {
                    errors.push(error(
                        &field,
                        "beneficiary_merged",
                        format!(
                            "Cơ sở đã được gộp vào cơ sở {}.",
                            b.merged_into_id.unwrap_or_default()
                        ),
                        format!(
                            "The establishment was merged into {}.",
                            b.merged_into_id.unwrap_or_default()
                        ),
                    ));
                }
            }
            _ => errors.push(error(
                &field,
                "unknown_beneficiary",
                format!("Không có cơ sở id {}.", link.beneficiary_id),
                format!("No establishment has id {}.", link.beneficiary_id),
            )),
        }
    }
    Ok(())
}

/// Current units must exist and nest; pre-2025 units belong to projects of those years, must
/// exist, nest, and lead to the current province.
fn check_units(conn: &mut DbConn, fields: &mut Fields, errors: &mut Vec<FieldError>) -> Result<(), ApiError> {
    let recorded = match &fields.recorded_province_code_pre2025 {
        Some(code) => match admin_units::find_province_pre2025(conn, code)? {
            Some(province) => Some(province),
            None => {
                errors.push(error(
                    "recorded_province_code_pre2025",
                    "unknown_province",
                    format!("Không có tỉnh mã {code} trước 01/07/2025."),
                    format!("No province had code {code} before 1 July 2025."),
                ));
                None
            }
        },
        None => None,
    };
    if (fields.recorded_province_code_pre2025.is_some() || fields.recorded_district_code_pre2025.is_some())
        && fields.plan_year > REFORM_YEAR
    {
        errors.push(error(
            "recorded_province_code_pre2025",
            "not_before_reform",
            "Chỉ đề án từ năm 2025 trở về trước mới ghi đơn vị hành chính cũ.",
            "Only projects of 2025 and earlier record the units before the reform.",
        ));
    }
    if fields.province_code.is_none() {
        fields.province_code = recorded.as_ref().map(|p| p.successor_code.clone());
    }
    let Some(province_code) = fields.province_code.clone() else {
        errors.push(error(
            "province_code",
            "required",
            "Cần mã tỉnh hiện hành (hoặc mã tỉnh trước 2025).",
            "Give the current province code (or the one before 2025).",
        ));
        return Ok(());
    };
    let known = checks::current_province(conn, errors, "province_code", &province_code)?;
    if let Some(old) = &recorded
        && known
        && old.successor_code != province_code
    {
        errors.push(error(
            "recorded_province_code_pre2025",
            "successor_mismatch",
            format!(
                "Tỉnh {} (trước 2025) nay thuộc tỉnh mã {}, không phải {province_code}.",
                old.code, old.successor_code
            ),
            format!(
                "Province {} (before 2025) is now part of province {}, not {province_code}.",
                old.code, old.successor_code
            ),
        ));
    }
    if let Some(code) = &fields.commune_code {
        checks::commune_in_province(conn, errors, "commune_code", code, &province_code)?;
    }
    if let Some(code) = &fields.recorded_district_code_pre2025 {
        checks::district_in_recorded_province(
            conn,
            errors,
            "recorded_district_code_pre2025",
            code,
            fields.recorded_province_code_pre2025.as_deref(),
        )?;
    }
    Ok(())
}

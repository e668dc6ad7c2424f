//! Establishments (cơ sở công nghiệp nông thôn): the registry every project and certified product
//! points to. Province staff see and edit their province's records (others are 404); ministry,
//! auditor and admin see all; personal data is shown only to the roles that manage the record.

pub mod duplicates;
pub mod fields;
pub mod figures;
pub mod records;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Owner, Principal, Role};
use crate::db::DbConn;
use crate::domain::beneficiaries::{BeneficiaryStatus, LegalForm, SizeClass};
use crate::domain::identifiers::IdentifierType;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::beneficiaries::{self as model, BeneficiaryRow, PersonalDataRow};
use crate::models::decode;

pub const ENTITY: &str = "beneficiary";

/// Roles that create and change establishments (province staff only inside their province).
pub const WRITERS: &[Role] = &[Role::Admin, Role::Ministry, Role::Province];

/// An establishment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Beneficiary {
    pub id: i64,
    pub name: String,
    pub legal_form: LegalForm,
    pub identifier_type: IdentifierType,
    /// Tax code (`0100109106` or `0100109106-001`), cooperative code or household-business
    /// registration number; `null` for identifier type `none`.
    pub identifier_value: Option<String>,
    /// Legal representative or head of the establishment.
    pub representative_name: Option<String>,
    pub address_line: Option<String>,
    /// Current province code (units since 1 July 2025).
    pub province_code: String,
    /// Current commune code.
    pub commune_code: Option<String>,
    /// Province code as recorded before the 2025 reform (pre-2025 era).
    pub recorded_province_code_pre2025: Option<String>,
    /// District code as recorded before the 2025 reform (pre-2025 era).
    pub recorded_district_code_pre2025: Option<String>,
    /// Main sector as a VSIC 2018 code.
    pub main_sector_vsic: Option<String>,
    pub size_class: Option<SizeClass>,
    pub employees: Option<i64>,
    pub founding_year: Option<i64>,
    pub in_craft_village: bool,
    pub craft_village_name: Option<String>,
    pub women_owned: bool,
    pub ethnic_minority_owned: bool,
    pub disadvantaged_area: bool,
    /// The establishment's contact phone.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub status: BeneficiaryStatus,
    /// For `merged` records: the record it was merged into.
    pub merged_into_id: Option<i64>,
    /// Optimistic-concurrency version; send it back as `If-Match`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Personal data (dữ liệu cá nhân): present only for `admin`, `ministry` and `province` staff
    /// of the establishment's province, and for integration clients granted `personal_data:read`
    /// (within their territory); never for `auditor`, `commune` or `judge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_data: Option<PersonalData>,
}

/// Personal data of the people behind an establishment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonalData {
    /// The representative's personal phone.
    pub representative_phone: Option<String>,
    /// The representative's personal identification number (CCCD, 12 digits).
    pub representative_national_id: Option<String>,
    /// The owner of a household business.
    pub household_owner_name: Option<String>,
}

impl From<Option<PersonalDataRow>> for PersonalData {
    fn from(row: Option<PersonalDataRow>) -> PersonalData {
        let row = row.unwrap_or_default();
        PersonalData {
            representative_phone: row.representative_phone,
            representative_national_id: row.representative_national_id,
            household_owner_name: row.household_owner_name,
        }
    }
}

impl Beneficiary {
    /// The view of `row`; `personal_data` is given only for callers allowed to see it.
    pub fn render(
        row: &BeneficiaryRow,
        personal_data: Option<PersonalData>,
    ) -> Result<Beneficiary, ApiError> {
        Beneficiary::from_row(row.clone(), personal_data)
    }

    /// The view made of `row` itself: its text moves into the view instead of being copied,
    /// which is what a page of records is rendered with.
    pub fn from_row(
        row: BeneficiaryRow,
        personal_data: Option<PersonalData>,
    ) -> Result<Beneficiary, ApiError> {
        Ok(Beneficiary {
            id: row.id,
            name: row.name,
            legal_form: decode("beneficiaries.legal_form", &row.legal_form)?,
            identifier_type: decode("beneficiaries.identifier_type", &row.identifier_type)?,
            identifier_value: row.identifier_value,
            representative_name: row.representative_name,
            address_line: row.address_line,
            province_code: row.province_code,
            commune_code: row.commune_code,
            recorded_province_code_pre2025: row.recorded_province_code_pre2025,
            recorded_district_code_pre2025: row.recorded_district_code_pre2025,
            main_sector_vsic: row.main_sector_vsic,
            size_class: row
                .size_class
                .as_deref()
                .map(|s| decode("beneficiaries.size_class", s))
                .transpose()?,
            employees: row.employees,
            founding_year: row.founding_year,
            in_craft_village: row.in_craft_village,
            craft_village_name: row.craft_village_name,
            women_owned: row.women_owned,
            ethnic_minority_owned: row.ethnic_minority_owned,
            disadvantaged_area: row.disadvantaged_area,
            phone: row.phone,
            email: row.email,
            website: row.website,
            status: decode("beneficiaries.status", &row.status)?,
            merged_into_id: row.merged_into_id,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            personal_data,
        })
    }
}

/// The audit snapshot of a record: everything but the personal data values, which the audit log
/// (read by auditors) must not spread; which personal fields changed is recorded instead.
pub fn audit_snapshot(row: &BeneficiaryRow) -> Option<serde_json::Value> {
    crate::models::audit::snapshot(&Beneficiary::render(row, None).ok()?)
}

pub fn changed_personal_fields(before: &PersonalDataRow, after: &PersonalDataRow) -> Vec<&'static str> {
    [
        (
            "representative_phone",
            before.representative_phone != after.representative_phone,
        ),
        (
            "representative_national_id",
            before.representative_national_id != after.representative_national_id,
        ),
        (
            "household_owner_name",
            before.household_owner_name != after.household_owner_name,
        ),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(name, _)| name)
    .collect()
}

pub fn owner(row: &BeneficiaryRow) -> Owner<'_> {
    Owner {
        province_code: Some(&row.province_code),
        commune_code: row.commune_code.as_deref(),
    }
}

/// Whether the principal may see the personal data of `row`.
pub fn shows_personal_data(principal: &Principal, row: &BeneficiaryRow) -> bool {
    principal.may_read_personal_data() && principal.sees(owner(row))
}

/// 404 unless visible; 403 unless the principal's role writes establishments.
pub fn ensure_writable(principal: &Principal, row: &BeneficiaryRow) -> Result<(), ApiError> {
    principal.ensure_sees(owner(row))?;
    principal.require(WRITERS)
}

/// Merged records keep their history but take no more changes.
pub fn ensure_not_merged(row: &BeneficiaryRow) -> Result<(), ApiError> {
    if row.status == BeneficiaryStatus::Merged.as_str() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "beneficiary_merged",
            Text::new(
                format!(
                    "Bản ghi đã được gộp vào cơ sở {}; hãy sửa bản ghi đó.",
                    row.merged_into_id.unwrap_or_default()
                ),
                format!(
                    "The record was merged into establishment {}; edit that one.",
                    row.merged_into_id.unwrap_or_default()
                ),
            ),
        )
        .with_extension("merged_into_id", row.merged_into_id));
    }
    Ok(())
}

/// The view of one record for `principal`, reading personal data only when it may be shown.
pub fn render_for(
    conn: &mut DbConn,
    principal: &Principal,
    row: &BeneficiaryRow,
) -> Result<Beneficiary, ApiError> {
    let personal = if shows_personal_data(principal, row) {
        Some(PersonalData::from(model::find_personal_data(conn, row.id)?))
    } else {
        None
    };
    Beneficiary::render(row, personal)
}

/// The views of a page of records read with their personal data, which each shows only to callers
/// who may see it.
pub fn render_page(
    principal: &Principal,
    rows: Vec<(BeneficiaryRow, Option<PersonalDataRow>)>,
) -> Result<Vec<Beneficiary>, ApiError> {
    rows.into_iter()
        .map(|(row, stored)| {
            let data = shows_personal_data(principal, &row).then(|| PersonalData::from(stored));
            Beneficiary::from_row(row, data)
        })
        .collect()
}

/// The routes of this resource.
pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(records::list_beneficiaries)
        .service(records::create_beneficiary)
        .service(records::get_beneficiary)
        .service(records::update_beneficiary)
        .service(duplicates::list_possible_duplicates)
        .service(duplicates::merge_beneficiary)
        .service(duplicates::unmerge_beneficiary)
        .service(figures::list_annual_figures)
        .service(figures::put_annual_figures);
}

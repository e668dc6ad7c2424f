//! The rows the seed writes, one struct per table, each with its id.
//!
//! The model structs leave the id to the database; the seed gives ids itself, so that rows can
//! point at each other before anything is written and the same seed gives the same ids. Every
//! column is listed (`treat_none_as_default_value = false`) because PostgreSQL's binary `COPY`
//! and SQLite's multi-row `INSERT` both need the same column list on every row.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    beneficiaries, beneficiary_annual_figures, beneficiary_personal_data, certificate_number_sequences,
    certificates, organizations, products, programme_targets, programmes, project_beneficiaries,
    project_budget_versions, project_code_sequences, project_disbursements, project_history,
    project_indicators, projects, selection_entries, selection_round_judges, selection_rounds,
    selection_scores, users,
};
use crate::models::beneficiaries::{BeneficiaryRow, PersonalDataRow};
use crate::models::projects::ProjectRow;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub token_generation: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organizations, treat_none_as_default_value = false)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub province_code: Option<String>,
    pub address_line: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = beneficiaries, treat_none_as_default_value = false)]
pub struct Beneficiary {
    pub id: i64,
    pub name: String,
    pub legal_form: String,
    pub identifier_type: String,
    pub identifier_value: Option<String>,
    pub representative_name: Option<String>,
    pub address_line: Option<String>,
    pub province_code: String,
    pub commune_code: Option<String>,
    pub recorded_province_code_pre2025: Option<String>,
    pub recorded_district_code_pre2025: Option<String>,
    pub main_sector_vsic: Option<String>,
    pub size_class: Option<String>,
    pub employees: Option<i64>,
    pub founding_year: Option<i64>,
    pub in_craft_village: bool,
    pub craft_village_name: Option<String>,
    pub women_owned: bool,
    pub ethnic_minority_owned: bool,
    pub disadvantaged_area: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub status: String,
    pub merged_into_id: Option<i64>,
    pub search_key: String,
    pub name_key: String,
    pub phone_key: Option<String>,
    pub representative_phone_key: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<BeneficiaryRow> for Beneficiary {
    fn from(r: BeneficiaryRow) -> Beneficiary {
        Beneficiary {
            id: r.id,
            name: r.name,
            legal_form: r.legal_form,
            identifier_type: r.identifier_type,
            identifier_value: r.identifier_value,
            representative_name: r.representative_name,
            address_line: r.address_line,
            province_code: r.province_code,
            commune_code: r.commune_code,
            recorded_province_code_pre2025: r.recorded_province_code_pre2025,
            recorded_district_code_pre2025: r.recorded_district_code_pre2025,
            main_sector_vsic: r.main_sector_vsic,
            size_class: r.size_class,
            employees: r.employees,
            founding_year: r.founding_year,
            in_craft_village: r.in_craft_village,
            craft_village_name: r.craft_village_name,
            women_owned: r.women_owned,
            ethnic_minority_owned: r.ethnic_minority_owned,
            disadvantaged_area: r.disadvantaged_area,
            phone: r.phone,
            email: r.email,
            website: r.website,
            status: r.status,
            merged_into_id: r.merged_into_id,
            search_key: r.search_key,
            name_key: r.name_key,
            phone_key: r.phone_key,
            representative_phone_key: r.representative_phone_key,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = beneficiary_personal_data, treat_none_as_default_value = false)]
pub struct PersonalData {
    pub beneficiary_id: i64,
    pub representative_phone: Option<String>,
    pub representative_national_id: Option<String>,
    pub household_owner_name: Option<String>,
    pub updated_at: NaiveDateTime,
}

impl From<PersonalDataRow> for PersonalData {
    fn from(r: PersonalDataRow) -> PersonalData {
        PersonalData {
            beneficiary_id: r.beneficiary_id,
            representative_phone: r.representative_phone,
            representative_national_id: r.representative_national_id,
            household_owner_name: r.household_owner_name,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = beneficiary_annual_figures, treat_none_as_default_value = false)]
pub struct AnnualFigures {
    pub id: i64,
    pub beneficiary_id: i64,
    pub year: i64,
    pub revenue_vnd: Option<i64>,
    pub employees: Option<i64>,
    pub average_income_vnd: Option<i64>,
    pub total_assets_vnd: Option<i64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = projects, treat_none_as_default_value = false)]
pub struct Project {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub summary: Option<String>,
    pub activity_type: String,
    pub funding_source: String,
    pub plan_year: i64,
    pub province_code: String,
    pub commune_code: Option<String>,
    pub recorded_province_code_pre2025: Option<String>,
    pub recorded_district_code_pre2025: Option<String>,
    pub implementing_unit_id: i64,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub complete_production_line: bool,
    pub priority_area: bool,
    pub status: String,
    pub budget_national_vnd: i64,
    pub budget_local_vnd: i64,
    pub budget_counterpart_vnd: i64,
    pub budget_other_vnd: i64,
    pub budget_version: i64,
    pub cap_override_reason: Option<String>,
    pub cap_override_budget_version: Option<i64>,
    pub search_key: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<ProjectRow> for Project {
    fn from(r: ProjectRow) -> Project {
        Project {
            id: r.id,
            code: r.code,
            title: r.title,
            summary: r.summary,
            activity_type: r.activity_type,
            funding_source: r.funding_source,
            plan_year: r.plan_year,
            province_code: r.province_code,
            commune_code: r.commune_code,
            recorded_province_code_pre2025: r.recorded_province_code_pre2025,
            recorded_district_code_pre2025: r.recorded_district_code_pre2025,
            implementing_unit_id: r.implementing_unit_id,
            planned_start: r.planned_start,
            planned_end: r.planned_end,
            complete_production_line: r.complete_production_line,
            priority_area: r.priority_area,
            status: r.status,
            budget_national_vnd: r.budget_national_vnd,
            budget_local_vnd: r.budget_local_vnd,
            budget_counterpart_vnd: r.budget_counterpart_vnd,
            budget_other_vnd: r.budget_other_vnd,
            budget_version: r.budget_version,
            cap_override_reason: r.cap_override_reason,
            cap_override_budget_version: r.cap_override_budget_version,
            search_key: r.search_key,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = project_beneficiaries, treat_none_as_default_value = false)]
pub struct ProjectBeneficiary {
    pub project_id: i64,
    pub beneficiary_id: i64,
    pub role: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = project_history, treat_none_as_default_value = false)]
pub struct History {
    pub id: i64,
    pub project_id: i64,
    pub kind: String,
    pub action: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub decision_number: Option<String>,
    pub decision_date: Option<NaiveDate>,
    pub note: Option<String>,
    pub override_reason: Option<String>,
    pub budget_version: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub actor_username: String,
    pub occurred_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = project_budget_versions, treat_none_as_default_value = false)]
pub struct BudgetVersion {
    pub id: i64,
    pub project_id: i64,
    pub budget_version: i64,
    pub national_vnd: i64,
    pub local_vnd: i64,
    pub counterpart_vnd: i64,
    pub other_vnd: i64,
    pub kind: String,
    pub decision_number: Option<String>,
    pub decision_date: Option<NaiveDate>,
    pub reason: Option<String>,
    pub actor_username: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = project_disbursements, treat_none_as_default_value = false)]
pub struct Disbursement {
    pub id: i64,
    pub project_id: i64,
    pub kind: String,
    pub source: String,
    pub amount_vnd: i64,
    pub date: NaiveDate,
    pub document_number: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = project_indicators, treat_none_as_default_value = false)]
pub struct Indicator {
    pub id: i64,
    pub project_id: i64,
    pub code: String,
    pub unit: String,
    pub baseline: Option<i64>,
    pub target: Option<i64>,
    pub actual: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = programmes, treat_none_as_default_value = false)]
pub struct Programme {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub level: String,
    pub province_code: Option<String>,
    pub start_year: i64,
    pub end_year: i64,
    pub legal_basis: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = programme_targets, treat_none_as_default_value = false)]
pub struct ProgrammeTarget {
    pub id: i64,
    pub programme_id: i64,
    pub province_code: String,
    pub activity_type: String,
    pub target_count: Option<i64>,
    pub target_amount_vnd: Option<i64>,
}

/// The last number drawn for a prefix (project codes and certificate numbers share the shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub prefix: String,
    pub last_value: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = project_code_sequences, treat_none_as_default_value = false)]
pub struct ProjectCodeSequence {
    pub prefix: String,
    pub last_value: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = certificate_number_sequences, treat_none_as_default_value = false)]
pub struct CertificateNumberSequence {
    pub prefix: String,
    pub last_value: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = products, treat_none_as_default_value = false)]
pub struct Product {
    pub id: i64,
    pub beneficiary_id: i64,
    pub name: String,
    pub product_group: String,
    pub is_set: bool,
    pub description: Option<String>,
    pub quality_standards_json: String,
    pub awards_json: String,
    pub photos_json: String,
    pub search_key: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = selection_rounds, treat_none_as_default_value = false)]
pub struct Round {
    pub id: i64,
    pub level: String,
    pub year: i64,
    pub era: String,
    pub title: String,
    pub commune_code: Option<String>,
    pub district_code: Option<String>,
    pub province_code: Option<String>,
    pub region_code: Option<String>,
    pub owner_province_code: Option<String>,
    pub decision_number: Option<String>,
    pub decision_date: Option<NaiveDate>,
    pub lower_level_round_not_held: bool,
    pub qualifying_score: i64,
    pub status: String,
    pub recognition_decision_number: Option<String>,
    pub recognition_decision_date: Option<NaiveDate>,
    pub published_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = selection_round_judges, treat_none_as_default_value = false)]
pub struct RoundJudge {
    pub round_id: i64,
    pub user_id: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = selection_entries, treat_none_as_default_value = false)]
pub struct Entry {
    pub id: i64,
    pub round_id: i64,
    pub product_id: i64,
    pub beneficiary_id: i64,
    pub basis_certificate_id: Option<i64>,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = selection_scores, treat_none_as_default_value = false)]
pub struct Score {
    pub entry_id: i64,
    pub judge_user_id: i64,
    pub market: i64,
    pub economic_technical_social_environmental: i64,
    pub cultural_aesthetic: i64,
    pub other: i64,
    pub total: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = certificates, treat_none_as_default_value = false)]
pub struct Certificate {
    pub id: i64,
    pub number: String,
    pub level: String,
    pub year: i64,
    pub era: String,
    pub scope_code: String,
    pub round_id: Option<i64>,
    pub entry_id: Option<i64>,
    pub product_id: i64,
    pub beneficiary_id: i64,
    pub province_code: String,
    pub region_code: String,
    pub decision_number: String,
    pub issued_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub legacy: bool,
    pub revoked_at: Option<NaiveDateTime>,
    pub revocation_reason: Option<String>,
    pub revocation_decision_number: Option<String>,
    pub created_at: NaiveDateTime,
}

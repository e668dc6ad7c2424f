//! Projects (đề án khuyến công): what a provincial centre records and the ministry approves. Each
//! project belongs to a province; province staff see and work on their province's projects only
//! (others are 404), commune staff read their commune's, national roles read all. Every read of a
//! project carries its money summary.

pub mod fields;
pub mod indicators;
pub mod lifecycle;
pub mod money;
pub mod records;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Owner, Principal, Role};
use crate::db::DbConn;
use crate::domain::projects::{
    BeneficiaryRole, Budget, FundingSource, Moved, ProjectStatus, TransitionAction,
};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::decode;
use crate::models::projects::{self as model, ProjectBeneficiaryRow, ProjectRow};

pub const ENTITY: &str = "project";

/// Roles that record and move projects (province staff only inside their province).
pub const WRITERS: &[Role] = &[Role::Ministry, Role::Province];

/// Amounts per budget line, in đồng.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Lines {
    pub national_vnd: i64,
    pub local_vnd: i64,
    pub counterpart_vnd: i64,
    pub other_vnd: i64,
}

impl From<Budget> for Lines {
    fn from(b: Budget) -> Lines {
        Lines {
            national_vnd: b.national,
            local_vnd: b.local,
            counterpart_vnd: b.counterpart,
            other_vnd: b.other,
        }
    }
}

/// Where a project's money stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MoneySummary {
    /// Approved amounts per source (the current budget version).
    pub approved: Lines,
    /// Sum of the approved lines.
    pub total_cost_vnd: i64,
    /// National and local funds together.
    pub state_support_vnd: i64,
    /// Money moved per source: advances, payments and settlement payments, less refunds.
    pub disbursed: Lines,
    /// Approved less disbursed, per source.
    pub remaining: Lines,
    /// Advances recorded on the state sources.
    pub state_advances_vnd: i64,
    /// State advances as a share of the state support (0–1).
    pub advance_share: f64,
    /// State money disbursed as a share of the state support (0–1).
    pub disbursement_rate: f64,
}

pub(crate) fn ratio(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    ((part as f64 / whole as f64) * 10_000.0).round() / 10_000.0
}

impl MoneySummary {
    pub fn new(budget: Budget, moved: &Moved) -> MoneySummary {
        let net = moved.net;
        let remaining = Budget {
            national: budget.national - net.national,
            local: budget.local - net.local,
            counterpart: budget.counterpart - net.counterpart,
            other: budget.other - net.other,
        };
        MoneySummary {
            approved: budget.into(),
            total_cost_vnd: budget.total_cost(),
            state_support_vnd: budget.state_support(),
            disbursed: net.into(),
            remaining: remaining.into(),
            state_advances_vnd: moved.state_advances,
            advance_share: ratio(moved.state_advances, budget.state_support()),
            disbursement_rate: ratio(net.state_support(), budget.state_support()),
        }
    }
}

/// An establishment a project names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectBeneficiary {
    pub beneficiary_id: i64,
    pub role: BeneficiaryRole,
    /// The establishment's name.
    pub name: String,
}

/// A project.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Project {
    pub id: i64,
    /// Unique code, e.g. `KCQG-2026-19-0003` (funding source, plan year, province, sequence).
    pub code: String,
    pub title: String,
    pub summary: Option<String>,
    /// A code of `GET /api/v1/activity-types`.
    pub activity_type: String,
    /// The source of the state part.
    pub funding_source: FundingSource,
    pub plan_year: i64,
    /// Current province code.
    pub province_code: String,
    /// Current commune code.
    pub commune_code: Option<String>,
    /// Province code as recorded before the 1 July 2025 reform, for projects dating from then.
    pub recorded_province_code_pre2025: Option<String>,
    /// District code as recorded before the reform.
    pub recorded_district_code_pre2025: Option<String>,
    pub implementing_unit_id: i64,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    /// Machinery for a complete production line (raises the ceiling of some caps).
    pub complete_production_line: bool,
    /// The project lies in a priority area (raises the ceiling of some caps).
    pub priority_area: bool,
    pub beneficiaries: Vec<ProjectBeneficiary>,
    pub status: ProjectStatus,
    /// The steps the lifecycle allows from the current status (the caller's role may allow fewer).
    pub allowed_actions: Vec<TransitionAction>,
    /// The current budget version (0 until a budget is set).
    pub budget_version: i64,
    /// A ministry override of the support cap, when one holds for the current budget.
    pub cap_override_reason: Option<String>,
    pub money: MoneySummary,
    /// Optimistic-concurrency version; send it back as `If-Match`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Project {
    pub fn render(
        row: &ProjectRow,
        beneficiaries: &[ProjectBeneficiaryRow],
        moved: &Moved,
    ) -> Result<Project, ApiError> {
        let status: ProjectStatus = decode("projects.status", &row.status)?;
        Ok(Project {
            id: row.id,
            code: row.code.clone(),
            title: row.title.clone(),
            summary: row.summary.clone(),
            activity_type: row.activity_type.clone(),
            funding_source: decode("projects.funding_source", &row.funding_source)?,
            plan_year: row.plan_year,
            province_code: row.province_code.clone(),
            commune_code: row.commune_code.clone(),
            recorded_province_code_pre2025: row.recorded_province_code_pre2025.clone(),
            recorded_district_code_pre2025: row.recorded_district_code_pre2025.clone(),
            implementing_unit_id: row.implementing_unit_id,
            planned_start: row.planned_start,
            planned_end: row.planned_end,
            complete_production_line: row.complete_production_line,
            priority_area: row.priority_area,
            beneficiaries: beneficiaries
                .iter()
                .filter(|b| b.project_id == row.id)
                .map(|b| {
                    Ok(ProjectBeneficiary {
                        beneficiary_id: b.beneficiary_id,
                        role: decode("project_beneficiaries.role", &b.role)?,
                        name: b.name.clone(),
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            status,
            allowed_actions: TransitionAction::allowed_from(status),
            budget_version: row.budget_version,
            cap_override_reason: row
                .cap_override_reason
                .clone()
                .filter(|_| row.cap_override_budget_version == Some(row.budget_version)),
            money: MoneySummary::new(row.budget(), moved),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// The view of one project, read with its beneficiaries and money.
pub fn render_one(conn: &mut DbConn, row: &ProjectRow) -> Result<Project, ApiError> {
    let beneficiaries = model::beneficiaries_of(conn, &[row.id])?;
    Project::render(row, &beneficiaries, &model::moved_one(conn, row.id)?)
}

/// The views of a page of projects: beneficiaries and money of the whole page in two queries.
pub fn render_page(conn: &mut DbConn, rows: &[ProjectRow]) -> Result<Vec<Project>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let beneficiaries = model::beneficiaries_of(conn, &ids)?;
    let moved = model::moved(conn, &ids)?;
    rows.iter()
        .zip(moved.iter())
        .map(|(row, (_, moved))| Project::render(row, &beneficiaries, moved))
        .collect()
}

pub fn owner(row: &ProjectRow) -> Owner<'_> {
    Owner {
        province_code: Some(&row.province_code),
        commune_code: row.commune_code.as_deref(),
    }
}

/// The project, if the principal may see it; 404 otherwise.
pub fn find_visible(conn: &mut DbConn, principal: &Principal, id: i64) -> Result<ProjectRow, ApiError> {
    let row = model::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    principal.ensure_sees(owner(&row))?;
    Ok(row)
}

/// The project locked for a change the principal may make: 404 unless visible, 403 unless the
/// principal's role works on projects.
pub fn lock_writable(conn: &mut DbConn, principal: &Principal, id: i64) -> Result<ProjectRow, ApiError> {
    let row = model::lock(conn, id)?.ok_or_else(ApiError::not_found)?;
    principal.ensure_sees(owner(&row))?;
    principal.require(WRITERS)?;
    Ok(row)
}

pub fn status_of(row: &ProjectRow) -> Result<ProjectStatus, ApiError> {
    decode("projects.status", &row.status)
}

pub fn funding_of(row: &ProjectRow) -> Result<FundingSource, ApiError> {
    decode("projects.funding_source", &row.funding_source)
}

/// 409: the project's status does not allow this change.
pub fn wrong_status(status: ProjectStatus, code: &'static str, vi: &str, en: &str) -> ApiError {
    ApiError::conflict(
        code,
        Text::new(
            format!("{vi} (trạng thái hiện tại: {status})."),
            format!("{en} (current status: {status})."),
        ),
    )
    .with_extension("project_status", status.as_str())
}

/// The audit snapshot of a project (its view without the money, which has its own events).
pub fn audit_snapshot(row: &ProjectRow) -> Option<serde_json::Value> {
    let mut value = serde_json::to_value(row).ok()?;
    if let Some(object) = value.as_object_mut() {
        object.remove("search_key");
    }
    Some(value)
}

/// The routes of this resource.
pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(records::list_projects)
        .service(records::create_project)
        .service(records::get_project)
        .service(records::update_project)
        .service(records::delete_project)
        .service(records::put_project_beneficiaries)
        .service(lifecycle::transition_project)
        .service(lifecycle::project_history)
        .service(money::get_budget)
        .service(money::put_budget)
        .service(money::adjust_budget)
        .service(money::list_disbursements)
        .service(money::record_disbursement)
        .service(indicators::get_indicators)
        .service(indicators::put_indicators);
}

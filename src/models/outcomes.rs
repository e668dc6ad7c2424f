//! What became of the establishments supported by accepted projects: their yearly figures before
//! the project and after its acceptance, read for the outcome figures.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{beneficiary_annual_figures, project_beneficiaries, project_history, projects};
use crate::error::ApiError;

/// Statuses of projects whose work was accepted.
const ACCEPTED: [&str; 2] = ["accepted", "settled"];

/// Which accepted projects are looked at.
#[derive(Debug, Clone, Default)]
pub struct OutcomeScope {
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
    pub province_code: Option<String>,
    pub activity_type: Option<String>,
}

/// An accepted project: what its establishments' outcomes are grouped by and compared from.
#[derive(Debug, Clone, Queryable)]
pub struct SupportedProject {
    pub id: i64,
    pub activity_type: String,
    pub province_code: String,
    pub plan_year: i64,
    pub planned_start: Option<NaiveDate>,
}

/// A step that accepted a project: the decision's date when recorded, and when it was taken.
#[derive(Debug, Clone, Queryable)]
pub struct Acceptance {
    pub project_id: i64,
    pub decision_date: Option<NaiveDate>,
    pub occurred_at: NaiveDateTime,
}

/// `query` (over projects, joined or not) narrowed to the accepted projects in `scope`.
macro_rules! accepted_in {
    ($query:expr, $scope:expr) => {{
        let scope: &OutcomeScope = $scope;
        let mut query = $query.filter(projects::status.eq_any(ACCEPTED)).into_boxed();
        if let Some(year) = scope.year_from {
            query = query.filter(projects::plan_year.ge(year));
        }
        if let Some(year) = scope.year_to {
            query = query.filter(projects::plan_year.le(year));
        }
        if let Some(code) = &scope.province_code {
            query = query.filter(projects::province_code.eq(code.clone()));
        }
        if let Some(activity) = &scope.activity_type {
            query = query.filter(projects::activity_type.eq(activity.clone()));
        }
        query
    }};
}

/// The accepted projects in `scope`, by id.
pub fn supported_projects(
    conn: &mut DbConn,
    scope: &OutcomeScope,
) -> Result<Vec<SupportedProject>, ApiError> {
    Ok(accepted_in!(projects::table, scope)
        .order(projects::id)
        .select((
            projects::id,
            projects::activity_type,
            projects::province_code,
            projects::plan_year,
            projects::planned_start,
        ))
        .load(conn)?)
}

/// Each establishment of the accepted projects in `scope`, as (project, establishment) ids: a
/// project's own fields are read once, not once per establishment, which at national volume is
/// tens of megabytes less to hold.
pub fn supported_establishments(
    conn: &mut DbConn,
    scope: &OutcomeScope,
) -> Result<Vec<(i64, i64)>, ApiError> {
    Ok(
        accepted_in!(projects::table.inner_join(project_beneficiaries::table), scope)
            .order((
                project_beneficiaries::project_id,
                project_beneficiaries::beneficiary_id,
            ))
            .select((
                project_beneficiaries::project_id,
                project_beneficiaries::beneficiary_id,
            ))
            .load(conn)?,
    )
}

/// The acceptance steps of accepted projects (a project accepted, reopened and accepted again has
/// several; the last counts).
pub fn acceptances(conn: &mut DbConn) -> Result<Vec<Acceptance>, ApiError> {
    let accepted = projects::table
        .filter(projects::status.eq_any(ACCEPTED))
        .select(projects::id);
    Ok(project_history::table
        .filter(project_history::to_status.eq("accepted"))
        .filter(project_history::project_id.eq_any(accepted))
        .select((
            project_history::project_id,
            project_history::decision_date,
            project_history::occurred_at,
        ))
        .load(conn)?)
}

/// The four figures of one establishment's year, without the record's bookkeeping: there are
/// tens of thousands of them in one answer.
#[derive(Debug, Clone, Queryable)]
pub struct YearFigures {
    pub beneficiary_id: i64,
    pub year: i64,
    pub revenue_vnd: Option<i64>,
    pub employees: Option<i64>,
    pub average_income_vnd: Option<i64>,
    pub total_assets_vnd: Option<i64>,
}

/// Every yearly figure of the establishments of accepted projects, by establishment and year.
pub fn figures_of_supported(conn: &mut DbConn) -> Result<Vec<YearFigures>, ApiError> {
    let supported = project_beneficiaries::table
        .inner_join(projects::table)
        .filter(projects::status.eq_any(ACCEPTED))
        .select(project_beneficiaries::beneficiary_id);
    Ok(beneficiary_annual_figures::table
        .filter(beneficiary_annual_figures::beneficiary_id.eq_any(supported))
        .order((
            beneficiary_annual_figures::beneficiary_id,
            beneficiary_annual_figures::year,
        ))
        .select((
            beneficiary_annual_figures::beneficiary_id,
            beneficiary_annual_figures::year,
            beneficiary_annual_figures::revenue_vnd,
            beneficiary_annual_figures::employees,
            beneficiary_annual_figures::average_income_vnd,
            beneficiary_annual_figures::total_assets_vnd,
        ))
        .load(conn)?)
}

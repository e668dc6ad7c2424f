//! What became of the establishments supported by accepted projects: their yearly figures before
//! the project and after its acceptance, read for the outcome figures.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{beneficiary_annual_figures, project_beneficiaries, project_history, projects};
use crate::error::ApiError;
use crate::models::beneficiaries::AnnualFigures;

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

/// An establishment supported by an accepted project.
#[derive(Debug, Clone, Queryable)]
pub struct SupportedPair {
    pub project_id: i64,
    pub activity_type: String,
    pub province_code: String,
    pub plan_year: i64,
    pub planned_start: Option<NaiveDate>,
    pub beneficiary_id: i64,
}

/// A step that accepted a project: the decision's date when recorded, and when it was taken.
#[derive(Debug, Clone, Queryable)]
pub struct Acceptance {
    pub project_id: i64,
    pub decision_date: Option<NaiveDate>,
    pub occurred_at: NaiveDateTime,
}

/// The accepted projects in `scope` with each of their establishments.
pub fn supported_pairs(conn: &mut DbConn, scope: &OutcomeScope) -> Result<Vec<SupportedPair>, ApiError> {
    let mut query = projects::table
        .inner_join(project_beneficiaries::table)
        .filter(projects::status.eq_any(ACCEPTED))
        .into_boxed();
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
    Ok(query
        .order((projects::id, project_beneficiaries::beneficiary_id))
        .select((
            projects::id,
            projects::activity_type,
            projects::province_code,
            projects::plan_year,
            projects::planned_start,
            project_beneficiaries::beneficiary_id,
        ))
        .load(conn)?)
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

/// Every yearly figure of the establishments of accepted projects.
pub fn figures_of_supported(conn: &mut DbConn) -> Result<Vec<AnnualFigures>, ApiError> {
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
        .select(AnnualFigures::as_select())
        .load(conn)?)
}

//! Projects and what hangs off them: beneficiaries, history, budget versions, money movements and
//! indicators.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::principal::Territory;
use crate::db::schema::{
    beneficiaries, project_beneficiaries, project_budget_versions, project_code_sequences,
    project_disbursements, project_history, project_indicators, projects,
};
use crate::db::{DbBackend, DbConn, sum_bigint};
use crate::domain::projects::{Budget, BudgetSource, DisbursementKind, Moved};
use crate::error::ApiError;
use crate::models::search::{Searched, TextSearch};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = projects, treat_none_as_null = true)]
pub struct ProjectRow {
    #[diesel(skip_insertion)]
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

impl ProjectRow {
    pub fn budget(&self) -> Budget {
        Budget {
            national: self.budget_national_vnd,
            local: self.budget_local_vnd,
            counterpart: self.budget_counterpart_vnd,
            other: self.budget_other_vnd,
        }
    }

    pub fn set_budget(&mut self, budget: &Budget) {
        self.budget_national_vnd = budget.national;
        self.budget_local_vnd = budget.local;
        self.budget_counterpart_vnd = budget.counterpart;
        self.budget_other_vnd = budget.other;
    }
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<ProjectRow>, ApiError> {
    Ok(projects::table
        .find(id)
        .select(ProjectRow::as_select())
        .first(conn)
        .optional()?)
}

/// Reads the project and holds its row until the transaction ends, so that two requests moving
/// money or state cannot both pass a check that only one of them may pass. PostgreSQL locks the
/// row; SQLite has one writer at a time already.
pub fn lock(conn: &mut DbConn, id: i64) -> Result<Option<ProjectRow>, ApiError> {
    Ok(match conn {
        DbConn::Pg(c) => projects::table
            .find(id)
            .select(ProjectRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        DbConn::Sqlite(c) => projects::table
            .find(id)
            .select(ProjectRow::as_select())
            .first(c)
            .optional()?,
    })
}

pub fn find_by_code(conn: &mut DbConn, code: &str) -> Result<Option<ProjectRow>, ApiError> {
    Ok(projects::table
        .filter(projects::code.eq(code))
        .select(ProjectRow::as_select())
        .first(conn)
        .optional()?)
}

/// The next number of a code prefix (funding source, year, province), counted in the database so
/// that concurrent creations never get the same one.
pub fn next_code_number(conn: &mut DbConn, prefix: &str) -> Result<i64, ApiError> {
    use project_code_sequences as s;
    let insert = diesel::insert_into(s::table)
        .values((s::prefix.eq(prefix), s::last_value.eq(1i64)))
        .on_conflict(s::prefix)
        .do_update()
        .set(s::last_value.eq(s::last_value + 1i64))
        .returning(s::last_value);
    Ok(crate::each_backend!(conn, |c| insert.get_result::<i64>(c))?)
}

pub fn insert(conn: &mut DbConn, row: &ProjectRow) -> Result<ProjectRow, ApiError> {
    Ok(diesel::insert_into(projects::table)
        .values(row)
        .returning(projects::all_columns)
        .get_result(conn)?)
}

/// Writes `row` over the project if it is still at `expected_version` (the caller bumps it).
pub fn update(
    conn: &mut DbConn,
    row: &ProjectRow,
    expected_version: i64,
) -> Result<Option<ProjectRow>, ApiError> {
    let target = projects::table.filter(
        projects::id
            .eq(row.id)
            .and(projects::version.eq(expected_version)),
    );
    Ok(diesel::update(target)
        .set(row)
        .returning(projects::all_columns)
        .get_result(conn)
        .optional()?)
}

/// Removes a draft and everything attached to it (the audit log keeps its last state).
pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), ApiError> {
    diesel::delete(project_beneficiaries::table.filter(project_beneficiaries::project_id.eq(id)))
        .execute(conn)?;
    diesel::delete(project_indicators::table.filter(project_indicators::project_id.eq(id))).execute(conn)?;
    diesel::delete(project_history::table.filter(project_history::project_id.eq(id))).execute(conn)?;
    diesel::delete(project_budget_versions::table.filter(project_budget_versions::project_id.eq(id)))
        .execute(conn)?;
    diesel::delete(projects::table.find(id)).execute(conn)?;
    Ok(())
}

/// Which province code the list filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProvinceEra {
    #[default]
    Current,
    RecordedPre2025,
}

/// The orders a project list can be read in; each ends on `id` so that pages never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProjectOrder {
    #[default]
    Id,
    IdDesc,
    PlanYear,
    PlanYearDesc,
    Code,
    CodeDesc,
}

/// Where the previous page ended: the sort key of its last row (as text) and its id.
pub type ProjectCursor = (String, i64);

#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub province_code: Option<String>,
    pub province_era: ProvinceEra,
    pub commune_code: Option<String>,
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
    pub activity_type: Option<String>,
    pub funding_source: Option<String>,
    pub status: Option<String>,
    pub implementing_unit_id: Option<i64>,
    pub beneficiary_id: Option<i64>,
    /// Words matched anywhere in the search key.
    pub search: Option<TextSearch>,
}

fn filtered(
    conn: &mut DbConn,
    filter: &ProjectFilter,
    territory: &Territory,
) -> Result<projects::BoxedQuery<'static, DbBackend>, ApiError> {
    let mut query = projects::table.into_boxed();
    query = match territory {
        Territory::National => query,
        Territory::Province(code) => query.filter(projects::province_code.eq(code.clone())),
        Territory::Commune(code) => query.filter(projects::commune_code.eq(code.clone())),
        Territory::OwnOnly => query.filter(projects::id.eq(-1)),
    };
    if let Some(code) = &filter.province_code {
        query = match filter.province_era {
            ProvinceEra::Current => query.filter(projects::province_code.eq(code.clone())),
            ProvinceEra::RecordedPre2025 => {
                query.filter(projects::recorded_province_code_pre2025.eq(code.clone()))
            }
        };
    }
    if let Some(v) = &filter.commune_code {
        query = query.filter(projects::commune_code.eq(v.clone()));
    }
    if let Some(v) = filter.year_from {
        query = query.filter(projects::plan_year.ge(v));
    }
    if let Some(v) = filter.year_to {
        query = query.filter(projects::plan_year.le(v));
    }
    if let Some(v) = &filter.activity_type {
        query = query.filter(projects::activity_type.eq(v.clone()));
    }
    if let Some(v) = &filter.funding_source {
        query = query.filter(projects::funding_source.eq(v.clone()));
    }
    if let Some(v) = &filter.status {
        query = query.filter(projects::status.eq(v.clone()));
    }
    if let Some(v) = filter.implementing_unit_id {
        query = query.filter(projects::implementing_unit_id.eq(v));
    }
    if let Some(v) = filter.beneficiary_id {
        query = query.filter(
            projects::id.eq_any(
                project_beneficiaries::table
                    .filter(project_beneficiaries::beneficiary_id.eq(v))
                    .select(project_beneficiaries::project_id),
            ),
        );
    }
    if let Some(search) = &filter.search {
        query = query.filter(search.matching(conn, Searched::Projects)?);
    }
    Ok(query)
}

/// A cursor whose key does not fit the order (a year that is not a number).
#[derive(Debug)]
pub struct CursorMismatch;

pub fn list(
    conn: &mut DbConn,
    filter: &ProjectFilter,
    territory: &Territory,
    order: ProjectOrder,
    after: Option<&ProjectCursor>,
    limit: i64,
) -> Result<Result<Vec<ProjectRow>, CursorMismatch>, ApiError> {
    use ProjectOrder as O;
    use projects as p;
    let mut query = filtered(conn, filter, territory)?;
    if let Some((key, id)) = after {
        let id = *id;
        query = match order {
            O::Id => query.filter(p::id.gt(id)),
            O::IdDesc => query.filter(p::id.lt(id)),
            O::PlanYear | O::PlanYearDesc => {
                let Ok(year) = key.parse::<i64>() else {
                    return Ok(Err(CursorMismatch));
                };
                if order == O::PlanYear {
                    query.filter(p::plan_year.gt(year).or(p::plan_year.eq(year).and(p::id.gt(id))))
                } else {
                    query.filter(p::plan_year.lt(year).or(p::plan_year.eq(year).and(p::id.lt(id))))
                }
            }
            O::Code => query.filter(
                p::code
                    .gt(key.clone())
                    .or(p::code.eq(key.clone()).and(p::id.gt(id))),
            ),
            O::CodeDesc => query.filter(
                p::code
                    .lt(key.clone())
                    .or(p::code.eq(key.clone()).and(p::id.lt(id))),
            ),
        };
    }
    query = match order {
        O::Id => query.order(p::id.asc()),
        O::IdDesc => query.order(p::id.desc()),
        O::PlanYear => query.order((p::plan_year.asc(), p::id.asc())),
        O::PlanYearDesc => query.order((p::plan_year.desc(), p::id.desc())),
        O::Code => query.order((p::code.asc(), p::id.asc())),
        O::CodeDesc => query.order((p::code.desc(), p::id.desc())),
    };
    Ok(Ok(query
        .limit(limit)
        .select(ProjectRow::as_select())
        .load(conn)?))
}

/// The cursor naming `row` as the last of a page in `order`.
pub fn cursor_of(row: &ProjectRow, order: ProjectOrder) -> ProjectCursor {
    let key = match order {
        ProjectOrder::Id | ProjectOrder::IdDesc => String::new(),
        ProjectOrder::PlanYear | ProjectOrder::PlanYearDesc => row.plan_year.to_string(),
        ProjectOrder::Code | ProjectOrder::CodeDesc => row.code.clone(),
    };
    (key, row.id)
}

pub fn count(conn: &mut DbConn, filter: &ProjectFilter, territory: &Territory) -> Result<i64, ApiError> {
    Ok(filtered(conn, filter, territory)?.count().get_result(conn)?)
}

/// An establishment named by a project, with its name.
#[derive(Debug, Clone, Queryable)]
pub struct ProjectBeneficiaryRow {
    pub project_id: i64,
    pub beneficiary_id: i64,
    pub role: String,
    pub name: String,
}

pub fn beneficiaries_of(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<ProjectBeneficiaryRow>, ApiError> {
    Ok(project_beneficiaries::table
        .inner_join(beneficiaries::table)
        .filter(project_beneficiaries::project_id.eq_any(ids.to_vec()))
        .order((
            project_beneficiaries::project_id,
            project_beneficiaries::beneficiary_id,
        ))
        .select((
            project_beneficiaries::project_id,
            project_beneficiaries::beneficiary_id,
            project_beneficiaries::role,
            beneficiaries::name,
        ))
        .load(conn)?)
}

/// Replaces the establishments a project names.
pub fn replace_beneficiaries(
    conn: &mut DbConn,
    project_id: i64,
    links: &[(i64, String)],
) -> Result<(), ApiError> {
    use project_beneficiaries as t;
    diesel::delete(t::table.filter(t::project_id.eq(project_id))).execute(conn)?;
    for (beneficiary_id, role) in links {
        diesel::insert_into(t::table)
            .values((
                t::project_id.eq(project_id),
                t::beneficiary_id.eq(beneficiary_id),
                t::role.eq(role),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn count_beneficiaries(conn: &mut DbConn, project_id: i64) -> Result<i64, ApiError> {
    Ok(project_beneficiaries::table
        .filter(project_beneficiaries::project_id.eq(project_id))
        .count()
        .get_result(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = project_history)]
pub struct HistoryRow {
    #[diesel(skip_insertion)]
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

impl HistoryRow {
    /// An entry of `kind` taken by `actor` at `at`; the caller fills what the step has.
    pub fn new(
        project_id: i64,
        kind: &str,
        actor: &crate::models::audit::Actor,
        at: NaiveDateTime,
    ) -> HistoryRow {
        HistoryRow {
            id: 0,
            project_id,
            kind: kind.to_owned(),
            action: None,
            from_status: None,
            to_status: None,
            decision_number: None,
            decision_date: None,
            note: None,
            override_reason: None,
            budget_version: None,
            actor_user_id: actor.user_id,
            actor_username: actor.username.clone(),
            occurred_at: at,
        }
    }
}

pub fn record_history(conn: &mut DbConn, row: &HistoryRow) -> Result<(), ApiError> {
    diesel::insert_into(project_history::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn history(conn: &mut DbConn, project_id: i64) -> Result<Vec<HistoryRow>, ApiError> {
    Ok(project_history::table
        .filter(project_history::project_id.eq(project_id))
        .order(project_history::id)
        .select(HistoryRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = project_budget_versions)]
pub struct BudgetVersionRow {
    #[diesel(skip_insertion)]
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

pub fn insert_budget_version(conn: &mut DbConn, row: &BudgetVersionRow) -> Result<(), ApiError> {
    diesel::insert_into(project_budget_versions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn budget_versions(conn: &mut DbConn, project_id: i64) -> Result<Vec<BudgetVersionRow>, ApiError> {
    Ok(project_budget_versions::table
        .filter(project_budget_versions::project_id.eq(project_id))
        .order(project_budget_versions::budget_version)
        .select(BudgetVersionRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = project_disbursements)]
pub struct DisbursementRow {
    #[diesel(skip_insertion)]
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

pub fn insert_disbursement(conn: &mut DbConn, row: &DisbursementRow) -> Result<DisbursementRow, ApiError> {
    Ok(diesel::insert_into(project_disbursements::table)
        .values(row)
        .returning(project_disbursements::all_columns)
        .get_result(conn)?)
}

pub fn disbursements(
    conn: &mut DbConn,
    project_id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<DisbursementRow>, ApiError> {
    let mut query = project_disbursements::table
        .filter(project_disbursements::project_id.eq(project_id))
        .into_boxed::<DbBackend>();
    if let Some(after) = after {
        query = query.filter(project_disbursements::id.gt(after));
    }
    Ok(query
        .order(project_disbursements::id)
        .limit(limit)
        .select(DisbursementRow::as_select())
        .load(conn)?)
}

pub fn count_disbursements(conn: &mut DbConn, project_id: i64) -> Result<i64, ApiError> {
    Ok(project_disbursements::table
        .filter(project_disbursements::project_id.eq(project_id))
        .count()
        .get_result(conn)?)
}

/// The money moved for each of `ids`, summed in the database.
pub fn moved(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, Moved)>, ApiError> {
    use project_disbursements as d;
    let sums: Vec<(i64, String, String, i64)> = d::table
        .filter(d::project_id.eq_any(ids.to_vec()))
        .group_by((d::project_id, d::source, d::kind))
        .select((d::project_id, d::source, d::kind, sum_bigint(d::amount_vnd)))
        .load(conn)?;
    let mut out: Vec<(i64, Moved)> = ids.iter().map(|id| (*id, Moved::default())).collect();
    for (project_id, source, kind, amount) in sums {
        let (Ok(source), Ok(kind)) = (source.parse::<BudgetSource>(), kind.parse::<DisbursementKind>())
        else {
            return Err(ApiError::internal(format!(
                "unknown money movement {kind}/{source} stored for project {project_id}"
            )));
        };
        let Some((_, moved)) = out.iter_mut().find(|(id, _)| *id == project_id) else {
            continue;
        };
        let signed = if kind == DisbursementKind::Refund {
            -amount
        } else {
            amount
        };
        let line = match source {
            BudgetSource::National => &mut moved.net.national,
            BudgetSource::Local => &mut moved.net.local,
            BudgetSource::Counterpart => &mut moved.net.counterpart,
            BudgetSource::Other => &mut moved.net.other,
        };
        *line += signed;
        if kind == DisbursementKind::Advance && source.is_state() {
            moved.state_advances += amount;
        }
    }
    Ok(out)
}

/// The money moved for one project.
pub fn moved_one(conn: &mut DbConn, id: i64) -> Result<Moved, ApiError> {
    Ok(moved(conn, &[id])?
        .pop()
        .map(|(_, moved)| moved)
        .unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = project_indicators)]
pub struct IndicatorRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub project_id: i64,
    pub code: String,
    pub unit: String,
    pub baseline: Option<i64>,
    pub target: Option<i64>,
    pub actual: Option<i64>,
}

pub fn indicators(conn: &mut DbConn, project_id: i64) -> Result<Vec<IndicatorRow>, ApiError> {
    Ok(project_indicators::table
        .filter(project_indicators::project_id.eq(project_id))
        .order(project_indicators::code)
        .select(IndicatorRow::as_select())
        .load(conn)?)
}

pub fn replace_indicators(conn: &mut DbConn, project_id: i64, rows: &[IndicatorRow]) -> Result<(), ApiError> {
    diesel::delete(project_indicators::table.filter(project_indicators::project_id.eq(project_id)))
        .execute(conn)?;
    for row in rows {
        diesel::insert_into(project_indicators::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

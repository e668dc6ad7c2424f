//! Import records: the jobs that check and apply files, and the files applied (their SHA-256
//! refuses the same file twice).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::imports;
use crate::error::ApiError;

use crate::domain::imports::ImportState;

/// The states of a job that has not ended.
fn unfinished() -> [&'static str; 2] {
    [ImportState::Queued.as_str(), ImportState::Running.as_str()]
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = imports, treat_none_as_null = true)]
pub struct ImportRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub kind: String,
    pub dry_run: bool,
    pub file_sha256: String,
    pub file_format: String,
    pub file_bytes: i64,
    pub state: String,
    pub rows_total: Option<i64>,
    pub rows_done: i64,
    /// [`crate::imports::report::Findings`] as JSON.
    pub findings: Option<String>,
    /// Why a job failed without findings (its server stopped, the database failed).
    pub failure: Option<String>,
    pub requested_by_user_id: Option<i64>,
    pub requested_by: String,
    /// The province an import was restricted to (province staff, `--province-code`).
    pub province_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub lease_until: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &ImportRow) -> Result<ImportRow, ApiError> {
    Ok(diesel::insert_into(imports::table)
        .values(row)
        .returning(imports::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<ImportRow>, ApiError> {
    Ok(imports::table
        .find(id)
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?)
}

/// The import that applied (or is applying) this file, if any.
pub fn applied(conn: &mut DbConn, kind: &str, sha256: &str) -> Result<Option<ImportRow>, ApiError> {
    Ok(imports::table
        .filter(imports::kind.eq(kind))
        .filter(imports::file_sha256.eq(sha256))
        .filter(imports::dry_run.eq(false))
        .filter(imports::state.eq_any([
            ImportState::Queued.as_str(),
            ImportState::Running.as_str(),
            ImportState::Succeeded.as_str(),
        ]))
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?)
}

/// The job takes its lease and starts.
pub fn start(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(imports::table.find(id))
        .set((
            imports::state.eq(ImportState::Running.as_str()),
            imports::started_at.eq(now),
            imports::lease_until.eq(lease_until),
        ))
        .execute(conn)?;
    Ok(())
}

/// A running job says it is alive and how far it got.
pub fn renew(
    conn: &mut DbConn,
    id: i64,
    rows_total: Option<i64>,
    rows_done: i64,
    lease_until: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(
        imports::table
            .find(id)
            .filter(imports::state.eq(ImportState::Running.as_str())),
    )
    .set((
        imports::rows_total.eq(rows_total),
        imports::rows_done.eq(rows_done),
        imports::lease_until.eq(lease_until),
    ))
    .execute(conn)?;
    Ok(())
}

/// How a job ended.
#[derive(Debug, Clone)]
pub struct JobEnd {
    pub state: ImportState,
    pub rows_total: Option<i64>,
    pub rows_done: i64,
    pub findings: Option<String>,
    pub failure: Option<String>,
}

/// The job's end, written once: a job already finished (or failed by a reader because its lease
/// ran out) is left as it is. Whether it was written.
pub fn finish(conn: &mut DbConn, id: i64, end: JobEnd) -> Result<bool, ApiError> {
    let changed = diesel::update(
        imports::table
            .find(id)
            .filter(imports::state.eq_any(unfinished())),
    )
    .set((
        imports::state.eq(end.state.as_str()),
        imports::rows_total.eq(end.rows_total),
        imports::rows_done.eq(end.rows_done),
        imports::findings.eq(end.findings),
        imports::failure.eq(end.failure),
        imports::finished_at.eq(super::now()),
        imports::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Fails the jobs whose runner stopped renewing its lease (its server was stopped or killed):
/// their transaction never committed, so they wrote nothing.
pub fn fail_abandoned(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, ApiError> {
    Ok(diesel::update(
        imports::table
            .filter(imports::state.eq_any(unfinished()))
            .filter(imports::lease_until.lt(now)),
    )
    .set((
        imports::state.eq(ImportState::Failed.as_str()),
        imports::failure.eq(ABANDONED),
        imports::finished_at.eq(now),
        imports::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?)
}

/// The failure of a job whose server stopped before it finished.
pub const ABANDONED: &str = "interrupted: the server stopped before the import finished; nothing was written";

/// Which imports a list shows.
#[derive(Debug, Clone, Default)]
pub struct ImportFilter {
    pub kind: Option<String>,
    pub state: Option<String>,
    /// Province staff: the imports of their province and their own.
    pub province_or_requester: Option<(String, i64)>,
}

/// A page of imports, oldest first, after the id `after`.
pub fn list(
    conn: &mut DbConn,
    filter: &ImportFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ImportRow>, ApiError> {
    let mut query = imports::table.into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(imports::kind.eq(kind.clone()));
    }
    if let Some(state) = &filter.state {
        query = query.filter(imports::state.eq(state.clone()));
    }
    if let Some((province, user)) = &filter.province_or_requester {
        query = query.filter(
            imports::province_code
                .eq(province.clone())
                .or(imports::requested_by_user_id.eq(*user)),
        );
    }
    if let Some(after) = after {
        query = query.filter(imports::id.gt(after));
    }
    Ok(query
        .order(imports::id)
        .limit(limit)
        .select(ImportRow::as_select())
        .load(conn)?)
}

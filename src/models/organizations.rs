//! Implementing units (đơn vị thực hiện) and the reference table of activity types.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{activity_types, organizations};
use crate::db::{DbBackend, DbConn};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
pub struct OrganizationRow {
    #[diesel(skip_insertion)]
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

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<OrganizationRow>, ApiError> {
    Ok(organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, row: &OrganizationRow) -> Result<OrganizationRow, ApiError> {
    Ok(diesel::insert_into(organizations::table)
        .values(row)
        .returning(organizations::all_columns)
        .get_result(conn)?)
}

/// Writes `row` if the record is still at `expected_version`.
pub fn update(
    conn: &mut DbConn,
    row: &OrganizationRow,
    expected_version: i64,
) -> Result<Option<OrganizationRow>, ApiError> {
    let target = organizations::table.filter(
        organizations::id
            .eq(row.id)
            .and(organizations::version.eq(expected_version)),
    );
    Ok(diesel::update(target)
        .set(row)
        .returning(organizations::all_columns)
        .get_result(conn)
        .optional()?)
}

#[derive(Debug, Default)]
pub struct OrganizationFilter {
    pub province_code: Option<String>,
    pub kind: Option<String>,
    pub active: Option<bool>,
}

fn filtered(filter: &OrganizationFilter) -> organizations::BoxedQuery<'static, DbBackend> {
    let mut query = organizations::table.into_boxed();
    if let Some(v) = &filter.province_code {
        query = query.filter(organizations::province_code.eq(v.clone()));
    }
    if let Some(v) = &filter.kind {
        query = query.filter(organizations::kind.eq(v.clone()));
    }
    if let Some(v) = filter.active {
        query = query.filter(organizations::active.eq(v));
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    filter: &OrganizationFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<OrganizationRow>, ApiError> {
    let mut query = filtered(filter);
    if let Some(after) = after {
        query = query.filter(organizations::id.gt(after));
    }
    Ok(query
        .order(organizations::id)
        .limit(limit)
        .select(OrganizationRow::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut DbConn, filter: &OrganizationFilter) -> Result<i64, ApiError> {
    Ok(filtered(filter).count().get_result(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activity_types)]
pub struct ActivityTypeRow {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn activity_types(conn: &mut DbConn) -> Result<Vec<ActivityTypeRow>, ApiError> {
    Ok(activity_types::table
        .order(activity_types::code)
        .select(ActivityTypeRow::as_select())
        .load(conn)?)
}

pub fn find_activity_type(conn: &mut DbConn, code: &str) -> Result<Option<ActivityTypeRow>, ApiError> {
    Ok(activity_types::table
        .find(code)
        .select(ActivityTypeRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_activity_type(conn: &mut DbConn, row: &ActivityTypeRow) -> Result<ActivityTypeRow, ApiError> {
    Ok(diesel::insert_into(activity_types::table)
        .values(row)
        .returning(activity_types::all_columns)
        .get_result(conn)?)
}

/// Renames or (de)activates a type if it is still at `expected_version`.
pub fn update_activity_type(
    conn: &mut DbConn,
    row: &ActivityTypeRow,
    expected_version: i64,
) -> Result<Option<ActivityTypeRow>, ApiError> {
    use activity_types as t;
    Ok(
        diesel::update(t::table.filter(t::code.eq(&row.code).and(t::version.eq(expected_version))))
            .set((
                t::name_vi.eq(&row.name_vi),
                t::name_en.eq(&row.name_en),
                t::active.eq(row.active),
                t::version.eq(expected_version + 1),
                t::updated_at.eq(row.updated_at),
            ))
            .returning(t::all_columns)
            .get_result(conn)
            .optional()?,
    )
}

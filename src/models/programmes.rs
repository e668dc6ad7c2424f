//! Support caps (policy, versioned by dates) and programmes with their targets.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{programme_targets, programmes, support_caps};
use crate::db::{DbBackend, DbConn};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = support_caps)]
pub struct SupportCapRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub legal_basis: String,
    pub funding_source: String,
    pub activity_type: String,
    pub province_code: Option<String>,
    pub max_share_percent: Option<i64>,
    pub max_amount_vnd: Option<i64>,
    pub ceiling_basis: String,
    pub production_line_multiplier_percent: Option<i64>,
    pub priority_multiplier_percent: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn find_cap(conn: &mut DbConn, id: i64) -> Result<Option<SupportCapRow>, ApiError> {
    Ok(support_caps::table
        .find(id)
        .select(SupportCapRow::as_select())
        .first(conn)
        .optional()?)
}

/// The caps of one key (source, activity type, province or national), oldest first.
pub fn caps_of_key(
    conn: &mut DbConn,
    funding_source: &str,
    activity_type: &str,
    province_code: Option<&str>,
) -> Result<Vec<SupportCapRow>, ApiError> {
    let mut query = support_caps::table
        .filter(support_caps::funding_source.eq(funding_source.to_owned()))
        .filter(support_caps::activity_type.eq(activity_type.to_owned()))
        .into_boxed::<DbBackend>();
    query = match province_code {
        Some(code) => query.filter(support_caps::province_code.eq(code.to_owned())),
        None => query.filter(support_caps::province_code.is_null()),
    };
    Ok(query
        .order((support_caps::valid_from, support_caps::id))
        .select(SupportCapRow::as_select())
        .load(conn)?)
}

/// The cap in force on `on` for a key, if any.
pub fn cap_in_force(
    conn: &mut DbConn,
    funding_source: &str,
    activity_type: &str,
    province_code: Option<&str>,
    on: NaiveDate,
) -> Result<Option<SupportCapRow>, ApiError> {
    Ok(caps_of_key(conn, funding_source, activity_type, province_code)?
        .into_iter()
        .rev()
        .find(|cap| cap.valid_from <= on && cap.valid_to.is_none_or(|to| on <= to)))
}

pub fn insert_cap(conn: &mut DbConn, row: &SupportCapRow) -> Result<SupportCapRow, ApiError> {
    Ok(diesel::insert_into(support_caps::table)
        .values(row)
        .returning(support_caps::all_columns)
        .get_result(conn)?)
}

/// Ends an open cap the day before its successor starts.
pub fn close_cap(conn: &mut DbConn, id: i64, valid_to: NaiveDate) -> Result<(), ApiError> {
    diesel::update(support_caps::table.find(id))
        .set(support_caps::valid_to.eq(Some(valid_to)))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct CapFilter {
    pub funding_source: Option<String>,
    pub activity_type: Option<String>,
    pub province_code: Option<String>,
    /// Only caps in force on this day.
    pub valid_on: Option<NaiveDate>,
}

fn caps_filtered(filter: &CapFilter) -> support_caps::BoxedQuery<'static, DbBackend> {
    let mut query = support_caps::table.into_boxed();
    if let Some(v) = &filter.funding_source {
        query = query.filter(support_caps::funding_source.eq(v.clone()));
    }
    if let Some(v) = &filter.activity_type {
        query = query.filter(support_caps::activity_type.eq(v.clone()));
    }
    if let Some(v) = &filter.province_code {
        query = query.filter(support_caps::province_code.eq(v.clone()));
    }
    if let Some(day) = filter.valid_on {
        query = query.filter(support_caps::valid_from.le(day)).filter(
            support_caps::valid_to
                .is_null()
                .or(support_caps::valid_to.ge(day).assume_not_null()),
        );
    }
    query
}

pub fn list_caps(
    conn: &mut DbConn,
    filter: &CapFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<SupportCapRow>, ApiError> {
    let mut query = caps_filtered(filter);
    if let Some(after) = after {
        query = query.filter(support_caps::id.gt(after));
    }
    Ok(query
        .order(support_caps::id)
        .limit(limit)
        .select(SupportCapRow::as_select())
        .load(conn)?)
}

pub fn count_caps(conn: &mut DbConn, filter: &CapFilter) -> Result<i64, ApiError> {
    Ok(caps_filtered(filter).count().get_result(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = programmes)]
pub struct ProgrammeRow {
    #[diesel(skip_insertion)]
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

pub fn find_programme(conn: &mut DbConn, id: i64) -> Result<Option<ProgrammeRow>, ApiError> {
    Ok(programmes::table
        .find(id)
        .select(ProgrammeRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_programme(conn: &mut DbConn, row: &ProgrammeRow) -> Result<ProgrammeRow, ApiError> {
    Ok(diesel::insert_into(programmes::table)
        .values(row)
        .returning(programmes::all_columns)
        .get_result(conn)?)
}

/// Moves the programme's version on (its targets changed) if it is still at `expected_version`.
pub fn bump_programme(
    conn: &mut DbConn,
    id: i64,
    expected_version: i64,
) -> Result<Option<ProgrammeRow>, ApiError> {
    Ok(diesel::update(
        programmes::table.filter(
            programmes::id
                .eq(id)
                .and(programmes::version.eq(expected_version)),
        ),
    )
    .set((
        programmes::version.eq(expected_version + 1),
        programmes::updated_at.eq(super::now()),
    ))
    .returning(programmes::all_columns)
    .get_result(conn)
    .optional()?)
}

#[derive(Debug, Default)]
pub struct ProgrammeFilter {
    pub level: Option<String>,
    pub province_code: Option<String>,
    /// Programmes whose period covers this year.
    pub year: Option<i64>,
}

fn programmes_filtered(filter: &ProgrammeFilter) -> programmes::BoxedQuery<'static, DbBackend> {
    let mut query = programmes::table.into_boxed();
    if let Some(v) = &filter.level {
        query = query.filter(programmes::level.eq(v.clone()));
    }
    if let Some(v) = &filter.province_code {
        query = query.filter(programmes::province_code.eq(v.clone()));
    }
    if let Some(year) = filter.year {
        query = query
            .filter(programmes::start_year.le(year))
            .filter(programmes::end_year.ge(year));
    }
    query
}

pub fn list_programmes(
    conn: &mut DbConn,
    filter: &ProgrammeFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ProgrammeRow>, ApiError> {
    let mut query = programmes_filtered(filter);
    if let Some(after) = after {
        query = query.filter(programmes::id.gt(after));
    }
    Ok(query
        .order(programmes::id)
        .limit(limit)
        .select(ProgrammeRow::as_select())
        .load(conn)?)
}

pub fn count_programmes(conn: &mut DbConn, filter: &ProgrammeFilter) -> Result<i64, ApiError> {
    Ok(programmes_filtered(filter).count().get_result(conn)?)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = programme_targets)]
pub struct TargetRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub programme_id: i64,
    pub province_code: String,
    pub activity_type: String,
    pub target_count: Option<i64>,
    pub target_amount_vnd: Option<i64>,
}

pub fn targets(conn: &mut DbConn, programme_id: i64) -> Result<Vec<TargetRow>, ApiError> {
    Ok(programme_targets::table
        .filter(programme_targets::programme_id.eq(programme_id))
        .order((programme_targets::province_code, programme_targets::activity_type))
        .select(TargetRow::as_select())
        .load(conn)?)
}

/// Replaces every target of a programme.
pub fn replace_targets(conn: &mut DbConn, programme_id: i64, rows: &[TargetRow]) -> Result<(), ApiError> {
    diesel::delete(programme_targets::table.filter(programme_targets::programme_id.eq(programme_id)))
        .execute(conn)?;
    for row in rows {
        diesel::insert_into(programme_targets::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

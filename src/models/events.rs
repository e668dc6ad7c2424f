//! The event feed's rows: appended by [`crate::models::audit::record`] inside the change's
//! transaction, numbered by [`publish`] once no earlier transaction can still add to them, read by
//! position.
//!
//! Why positions are given after the commit: on PostgreSQL two transactions may commit in the
//! opposite order of the ids they took, so a reader that saw id 11 could later miss id 10. The
//! publisher numbers only rows written by transactions older than the oldest one still running
//! (`pg_snapshot_xmin`), one publisher at a time (an advisory lock); every row it numbers later
//! therefore gets a higher position than any a reader has already seen. SQLite writes one
//! transaction at a time, so its rows are numbered in id order.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConn;
use crate::db::schema::events;
use crate::domain::events::EventType;
use crate::error::ApiError;
use crate::models::beneficiaries;

/// The advisory lock key of the publisher ("kcevents" in ASCII, shortened to fit).
const PUBLISHER_LOCK: i64 = 0x6b63_6576_656e_7473;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    pub position: Option<i64>,
    pub event_type: String,
    pub occurred_at: NaiveDateTime,
    pub entity_type: String,
    pub entity_id: String,
    pub province_code: Option<String>,
    pub payload: String,
    pub personal_data: Option<String>,
}

/// Appends the event of an audited change. Its payload is the audit snapshot, which holds no
/// personal data; an establishment's personal data is kept beside it, for the readers allowed it.
pub fn append(
    conn: &mut DbConn,
    event_type: EventType,
    occurred_at: NaiveDateTime,
    entity_type: &str,
    entity_id: &str,
    province_code: Option<&str>,
    payload: &serde_json::Value,
) -> Result<(), ApiError> {
    let personal_data = match (event_type.scope(), entity_id.parse::<i64>()) {
        (crate::auth::scopes::Scope::BeneficiariesRead, Ok(id)) if entity_type == "beneficiary" => {
            beneficiaries::find_personal_data(conn, id)?.map(|row| {
                serde_json::json!({
                    "representative_phone": row.representative_phone,
                    "representative_national_id": row.representative_national_id,
                    "household_owner_name": row.household_owner_name,
                })
                .to_string()
            })
        }
        _ => None,
    };
    diesel::insert_into(events::table)
        .values((
            events::event_type.eq(event_type.as_str()),
            events::occurred_at.eq(occurred_at),
            events::entity_type.eq(entity_type),
            events::entity_id.eq(entity_id),
            events::province_code.eq(province_code),
            events::payload.eq(payload.to_string()),
            events::personal_data.eq(personal_data),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether some committed event still waits for its position.
pub fn has_unpublished(conn: &mut DbConn) -> Result<bool, ApiError> {
    Ok(events::table
        .filter(events::position.is_null())
        .select(events::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// The highest position given so far (0 before the first event).
pub fn head(conn: &mut DbConn) -> Result<i64, ApiError> {
    Ok(events::table
        .select(diesel::dsl::max(events::position))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Numbers the events that can no longer be preceded by another; run inside a write transaction.
/// Returns the events just numbered, in position order.
pub fn publish(conn: &mut DbConn) -> Result<Vec<EventRow>, ApiError> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        #[allow(dead_code)]
        locked: bool,
    }
    let pending = match conn {
        DbConn::Pg(pg) => {
            // Held to the end of the transaction: publishers take turns, and the next one reads
            // the positions this one gave.
            diesel::sql_query("SELECT pg_advisory_xact_lock($1) IS NULL AS locked")
                .bind::<BigInt, _>(PUBLISHER_LOCK)
                .get_result::<Locked>(pg)?;
            "SELECT id, row_number() OVER (ORDER BY xact_id, id) AS n FROM events \
             WHERE position IS NULL AND xact_id < pg_snapshot_xmin(pg_current_snapshot())"
        }
        DbConn::Sqlite(_) => {
            "SELECT id, row_number() OVER (ORDER BY id) AS n FROM events WHERE position IS NULL"
        }
    };
    let base = head(conn)?;
    let count = crate::each_backend!(conn, |c| {
        diesel::sql_query(format!(
            "UPDATE events SET position = $1 + pending.n FROM ({pending}) AS pending \
             WHERE events.id = pending.id"
        ))
        .bind::<BigInt, _>(base)
        .execute(c)
    })?;
    if count == 0 {
        return Ok(Vec::new());
    }
    Ok(events::table
        .filter(events::position.gt(base))
        .order(events::position)
        .select(EventRow::as_select())
        .load(conn)?)
}

/// Which events a reader may see.
#[derive(Debug, Clone)]
pub struct FeedFilter {
    /// The types asked for and allowed; never empty.
    pub types: Vec<&'static str>,
    /// `Some`: only this province's events and the national ones (no province).
    pub province_code: Option<String>,
}

/// Up to `limit` published events after `after` and up to `until`, in position order.
pub fn page(
    conn: &mut DbConn,
    filter: &FeedFilter,
    after: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<EventRow>, ApiError> {
    let mut query = events::table
        .filter(events::position.gt(after))
        .filter(events::position.le(until))
        .filter(events::event_type.eq_any(filter.types.clone()))
        .into_boxed();
    if let Some(province) = &filter.province_code {
        query = query.filter(
            events::province_code
                .eq(province.clone())
                .or(events::province_code.is_null()),
        );
    }
    Ok(query
        .order(events::position)
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?)
}

/// One event by id (a webhook delivery's).
pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<EventRow>, ApiError> {
    Ok(events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// The position and type of each of these events (a page of webhook deliveries).
pub fn kinds(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, Option<i64>, String)>, ApiError> {
    Ok(events::table
        .filter(events::id.eq_any(ids))
        .select((events::id, events::position, events::event_type))
        .load(conn)?)
}

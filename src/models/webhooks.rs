//! Webhook subscriptions, their deliveries (one per event and subscription, made when the event is
//! published) and the attempts at each delivery.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::scopes::Scopes;
use crate::db::DbConn;
use crate::db::schema::{users, webhook_attempts, webhook_deliveries, webhook_subscriptions};
use crate::domain::events::EventType;
use crate::error::ApiError;
use crate::models::events::EventRow;
use crate::models::integration_clients;

/// A delivery waiting for its next attempt.
pub const PENDING: &str = "pending";
/// Answered with a 2xx.
pub const DELIVERED: &str = "delivered";
/// Given up: retried for the whole retry window, or its subscription was disabled or deleted.
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionRow {
    pub id: i64,
    pub owner_user_id: i64,
    pub url: String,
    pub description: Option<String>,
    /// Space-separated event type codes.
    pub event_types: String,
    pub secret: String,
    pub province_code: Option<String>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl SubscriptionRow {
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.event_types.split_ascii_whitespace()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct NewSubscription {
    pub owner_user_id: i64,
    pub url: String,
    pub description: Option<String>,
    pub event_types: String,
    pub secret: String,
    pub province_code: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Fields an update may change; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub event_types: Option<String>,
    pub active: Option<bool>,
    pub disabled_reason: Option<Option<String>>,
    pub failing_since: Option<Option<NaiveDateTime>>,
    pub deleted_at: Option<Option<NaiveDateTime>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub subscription_id: i64,
    pub event_id: i64,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: NaiveDateTime,
    pub duration_ms: i64,
    pub status: Option<i32>,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &NewSubscription) -> Result<SubscriptionRow, ApiError> {
    Ok(diesel::insert_into(webhook_subscriptions::table)
        .values(row)
        .returning(webhook_subscriptions::all_columns)
        .get_result(conn)?)
}

/// A subscription that was not deleted.
pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<SubscriptionRow>, ApiError> {
    Ok(webhook_subscriptions::table
        .find(id)
        .filter(webhook_subscriptions::deleted_at.is_null())
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()?)
}

/// The subscriptions not deleted, of one owner or (`None`) of all, oldest first.
pub fn list(conn: &mut DbConn, owner: Option<i64>) -> Result<Vec<SubscriptionRow>, ApiError> {
    let mut query = webhook_subscriptions::table
        .filter(webhook_subscriptions::deleted_at.is_null())
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(webhook_subscriptions::owner_user_id.eq(owner));
    }
    Ok(query
        .order(webhook_subscriptions::id)
        .select(SubscriptionRow::as_select())
        .load(conn)?)
}

/// Applies `changes` if the row is still at `version`; `None` when it moved on meanwhile.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    version: i64,
    changes: &SubscriptionChanges,
    now: NaiveDateTime,
) -> Result<Option<SubscriptionRow>, ApiError> {
    Ok(diesel::update(
        webhook_subscriptions::table
            .find(id)
            .filter(webhook_subscriptions::version.eq(version)),
    )
    .set((
        changes,
        webhook_subscriptions::version.eq(version + 1),
        webhook_subscriptions::updated_at.eq(now),
    ))
    .returning(webhook_subscriptions::all_columns)
    .get_result(conn)
    .optional()?)
}

/// Makes the deliveries of newly published events: one for each active subscription whose owner
/// may read the event (its type's scope, its province) and asked for its type.
pub fn fan_out(conn: &mut DbConn, events: &[EventRow], now: NaiveDateTime) -> Result<usize, ApiError> {
    if events.is_empty() {
        return Ok(0);
    }
    let subscriptions: Vec<(SubscriptionRow, bool)> = webhook_subscriptions::table
        .inner_join(users::table)
        .filter(webhook_subscriptions::active.eq(true))
        .filter(webhook_subscriptions::deleted_at.is_null())
        .select((SubscriptionRow::as_select(), users::active))
        .load(conn)?;
    let mut rows = Vec::new();
    for (subscription, owner_active) in subscriptions {
        if !owner_active {
            continue;
        }
        // A client's scopes as granted now; a person's role was checked when subscribing.
        let scopes = integration_clients::granted_scopes(conn, subscription.owner_user_id)?
            .map(|s| Scopes::parse(&s).unwrap_or_default());
        for event in events {
            let Ok(event_type) = event.event_type.parse::<EventType>() else {
                continue;
            };
            let wanted = subscription.types().any(|t| t == event.event_type);
            let in_territory = match (&subscription.province_code, &event.province_code) {
                (Some(mine), Some(its)) => mine == its,
                _ => true,
            };
            let in_scope = scopes.as_ref().is_none_or(|s| s.contains(event_type.scope()));
            if wanted && in_territory && in_scope {
                rows.push((
                    webhook_deliveries::subscription_id.eq(subscription.id),
                    webhook_deliveries::event_id.eq(event.id),
                    webhook_deliveries::state.eq(PENDING),
                    webhook_deliveries::attempts.eq(0),
                    webhook_deliveries::next_attempt_at.eq(now),
                    webhook_deliveries::created_at.eq(now),
                ));
            }
        }
    }
    let mut made = 0;
    for chunk in rows.chunks(500) {
        made += crate::each_backend!(conn, |c| diesel::insert_into(webhook_deliveries::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(made)
}

/// Takes up to `limit` deliveries that are due and moves their next attempt to `lease_until`, so
/// that no other worker (of this or another server) takes them meanwhile. On PostgreSQL rows
/// another worker is taking are skipped (`FOR UPDATE SKIP LOCKED`), not waited for.
pub fn claim_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<DeliveryRow>, ApiError> {
    let due = webhook_deliveries::table
        .filter(webhook_deliveries::state.eq(PENDING))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .order(webhook_deliveries::next_attempt_at)
        .limit(limit)
        .select(webhook_deliveries::id);
    let ids: Vec<i64> = match conn {
        DbConn::Pg(pg) => due.for_update().skip_locked().load(pg)?,
        DbConn::Sqlite(sqlite) => due.load(sqlite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
            .set(webhook_deliveries::next_attempt_at.eq(lease_until))
            .returning(webhook_deliveries::all_columns)
            .get_results(conn)?,
    )
}

pub fn find_delivery(
    conn: &mut DbConn,
    subscription_id: i64,
    id: i64,
) -> Result<Option<DeliveryRow>, ApiError> {
    Ok(webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?)
}

/// Any subscription by id, deleted ones too (a worker finishing a delivery).
pub fn find_any(conn: &mut DbConn, id: i64) -> Result<Option<SubscriptionRow>, ApiError> {
    Ok(webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records an attempt and the delivery's new state.
pub fn record_attempt(
    conn: &mut DbConn,
    attempt: &AttemptRow,
    state: &str,
    next_attempt_at: NaiveDateTime,
) -> Result<DeliveryRow, ApiError> {
    diesel::insert_into(webhook_attempts::table)
        .values(attempt)
        .execute(conn)?;
    let delivered_at = (state == DELIVERED).then_some(attempt.attempted_at);
    Ok(
        diesel::update(webhook_deliveries::table.find(attempt.delivery_id))
            .set((
                webhook_deliveries::state.eq(state),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::next_attempt_at.eq(next_attempt_at),
                webhook_deliveries::last_attempt_at.eq(Some(attempt.attempted_at)),
                webhook_deliveries::last_status.eq(attempt.status),
                webhook_deliveries::delivered_at.eq(delivered_at),
            ))
            .returning(webhook_deliveries::all_columns)
            .get_result(conn)?,
    )
}

/// Marks the subscription as failing since `since` unless it already is; clears it with `None`.
pub fn set_failing(conn: &mut DbConn, id: i64, since: Option<NaiveDateTime>) -> Result<(), ApiError> {
    let target = webhook_subscriptions::table.find(id);
    match since {
        Some(since) => diesel::update(target.filter(webhook_subscriptions::failing_since.is_null()))
            .set(webhook_subscriptions::failing_since.eq(Some(since)))
            .execute(conn)?,
        None => diesel::update(target.filter(webhook_subscriptions::failing_since.is_not_null()))
            .set(webhook_subscriptions::failing_since.eq(None::<NaiveDateTime>))
            .execute(conn)?,
    };
    Ok(())
}

/// Gives up the pending deliveries of a subscription (disabled or deleted).
pub fn fail_pending(conn: &mut DbConn, subscription_id: i64) -> Result<usize, ApiError> {
    Ok(diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::subscription_id.eq(subscription_id))
            .filter(webhook_deliveries::state.eq(PENDING)),
    )
    .set(webhook_deliveries::state.eq(FAILED))
    .execute(conn)?)
}

/// Sends a delivery again as soon as a worker is free.
pub fn requeue(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<DeliveryRow, ApiError> {
    Ok(diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::state.eq(PENDING),
            webhook_deliveries::next_attempt_at.eq(now),
        ))
        .returning(webhook_deliveries::all_columns)
        .get_result(conn)?)
}

/// A subscription's deliveries, newest first, after the id `before` when given.
pub fn deliveries(
    conn: &mut DbConn,
    subscription_id: i64,
    state: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, ApiError> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(webhook_deliveries::state.eq(state.to_owned()));
    }
    if let Some(before) = before {
        query = query.filter(webhook_deliveries::id.lt(before));
    }
    Ok(query
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)?)
}

/// The attempts of these deliveries, oldest first.
pub fn attempts_of(conn: &mut DbConn, delivery_ids: &[i64]) -> Result<Vec<AttemptRow>, ApiError> {
    Ok(webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(delivery_ids))
        .order(webhook_attempts::id)
        .select(AttemptRow::as_select())
        .load(conn)?)
}

pub fn count_deliveries(
    conn: &mut DbConn,
    subscription_id: i64,
    state: Option<&str>,
) -> Result<i64, ApiError> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(webhook_deliveries::state.eq(state.to_owned()));
    }
    Ok(query.count().get_result(conn)?)
}

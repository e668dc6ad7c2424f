//! The audit log: one event per mutation, written by [`record`] inside the mutation's transaction,
//! so that a change and its event commit or roll back together.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db::schema::audit_events;
use crate::db::{DbBackend, DbConn};
use crate::domain::events::EventType;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_username: Option<String>,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
    pub province_code: Option<String>,
}

impl AuditEvent {
    /// The record before the change, as stored.
    pub fn before(&self) -> Option<serde_json::Value> {
        self.before_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
    }

    /// The record after the change, as stored.
    pub fn after(&self) -> Option<serde_json::Value> {
        self.after_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
    }
}

/// Who did it and in which request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn new(principal: &Principal, context: &RequestContext) -> Actor {
        Actor {
            user_id: Some(principal.user_id),
            username: principal.username.clone(),
            request_id: Some(context.request_id.clone()),
        }
    }

    /// Changes made from the command line on the server.
    pub fn command_line() -> Actor {
        Actor {
            user_id: None,
            username: "command-line".to_owned(),
            request_id: None,
        }
    }

    /// Changes the server makes on its own (the webhook worker disabling a failing subscription).
    pub fn worker(name: &str) -> Actor {
        Actor {
            user_id: None,
            username: name.to_owned(),
            request_id: None,
        }
    }

    /// The user acting on their own session (login, refresh), before any principal exists.
    pub fn user(user_id: i64, username: &str, context: &RequestContext) -> Actor {
        Actor {
            user_id: Some(user_id),
            username: username.to_owned(),
            request_id: Some(context.request_id.clone()),
        }
    }
}

/// What changed. Snapshots are the API views of the record (never secrets such as password hashes).
#[derive(Debug)]
pub struct Change<'a> {
    pub entity_type: &'a str,
    pub entity_id: String,
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub province_code: Option<&'a str>,
}

/// A snapshot of a record for [`Change::before`] / [`Change::after`].
pub fn snapshot(record: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(record).ok()
}

/// Writes the audit event of a change and, when the change means something to integrators, its
/// domain event for the feed and the webhooks ([`EventType::of`]), in the caller's transaction.
pub fn record(conn: &mut DbConn, actor: &Actor, change: Change<'_>) -> Result<(), ApiError> {
    let occurred_at = super::now();
    if let Some(event_type) = EventType::of(change.entity_type, change.action) {
        let payload = change
            .after
            .as_ref()
            .or(change.before.as_ref())
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        super::events::append(
            conn,
            event_type,
            occurred_at,
            change.entity_type,
            &change.entity_id,
            change.province_code,
            &payload,
        )?;
    }
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::occurred_at.eq(occurred_at),
            audit_events::actor_user_id.eq(actor.user_id),
            audit_events::actor_username.eq(&actor.username),
            audit_events::entity_type.eq(change.entity_type),
            audit_events::entity_id.eq(&change.entity_id),
            audit_events::action.eq(change.action),
            audit_events::before_json.eq(change.before.map(|v| v.to_string())),
            audit_events::after_json.eq(change.after.map(|v| v.to_string())),
            audit_events::request_id.eq(actor.request_id.as_deref()),
            audit_events::province_code.eq(change.province_code),
        ))
        .execute(conn)?;
    Ok(())
}

/// Filters of the audit log.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_user_id: Option<i64>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub province_code: Option<String>,
}

fn filtered(filter: &AuditFilter) -> audit_events::BoxedQuery<'static, DbBackend> {
    let mut query = audit_events::table.into_boxed();
    if let Some(v) = &filter.entity_type {
        query = query.filter(audit_events::entity_type.eq(v.clone()));
    }
    if let Some(v) = &filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(v.clone()));
    }
    if let Some(v) = filter.actor_user_id {
        query = query.filter(audit_events::actor_user_id.eq(v));
    }
    if let Some(v) = &filter.action {
        query = query.filter(audit_events::action.eq(v.clone()));
    }
    if let Some(v) = filter.from {
        query = query.filter(audit_events::occurred_at.ge(v));
    }
    if let Some(v) = filter.to {
        query = query.filter(audit_events::occurred_at.lt(v));
    }
    if let Some(v) = &filter.province_code {
        query = query.filter(audit_events::province_code.eq(v.clone()));
    }
    query
}

/// Newest first.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, ApiError> {
    let mut query = filtered(filter);
    if let Some(id) = before_id {
        query = query.filter(audit_events::id.lt(id));
    }
    Ok(query
        .order(audit_events::id.desc())
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut DbConn, filter: &AuditFilter) -> Result<i64, ApiError> {
    Ok(filtered(filter).count().get_result(conn)?)
}

/// The most recent event of `action` on one record.
pub fn latest(
    conn: &mut DbConn,
    entity_type: &str,
    entity_id: &str,
    action: &str,
) -> Result<Option<AuditEvent>, ApiError> {
    Ok(audit_events::table
        .filter(
            audit_events::entity_type
                .eq(entity_type)
                .and(audit_events::entity_id.eq(entity_id))
                .and(audit_events::action.eq(action)),
        )
        .order(audit_events::id.desc())
        .select(AuditEvent::as_select())
        .first(conn)
        .optional()?)
}

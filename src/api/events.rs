//! The event feed: every domain event a caller may read, in the order of its `position`. A reader
//! keeps the last position it handled and asks for what came after; positions are given only once
//! no earlier event can still appear (see [`crate::models::events`]), so following the feed never
//! skips an event.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use crate::auth::principal::Territory;
use crate::auth::{Owner, Principal, Role};
use crate::domain::events::EventType;
use crate::domain::labels::Labeled;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::models::events::{self as model, EventRow, FeedFilter};
use crate::openapi::{BadRequest, Forbidden, Unauthorized, Unavailable};
use crate::pagination::checked_limit;
use crate::state::AppState;

/// The roles that read the feed (integration clients act as provincial staff or national readers).
const READERS: &[Role] = &[Role::Admin, Role::Ministry, Role::Auditor, Role::Province];

const DEFAULT_FEED_LIMIT: u32 = 100;

/// One domain event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Its place in the feed: increasing, never reused; pass the last one handled as `after`.
    #[schema(example = 1042, minimum = 1)]
    pub position: i64,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    /// The kind of record it is about (`project`, `beneficiary`, `certificate`, ...).
    #[schema(example = "project")]
    pub entity_type: String,
    #[schema(example = "42")]
    pub entity_id: String,
    /// The province of the record (current code); `null` for national records.
    pub province_code: Option<String>,
    /// The record after the change, as the audit log keeps it (for a deletion: before it). An
    /// establishment's `personal_data` is included only for callers allowed to read it.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl EventView {
    pub fn render(row: EventRow, with_personal_data: bool) -> Result<EventView, ApiError> {
        let mut payload: serde_json::Value = serde_json::from_str(&row.payload)
            .map_err(|e| ApiError::internal(format!("event {} payload: {e}", row.id)))?;
        if with_personal_data
            && let Some(personal) = row.personal_data.as_deref()
            && let Some(object) = payload.as_object_mut()
        {
            let personal: serde_json::Value = serde_json::from_str(personal)
                .map_err(|e| ApiError::internal(format!("event {} personal data: {e}", row.id)))?;
            object.insert("personal_data".to_owned(), personal);
        }
        Ok(EventView {
            position: row
                .position
                .ok_or_else(|| ApiError::internal(format!("event {} has no position", row.id)))?,
            event_type: crate::models::decode("events.event_type", &row.event_type)?,
            occurred_at: row.occurred_at.and_utc(),
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            province_code: row.province_code,
            payload,
        })
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// Where to go on from: pass it as `after`. When the page is not full it is the feed's current
    /// end, so events of other types or provinces are not read again.
    #[schema(minimum = 0)]
    pub next_after: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The last position handled; 0 (the default) reads from the beginning.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Event types, comma-separated (`project.created,disbursement.recorded`); every type the
    /// caller may read when absent.
    #[param(value_type = Option<Vec<EventType>>, style = Form, explode = false, min_items = 1, max_items = 64)]
    pub types: Option<String>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The event types a caller reads: those asked for (all by default) that its scopes allow. A
/// client asking by name for a type it may not read is refused with the scope it lacks.
fn readable_types(principal: &Principal, asked: Option<&str>) -> Result<Vec<&'static str>, ApiError> {
    let allowed = |t: EventType| {
        principal
            .scopes
            .as_ref()
            .is_none_or(|scopes| scopes.contains(t.scope()))
    };
    match asked {
        None => Ok(EventType::ALL
            .iter()
            .copied()
            .filter(|t| allowed(*t))
            .map(EventType::as_str)
            .collect()),
        Some(list) => {
            let mut types = Vec::new();
            // The limit counts the items given, repeated ones included, as the schema does.
            for (given, code) in list.split(',').enumerate() {
                if given == 64 {
                    return Err(ApiError::invalid_query(vec![FieldError::new(
                        "query.types",
                        "too_many",
                        Text::new("Tối đa 64 loại sự kiện.", "At most 64 event types."),
                    )]));
                }
                let event_type: EventType = code.parse().map_err(|_| {
                    ApiError::bad_request(
                        "unknown_event_type",
                        Text::new(
                            format!(
                                "Không có loại sự kiện `{code}` (xem /api/v1/reference/enums, event_type)."
                            ),
                            format!(
                                "There is no event type `{code}` (see /api/v1/reference/enums, event_type)."
                            ),
                        ),
                    )
                })?;
                if !allowed(event_type) {
                    return Err(ApiError::insufficient_scope(event_type.scope()));
                }
                if !types.contains(&event_type.as_str()) {
                    types.push(event_type.as_str());
                }
            }
            Ok(types)
        }
    }
}

/// Read the domain events after a position, oldest first (admin, ministry, auditor, province;
/// clients with `events:read` and the read scope of each type).
#[utoipa::path(
    tag = "events",
    params(FeedQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EventPage, description = "The next events in feed order"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(READERS)?;
    let after = query.after.unwrap_or(0);
    let mut errors = Vec::new();
    if after < 0 {
        errors.push(FieldError::new(
            "query.after",
            "out_of_range",
            Text::new("after không được âm.", "after may not be negative."),
        ));
    }
    let limit = match checked_limit(query.limit, DEFAULT_FEED_LIMIT) {
        Ok(limit) => i64::from(limit),
        Err(error) => {
            errors.push(error);
            0
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid_query(errors));
    }
    let filter = FeedFilter {
        types: readable_types(&principal, query.types.as_deref())?,
        province_code: match principal.territory() {
            Territory::National => None,
            Territory::Province(code) => Some(code),
            Territory::Commune(_) | Territory::OwnOnly => return Err(ApiError::forbidden()),
        },
    };
    crate::webhooks::publish_pending(&state.db).await?;
    let (rows, head) = state
        .db
        .read(move |conn| {
            // The end first: an event numbered after it is left for the next page, not skipped.
            let head = model::head(conn)?;
            let rows = if filter.types.is_empty() {
                Vec::new()
            } else {
                model::page(conn, &filter, after, head, limit)?
            };
            Ok((rows, head))
        })
        .await?;
    let full = rows.len() as i64 == limit;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let personal = principal.may_read_personal_data()
            && principal.sees(Owner {
                province_code: row.province_code.as_deref(),
                commune_code: None,
            });
        items.push(EventView::render(row, personal)?);
    }
    let next_after = match items.last() {
        Some(last) if full => last.position,
        _ => head.max(after),
    };
    Ok(HttpResponse::Ok().json(EventPage { items, next_after }))
}

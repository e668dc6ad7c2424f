//! The audit log, for admins and auditors: newest first, filtered by entity, actor, action and time.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiQuery, timestamp_param};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::models::audit::{self, AuditEvent, AuditFilter};
use crate::openapi::{BadRequest, Forbidden, Unauthorized, Unavailable};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    /// The acting user; `null` for changes made on the server's command line.
    pub actor_user_id: Option<i64>,
    pub actor_username: Option<String>,
    /// What kind of record changed (`user`, `session`, ...).
    pub entity_type: String,
    pub entity_id: String,
    /// What happened (`create`, `update`, `login`, ...).
    pub action: String,
    /// The record before the change.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: Option<String>,
    /// The province the record belongs to, when it has one.
    pub province_code: Option<String>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(event: AuditEvent) -> AuditEventView {
        AuditEventView {
            before: event.before(),
            after: event.after(),
            id: event.id,
            occurred_at: event.occurred_at.and_utc(),
            actor_user_id: event.actor_user_id,
            actor_username: event.actor_username,
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            action: event.action,
            request_id: event.request_id,
            province_code: event.province_code,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    #[param(pattern = r"^[a-z_]{1,64}$")]
    pub entity_type: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_./:-]{1,128}$")]
    pub entity_id: Option<String>,
    /// Id of the acting user.
    pub actor_id: Option<i64>,
    #[param(pattern = r"^[a-z_]{1,64}$")]
    pub action: Option<String>,
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[serde(default, deserialize_with = "timestamp_param")]
    pub from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    #[serde(default, deserialize_with = "timestamp_param")]
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// The columns of the list as CSV, in order.
const AUDIT_EVENT_CSV: [&str; 11] = [
    "id",
    "occurred_at",
    "actor_user_id",
    "actor_username",
    "entity_type",
    "entity_id",
    "action",
    "before",
    "after",
    "request_id",
    "province_code",
];

/// List audit events, newest first (admin, auditor).
#[utoipa::path(
    tag = "audit",
    params(AuditListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of events, newest first; with `Accept: text/csv`, every one", content(
            (Page<AuditEventView> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditListQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin, Role::Auditor])?;
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = AuditFilter {
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        actor_user_id: query.actor_id,
        action: query.action,
        from: query.from.map(|t| t.naive_utc()),
        to: query.to.map(|t| t.naive_utc()),
        province_code: query.province_code,
    };
    let csv = CsvList::new(&AUDIT_EVENT_CSV, "nhat-ky.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = audit::list(conn, &filter, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| audit::count(conn, &filter))
            .transpose()?;
        let views: Vec<AuditEventView> = rows.into_iter().map(Into::into).collect();
        Ok(Page::from_rows(views, page, |e| e.id, total))
    })
    .await
}

//! Webhook subscriptions: an integration client (scope `webhooks:manage`), an admin or the
//! ministry asks for events of some types to be posted to a URL, signed as Standard Webhooks says.
//! A subscription receives only what its owner may read: the types its scopes allow, the events of
//! its province (and national ones) when it is restricted to one. Owners see and change their own
//! subscriptions; admins see all. Deliveries and their attempts are kept and shown.

use std::collections::HashMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::checks::clean;
use super::extract::{ApiJson, ApiQuery, IfMatch, etag, present};
use crate::auth::principal::Territory;
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::events::EventType;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::labeled_enum;
use crate::models::audit::{self, Actor, Change};
use crate::models::webhooks::{
    self as model, AttemptRow, DeliveryRow, NewSubscription, SubscriptionChanges, SubscriptionRow,
};
use crate::models::{events, now};
use crate::openapi::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired, Unauthorized,
    Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

pub const ENTITY: &str = "webhook_subscription";

/// People who may subscribe (clients need `webhooks:manage`, which the guard checks).
const PEOPLE: &[Role] = &[Role::Admin, Role::Ministry];

const MAX_URL_CHARS: usize = 2000;

labeled_enum! {
    /// Where a delivery stands.
    pub enum DeliveryState as "webhook_delivery_state" {
        Pending = "pending": "Đang chờ gửi" / "Waiting to be sent",
        Delivered = "delivered": "Đã gửi thành công" / "Delivered",
        Failed = "failed": "Đã dừng gửi" / "Given up",
    }
}

/// A webhook subscription; its secret is shown only when it is made.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    /// Where events are posted.
    #[schema(example = "https://congdichvu.laocai.gov.vn/khuyencong/webhook")]
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<EventType>,
    /// The province whose events it receives (with the national ones); `null`: every province.
    pub province_code: Option<String>,
    /// `false` when disabled by its owner or, after failing for the whole retry window, by the
    /// registry (`disabled_reason` = `failing`).
    pub active: bool,
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed; `null` while deliveries succeed.
    pub failing_since: Option<DateTime<Utc>>,
    /// The account that made it.
    pub owner_user_id: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookView {
    fn of(row: &SubscriptionRow) -> Result<WebhookView, ApiError> {
        Ok(WebhookView {
            id: row.id,
            url: row.url.clone(),
            description: row.description.clone(),
            event_types: row
                .types()
                .map(|t| crate::models::decode("webhook_subscriptions.event_types", t))
                .collect::<Result<_, _>>()?,
            province_code: row.province_code.clone(),
            active: row.active,
            disabled_reason: row.disabled_reason.clone(),
            failing_since: row.failing_since.map(|t| t.and_utc()),
            owner_user_id: row.owner_user_id,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// A new subscription with its signing secret: shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The Standard Webhooks secret (`whsec_` and base64) that signs every delivery; keep it.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=")]
    pub secret: String,
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// `https://` (plain `http://` only to a loopback address, where the server allows it for
    /// development).
    #[schema(
        example = "https://congdichvu.laocai.gov.vn/khuyencong/webhook",
        min_length = 1,
        max_length = 2000
    )]
    pub url: String,
    /// The event types to receive; each needs the read scope of its records.
    #[schema(min_items = 1, max_items = 64)]
    pub event_types: Vec<EventType>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

/// Changes to a subscription; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    #[schema(min_length = 1, max_length = 2000)]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 64)]
    pub event_types: Option<Vec<EventType>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub description: Option<Option<String>>,
    /// `false` pauses deliveries; `true` resumes a subscription the registry disabled.
    pub active: Option<bool>,
}

/// One try of a delivery and what the receiver answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// The receiver's HTTP status; `null` when it could not be reached.
    pub status: Option<i32>,
    /// The start of the receiver's answer (1,000 characters at most).
    pub response_body: Option<String>,
    /// Why it could not be reached (connection refused, timeout, TLS, ...).
    pub error: Option<String>,
}

impl From<AttemptRow> for AttemptView {
    fn from(row: AttemptRow) -> AttemptView {
        AttemptView {
            attempted_at: row.attempted_at.and_utc(),
            duration_ms: row.duration_ms,
            status: row.status,
            response_body: row.response_body,
            error: row.error,
        }
    }
}

/// One event to send to one subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The event's feed position; the `webhook-id` header is `evt_` and this number.
    pub event_position: i64,
    pub event_type: EventType,
    pub state: DeliveryState,
    pub attempts: i32,
    /// When it will be tried next (`pending` only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Every attempt, oldest first.
    pub answers: Vec<AttemptView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    pub state: Option<DeliveryState>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// 403 unless the caller may manage subscriptions: a client (its scope was checked) or an admin or
/// ministry user.
fn ensure_manager(principal: &Principal) -> Result<(), ApiError> {
    if principal.scopes.is_some() {
        Ok(())
    } else {
        principal.require(PEOPLE)
    }
}

/// A subscription the caller may see: its own, or any for an admin; 404 otherwise.
fn visible(conn: &mut DbConn, principal: &Principal, id: i64) -> Result<SubscriptionRow, ApiError> {
    model::find(conn, id)?
        .filter(|row| {
            row.owner_user_id == principal.user_id
                || principal.role == Role::Admin && principal.scopes.is_none()
        })
        .ok_or_else(ApiError::not_found)
}

fn field_error(field: &'static str, code: &'static str, vi: String, en: String) -> ApiError {
    ApiError::validation(vec![FieldError::new(field, code, Text::new(vi, en))])
}

/// The URL as stored: `https://` with a host and without credentials or fragment; `http://` only
/// to a loopback address when the server allows it.
fn check_url(raw: &str, allow_loopback: bool) -> Result<String, ApiError> {
    let invalid = |code, vi: &str, en: &str| field_error("url", code, vi.to_owned(), en.to_owned());
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().count() > MAX_URL_CHARS {
        return Err(invalid(
            "invalid_length",
            "URL phải từ 1 đến 2000 ký tự.",
            "The URL must be 1 to 2000 characters.",
        ));
    }
    let url = url::Url::parse(raw)
        .map_err(|_| invalid("invalid_url", "URL không hợp lệ.", "The URL is not valid."))?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "invalid_url",
            "URL không được chứa thông tin đăng nhập hoặc phân đoạn (#).",
            "The URL may not carry credentials or a fragment (#).",
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => {
            return Err(invalid(
                "invalid_url",
                "URL thiếu tên máy chủ.",
                "The URL has no host.",
            ));
        }
    };
    let private_address = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_private() || ip.is_link_local() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00,
        _ => false,
    };
    match url.scheme() {
        _ if loopback && !allow_loopback => Err(invalid(
            "url_not_allowed",
            "Không gửi webhook tới địa chỉ nội bộ của máy chủ.",
            "Webhooks are not sent to the server's own loopback address.",
        )),
        _ if private_address => Err(invalid(
            "url_not_allowed",
            "Không gửi webhook tới địa chỉ mạng nội bộ.",
            "Webhooks are not sent to private network addresses.",
        )),
        "https" => Ok(url.to_string()),
        "http" if loopback => Ok(url.to_string()),
        _ => Err(invalid(
            "url_not_https",
            "URL phải dùng https://.",
            "The URL must use https://.",
        )),
    }
}

/// The types, each allowed by the caller's scopes, without repeats, as stored.
fn check_types(principal: &Principal, types: &[EventType]) -> Result<String, ApiError> {
    if types.is_empty() {
        return Err(field_error(
            "event_types",
            "required",
            "Cần ít nhất một loại sự kiện.".into(),
            "At least one event type is required.".into(),
        ));
    }
    let mut kept: Vec<&str> = Vec::new();
    for t in types {
        if let Some(scopes) = &principal.scopes
            && !scopes.contains(t.scope())
        {
            return Err(ApiError::insufficient_scope(t.scope()));
        }
        if !kept.contains(&t.as_str()) {
            kept.push(t.as_str());
        }
    }
    Ok(kept.join(" "))
}

fn check_description(description: Option<String>) -> Result<Option<String>, ApiError> {
    let description = clean(description);
    if description.as_ref().is_some_and(|d| d.chars().count() > 200) {
        return Err(field_error(
            "description",
            "too_long",
            "Mô tả tối đa 200 ký tự.".into(),
            "The description is at most 200 characters.".into(),
        ));
    }
    Ok(description)
}

fn snapshot(view: &WebhookView) -> Option<serde_json::Value> {
    audit::snapshot(view)
}

/// Subscribe a URL to events (clients with `webhooks:manage`, admin, ministry); the signing secret
/// is in the answer, and only there.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhookRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = WebhookWithSecret, description = "The subscription, with its secret", headers(("ETag" = String), ("Location" = String), ("Cache-Control" = String, description = "`no-store`: the answer holds a secret"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    ensure_manager(&principal)?;
    let province_code = match principal.territory() {
        Territory::National => None,
        Territory::Province(code) => Some(code),
        Territory::Commune(_) | Territory::OwnOnly => return Err(ApiError::forbidden()),
    };
    let url = check_url(&body.url, state.config.webhook_allow_loopback)?;
    let event_types = check_types(&principal, &body.event_types)?;
    let description = check_description(body.description)?;
    let secret = crate::webhooks::signature::new_secret();
    let actor = Actor::new(&principal, &context);
    let owner = principal.user_id;
    let stored_secret = secret.clone();
    let view = state
        .db
        .write(move |conn| {
            let timestamp = now();
            let row = model::insert(
                conn,
                &NewSubscription {
                    owner_user_id: owner,
                    url,
                    description,
                    event_types,
                    secret: stored_secret,
                    province_code,
                    active: true,
                    version: 1,
                    created_at: timestamp,
                    updated_at: timestamp,
                },
            )?;
            let view = WebhookView::of(&row)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: view.id.to_string(),
                    action: "create",
                    before: None,
                    after: snapshot(&view),
                    province_code: view.province_code.as_deref(),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/webhooks/{}", view.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(WebhookWithSecret {
            webhook: view,
            secret,
        }))
}

/// List the caller's subscriptions (an admin: every one), oldest first.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<WebhookView>, description = "The subscriptions"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    ensure_manager(&principal)?;
    let owner = (principal.role != Role::Admin || principal.scopes.is_some()).then_some(principal.user_id);
    let rows = state.db.read(move |conn| model::list(conn, owner)).await?;
    let views = rows.iter().map(WebhookView::of).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}

/// Get one subscription.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookView, description = "The subscription", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    ensure_manager(&principal)?;
    let id = id.into_inner();
    let row = state.db.read(move |conn| visible(conn, &principal, id)).await?;
    let view = WebhookView::of(&row)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change a subscription: URL, event types, description, paused or resumed.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = i64, Path, description = "Subscription id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateWebhookRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookView, description = "The subscription as changed", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
        (status = 503, response = Unavailable),
    ),
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    ensure_manager(&principal)?;
    let if_match = if_match?;
    let id = id.into_inner();
    let url = body
        .url
        .as_deref()
        .map(|u| check_url(u, state.config.webhook_allow_loopback))
        .transpose()?;
    let event_types = body
        .event_types
        .as_deref()
        .map(|t| check_types(&principal, t))
        .transpose()?;
    let description = body.description.map(check_description).transpose()?;
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = visible(conn, &principal, id)?;
            if_match.check(current.version)?;
            let resumed = body.active == Some(true) && !current.active;
            let changes = SubscriptionChanges {
                url,
                description,
                event_types,
                active: body.active,
                // Resuming starts the failure count afresh.
                disabled_reason: resumed.then_some(None),
                failing_since: resumed.then_some(None),
                deleted_at: None,
            };
            let updated = model::update(conn, id, current.version, &changes, now())?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            if body.active == Some(false) {
                model::fail_pending(conn, id)?;
            }
            let view = WebhookView::of(&updated)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "update",
                    before: snapshot(&WebhookView::of(&current)?),
                    after: snapshot(&view),
                    province_code: view.province_code.as_deref(),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Delete a subscription: nothing more is sent; its deliveries stay in the record.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    ),
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    ensure_manager(&principal)?;
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    state
        .db
        .write(move |conn| {
            let current = visible(conn, &principal, id)?;
            let timestamp = now();
            let changes = SubscriptionChanges {
                active: Some(false),
                deleted_at: Some(Some(timestamp)),
                ..SubscriptionChanges::default()
            };
            model::update(conn, id, current.version, &changes, timestamp)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            model::fail_pending(conn, id)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "delete",
                    before: snapshot(&WebhookView::of(&current)?),
                    after: None,
                    province_code: current.province_code.as_deref(),
                },
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The views of deliveries, with their events' positions and types and every attempt, read in two
/// statements whatever the number of deliveries.
fn render_deliveries(conn: &mut DbConn, rows: Vec<DeliveryRow>) -> Result<Vec<DeliveryView>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let event_ids: Vec<i64> = rows.iter().map(|d| d.event_id).collect();
    let mut answers: HashMap<i64, Vec<AttemptView>> = HashMap::new();
    for attempt in model::attempts_of(conn, &ids)? {
        answers
            .entry(attempt.delivery_id)
            .or_default()
            .push(attempt.into());
    }
    let events: HashMap<i64, (Option<i64>, String)> = events::kinds(conn, &event_ids)?
        .into_iter()
        .map(|(id, position, event_type)| (id, (position, event_type)))
        .collect();
    rows.into_iter()
        .map(|row| {
            let (position, event_type) = events
                .get(&row.event_id)
                .ok_or_else(|| ApiError::internal("delivery without event"))?;
            let state: DeliveryState = crate::models::decode("webhook_deliveries.state", &row.state)?;
            Ok(DeliveryView {
                id: row.id,
                event_position: position.unwrap_or_default(),
                event_type: crate::models::decode("events.event_type", event_type)?,
                next_attempt_at: (state == DeliveryState::Pending).then(|| row.next_attempt_at.and_utc()),
                state,
                attempts: row.attempts,
                last_status: row.last_status,
                delivered_at: row.delivered_at.map(|t| t.and_utc()),
                created_at: row.created_at.and_utc(),
                answers: answers.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// List a subscription's deliveries, newest first, with every attempt and answer.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "Subscription id"), DeliveryListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<DeliveryView>, description = "One page of deliveries, newest first"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ApiQuery(query): ApiQuery<DeliveryListQuery>,
) -> Result<HttpResponse, ApiError> {
    ensure_manager(&principal)?;
    let id = id.into_inner();
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let wanted = query.state.map(DeliveryState::as_str);
    let answer = state
        .db
        .read(move |conn| {
            visible(conn, &principal, id)?;
            let rows = model::deliveries(conn, id, wanted, page.after, page.fetch_limit())?;
            let total = page
                .include_total
                .then(|| model::count_deliveries(conn, id, wanted))
                .transpose()?;
            let views = render_deliveries(conn, rows)?;
            Ok(Page::from_rows(views, &page, |d| d.id, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Send a delivery again, as soon as a worker is free (whatever its state).
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = i64, Path, description = "Subscription id"),
        ("delivery_id" = i64, Path, description = "Delivery id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 202, body = DeliveryView, description = "The delivery, waiting to be sent"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/retry")]
pub async fn retry_delivery(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    ensure_manager(&principal)?;
    let (id, delivery_id) = path.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let subscription = visible(conn, &principal, id)?;
            let delivery = model::find_delivery(conn, id, delivery_id)?.ok_or_else(ApiError::not_found)?;
            if !subscription.active {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "webhook_inactive",
                    Text::new(
                        "Webhook đang tạm dừng; hãy bật lại (active = true) trước khi gửi lại.",
                        "The webhook is paused; resume it (active = true) before sending again.",
                    ),
                ));
            }
            let requeued = model::requeue(conn, delivery.id, now())?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "delivery_retry",
                    before: None,
                    after: Some(
                        serde_json::json!({"delivery_id": delivery.id, "state_before": delivery.state}),
                    ),
                    province_code: subscription.province_code.as_deref(),
                },
            )?;
            Ok(render_deliveries(conn, vec![requeued])?.remove(0))
        })
        .await?;
    Ok(HttpResponse::Accepted().json(view))
}

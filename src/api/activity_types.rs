//! Activity types of projects: a reference table seeded with the content groups of NĐ 45/2012 as
//! amended by NĐ 235/2025, extended by `admin` when the law adds one. Codes are never removed (old
//! projects keep theirs); a type that is no longer used is deactivated.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checks::{self, error};
use crate::api::csv_export::{CsvFile, CsvList, whole_list_answer};
use crate::api::extract::{ApiJson, IfMatch, etag};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::domain::text::clean_line;
use crate::error::ApiError;
use crate::models::audit::{self, Actor, Change};
use crate::models::now;
use crate::models::organizations::{self as model, ActivityTypeRow};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;

const ENTITY: &str = "activity_type";
pub const CODE_PATTERN: &str = r"^[a-z][a-z0-9_]{2,63}$";

/// An activity type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityType {
    /// Stable code, e.g. `machinery_application`.
    #[schema(pattern = r"^[a-z][a-z0-9_]{2,63}$")]
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// Inactive types stay on old projects but are not offered for new ones.
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&ActivityTypeRow> for ActivityType {
    fn from(row: &ActivityTypeRow) -> ActivityType {
        ActivityType {
            code: row.code.clone(),
            name_vi: row.name_vi.clone(),
            name_en: row.name_en.clone(),
            active: row.active,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// A new activity type.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActivityTypeRequest {
    #[schema(example = "circular_economy", pattern = r"^ *[a-z][a-z0-9_]{2,63} *$")]
    pub code: String,
    #[schema(example = "Kinh tế tuần hoàn", max_length = 200)]
    pub name_vi: String,
    #[schema(example = "Circular economy", max_length = 200)]
    pub name_en: String,
}

/// Changes to an activity type's labels or whether it is offered.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateActivityTypeRequest {
    #[schema(max_length = 200)]
    pub name_vi: Option<String>,
    #[schema(max_length = 200)]
    pub name_en: Option<String>,
    pub active: Option<bool>,
}

fn check(row: &mut ActivityTypeRow) -> Result<(), ApiError> {
    row.name_vi = clean_line(&row.name_vi);
    row.name_en = clean_line(&row.name_en);
    let mut errors = Vec::new();
    let valid_code = regex_lite::Regex::new(CODE_PATTERN).is_ok_and(|re| re.is_match(&row.code));
    if !valid_code {
        errors.push(error(
            "code",
            "invalid_code",
            "Mã gồm chữ thường không dấu, chữ số và dấu gạch dưới (3–64 ký tự), bắt đầu bằng chữ.",
            "A code has 3–64 lowercase ASCII letters, digits and underscores, starting with a letter.",
        ));
    }
    checks::length(&mut errors, "name_vi", &row.name_vi, 2, 200);
    checks::length(&mut errors, "name_en", &row.name_en, 2, 200);
    checks::ensure(errors)
}

/// The columns of the list as CSV, in order.
const ACTIVITY_TYPE_CSV: [&str; 7] = [
    "code",
    "name_vi",
    "name_en",
    "active",
    "version",
    "created_at",
    "updated_at",
];

/// List activity types, inactive ones included (the active ones are also in `/reference/enums`).
#[utoipa::path(
    tag = "reference",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every activity type; with `Accept: text/csv`, as CSV", content(
            (Vec<ActivityType> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/activity-types")]
pub async fn list_activity_types(
    state: web::Data<AppState>,
    req: HttpRequest,
    _principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let rows = state.db.read(model::activity_types).await?;
    let types = rows.iter().map(ActivityType::from).collect::<Vec<_>>();
    whole_list_answer(
        &req,
        CsvList::new(&ACTIVITY_TYPE_CSV, "loai-hoat-dong.csv"),
        types,
    )
}

/// Add an activity type (admin).
#[utoipa::path(
    tag = "reference",
    request_body = CreateActivityTypeRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ActivityType, description = "The type was added", headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/activity-types")]
pub async fn create_activity_type(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateActivityTypeRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let actor = Actor::new(&principal, &context);
    let at = now();
    let mut row = ActivityTypeRow {
        code: body.code.trim().to_owned(),
        name_vi: body.name_vi,
        name_en: body.name_en,
        active: true,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    check(&mut row)?;
    let view = state
        .db
        .write(move |conn| {
            if model::find_activity_type(conn, &row.code)?.is_some() {
                return Err(ApiError::conflict(
                    "duplicate_code",
                    crate::i18n::Text::new(
                        format!("Đã có loại hoạt động mã {}.", row.code),
                        format!("An activity type with code {} exists.", row.code),
                    ),
                ));
            }
            let row = model::insert_activity_type(conn, &row)?;
            let view = ActivityType::from(&row);
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: row.code.clone(),
                    action: "create",
                    before: None,
                    after: audit::snapshot(&view),
                    province_code: None,
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/activity-types/{}", view.code)))
        .json(view))
}

/// Rename, deactivate or reactivate an activity type (admin).
#[utoipa::path(
    tag = "reference",
    params(
        ("code" = String, Path, description = "Activity type code", pattern = r"^[a-z][a-z0-9_]{2,63}$"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateActivityTypeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ActivityType, description = "The type as changed", headers(("ETag" = String))),
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
#[patch("/activity-types/{code}")]
pub async fn update_activity_type(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    code: web::Path<String>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateActivityTypeRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin])?;
    let code = code.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = model::find_activity_type(conn, &code)?.ok_or_else(ApiError::not_found)?;
            if_match?.check(current.version)?;
            let mut next = current.clone();
            if let Some(v) = body.name_vi {
                next.name_vi = v;
            }
            if let Some(v) = body.name_en {
                next.name_en = v;
            }
            if let Some(v) = body.active {
                next.active = v;
            }
            next.updated_at = now();
            check(&mut next)?;
            let updated = model::update_activity_type(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            let view = ActivityType::from(&updated);
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: updated.code.clone(),
                    action: "update",
                    before: audit::snapshot(&ActivityType::from(&current)),
                    after: audit::snapshot(&view),
                    province_code: None,
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

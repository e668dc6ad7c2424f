//! Outcome indicators of a project (IATI-style): code, unit, baseline, target, actual. Standard
//! codes carry their unit; other codes name theirs. The whole set is replaced at once, with the
//! project's `If-Match`, until the project is settled or cancelled.

use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ENTITY, find_visible, lock_writable, status_of, wrong_status};
use crate::api::checks::{self, error};
use crate::api::extract::{ApiJson, IfMatch, etag};
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::domain::labels::Labeled;
use crate::domain::projects::{IndicatorCode, MAX_AMOUNT_VND};
use crate::error::ApiError;
use crate::models::audit::{self, Actor, Change};
use crate::models::now;
use crate::models::projects::{self as model, IndicatorRow};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;

const MAX_INDICATORS: usize = 100;

/// One indicator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// A standard code (`indicator_code` in the reference enumerations) or another lowercase code.
    #[schema(example = "workers_trained", pattern = r"^ *[a-z][a-z0-9_]{2,63} *$")]
    pub code: String,
    /// Required for other codes; standard codes use their own (`person`, `machine`, `vnd` ...).
    #[schema(example = "person", max_length = 30)]
    pub unit: Option<String>,
    #[schema(minimum = 0, maximum = 1e15)]
    pub baseline: Option<i64>,
    #[schema(minimum = 0, maximum = 1e15)]
    pub target: Option<i64>,
    #[schema(minimum = 0, maximum = 1e15)]
    pub actual: Option<i64>,
}

/// A project's indicators.
#[derive(Debug, Serialize, ToSchema)]
pub struct Indicators {
    pub project_id: i64,
    pub items: Vec<Indicator>,
}

/// Replaces every indicator of a project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutIndicatorsRequest {
    #[schema(max_items = 100)]
    pub items: Vec<Indicator>,
}

fn render(project_id: i64, rows: &[IndicatorRow]) -> Indicators {
    Indicators {
        project_id,
        items: rows
            .iter()
            .map(|r| Indicator {
                code: r.code.clone(),
                unit: Some(r.unit.clone()),
                baseline: r.baseline,
                target: r.target,
                actual: r.actual,
            })
            .collect(),
    }
}

/// A project's indicators.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Indicators, description = "The indicators", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/projects/{id}/indicators")]
pub async fn get_indicators(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (version, view) = state
        .db
        .read(move |conn| {
            let row = find_visible(conn, &principal, id)?;
            Ok((row.version, render(id, &model::indicators(conn, id)?)))
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(version)).json(view))
}

/// Replace a project's indicators (until it is settled or cancelled).
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "The project's ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = PutIndicatorsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Indicators, description = "The indicators as stored; the ETag is the project's new version", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
        (status = 503, response = Unavailable),
    ),
)]
#[put("/projects/{id}/indicators")]
pub async fn put_indicators(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<PutIndicatorsRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let (version, view) = state
        .db
        .write(move |conn| {
            let current = lock_writable(conn, &principal, id)?;
            if_match?.check(current.version)?;
            let status = status_of(&current)?;
            if status.is_final() {
                return Err(wrong_status(
                    status,
                    "project_closed",
                    "Đề án đã quyết toán hoặc đã hủy chỉ để đọc",
                    "A settled or cancelled project is read-only",
                ));
            }
            let code_pattern = regex_lite::Regex::new(crate::api::activity_types::CODE_PATTERN)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let mut errors = Vec::new();
            if body.items.len() > MAX_INDICATORS {
                errors.push(error(
                    "items",
                    "too_many",
                    format!("Tối đa {MAX_INDICATORS} chỉ tiêu."),
                    format!("At most {MAX_INDICATORS} indicators."),
                ));
            }
            let mut rows: Vec<IndicatorRow> = Vec::new();
            for (i, item) in body.items.into_iter().enumerate() {
                let field = |name: &str| format!("items[{i}].{name}");
                let code = item.code.trim().to_owned();
                let unit = item.unit.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
                let unit = match IndicatorCode::from_code(&code) {
                    Some(standard) => {
                        if unit.as_deref().is_some_and(|u| u != standard.unit()) {
                            errors.push(error(
                                &field("unit"),
                                "unit_mismatch",
                                format!("Chỉ tiêu {code} tính bằng {}.", standard.unit()),
                                format!("Indicator {code} is counted in {}.", standard.unit()),
                            ));
                        }
                        standard.unit().to_owned()
                    }
                    None => {
                        if !code_pattern.is_match(&code) {
                            errors.push(error(
                                &field("code"),
                                "invalid_code",
                                "Mã chỉ tiêu gồm chữ thường không dấu, chữ số và dấu gạch dưới.",
                                "An indicator code has lowercase ASCII letters, digits and underscores.",
                            ));
                        }
                        match unit {
                            Some(u) => u,
                            None => {
                                errors.push(error(
                                    &field("unit"),
                                    "required",
                                    "Chỉ tiêu khác cần đơn vị tính.",
                                    "A non-standard indicator names its unit.",
                                ));
                                String::new()
                            }
                        }
                    }
                };
                checks::max_length(
                    &mut errors,
                    &field("unit"),
                    Some(&unit).filter(|u| !u.is_empty()).map(|u| u.as_str()),
                    30,
                );
                for (name, value) in [
                    ("baseline", item.baseline),
                    ("target", item.target),
                    ("actual", item.actual),
                ] {
                    if value.is_some_and(|v| !(0..=MAX_AMOUNT_VND).contains(&v)) {
                        errors.push(error(
                            &field(name),
                            "out_of_range",
                            format!("Giá trị từ 0 đến {MAX_AMOUNT_VND}."),
                            format!("The value is from 0 to {MAX_AMOUNT_VND}."),
                        ));
                    }
                }
                if rows.iter().any(|r| r.code == code) {
                    errors.push(error(
                        &field("code"),
                        "duplicate_indicator",
                        "Mỗi chỉ tiêu ghi một lần.",
                        "Each indicator is listed once.",
                    ));
                }
                rows.push(IndicatorRow {
                    id: 0,
                    project_id: id,
                    code,
                    unit,
                    baseline: item.baseline,
                    target: item.target,
                    actual: item.actual,
                });
            }
            checks::ensure(errors)?;
            let before = model::indicators(conn, id)?;
            let mut next = current.clone();
            next.version = current.version + 1;
            next.updated_at = now();
            let updated = model::update(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            model::replace_indicators(conn, id, &rows)?;
            let after = model::indicators(conn, id)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "indicators_replaced",
                    before: audit::snapshot(&render(id, &before)),
                    after: audit::snapshot(&render(id, &after)),
                    province_code: Some(&updated.province_code),
                },
            )?;
            Ok((updated.version, render(id, &after)))
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(version)).json(view))
}

//! The lifecycle of a project: `POST /projects/{id}/transitions` takes one step of DOMAIN's state
//! machine, with the decision that makes it, and `GET /projects/{id}/history` shows every step.
//! The support cap is checked at submission and approval; a ministry user may override a breach
//! with a reason, which is recorded and holds for the budget it was given for.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ENTITY, Project, audit_snapshot, find_visible, funding_of, lock_writable, render_one, status_of,
};
use crate::api::checks::{self, clean, error};
use crate::api::extract::{ApiJson, IfMatch, etag};
use crate::api::support_caps::as_cap;
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::projects::{CapClaim, FundingSource, ProjectStatus, TransitionAction, may_take};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::projects::{self as model, HistoryRow, ProjectRow};
use crate::models::{decode, now, programmes};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;

/// One step of a project's life.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: TransitionAction,
    /// Number of the decision behind the step; required for `approve`, `accept`, `settle` and
    /// `cancel`.
    #[schema(example = "125/QĐ-BCT", max_length = 100)]
    pub decision_number: Option<String>,
    /// Date of that decision; required with the number.
    pub decision_date: Option<NaiveDate>,
    /// Why; required for `return` and `suspend`.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// `ministry` only, on `submit` or `approve`: accept a state support above the applicable cap,
    /// for this reason (recorded in the history).
    #[schema(max_length = 2000)]
    pub override_reason: Option<String>,
}

/// Who took a step.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryActor {
    pub user_id: Option<i64>,
    pub username: String,
}

/// A step in a project's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    /// `created`, `transition`, `budget_set`, `adjustment` or `beneficiaries_named`.
    pub kind: String,
    pub action: Option<TransitionAction>,
    pub from_status: Option<ProjectStatus>,
    pub to_status: Option<ProjectStatus>,
    pub decision_number: Option<String>,
    pub decision_date: Option<NaiveDate>,
    pub note: Option<String>,
    /// A ministry override of the support cap, with its reason.
    pub override_reason: Option<String>,
    /// For budget steps: the budget version they created (see `GET .../budget`).
    pub budget_version: Option<i64>,
    pub actor: HistoryActor,
    pub occurred_at: DateTime<Utc>,
}

/// A project's history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub project_id: i64,
    pub items: Vec<HistoryEntry>,
}

fn render_entry(row: &HistoryRow) -> Result<HistoryEntry, ApiError> {
    let status = |s: &Option<String>| -> Result<Option<ProjectStatus>, ApiError> {
        s.as_deref()
            .map(|s| decode("project_history.status", s))
            .transpose()
    };
    Ok(HistoryEntry {
        id: row.id,
        kind: row.kind.clone(),
        action: row
            .action
            .as_deref()
            .map(|a| decode("project_history.action", a))
            .transpose()?,
        from_status: status(&row.from_status)?,
        to_status: status(&row.to_status)?,
        decision_number: row.decision_number.clone(),
        decision_date: row.decision_date,
        note: row.note.clone(),
        override_reason: row.override_reason.clone(),
        budget_version: row.budget_version,
        actor: HistoryActor {
            user_id: row.actor_user_id,
            username: row.actor_username.clone(),
        },
        occurred_at: row.occurred_at.and_utc(),
    })
}

/// What a cap check found.
pub enum CapOutcome {
    /// Within the cap, or no cap applies.
    Within,
    /// Over the cap, but a ministry override holds (given now or earlier for this budget).
    Overridden(String),
}

/// Checks the project's state support against the cap in force on `on`. A breach is a 422 naming
/// the cap and the amounts unless `override_reason` (ministry only) is given, or an override was
/// recorded for the same budget version.
pub fn check_cap(
    conn: &mut DbConn,
    row: &ProjectRow,
    on: NaiveDate,
    override_reason: Option<&str>,
) -> Result<CapOutcome, ApiError> {
    let beneficiaries = model::count_beneficiaries(conn, row.id)?;
    check_cap_naming(conn, row, beneficiaries, on, override_reason)
}

/// [`check_cap`] for a project that names `beneficiaries` establishments, whether or not they
/// are stored yet (an import checks its rows before it writes them).
pub fn check_cap_naming(
    conn: &mut DbConn,
    row: &ProjectRow,
    beneficiaries: i64,
    on: NaiveDate,
    override_reason: Option<&str>,
) -> Result<CapOutcome, ApiError> {
    let funding = funding_of(row)?;
    let province = (funding == FundingSource::Local).then_some(row.province_code.as_str());
    let Some(cap_row) =
        programmes::cap_in_force(conn, &row.funding_source, &row.activity_type, province, on)?
    else {
        return Ok(CapOutcome::Within);
    };
    let claim = CapClaim {
        budget: row.budget(),
        beneficiaries,
        complete_production_line: row.complete_production_line,
        priority_area: row.priority_area,
    };
    let Some(breach) = as_cap(&cap_row)?.check(&claim) else {
        return Ok(CapOutcome::Within);
    };
    if let Some(reason) = override_reason {
        return Ok(CapOutcome::Overridden(reason.to_owned()));
    }
    if let (Some(reason), Some(version)) = (&row.cap_override_reason, row.cap_override_budget_version)
        && version == row.budget_version
    {
        return Ok(CapOutcome::Overridden(reason.clone()));
    }
    let what = match breach.limit {
        "share" => (
            "tỷ lệ tối đa trên tổng chi phí",
            "the highest share of the total cost",
        ),
        _ => ("mức tối đa", "the ceiling"),
    };
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "support_cap_exceeded",
        Text::new(
            format!(
                "Kinh phí nhà nước hỗ trợ {} đồng vượt {} theo {} (cho phép {} đồng trên tổng chi phí {} đồng).",
                breach.state_support_vnd, what.0, breach.legal_basis, breach.allowed_vnd, breach.total_cost_vnd
            ),
            format!(
                "State support of {} đồng exceeds {} under {} (allowed: {} đồng of a total cost of {} đồng).",
                breach.state_support_vnd, what.1, breach.legal_basis, breach.allowed_vnd, breach.total_cost_vnd
            ),
        ),
    )
    .with_extension("cap_id", breach.cap_id)
    .with_extension("legal_basis", breach.legal_basis)
    .with_extension("limit", breach.limit)
    .with_extension("state_support_vnd", breach.state_support_vnd)
    .with_extension("total_cost_vnd", breach.total_cost_vnd)
    .with_extension("allowed_vnd", breach.allowed_vnd)
    .with_errors(vec![error(
        "budget",
        "support_cap_exceeded",
        "Kinh phí nhà nước vượt mức hỗ trợ tối đa.",
        "The state support exceeds the cap.",
    )]))
}

/// The override reason of a request: `ministry` only.
pub fn override_reason(principal: &Principal, reason: Option<String>) -> Result<Option<String>, ApiError> {
    let reason = clean(reason);
    if reason.is_some() && principal.role != Role::Ministry {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "override_requires_ministry",
            Text::new(
                "Chỉ Bộ Công Thương được vượt mức hỗ trợ tối đa.",
                "Only the ministry may override a support cap.",
            ),
        ));
    }
    Ok(reason)
}

/// 409 for a step the lifecycle does not have from the current status, listing those it has.
fn illegal(status: ProjectStatus, action: TransitionAction) -> ApiError {
    let allowed: Vec<&str> = TransitionAction::allowed_from(status)
        .into_iter()
        .map(TransitionAction::as_str)
        .collect();
    ApiError::conflict(
        "illegal_transition",
        Text::new(
            format!(
                "Không thể {action} đề án ở trạng thái {status}; được phép: {}.",
                if allowed.is_empty() {
                    "không có".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
            format!(
                "A project in status {status} cannot {action}; allowed: {}.",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        ),
    )
    .with_extension("project_status", status.as_str())
    .with_extension("allowed_actions", allowed)
}

fn not_your_decision(action: TransitionAction, funding: FundingSource) -> ApiError {
    let (vi, en) = match funding {
        FundingSource::National => (
            "Đề án khuyến công quốc gia do Bộ Công Thương thẩm định, phê duyệt, trả lại hoặc hủy.",
            "National-fund projects are appraised, approved, returned or cancelled by the ministry.",
        ),
        FundingSource::Local => (
            "Bước này do cán bộ cấp tỉnh hoặc Bộ Công Thương thực hiện.",
            "This step is taken by province staff or the ministry.",
        ),
    };
    ApiError::new(StatusCode::FORBIDDEN, "not_your_decision", Text::new(vi, en))
        .with_extension("action", action.as_str())
}

/// What a step needs before it can be taken; field errors for a 422.
fn completeness(conn: &mut DbConn, row: &ProjectRow, action: TransitionAction) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if action == TransitionAction::Submit {
        if row.planned_start.is_none() {
            errors.push(error(
                "planned_start",
                "required",
                "Cần ngày bắt đầu dự kiến.",
                "The planned start is required.",
            ));
        }
        if row.planned_end.is_none() {
            errors.push(error(
                "planned_end",
                "required",
                "Cần ngày kết thúc dự kiến.",
                "The planned end is required.",
            ));
        }
        let budget = row.budget();
        let own_line = match funding_of(row)? {
            FundingSource::National => budget.national,
            FundingSource::Local => budget.local,
        };
        if own_line <= 0 {
            errors.push(error(
                "budget",
                "budget_required",
                "Cần dự toán kinh phí của nguồn khuyến công của đề án (PUT .../budget).",
                "The budget line of the project's funding source is required (PUT .../budget).",
            ));
        }
    }
    if action == TransitionAction::Accept && model::count_beneficiaries(conn, row.id)? == 0 {
        errors.push(error(
            "beneficiaries",
            "required",
            "Cần ghi cơ sở thụ hưởng trước khi nghiệm thu.",
            "Name the beneficiary establishments before acceptance.",
        ));
    }
    checks::ensure(errors).map_err(|mut e| {
        e.code = "incomplete_project";
        e
    })
}

/// Take one step of a project's lifecycle.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = TransitionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Project, description = "The project after the step", headers(("ETag" = String))),
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
#[post("/projects/{id}/transitions")]
pub async fn transition_project(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = lock_writable(conn, &principal, id)?;
            if_match?.check(current.version)?;
            let status = status_of(&current)?;
            let funding = funding_of(&current)?;
            let action = body.action;
            let target = action.target(status).ok_or_else(|| illegal(status, action))?;
            if !may_take(principal.role, action, funding) {
                return Err(not_your_decision(action, funding));
            }
            let override_reason = override_reason(&principal, body.override_reason)?;
            let decision_number = clean(body.decision_number);
            let note = body.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            let mut errors = Vec::new();
            if action.needs_decision() {
                if decision_number.is_none() {
                    errors.push(error(
                        "decision_number",
                        "required",
                        "Cần số quyết định.",
                        "The decision number is required.",
                    ));
                }
                if body.decision_date.is_none() {
                    errors.push(error(
                        "decision_date",
                        "required",
                        "Cần ngày quyết định.",
                        "The decision date is required.",
                    ));
                }
            }
            if action.needs_note() && note.is_none() {
                errors.push(error("note", "required", "Cần ghi lý do.", "Say why in a note."));
            }
            checks::max_length(&mut errors, "decision_number", decision_number.as_deref(), 100);
            checks::max_length(&mut errors, "note", note.as_deref(), 2000);
            if let Some(date) = body.decision_date
                && (date > now().date() || chrono::Datelike::year(&date) < 2000)
            {
                errors.push(error(
                    "decision_date",
                    "out_of_range",
                    "Ngày quyết định không ở tương lai và không trước năm 2000.",
                    "The decision date is neither in the future nor before 2000.",
                ));
            }
            if override_reason.is_some()
                && !matches!(action, TransitionAction::Submit | TransitionAction::Approve)
            {
                errors.push(error(
                    "override_reason",
                    "not_allowed",
                    "Chỉ vượt mức hỗ trợ khi trình hoặc phê duyệt.",
                    "A cap is overridden on submission or approval only.",
                ));
            }
            checks::ensure(errors)?;
            completeness(conn, &current, action)?;
            let moved = model::moved_one(conn, id)?;
            let money_moved = moved.net != Default::default() || moved.state_advances != 0;
            if action == TransitionAction::Return && money_moved {
                return Err(super::wrong_status(
                    status,
                    "money_already_moved",
                    "Đề án đã giải ngân không thể trả lại; hãy lập điều chỉnh hoặc hủy",
                    "A project that has moved money cannot be returned; adjust or cancel it",
                ));
            }
            if action == TransitionAction::Cancel && moved.net.state_support() != 0 {
                return Err(super::wrong_status(
                    status,
                    "money_outstanding",
                    "Cần ghi nhận hoàn trả hết kinh phí nhà nước đã giải ngân trước khi hủy",
                    "Record the refund of the state money disbursed before cancelling",
                ));
            }
            let mut next = current.clone();
            let mut recorded_override = None;
            if matches!(action, TransitionAction::Submit | TransitionAction::Approve) {
                let on = body.decision_date.unwrap_or_else(|| now().date());
                // An override given now is recorded; one recorded earlier for this budget holds.
                if let CapOutcome::Overridden(reason) =
                    check_cap(conn, &current, on, override_reason.as_deref())?
                    && override_reason.is_some()
                {
                    next.cap_override_reason = Some(reason.clone());
                    next.cap_override_budget_version = Some(current.budget_version);
                    recorded_override = Some(reason);
                }
            }
            next.status = target.as_str().to_owned();
            next.version = current.version + 1;
            next.updated_at = now();
            let updated = model::update(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            model::record_history(
                conn,
                &HistoryRow {
                    action: Some(action.as_str().into()),
                    from_status: Some(status.as_str().into()),
                    to_status: Some(target.as_str().into()),
                    decision_number: decision_number.clone(),
                    decision_date: body.decision_date,
                    note: note.clone(),
                    override_reason: recorded_override.clone(),
                    ..HistoryRow::new(id, "transition", &actor, updated.updated_at)
                },
            )?;
            let mut after = audit_snapshot(&updated);
            if let Some(after) = after.as_mut() {
                after["transition"] = serde_json::json!({
                    "action": action.as_str(),
                    "decision_number": decision_number,
                    "decision_date": body.decision_date,
                    "note": note,
                    "override_reason": recorded_override,
                });
            }
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "transition",
                    before: audit_snapshot(&current),
                    after,
                    province_code: Some(&updated.province_code),
                },
            )?;
            render_one(conn, &updated)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Every step of a project's life: creation, transitions with their decisions, budget versions.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = History, description = "The history, oldest first"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/projects/{id}/history")]
pub async fn project_history(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let history = state
        .db
        .read(move |conn| {
            find_visible(conn, &principal, id)?;
            let items = model::history(conn, id)?
                .iter()
                .map(render_entry)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(History {
                project_id: id,
                items,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(history))
}

//! A project's money: the approved budget per source (set freely while the project is editable,
//! changed only by an adjustment decision after approval, every version kept) and the money
//! movements, whose invariants are checked inside the transaction with the project row locked.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::lifecycle::{CapOutcome, check_cap, override_reason};
use super::{
    ENTITY, Lines, MoneySummary, Project, audit_snapshot, find_visible, funding_of, lock_writable,
    render_one, status_of, wrong_status,
};
use crate::api::checks::{self, clean, error};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::api::extract::{ApiJson, ApiQuery, IfMatch, etag};
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::projects::{
    Budget, BudgetSource, DisbursementKind, MAX_AMOUNT_VND, MoneyBreach, ProjectStatus, TransitionAction,
    check_movement, may_take,
};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::projects::{self as model, BudgetVersionRow, DisbursementRow, HistoryRow, ProjectRow};
use crate::models::{decode, now};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

/// Approved amounts per source, in đồng.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetRequest {
    #[schema(example = 300_000_000, minimum = 0, maximum = 1e15)]
    pub national: i64,
    #[schema(example = 0, minimum = 0, maximum = 1e15)]
    pub local: i64,
    #[schema(example = 700_000_000, minimum = 0, maximum = 1e15)]
    pub counterpart: i64,
    #[schema(example = 0, minimum = 0, maximum = 1e15)]
    pub other: i64,
}

impl BudgetRequest {
    fn budget(&self) -> Budget {
        Budget {
            national: self.national,
            local: self.local,
            counterpart: self.counterpart,
            other: self.other,
        }
    }
}

/// Every line is an amount in đồng.
pub(crate) fn check_lines(errors: &mut Vec<crate::error::FieldError>, budget: &Budget) {
    for source in [
        BudgetSource::National,
        BudgetSource::Local,
        BudgetSource::Counterpart,
        BudgetSource::Other,
    ] {
        checks::amount(errors, source.as_str(), budget.get(source));
    }
}

/// An adjustment of an approved project's budget (and, optionally, its planned end), by decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    #[schema(minimum = 0, maximum = 1e15)]
    pub national: i64,
    #[schema(minimum = 0, maximum = 1e15)]
    pub local: i64,
    #[schema(minimum = 0, maximum = 1e15)]
    pub counterpart: i64,
    #[schema(minimum = 0, maximum = 1e15)]
    pub other: i64,
    #[schema(example = "310/QĐ-SCT", max_length = 100)]
    pub decision_number: String,
    pub decision_date: NaiveDate,
    #[schema(max_length = 2000)]
    pub reason: String,
    /// A new planned end date, when the decision extends the project.
    pub planned_end: Option<NaiveDate>,
    /// `ministry` only: accept a state support above the applicable cap, for this reason.
    #[schema(max_length = 2000)]
    pub override_reason: Option<String>,
}

/// One version of a project's budget.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetVersion {
    pub budget_version: i64,
    pub lines: Lines,
    pub total_cost_vnd: i64,
    /// `draft` (set before submission) or `adjustment` (by decision after approval).
    pub kind: String,
    pub decision_number: Option<String>,
    pub decision_date: Option<NaiveDate>,
    pub reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A project's budget: the current amounts and every version.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetView {
    pub project_id: i64,
    pub budget_version: i64,
    pub money: MoneySummary,
    /// Oldest first.
    pub versions: Vec<BudgetVersion>,
}

fn render_budget(conn: &mut DbConn, row: &ProjectRow) -> Result<BudgetView, ApiError> {
    let moved = model::moved_one(conn, row.id)?;
    let versions = model::budget_versions(conn, row.id)?
        .into_iter()
        .map(|v| {
            let budget = Budget {
                national: v.national_vnd,
                local: v.local_vnd,
                counterpart: v.counterpart_vnd,
                other: v.other_vnd,
            };
            BudgetVersion {
                budget_version: v.budget_version,
                lines: budget.into(),
                total_cost_vnd: budget.total_cost(),
                kind: v.kind,
                decision_number: v.decision_number,
                decision_date: v.decision_date,
                reason: v.reason,
                recorded_by: v.actor_username,
                recorded_at: v.created_at.and_utc(),
            }
        })
        .collect();
    Ok(BudgetView {
        project_id: row.id,
        budget_version: row.budget_version,
        money: MoneySummary::new(row.budget(), &moved),
        versions,
    })
}

/// The budget of a project and its versions.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = BudgetView, description = "Current budget, money summary and every version", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/projects/{id}/budget")]
pub async fn get_budget(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (version, view) = state
        .db
        .read(move |conn| {
            let row = find_visible(conn, &principal, id)?;
            Ok((row.version, render_budget(conn, &row)?))
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(version)).json(view))
}

/// Records a new budget version on the project row, its version row and its history entry.
#[allow(clippy::too_many_arguments)]
fn store_budget(
    conn: &mut DbConn,
    actor: &Actor,
    current: &ProjectRow,
    mut next: ProjectRow,
    budget: &Budget,
    kind: &str,
    decision: (Option<String>, Option<NaiveDate>),
    reason: Option<String>,
    override_reason: Option<String>,
) -> Result<ProjectRow, ApiError> {
    next.set_budget(budget);
    next.budget_version = current.budget_version + 1;
    next.version = current.version + 1;
    next.updated_at = now();
    let updated = model::update(conn, &next, current.version)?
        .ok_or_else(|| ApiError::precondition_failed(current.version))?;
    model::insert_budget_version(
        conn,
        &BudgetVersionRow {
            id: 0,
            project_id: current.id,
            budget_version: updated.budget_version,
            national_vnd: budget.national,
            local_vnd: budget.local,
            counterpart_vnd: budget.counterpart,
            other_vnd: budget.other,
            kind: kind.to_owned(),
            decision_number: decision.0.clone(),
            decision_date: decision.1,
            reason: reason.clone(),
            actor_username: actor.username.clone(),
            created_at: updated.updated_at,
        },
    )?;
    model::record_history(
        conn,
        &HistoryRow {
            decision_number: decision.0,
            decision_date: decision.1,
            note: reason,
            override_reason,
            budget_version: Some(updated.budget_version),
            ..HistoryRow::new(
                current.id,
                if kind == "adjustment" {
                    "adjustment"
                } else {
                    "budget_set"
                },
                actor,
                updated.updated_at,
            )
        },
    )?;
    audit::record(
        conn,
        actor,
        Change {
            entity_type: ENTITY,
            entity_id: current.id.to_string(),
            action: if kind == "adjustment" {
                "budget_adjusted"
            } else {
                "budget_set"
            },
            before: audit_snapshot(current),
            after: audit_snapshot(&updated),
            province_code: Some(&updated.province_code),
        },
    )?;
    Ok(updated)
}

/// Set the budget of a `draft` or `returned` project (after approval, record an adjustment).
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "The project's ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = BudgetRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Project, description = "The project with its new budget", headers(("ETag" = String))),
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
#[put("/projects/{id}/budget")]
pub async fn put_budget(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<BudgetRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = lock_writable(conn, &principal, id)?;
            if_match?.check(current.version)?;
            let status = status_of(&current)?;
            if !status.is_editable() {
                return Err(wrong_status(
                    status,
                    "budget_locked",
                    "Sau khi trình, dự toán chỉ thay đổi bằng quyết định điều chỉnh (POST .../adjustments)",
                    "Once submitted, the budget changes only by an adjustment decision (POST .../adjustments)",
                ));
            }
            let mut errors = Vec::new();
            check_lines(&mut errors, &body.budget());
            checks::ensure(errors)?;
            let updated = store_budget(
                conn,
                &actor,
                &current,
                current.clone(),
                &body.budget(),
                "draft",
                (None, None),
                None,
                None,
            )?;
            render_one(conn, &updated)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Adjust the budget of an approved project by decision (the earlier versions are kept).
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "The project's ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = AdjustmentRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Project, description = "The adjustment was recorded", headers(("ETag" = String))),
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
#[post("/projects/{id}/adjustments")]
pub async fn adjust_budget(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<AdjustmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = lock_writable(conn, &principal, id)?;
            if_match?.check(current.version)?;
            let status = status_of(&current)?;
            if !status.takes_adjustments() {
                return Err(wrong_status(
                    status,
                    "adjustment_not_allowed",
                    "Điều chỉnh dự toán áp dụng cho đề án đã phê duyệt, đang thực hiện hoặc tạm dừng",
                    "Adjustments apply to approved, in-progress or suspended projects",
                ));
            }
            // An adjustment is a decision of the authority that approved the project.
            let funding = funding_of(&current)?;
            if !may_take(principal.role, TransitionAction::Approve, funding) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "not_your_decision",
                    Text::new(
                        "Điều chỉnh do cấp đã phê duyệt đề án quyết định.",
                        "An adjustment is decided by the authority that approved the project.",
                    ),
                ));
            }
            let override_reason = override_reason(&principal, body.override_reason)?;
            let budget = Budget {
                national: body.national,
                local: body.local,
                counterpart: body.counterpart,
                other: body.other,
            };
            let decision_number = clean(Some(body.decision_number));
            let reason = body.reason.trim().to_owned();
            let mut errors = Vec::new();
            check_lines(&mut errors, &budget);
            match &decision_number {
                None => errors.push(error(
                    "decision_number",
                    "required",
                    "Cần số quyết định.",
                    "The decision number is required.",
                )),
                Some(n) => checks::max_length(&mut errors, "decision_number", Some(n), 100),
            }
            checks::length(&mut errors, "reason", &reason, 3, 2000);
            if body.decision_date > now().date() || chrono::Datelike::year(&body.decision_date) < 2000 {
                errors.push(error(
                    "decision_date",
                    "out_of_range",
                    "Ngày quyết định không ở tương lai và không trước năm 2000.",
                    "The decision date is neither in the future nor before 2000.",
                ));
            }
            if let (Some(end), Some(start)) = (body.planned_end, current.planned_start)
                && end < start
            {
                errors.push(error(
                    "planned_end",
                    "before_start",
                    "Ngày kết thúc không trước ngày bắt đầu.",
                    "The end date is not before the start date.",
                ));
            }
            checks::ensure(errors.clone())?;
            // Money already moved stays covered by the new lines.
            let moved = model::moved_one(conn, id)?;
            for source in [BudgetSource::National, BudgetSource::Local] {
                if budget.get(source) < moved.net.get(source) {
                    errors.push(error(
                        source.as_str(),
                        "below_disbursed",
                        format!("Không thấp hơn số đã giải ngân ({} đồng).", moved.net.get(source)),
                        format!("Not below what was disbursed ({} đồng).", moved.net.get(source)),
                    ));
                }
            }
            checks::ensure(errors)?;
            let mut next = current.clone();
            if let Some(end) = body.planned_end {
                next.planned_end = Some(end);
            }
            next.set_budget(&budget);
            next.budget_version = current.budget_version + 1;
            let outcome = check_cap(conn, &next, body.decision_date, override_reason.as_deref())?;
            let recorded_override = match outcome {
                CapOutcome::Overridden(reason) if override_reason.is_some() => {
                    next.cap_override_reason = Some(reason.clone());
                    next.cap_override_budget_version = Some(next.budget_version);
                    Some(reason)
                }
                _ => None,
            };
            let updated = store_budget(
                conn,
                &actor,
                &current,
                next,
                &budget,
                "adjustment",
                (decision_number, Some(body.decision_date)),
                Some(reason),
                recorded_override,
            )?;
            render_one(conn, &updated)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .json(view))
}

/// A money movement.
#[derive(Debug, Serialize, ToSchema)]
pub struct Disbursement {
    pub id: i64,
    pub project_id: i64,
    pub kind: DisbursementKind,
    pub source: BudgetSource,
    /// Always positive; a `refund` reduces what was disbursed.
    pub amount_vnd: i64,
    pub date: NaiveDate,
    pub document_number: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

fn render_disbursement(row: &DisbursementRow) -> Result<Disbursement, ApiError> {
    Ok(Disbursement {
        id: row.id,
        project_id: row.project_id,
        kind: decode("project_disbursements.kind", &row.kind)?,
        source: decode("project_disbursements.source", &row.source)?,
        amount_vnd: row.amount_vnd,
        date: row.date,
        document_number: row.document_number.clone(),
        note: row.note.clone(),
        recorded_by: row.recorded_by.clone(),
        recorded_at: row.created_at.and_utc(),
    })
}

/// A recorded movement and the project's money after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisbursementRecorded {
    #[serde(flatten)]
    pub disbursement: Disbursement,
    pub money: MoneySummary,
}

/// A new money movement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisbursementRequest {
    pub kind: DisbursementKind,
    pub source: BudgetSource,
    #[schema(example = 200_000_000, minimum = 1, maximum = 1e15)]
    pub amount_vnd: i64,
    pub date: NaiveDate,
    /// The payment order, advance voucher or settlement document.
    #[schema(example = "UNC-2026-0457", max_length = 100)]
    pub document_number: String,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisbursementListQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// The columns of the list as CSV, in order.
const DISBURSEMENT_CSV: [&str; 10] = [
    "id",
    "project_id",
    "kind",
    "source",
    "amount_vnd",
    "date",
    "document_number",
    "note",
    "recorded_by",
    "recorded_at",
];

/// List a project's money movements, oldest first.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, description = "Project id"), DisbursementListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of movements; with `Accept: text/csv`, every one", content(
            (Page<Disbursement> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/projects/{id}/disbursements")]
pub async fn list_disbursements(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<i64>,
    ApiQuery(query): ApiQuery<DisbursementListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let csv = CsvList::new(&DISBURSEMENT_CSV, "giai-ngan.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        find_visible(conn, &principal, id)?;
        let rows = model::disbursements(conn, id, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| model::count_disbursements(conn, id))
            .transpose()?;
        let items = rows
            .iter()
            .map(render_disbursement)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |d| d.id, total))
    })
    .await
}

fn money_refused(breach: MoneyBreach) -> ApiError {
    let (code, vi, en) = match &breach {
        MoneyBreach::OverApproved {
            source,
            approved,
            after,
        } => (
            "exceeds_approved_amount",
            format!(
                "Tổng giải ngân nguồn {source} sẽ là {after} đồng, vượt dự toán được duyệt {approved} đồng."
            ),
            format!("Net {source} money would reach {after} đồng, above the approved {approved} đồng."),
        ),
        MoneyBreach::AdvanceOverShare {
            limit,
            after,
            share_percent,
        } => (
            "advance_share_exceeded",
            format!(
                "Tạm ứng trước nghiệm thu sẽ là {after} đồng, vượt {share_percent}% kinh phí nhà nước hỗ trợ ({limit} đồng)."
            ),
            format!(
                "Advances before acceptance would reach {after} đồng, above {share_percent}% of the state support ({limit} đồng)."
            ),
        ),
        MoneyBreach::RefundOverPaid { source, paid } => (
            "refund_exceeds_paid",
            format!("Hoàn trả vượt số đã giải ngân từ nguồn {source} ({paid} đồng)."),
            format!("The refund exceeds what was paid from {source} ({paid} đồng)."),
        ),
    };
    let error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, Text::new(vi, en));
    match breach {
        MoneyBreach::OverApproved {
            source,
            approved,
            after,
        } => error
            .with_extension("source", source.as_str())
            .with_extension("approved_vnd", approved)
            .with_extension("would_be_vnd", after),
        MoneyBreach::AdvanceOverShare {
            limit,
            after,
            share_percent,
        } => error
            .with_extension("limit_vnd", limit)
            .with_extension("would_be_vnd", after)
            .with_extension("share_percent", share_percent),
        MoneyBreach::RefundOverPaid { source, paid } => error
            .with_extension("source", source.as_str())
            .with_extension("paid_vnd", paid),
    }
}

/// Record a money movement (advance, payment, refund, settlement payment).
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    request_body = DisbursementRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = DisbursementRecorded, description = "The movement was recorded"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/projects/{id}/disbursements")]
pub async fn record_disbursement(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<DisbursementRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let advance_share = state.config.advance_share_percent;
    let recorded = state
        .db
        .write(move |conn| {
            // The row stays locked until commit: concurrent movements are checked one after another.
            let project = lock_writable(conn, &principal, id)?;
            let status = status_of(&project)?;
            if status == ProjectStatus::Settled {
                return Err(wrong_status(
                    status,
                    "project_settled",
                    "Đề án đã quyết toán chỉ để đọc",
                    "A settled project is read-only",
                ));
            }
            if !status.moves_money() {
                return Err(wrong_status(
                    status,
                    "money_not_allowed",
                    "Chỉ giải ngân khi đề án đã phê duyệt, đang thực hiện hoặc đã nghiệm thu",
                    "Money moves only on approved, in-progress or accepted projects",
                ));
            }
            let document_number = crate::domain::text::clean_line(&body.document_number);
            let note = body.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            let mut errors = Vec::new();
            if !(1..=MAX_AMOUNT_VND).contains(&body.amount_vnd) {
                errors.push(error(
                    "amount_vnd",
                    "out_of_range",
                    format!("Số tiền từ 1 đến {MAX_AMOUNT_VND} đồng."),
                    format!("The amount is from 1 to {MAX_AMOUNT_VND} đồng."),
                ));
            }
            checks::length(&mut errors, "document_number", &document_number, 1, 100);
            checks::max_length(&mut errors, "note", note.as_deref(), 2000);
            if body.date > now().date() || chrono::Datelike::year(&body.date) < 2000 {
                errors.push(error(
                    "date",
                    "out_of_range",
                    "Ngày không ở tương lai và không trước năm 2000.",
                    "The date is neither in the future nor before 2000.",
                ));
            }
            match (body.kind, status) {
                (DisbursementKind::Advance, ProjectStatus::Accepted) => errors.push(error(
                    "kind",
                    "advance_after_acceptance",
                    "Sau nghiệm thu không tạm ứng; hãy thanh toán hoặc quyết toán.",
                    "No advances after acceptance; record a payment or settlement.",
                )),
                (DisbursementKind::Settlement, s) if s != ProjectStatus::Accepted => errors.push(error(
                    "kind",
                    "settlement_before_acceptance",
                    "Thanh toán quyết toán chỉ sau nghiệm thu.",
                    "Settlement payments come after acceptance.",
                )),
                _ => {}
            }
            checks::ensure(errors)?;
            let moved = model::moved_one(conn, id)?;
            check_movement(
                &project.budget(),
                &moved,
                body.kind,
                body.source,
                body.amount_vnd,
                status,
                advance_share,
            )
            .map_err(money_refused)?;
            let row = model::insert_disbursement(
                conn,
                &DisbursementRow {
                    id: 0,
                    project_id: id,
                    kind: body.kind.as_str().to_owned(),
                    source: body.source.as_str().to_owned(),
                    amount_vnd: body.amount_vnd,
                    date: body.date,
                    document_number,
                    note,
                    recorded_by: actor.username.clone(),
                    created_at: now(),
                },
            )?;
            let disbursement = render_disbursement(&row)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "disbursement_recorded",
                    before: None,
                    after: audit::snapshot(&disbursement),
                    province_code: Some(&project.province_code),
                },
            )?;
            let after = model::moved_one(conn, id)?;
            Ok(DisbursementRecorded {
                disbursement,
                money: MoneySummary::new(project.budget(), &after),
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(recorded))
}

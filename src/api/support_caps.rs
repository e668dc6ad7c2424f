//! Support caps (policy): the most state money a project of an activity type may receive, as a
//! share of its cost and as an absolute ceiling, under a legal basis and for a period. Caps are
//! never edited: a new version starts on a date and closes the one before it, so that a project
//! is always judged by the rule in force and the old rule stays readable. The ministry keeps the
//! national caps; province staff the local caps of their province.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::checks::{self, clean, error};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::domain::projects::{Cap, CeilingBasis, FundingSource};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::programmes::{self as model, CapFilter, SupportCapRow};
use crate::models::{decode, now, organizations};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable, Unprocessable,
    UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

const ENTITY: &str = "support_cap";

/// A support cap.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupportCap {
    pub id: i64,
    /// The legal text that sets the cap, e.g. `Thông tư 28/2018/TT-BTC`.
    pub legal_basis: String,
    pub funding_source: FundingSource,
    pub activity_type: String,
    /// The province of a local cap; `null` for national caps.
    pub province_code: Option<String>,
    /// Highest state support as a percentage of the project's total cost.
    pub max_share_percent: Option<i64>,
    /// Absolute ceiling of the state support, in đồng.
    pub max_amount_vnd: Option<i64>,
    pub ceiling_basis: CeilingBasis,
    /// The ceiling is raised by this percentage for a complete production line (150 = ×1.5).
    pub production_line_multiplier_percent: Option<i64>,
    /// The ceiling is raised by this percentage in priority areas (150 = ×1.5). Multipliers do not
    /// add up: the larger applies.
    pub priority_multiplier_percent: Option<i64>,
    pub valid_from: NaiveDate,
    /// Last day in force; `null` while in force.
    pub valid_to: Option<NaiveDate>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl SupportCap {
    pub fn render(row: &SupportCapRow) -> Result<SupportCap, ApiError> {
        Ok(SupportCap {
            id: row.id,
            legal_basis: row.legal_basis.clone(),
            funding_source: decode("support_caps.funding_source", &row.funding_source)?,
            activity_type: row.activity_type.clone(),
            province_code: row.province_code.clone(),
            max_share_percent: row.max_share_percent,
            max_amount_vnd: row.max_amount_vnd,
            ceiling_basis: decode("support_caps.ceiling_basis", &row.ceiling_basis)?,
            production_line_multiplier_percent: row.production_line_multiplier_percent,
            priority_multiplier_percent: row.priority_multiplier_percent,
            valid_from: row.valid_from,
            valid_to: row.valid_to,
            note: row.note.clone(),
            created_at: row.created_at.and_utc(),
        })
    }
}

fn first_storable_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The rule of a stored cap.
pub fn as_cap(row: &SupportCapRow) -> Result<Cap, ApiError> {
    Ok(Cap {
        id: row.id,
        legal_basis: row.legal_basis.clone(),
        max_share_percent: row.max_share_percent,
        max_amount_vnd: row.max_amount_vnd,
        ceiling_basis: decode("support_caps.ceiling_basis", &row.ceiling_basis)?,
        production_line_multiplier_percent: row.production_line_multiplier_percent,
        priority_multiplier_percent: row.priority_multiplier_percent,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SupportCapListQuery {
    pub funding_source: Option<FundingSource>,
    #[param(pattern = r"^[a-z][a-z0-9_]{2,63}$")]
    pub activity_type: Option<String>,
    /// Local caps of this province.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Only caps in force on this day (`YYYY-MM-DD`).
    pub valid_on: Option<NaiveDate>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// A new version of a cap. It starts on `valid_from` and ends the version in force before it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSupportCapRequest {
    #[schema(example = "Quyết định 12/2026/QĐ-UBND", max_length = 200)]
    pub legal_basis: String,
    pub funding_source: FundingSource,
    #[schema(example = "machinery_application", pattern = r"^ *[a-z][a-z0-9_]{2,63} *$")]
    pub activity_type: String,
    /// Required for local caps (province staff: their own province); absent for national caps.
    #[schema(pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<String>,
    #[schema(minimum = 1, maximum = 100)]
    pub max_share_percent: Option<i64>,
    #[schema(minimum = 0, maximum = 1e15)]
    pub max_amount_vnd: Option<i64>,
    /// Default `project`.
    pub ceiling_basis: Option<CeilingBasis>,
    #[schema(minimum = 100, maximum = 300)]
    pub production_line_multiplier_percent: Option<i64>,
    #[schema(minimum = 100, maximum = 300)]
    pub priority_multiplier_percent: Option<i64>,
    pub valid_from: NaiveDate,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// The columns of the list as CSV, in order.
const SUPPORT_CAP_CSV: [&str; 14] = [
    "id",
    "legal_basis",
    "funding_source",
    "activity_type",
    "province_code",
    "max_share_percent",
    "max_amount_vnd",
    "ceiling_basis",
    "production_line_multiplier_percent",
    "priority_multiplier_percent",
    "valid_from",
    "valid_to",
    "note",
    "created_at",
];

/// List support caps, every version.
#[utoipa::path(
    tag = "support-caps",
    params(SupportCapListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of caps; with `Accept: text/csv`, every one", content(
            (Page<SupportCap> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/support-caps")]
pub async fn list_support_caps(
    state: web::Data<AppState>,
    req: HttpRequest,
    _principal: Principal,
    ApiQuery(query): ApiQuery<SupportCapListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = CapFilter {
        funding_source: query.funding_source.map(|s| s.as_str().to_owned()),
        activity_type: query.activity_type,
        province_code: query.province_code,
        // Year 0 is a valid ISO date but no date PostgreSQL stores; as a bound it means the first.
        valid_on: query.valid_on.map(|day| day.max(first_storable_day())),
    };
    let csv = CsvList::new(&SUPPORT_CAP_CSV, "muc-ho-tro.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = model::list_caps(conn, &filter, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| model::count_caps(conn, &filter))
            .transpose()?;
        let items = rows
            .iter()
            .map(SupportCap::render)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |c| c.id, total))
    })
    .await
}

/// Get one support cap.
#[utoipa::path(
    tag = "support-caps",
    params(("id" = i64, Path, description = "Cap id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SupportCap, description = "The cap"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/support-caps/{id}")]
pub async fn get_support_cap(
    state: web::Data<AppState>,
    _principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| SupportCap::render(&model::find_cap(conn, id)?.ok_or_else(ApiError::not_found)?))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Set a new version of a support cap (ministry: national; province staff: their local caps).
#[utoipa::path(
    tag = "support-caps",
    request_body = CreateSupportCapRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = SupportCap, description = "The cap version was recorded; the one before it ends the day before", headers(("Location" = String))),
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
#[post("/support-caps")]
pub async fn create_support_cap(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateSupportCapRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Ministry, Role::Province])?;
    let province_code = body.province_code.map(|c| c.trim().to_owned());
    match (body.funding_source, principal.role) {
        (FundingSource::National, Role::Province) => return Err(ApiError::forbidden()),
        (FundingSource::Local, Role::Province) if province_code != principal.province_code => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "outside_territory",
                Text::new(
                    "Cán bộ cấp tỉnh chỉ đặt mức hỗ trợ khuyến công địa phương của tỉnh mình.",
                    "Province staff set the local caps of their own province only.",
                ),
            ));
        }
        _ => {}
    }
    let actor = Actor::new(&principal, &context);
    let mut row = SupportCapRow {
        id: 0,
        legal_basis: crate::domain::text::clean_line(&body.legal_basis),
        funding_source: body.funding_source.as_str().to_owned(),
        activity_type: body.activity_type.trim().to_owned(),
        province_code,
        max_share_percent: body.max_share_percent,
        max_amount_vnd: body.max_amount_vnd,
        ceiling_basis: body
            .ceiling_basis
            .unwrap_or(CeilingBasis::Project)
            .as_str()
            .to_owned(),
        production_line_multiplier_percent: body.production_line_multiplier_percent,
        priority_multiplier_percent: body.priority_multiplier_percent,
        valid_from: body.valid_from,
        valid_to: None,
        note: clean(body.note),
        created_at: now(),
    };
    let view = state
        .db
        .write(move |conn| {
            let mut errors = Vec::new();
            checks::length(&mut errors, "legal_basis", &row.legal_basis, 3, 200);
            if organizations::find_activity_type(conn, &row.activity_type)?.is_none() {
                errors.push(error(
                    "activity_type",
                    "unknown_activity_type",
                    format!("Không có loại hoạt động mã {}.", row.activity_type),
                    format!("No activity type has code {}.", row.activity_type),
                ));
            }
            match (&row.province_code, body.funding_source) {
                (Some(code), FundingSource::Local) => {
                    checks::current_province(conn, &mut errors, "province_code", code)?;
                }
                (None, FundingSource::Local) => errors.push(error(
                    "province_code",
                    "required",
                    "Mức hỗ trợ địa phương cần mã tỉnh.",
                    "A local cap names its province.",
                )),
                (Some(_), FundingSource::National) => errors.push(error(
                    "province_code",
                    "not_allowed",
                    "Mức hỗ trợ quốc gia không gắn với tỉnh.",
                    "A national cap has no province.",
                )),
                (None, FundingSource::National) => {}
            }
            if row.max_share_percent.is_none() && row.max_amount_vnd.is_none() {
                errors.push(error(
                    "max_share_percent",
                    "cap_without_limit",
                    "Cần ít nhất một giới hạn: tỷ lệ hoặc mức tối đa.",
                    "Give at least one limit: a share of cost or a ceiling.",
                ));
            }
            if row.max_share_percent.is_some_and(|p| !(1..=100).contains(&p)) {
                errors.push(error(
                    "max_share_percent",
                    "out_of_range",
                    "Tỷ lệ từ 1 đến 100.",
                    "The share is from 1 to 100.",
                ));
            }
            if let Some(amount) = row.max_amount_vnd {
                checks::amount(&mut errors, "max_amount_vnd", amount);
            }
            for (field, value) in [
                ("production_line_multiplier_percent", row.production_line_multiplier_percent),
                ("priority_multiplier_percent", row.priority_multiplier_percent),
            ] {
                if value.is_some_and(|v| !(100..=300).contains(&v)) {
                    errors.push(error(
                        field,
                        "out_of_range",
                        "Hệ số từ 100 đến 300 (phần trăm).",
                        "A multiplier is from 100 to 300 (percent).",
                    ));
                }
            }
            if !(2000..=2100).contains(&chrono::Datelike::year(&row.valid_from)) {
                errors.push(error(
                    "valid_from",
                    "out_of_range",
                    "Ngày hiệu lực từ năm 2000 đến 2100.",
                    "The start date lies between 2000 and 2100.",
                ));
            }
            checks::max_length(&mut errors, "note", row.note.as_deref(), 2000);
            checks::ensure(errors)?;
            let earlier =
                model::caps_of_key(conn, &row.funding_source, &row.activity_type, row.province_code.as_deref())?;
            if let Some(later) = earlier.iter().find(|cap| cap.valid_from >= row.valid_from) {
                return Err(ApiError::conflict(
                    "cap_period_overlap",
                    Text::new(
                        format!(
                            "Đã có mức hỗ trợ (id {}) hiệu lực từ {}; phiên bản mới phải bắt đầu sau ngày đó.",
                            later.id, later.valid_from
                        ),
                        format!(
                            "A cap (id {}) is in force from {}; a new version must start after that day.",
                            later.id, later.valid_from
                        ),
                    ),
                )
                .with_extension("existing_id", later.id));
            }
            let day_before = row.valid_from.pred_opt().unwrap_or(row.valid_from);
            for open in earlier.iter().filter(|cap| cap.valid_to.is_none_or(|to| to >= row.valid_from)) {
                model::close_cap(conn, open.id, day_before)?;
                audit::record(
                    conn,
                    &actor,
                    Change {
                        entity_type: ENTITY,
                        entity_id: open.id.to_string(),
                        action: "superseded",
                        before: audit::snapshot(&SupportCap::render(open)?),
                        after: Some(serde_json::json!({"valid_to": day_before})),
                        province_code: open.province_code.as_deref(),
                    },
                )?;
            }
            row.valid_to = None;
            let row = model::insert_cap(conn, &row)?;
            let view = SupportCap::render(&row)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: row.id.to_string(),
                    action: "create",
                    before: None,
                    after: audit::snapshot(&view),
                    province_code: row.province_code.as_deref(),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/support-caps/{}", view.id)))
        .json(view))
}

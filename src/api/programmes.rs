//! Programmes (chương trình khuyến công): a period such as 2021–2025 with its legal basis, national
//! or provincial, and targets per province and activity type (counts and money), against which
//! plan-versus-actual is reported. The ministry keeps national programmes; province staff their
//! province's programme and the targets of their province.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::checks::{self, clean, error};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::api::extract::{ApiJson, ApiQuery, IfMatch, etag};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::domain::projects::ProgrammeLevel;
use crate::domain::text::clean_line;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::programmes::{self as model, ProgrammeFilter, ProgrammeRow, TargetRow};
use crate::models::{decode, now, organizations};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

const ENTITY: &str = "programme";
/// 34 provinces × the activity types, with room for the types still to come.
const MAX_TARGETS: usize = 5000;

/// A programme.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Programme {
    pub id: i64,
    /// The period's name, e.g. `2021-2025`.
    pub code: String,
    pub name: String,
    pub level: ProgrammeLevel,
    /// The province of a provincial programme.
    pub province_code: Option<String>,
    pub start_year: i64,
    pub end_year: i64,
    /// e.g. `Quyết định 1881/QĐ-TTg`.
    pub legal_basis: Option<String>,
    /// Optimistic-concurrency version (moves on when the targets change).
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Programme {
    fn render(row: &ProgrammeRow) -> Result<Programme, ApiError> {
        Ok(Programme {
            id: row.id,
            code: row.code.clone(),
            name: row.name.clone(),
            level: decode("programmes.level", &row.level)?,
            province_code: row.province_code.clone(),
            start_year: row.start_year,
            end_year: row.end_year,
            legal_basis: row.legal_basis.clone(),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// A target of a programme for one province and activity type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[schema(example = "19", pattern = r"^ *[0-9]{2} *$")]
    pub province_code: String,
    #[schema(example = "machinery_application", pattern = r"^ *[a-z][a-z0-9_]{2,63} *$")]
    pub activity_type: String,
    /// Number of projects (or models, rounds ...) planned.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub target_count: Option<i64>,
    /// Money planned, in đồng.
    #[schema(minimum = 0, maximum = 1e15)]
    pub target_amount_vnd: Option<i64>,
}

/// The targets of a programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct Targets {
    pub programme_id: i64,
    pub items: Vec<Target>,
    pub total_count: i64,
    pub total_amount_vnd: i64,
}

/// Replaces every target of a programme.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutTargetsRequest {
    #[schema(max_items = 5000)]
    pub items: Vec<Target>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeListQuery {
    pub level: Option<ProgrammeLevel>,
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Programmes whose period covers this year.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i64>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// A new programme.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProgrammeRequest {
    #[schema(example = "2021-2025", max_length = 50)]
    pub code: String,
    #[schema(
        example = "Chương trình khuyến công quốc gia giai đoạn 2021-2025",
        max_length = 300
    )]
    pub name: String,
    pub level: ProgrammeLevel,
    /// Required for a provincial programme.
    #[schema(pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<String>,
    #[schema(minimum = 2000, maximum = 2100)]
    pub start_year: i64,
    #[schema(minimum = 2000, maximum = 2100)]
    pub end_year: i64,
    #[schema(example = "Quyết định 1881/QĐ-TTg", max_length = 200)]
    pub legal_basis: Option<String>,
}

/// Province staff keep only their province's programme and targets.
fn outside_territory() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "outside_territory",
        Text::new(
            "Cán bộ cấp tỉnh chỉ quản lý chương trình, chỉ tiêu của tỉnh mình.",
            "Province staff manage their own province's programme and targets only.",
        ),
    )
}

/// The columns of the list as CSV, in order.
const PROGRAMME_CSV: [&str; 11] = [
    "id",
    "code",
    "name",
    "level",
    "province_code",
    "start_year",
    "end_year",
    "legal_basis",
    "version",
    "created_at",
    "updated_at",
];

/// List programmes.
#[utoipa::path(
    tag = "programmes",
    params(ProgrammeListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of programmes; with `Accept: text/csv`, every one", content(
            (Page<Programme> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/programmes")]
pub async fn list_programmes(
    state: web::Data<AppState>,
    req: HttpRequest,
    _principal: Principal,
    ApiQuery(query): ApiQuery<ProgrammeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = ProgrammeFilter {
        level: query.level.map(|l| l.as_str().to_owned()),
        province_code: query.province_code,
        year: query.year,
    };
    let csv = CsvList::new(&PROGRAMME_CSV, "chuong-trinh.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = model::list_programmes(conn, &filter, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| model::count_programmes(conn, &filter))
            .transpose()?;
        let items = rows
            .iter()
            .map(Programme::render)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |p| p.id, total))
    })
    .await
}

/// Record a programme.
#[utoipa::path(
    tag = "programmes",
    request_body = CreateProgrammeRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Programme, description = "The programme was recorded", headers(("ETag" = String), ("Location" = String))),
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
#[post("/programmes")]
pub async fn create_programme(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateProgrammeRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Ministry, Role::Province])?;
    let province_code = body.province_code.map(|c| c.trim().to_owned());
    if principal.role == Role::Province
        && (body.level == ProgrammeLevel::National || province_code != principal.province_code)
    {
        return Err(outside_territory());
    }
    let actor = Actor::new(&principal, &context);
    let at = now();
    let row = ProgrammeRow {
        id: 0,
        code: clean_line(&body.code),
        name: clean_line(&body.name),
        level: body.level.as_str().to_owned(),
        province_code,
        start_year: body.start_year,
        end_year: body.end_year,
        legal_basis: clean(body.legal_basis),
        version: 1,
        created_at: at,
        updated_at: at,
    };
    let view = state
        .db
        .write(move |conn| {
            let mut errors = Vec::new();
            checks::length(&mut errors, "code", &row.code, 2, 50);
            checks::length(&mut errors, "name", &row.name, 2, 300);
            checks::max_length(&mut errors, "legal_basis", row.legal_basis.as_deref(), 200);
            checks::year(&mut errors, "start_year", row.start_year);
            checks::year(&mut errors, "end_year", row.end_year);
            if row.end_year < row.start_year {
                errors.push(error(
                    "end_year",
                    "before_start",
                    "Năm kết thúc không trước năm bắt đầu.",
                    "The end year is not before the start year.",
                ));
            }
            match (&row.province_code, body.level) {
                (Some(code), ProgrammeLevel::Provincial) => {
                    checks::current_province(conn, &mut errors, "province_code", code)?;
                }
                (None, ProgrammeLevel::Provincial) => errors.push(error(
                    "province_code",
                    "required",
                    "Chương trình của tỉnh cần mã tỉnh.",
                    "A provincial programme names its province.",
                )),
                (Some(_), ProgrammeLevel::National) => errors.push(error(
                    "province_code",
                    "not_allowed",
                    "Chương trình quốc gia không gắn với tỉnh.",
                    "A national programme has no province.",
                )),
                (None, ProgrammeLevel::National) => {}
            }
            checks::ensure(errors)?;
            let row = model::insert_programme(conn, &row).map_err(|e| {
                if e.code == "duplicate" {
                    ApiError::conflict(
                        "duplicate_programme",
                        Text::new(
                            "Đã có chương trình cùng mã, cấp và tỉnh.",
                            "A programme with this code, level and province exists.",
                        ),
                    )
                } else {
                    e
                }
            })?;
            let view = Programme::render(&row)?;
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
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/programmes/{}", view.id)))
        .json(view))
}

/// Get one programme.
#[utoipa::path(
    tag = "programmes",
    params(("id" = i64, Path, description = "Programme id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Programme, description = "The programme", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/programmes/{id}")]
pub async fn get_programme(
    state: web::Data<AppState>,
    _principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| {
            Programme::render(&model::find_programme(conn, id)?.ok_or_else(ApiError::not_found)?)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

fn render_targets(programme_id: i64, rows: &[TargetRow]) -> Targets {
    Targets {
        programme_id,
        items: rows
            .iter()
            .map(|r| Target {
                province_code: r.province_code.clone(),
                activity_type: r.activity_type.clone(),
                target_count: r.target_count,
                target_amount_vnd: r.target_amount_vnd,
            })
            .collect(),
        total_count: rows.iter().filter_map(|r| r.target_count).sum(),
        total_amount_vnd: rows.iter().filter_map(|r| r.target_amount_vnd).sum(),
    }
}

/// The targets of a programme.
#[utoipa::path(
    tag = "programmes",
    params(("id" = i64, Path, description = "Programme id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Targets, description = "Targets per province and activity type", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/programmes/{id}/targets")]
pub async fn get_targets(
    state: web::Data<AppState>,
    _principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (version, targets) = state
        .db
        .read(move |conn| {
            let programme = model::find_programme(conn, id)?.ok_or_else(ApiError::not_found)?;
            Ok((programme.version, render_targets(id, &model::targets(conn, id)?)))
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(version)).json(targets))
}

/// Replace the targets of a programme (province staff: the targets of their province only).
#[utoipa::path(
    tag = "programmes",
    params(
        ("id" = i64, Path, description = "Programme id"),
        ("If-Match" = String, Header, description = "The programme's ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = PutTargetsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Targets, description = "The targets as stored", headers(("ETag" = String))),
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
#[put("/programmes/{id}/targets")]
pub async fn put_targets(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<PutTargetsRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let (version, targets) = state
        .db
        .write(move |conn| {
            let programme = model::find_programme(conn, id)?.ok_or_else(ApiError::not_found)?;
            principal.require(&[Role::Ministry, Role::Province])?;
            let own = principal.province_code.clone();
            if principal.role == Role::Province
                && programme.level == ProgrammeLevel::Provincial.as_str()
                && programme.province_code != own
            {
                return Err(outside_territory());
            }
            if_match?.check(programme.version)?;
            let before = model::targets(conn, id)?;
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            if body.items.len() > MAX_TARGETS {
                errors.push(error(
                    "items",
                    "too_many",
                    format!("Tối đa {MAX_TARGETS} chỉ tiêu."),
                    format!("At most {MAX_TARGETS} targets."),
                ));
            }
            for (i, target) in body.items.into_iter().enumerate() {
                let field = |name: &str| format!("items[{i}].{name}");
                let row = TargetRow {
                    id: 0,
                    programme_id: id,
                    province_code: target.province_code.trim().to_owned(),
                    activity_type: target.activity_type.trim().to_owned(),
                    target_count: target.target_count,
                    target_amount_vnd: target.target_amount_vnd,
                };
                checks::current_province(conn, &mut errors, &field("province_code"), &row.province_code)?;
                if programme
                    .province_code
                    .as_ref()
                    .is_some_and(|p| *p != row.province_code)
                {
                    errors.push(error(
                        &field("province_code"),
                        "outside_programme",
                        "Chỉ tiêu của chương trình tỉnh thuộc chính tỉnh đó.",
                        "A provincial programme's targets are for its own province.",
                    ));
                }
                if organizations::find_activity_type(conn, &row.activity_type)?.is_none() {
                    errors.push(error(
                        &field("activity_type"),
                        "unknown_activity_type",
                        format!("Không có loại hoạt động mã {}.", row.activity_type),
                        format!("No activity type has code {}.", row.activity_type),
                    ));
                }
                if row.target_count.is_some_and(|c| !(0..=1_000_000).contains(&c)) {
                    errors.push(error(
                        &field("target_count"),
                        "out_of_range",
                        "Số lượng từ 0 đến 1.000.000.",
                        "The count is from 0 to 1,000,000.",
                    ));
                }
                if let Some(amount) = row.target_amount_vnd {
                    checks::amount(&mut errors, &field("target_amount_vnd"), amount);
                }
                if rows.iter().any(|r: &TargetRow| {
                    r.province_code == row.province_code && r.activity_type == row.activity_type
                }) {
                    errors.push(error(
                        &field("activity_type"),
                        "duplicate_target",
                        "Mỗi tỉnh và loại hoạt động chỉ có một chỉ tiêu.",
                        "One target per province and activity type.",
                    ));
                }
                rows.push(row);
            }
            checks::ensure(errors)?;
            // Province staff change their own province's lines only; the others stay as they are.
            if principal.role == Role::Province {
                let touches_others = |r: &TargetRow| Some(&r.province_code) != own.as_ref();
                if rows.iter().any(touches_others) {
                    return Err(outside_territory());
                }
                rows.extend(before.iter().filter(|r| touches_others(r)).cloned());
            }
            let updated = model::bump_programme(conn, id, programme.version)?
                .ok_or_else(|| ApiError::precondition_failed(programme.version))?;
            model::replace_targets(conn, id, &rows)?;
            let after = model::targets(conn, id)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "targets_replaced",
                    before: audit::snapshot(&render_targets(id, &before)),
                    after: audit::snapshot(&render_targets(id, &after)),
                    province_code: programme.province_code.as_deref(),
                },
            )?;
            Ok((updated.version, render_targets(id, &after)))
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(version)).json(targets))
}

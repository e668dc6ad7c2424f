//! Listing, creating, reading, changing and deleting projects.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::fields::{BeneficiaryLink, Fields, check_beneficiaries, validate};
use super::{
    ENTITY, Project, WRITERS, audit_snapshot, find_visible, lock_writable, render_one, render_page,
    status_of, wrong_status,
};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::api::extract::{ApiJson, ApiQuery, IfMatch, etag, present};
use crate::auth::{Owner, Principal};
use crate::context::RequestContext;
use crate::domain::admin_units::Era;
use crate::domain::projects::{FundingSource, ProjectStatus};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::labeled_enum;
use crate::models::audit::{self, Actor, Change};
use crate::models::now;
use crate::models::projects::{
    self as model, HistoryRow, ProjectCursor, ProjectFilter, ProjectOrder, ProjectRow, ProvinceEra,
};
use crate::models::search::TextSearch;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

labeled_enum! {
    /// Order of a project list; `-` sorts descending. Every order ends on `id`.
    pub enum ProjectSort as "project_sort" {
        Id = "id": "Theo thứ tự ghi nhận" / "In order of recording",
        IdDesc = "-id": "Mới ghi nhận trước" / "Most recently recorded first",
        PlanYear = "plan_year": "Theo năm kế hoạch" / "By plan year",
        PlanYearDesc = "-plan_year": "Năm kế hoạch mới trước" / "Latest plan year first",
        Code = "code": "Theo mã đề án" / "By project code",
        CodeDesc = "-code": "Theo mã đề án, giảm dần" / "By project code, descending",
    }
}

impl From<ProjectSort> for ProjectOrder {
    fn from(sort: ProjectSort) -> ProjectOrder {
        match sort {
            ProjectSort::Id => ProjectOrder::Id,
            ProjectSort::IdDesc => ProjectOrder::IdDesc,
            ProjectSort::PlanYear => ProjectOrder::PlanYear,
            ProjectSort::PlanYearDesc => ProjectOrder::PlanYearDesc,
            ProjectSort::Code => ProjectOrder::Code,
            ProjectSort::CodeDesc => ProjectOrder::CodeDesc,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectListQuery {
    /// Province code: current (default), or the code recorded before the reform with `era=pre2025`
    /// (`era=pre2025&province_code=44` finds the projects of the former Quảng Bình).
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Which province code `province_code` means.
    pub era: Option<Era>,
    /// Current commune code.
    #[param(pattern = r"^[0-9]{5}$")]
    pub commune_code: Option<String>,
    /// Plan years from (inclusive).
    #[param(minimum = 2000, maximum = 2100)]
    pub year_from: Option<i64>,
    /// Plan years to (inclusive).
    #[param(minimum = 2000, maximum = 2100)]
    pub year_to: Option<i64>,
    /// A code of `GET /api/v1/activity-types`.
    #[param(pattern = r"^[a-z][a-z0-9_]{2,63}$")]
    pub activity_type: Option<String>,
    pub funding_source: Option<FundingSource>,
    pub status: Option<ProjectStatus>,
    #[param(minimum = 1)]
    pub implementing_unit_id: Option<i64>,
    /// Projects naming this establishment.
    #[param(minimum = 1)]
    pub beneficiary_id: Option<i64>,
    /// Case- and accent-insensitive search over code, title and summary (`may tre` finds "Máy tre").
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Default `id`.
    #[param(inline)]
    pub sort: Option<ProjectSort>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page (with the same `sort`).
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// A new project (status `draft`, no budget until `PUT .../budget`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectRequest {
    /// Leave out to have one generated: `KCQG` or `KCDP`, plan year, province, sequence.
    #[schema(example = "KCQG-2026-19-0001", pattern = r"^ *[A-Z0-9][A-Z0-9./_-]{2,39} *$")]
    pub code: Option<String>,
    #[schema(
        example = "Hỗ trợ ứng dụng máy móc thiết bị tiên tiến trong sản xuất miến dong",
        max_length = 500
    )]
    pub title: String,
    #[schema(max_length = 2000)]
    pub summary: Option<String>,
    #[schema(example = "machinery_application", pattern = r"^ *[a-z][a-z0-9_]{2,63} *$")]
    pub activity_type: String,
    pub funding_source: FundingSource,
    #[schema(example = 2026, minimum = 2000, maximum = 2100)]
    pub plan_year: i64,
    /// Current province code; may be left out when `recorded_province_code_pre2025` is given (its
    /// successor is taken). Province staff use their own.
    #[schema(example = "19", pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<String>,
    #[schema(pattern = r"^ *[0-9]{5} *$")]
    pub commune_code: Option<String>,
    /// For projects of 2025 and earlier: the province as recorded then.
    #[schema(pattern = r"^ *[0-9]{2} *$")]
    pub recorded_province_code_pre2025: Option<String>,
    #[schema(pattern = r"^ *[0-9]{3} *$")]
    pub recorded_district_code_pre2025: Option<String>,
    #[schema(minimum = 1)]
    pub implementing_unit_id: i64,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    #[serde(default)]
    pub complete_production_line: bool,
    #[serde(default)]
    pub priority_area: bool,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub beneficiaries: Vec<BeneficiaryLink>,
}

/// Changes to a `draft` or `returned` project; absent fields stay, `null` clears an optional one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProjectRequest {
    #[schema(max_length = 500)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub summary: Option<Option<String>>,
    #[schema(pattern = r"^ *[a-z][a-z0-9_]{2,63} *$")]
    pub activity_type: Option<String>,
    pub funding_source: Option<FundingSource>,
    #[schema(minimum = 2000, maximum = 2100)]
    pub plan_year: Option<i64>,
    #[schema(pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^ *[0-9]{5} *$")]
    pub commune_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^ *[0-9]{2} *$")]
    pub recorded_province_code_pre2025: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^ *[0-9]{3} *$")]
    pub recorded_district_code_pre2025: Option<Option<String>>,
    #[schema(minimum = 1)]
    pub implementing_unit_id: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub planned_start: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub planned_end: Option<Option<NaiveDate>>,
    pub complete_production_line: Option<bool>,
    pub priority_area: Option<bool>,
    /// Replaces the whole list.
    #[schema(max_items = 500)]
    pub beneficiaries: Option<Vec<BeneficiaryLink>>,
}

impl UpdateProjectRequest {
    fn apply(self, mut f: Fields) -> Fields {
        fn set<T>(target: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *target = value;
            }
        }
        set(&mut f.title, self.title);
        set(&mut f.summary, self.summary);
        set(&mut f.activity_type, self.activity_type);
        set(&mut f.funding_source, self.funding_source);
        set(&mut f.plan_year, self.plan_year);
        if let Some(code) = self.province_code {
            f.province_code = Some(code);
        }
        set(&mut f.commune_code, self.commune_code);
        set(
            &mut f.recorded_province_code_pre2025,
            self.recorded_province_code_pre2025,
        );
        set(
            &mut f.recorded_district_code_pre2025,
            self.recorded_district_code_pre2025,
        );
        set(&mut f.implementing_unit_id, self.implementing_unit_id);
        set(&mut f.planned_start, self.planned_start);
        set(&mut f.planned_end, self.planned_end);
        set(&mut f.complete_production_line, self.complete_production_line);
        set(&mut f.priority_area, self.priority_area);
        set(&mut f.beneficiaries, self.beneficiaries);
        f
    }
}

fn outside_territory() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "outside_territory",
        Text::new(
            "Cán bộ cấp tỉnh chỉ ghi nhận đề án trong tỉnh của mình.",
            "Province staff record projects of their own province only.",
        ),
    )
}

fn duplicate_code(code: &str) -> ApiError {
    ApiError::conflict(
        "duplicate_code",
        Text::new(
            format!("Đã có đề án mã {code}."),
            format!("A project with code {code} exists."),
        ),
    )
}

/// The row a new project starts from, before its content is applied: a `draft` with code `code`,
/// no budget yet, at version 1.
pub(crate) fn draft_base(code: String, at: chrono::NaiveDateTime) -> ProjectRow {
    ProjectRow {
        id: 0,
        code,
        title: String::new(),
        summary: None,
        activity_type: String::new(),
        funding_source: String::new(),
        plan_year: 0,
        province_code: String::new(),
        commune_code: None,
        recorded_province_code_pre2025: None,
        recorded_district_code_pre2025: None,
        implementing_unit_id: 0,
        planned_start: None,
        planned_end: None,
        complete_production_line: false,
        priority_area: false,
        status: ProjectStatus::Draft.as_str().to_owned(),
        budget_national_vnd: 0,
        budget_local_vnd: 0,
        budget_counterpart_vnd: 0,
        budget_other_vnd: 0,
        budget_version: 0,
        cap_override_reason: None,
        cap_override_budget_version: None,
        search_key: String::new(),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// The code to give a new project: the one asked for, or the next of its prefix.
pub(crate) fn assign_code(conn: &mut crate::db::DbConn, fields: &Fields) -> Result<String, ApiError> {
    if let Some(code) = &fields.code {
        if model::find_by_code(conn, code)?.is_some() {
            return Err(duplicate_code(code));
        }
        return Ok(code.clone());
    }
    let source = match fields.funding_source {
        FundingSource::National => "KCQG",
        FundingSource::Local => "KCDP",
    };
    let prefix = format!(
        "{source}-{}-{}",
        fields.plan_year,
        fields.province_code.as_deref().unwrap_or("00")
    );
    // A code given by hand may already hold the next number: move past it.
    loop {
        let code = format!("{prefix}-{:04}", model::next_code_number(conn, &prefix)?);
        if model::find_by_code(conn, &code)?.is_none() {
            return Ok(code);
        }
    }
}

/// The columns of the project list as CSV, in this order (`beneficiaries` as JSON text).
const CSV_COLUMNS: [&str; 39] = [
    "id",
    "code",
    "title",
    "summary",
    "activity_type",
    "funding_source",
    "plan_year",
    "province_code",
    "commune_code",
    "recorded_province_code_pre2025",
    "recorded_district_code_pre2025",
    "implementing_unit_id",
    "planned_start",
    "planned_end",
    "complete_production_line",
    "priority_area",
    "status",
    "budget_version",
    "cap_override_reason",
    "money.approved.national_vnd",
    "money.approved.local_vnd",
    "money.approved.counterpart_vnd",
    "money.approved.other_vnd",
    "money.total_cost_vnd",
    "money.state_support_vnd",
    "money.disbursed.national_vnd",
    "money.disbursed.local_vnd",
    "money.disbursed.counterpart_vnd",
    "money.disbursed.other_vnd",
    "money.remaining.national_vnd",
    "money.remaining.local_vnd",
    "money.remaining.counterpart_vnd",
    "money.remaining.other_vnd",
    "money.state_advances_vnd",
    "money.disbursement_rate",
    "beneficiaries",
    "version",
    "created_at",
    "updated_at",
];

/// List projects visible to the caller.
///
/// One page of JSON, or every matching project (in id order) as CSV for `Accept: text/csv`.
#[utoipa::path(
    tag = "projects",
    params(ProjectListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of projects; with `Accept: text/csv`, every matching one", content(
            (Page<Project> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<ProjectListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<ProjectCursor> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let order: ProjectOrder = query.sort.unwrap_or(ProjectSort::Id).into();
    let filter = ProjectFilter {
        province_code: query.province_code,
        province_era: match query.era {
            Some(Era::Pre2025) => ProvinceEra::RecordedPre2025,
            _ => ProvinceEra::Current,
        },
        commune_code: query.commune_code,
        year_from: query.year_from,
        year_to: query.year_to,
        activity_type: query.activity_type,
        funding_source: query.funding_source.map(|v| v.as_str().to_owned()),
        status: query.status.map(|v| v.as_str().to_owned()),
        implementing_unit_id: query.implementing_unit_id,
        beneficiary_id: query.beneficiary_id,
        search: query
            .q
            .as_deref()
            .map(|q| TextSearch::new(q, state.db.search_index())),
    };
    let csv = CsvList::new(&CSV_COLUMNS, "de-an.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let territory = principal.territory();
        let rows = model::list(conn, &filter, &territory, order, page.after.as_ref(), page.fetch_limit())?
            .map_err(|_| {
                ApiError::bad_request(
                    "invalid_cursor",
                    Text::new(
                        "Con trỏ phân trang không khớp với thứ tự sắp xếp; hãy dùng next_cursor của trang trước với cùng sort.",
                        "The cursor does not match the sort order; use next_cursor from the previous page with the same sort.",
                    ),
                )
            })?;
        let total = page.include_total.then(|| model::count(conn, &filter, &territory)).transpose()?;
        let rows = Page::from_rows(rows, page, |row| model::cursor_of(row, order), total);
        Ok(Page {
            items: render_page(conn, &rows.items)?,
            next_cursor: rows.next_cursor,
            total: rows.total,
        })
    })
    .await
}

/// Record a project as a draft.
#[utoipa::path(
    tag = "projects",
    request_body = CreateProjectRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Project, description = "The project was recorded as a draft", headers(("ETag" = String), ("Location" = String))),
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
#[post("/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(WRITERS)?;
    let mut fields = Fields {
        code: body.code,
        title: body.title,
        summary: body.summary,
        activity_type: body.activity_type,
        funding_source: body.funding_source,
        plan_year: body.plan_year,
        province_code: body.province_code,
        commune_code: body.commune_code,
        recorded_province_code_pre2025: body.recorded_province_code_pre2025,
        recorded_district_code_pre2025: body.recorded_district_code_pre2025,
        implementing_unit_id: body.implementing_unit_id,
        planned_start: body.planned_start,
        planned_end: body.planned_end,
        complete_production_line: body.complete_production_line,
        priority_area: body.priority_area,
        beneficiaries: body.beneficiaries,
    }
    .normalized();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let errors = validate(conn, &principal, &mut fields, true)?;
            // The territory is judged on the province the project ends up in (it may come from
            // the recorded pre-2025 province).
            if fields.province_code.is_some()
                && !principal.sees(Owner {
                    province_code: fields.province_code.as_deref(),
                    commune_code: fields.commune_code.as_deref(),
                })
            {
                return Err(outside_territory());
            }
            crate::api::checks::ensure(errors)?;
            let at = now();
            let base = draft_base(assign_code(conn, &fields)?, at);
            let row = model::insert(conn, &fields.to_row(&base))?;
            model::replace_beneficiaries(conn, row.id, &fields.links())?;
            model::record_history(
                conn,
                &HistoryRow {
                    to_status: Some(ProjectStatus::Draft.as_str().into()),
                    ..HistoryRow::new(row.id, "created", &actor, at)
                },
            )?;
            let view = render_one(conn, &row)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: row.id.to_string(),
                    action: "create",
                    before: None,
                    after: audit_snapshot(&row).map(|mut v| {
                        v["beneficiaries"] = serde_json::json!(fields.links());
                        v
                    }),
                    province_code: Some(&row.province_code),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/projects/{}", view.id)))
        .json(view))
}

/// Get one project with its money summary.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Project, description = "The project", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/projects/{id}")]
pub async fn get_project(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = find_visible(conn, &principal, id)?;
            render_one(conn, &row)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change a `draft` or `returned` project (after approval, use adjustments).
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateProjectRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Project, description = "The project as changed", headers(("ETag" = String))),
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
#[patch("/projects/{id}")]
pub async fn update_project(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateProjectRequest>,
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
                    "project_not_editable",
                    "Chỉ sửa được đề án dự thảo hoặc bị trả lại; sau phê duyệt hãy lập điều chỉnh",
                    "Only draft or returned projects can be edited; after approval, record an adjustment",
                ));
            }
            let links = model::beneficiaries_of(conn, &[current.id])?;
            let changed_type = body
                .activity_type
                .as_deref()
                .is_some_and(|t| t.trim() != current.activity_type);
            let mut fields = body.apply(Fields::from_row(&current, &links)?).normalized();
            let errors = validate(conn, &principal, &mut fields, changed_type)?;
            if !principal.sees(Owner {
                province_code: fields.province_code.as_deref(),
                commune_code: fields.commune_code.as_deref(),
            }) {
                return Err(outside_territory());
            }
            crate::api::checks::ensure(errors)?;
            let mut next = fields.to_row(&current);
            next.version = current.version + 1;
            let updated = model::update(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            model::replace_beneficiaries(conn, id, &fields.links())?;
            let before_links: Vec<(i64, String)> =
                links.iter().map(|l| (l.beneficiary_id, l.role.clone())).collect();
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "update",
                    before: audit_snapshot(&current).map(|mut v| {
                        v["beneficiaries"] = serde_json::json!(before_links);
                        v
                    }),
                    after: audit_snapshot(&updated).map(|mut v| {
                        v["beneficiaries"] = serde_json::json!(fields.links());
                        v
                    }),
                    province_code: Some(&updated.province_code),
                },
            )?;
            render_one(conn, &updated)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Delete a `draft` project (the audit log keeps its last state).
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The draft was deleted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        (status = 503, response = Unavailable),
    ),
)]
#[delete("/projects/{id}")]
pub async fn delete_project(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    state
        .db
        .write(move |conn| {
            let current = lock_writable(conn, &principal, id)?;
            if_match?.check(current.version)?;
            let status = status_of(&current)?;
            if status != ProjectStatus::Draft {
                return Err(wrong_status(
                    status,
                    "project_not_deletable",
                    "Chỉ xóa được đề án dự thảo; đề án đã trình được hủy bằng quyết định",
                    "Only draft projects can be deleted; a submitted project is cancelled by a decision",
                ));
            }
            let links = model::beneficiaries_of(conn, &[id])?;
            model::delete(conn, id)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "delete",
                    before: audit_snapshot(&current).map(|mut v| {
                        v["beneficiaries"] = serde_json::json!(
                            links
                                .iter()
                                .map(|l| (l.beneficiary_id, l.role.clone()))
                                .collect::<Vec<_>>()
                        );
                        v
                    }),
                    after: None,
                    province_code: Some(&current.province_code),
                },
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The establishments a project names, replaced as a whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutBeneficiariesRequest {
    #[schema(max_items = 500)]
    pub items: Vec<BeneficiaryLink>,
}

/// Name the establishments of a project, also after approval (group projects such as trainings
/// name their participants as they enrol); after approval none may be taken off.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = PutBeneficiariesRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Project, description = "The project with its establishments", headers(("ETag" = String))),
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
#[put("/projects/{id}/beneficiaries")]
pub async fn put_project_beneficiaries(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<PutBeneficiariesRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = lock_writable(conn, &principal, id)?;
            if_match?.check(current.version)?;
            let status = status_of(&current)?;
            if !(status.is_editable() || status.takes_adjustments()) {
                return Err(wrong_status(
                    status,
                    "beneficiaries_locked",
                    "Danh sách cơ sở thụ hưởng chốt từ khi nghiệm thu",
                    "The establishments are fixed from acceptance on",
                ));
            }
            let mut errors = Vec::new();
            check_beneficiaries(conn, &principal, &body.items, "items", &mut errors)?;
            let before = model::beneficiaries_of(conn, &[id])?;
            if !status.is_editable() {
                for named in &before {
                    if !body.items.iter().any(|l| l.beneficiary_id == named.beneficiary_id) {
                        errors.push(crate::api::checks::error(
                            "items",
                            "beneficiary_removed_after_approval",
                            format!(
                                "Sau phê duyệt không bỏ được cơ sở {} ({}); hãy lập điều chỉnh.",
                                named.beneficiary_id, named.name
                            ),
                            format!(
                                "After approval establishment {} ({}) cannot be taken off; record an adjustment.",
                                named.beneficiary_id, named.name
                            ),
                        ));
                    }
                }
            }
            crate::api::checks::ensure(errors)?;
            let links: Vec<(i64, String)> = body
                .items
                .iter()
                .map(|l| (l.beneficiary_id, l.role.as_str().to_owned()))
                .collect();
            let mut next = current.clone();
            next.version = current.version + 1;
            next.updated_at = now();
            let updated = model::update(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            model::replace_beneficiaries(conn, id, &links)?;
            model::record_history(
                conn,
                &HistoryRow {
                    note: Some(format!("{} → {}", before.len(), links.len())),
                    ..HistoryRow::new(id, "beneficiaries_named", &actor, updated.updated_at)
                },
            )?;
            let before_links: Vec<(i64, String)> =
                before.iter().map(|l| (l.beneficiary_id, l.role.clone())).collect();
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "beneficiaries_named",
                    before: Some(serde_json::json!({"beneficiaries": before_links})),
                    after: Some(serde_json::json!({"beneficiaries": links})),
                    province_code: Some(&updated.province_code),
                },
            )?;
            render_one(conn, &updated)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

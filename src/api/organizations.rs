//! Implementing units (đơn vị thực hiện): provincial industrial-promotion centres, departments of
//! industry and trade, the ministry's agency. Every signed-in user reads them (a project names its
//! unit); `admin` and `ministry` manage them all, province staff those of their province.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::checks::{self, clean, error};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::api::extract::{ApiJson, ApiQuery, IfMatch, etag, present};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::domain::projects::OrganizationKind;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::organizations::{self as model, OrganizationFilter, OrganizationRow};
use crate::models::{decode, now};
use crate::openapi::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired, Unauthorized,
    Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

const ENTITY: &str = "organization";
const WRITERS: &[Role] = &[Role::Admin, Role::Ministry, Role::Province];

/// An implementing unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub kind: OrganizationKind,
    /// Current province code; `null` for the ministry's agency.
    pub province_code: Option<String>,
    pub address_line: Option<String>,
    /// The person to contact.
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    /// Optimistic-concurrency version; send it back as `If-Match`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    pub fn render(row: &OrganizationRow) -> Result<Organization, ApiError> {
        Ok(Organization {
            id: row.id,
            name: row.name.clone(),
            kind: decode("organizations.kind", &row.kind)?,
            province_code: row.province_code.clone(),
            address_line: row.address_line.clone(),
            contact_name: row.contact_name.clone(),
            phone: row.phone.clone(),
            email: row.email.clone(),
            active: row.active,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationListQuery {
    /// Current province code.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    pub kind: Option<OrganizationKind>,
    pub active: Option<bool>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// A new implementing unit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    #[schema(
        example = "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Bắc Kạn",
        max_length = 300
    )]
    pub name: String,
    pub kind: OrganizationKind,
    /// Current province code; required except for the ministry's agency. Province staff use their own.
    #[schema(example = "19", pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<String>,
    #[schema(max_length = 500)]
    pub address_line: Option<String>,
    #[schema(max_length = 200)]
    pub contact_name: Option<String>,
    /// A Vietnamese phone number.
    pub phone: Option<String>,
    #[schema(format = Email)]
    pub email: Option<String>,
}

/// Changes to a unit; absent fields stay, `null` clears an optional field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    #[schema(max_length = 300)]
    pub name: Option<String>,
    pub kind: Option<OrganizationKind>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address_line: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub contact_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Option<String>>,
    /// An inactive unit keeps its projects but takes no new ones.
    pub active: Option<bool>,
}

/// Cleans the editable fields of `row` and checks them; province staff only inside their province.
fn check(
    conn: &mut crate::db::DbConn,
    principal: &Principal,
    row: &mut OrganizationRow,
) -> Result<(), ApiError> {
    row.name = crate::domain::text::clean_line(&row.name);
    // Codes are trimmed, never blanked: an empty code is an unknown one.
    row.province_code = row.province_code.take().map(|c| c.trim().to_owned());
    row.address_line = clean(row.address_line.take());
    row.contact_name = clean(row.contact_name.take());
    row.phone = clean(row.phone.take());
    // A blank e-mail is not an address: clear the field with `null` instead.
    let email = row.email.take().map(|e| e.trim().to_owned());
    row.email = email.clone();
    let kind: OrganizationKind = decode("organizations.kind", &row.kind)?;
    if principal.role == Role::Province
        && (kind == OrganizationKind::MinistryAgency
            || row.province_code.as_deref() != principal.province_code.as_deref())
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "outside_territory",
            Text::new(
                "Cán bộ cấp tỉnh chỉ quản lý đơn vị thực hiện trong tỉnh của mình.",
                "Province staff manage implementing units of their own province only.",
            ),
        ));
    }
    let mut errors = Vec::new();
    checks::length(&mut errors, "name", &row.name, 2, 300);
    checks::max_length(&mut errors, "address_line", row.address_line.as_deref(), 500);
    checks::max_length(&mut errors, "contact_name", row.contact_name.as_deref(), 200);
    checks::phone(&mut errors, "phone", row.phone.as_deref());
    checks::email(&mut errors, "email", email.as_deref());
    match (&row.province_code, kind) {
        (None, OrganizationKind::MinistryAgency) => {}
        (None, _) => errors.push(error(
            "province_code",
            "required",
            "Cần mã tỉnh của đơn vị.",
            "The unit's province code is required.",
        )),
        (Some(code), _) => {
            checks::current_province(conn, &mut errors, "province_code", code)?;
        }
    }
    checks::ensure(errors)
}

/// The columns of the list as CSV, in order.
const ORGANIZATION_CSV: [&str; 12] = [
    "id",
    "name",
    "kind",
    "province_code",
    "address_line",
    "contact_name",
    "phone",
    "email",
    "active",
    "version",
    "created_at",
    "updated_at",
];

/// List implementing units.
#[utoipa::path(
    tag = "organizations",
    params(OrganizationListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of units; with `Accept: text/csv`, every one", content(
            (Page<Organization> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/organizations")]
pub async fn list_organizations(
    state: web::Data<AppState>,
    req: HttpRequest,
    _principal: Principal,
    ApiQuery(query): ApiQuery<OrganizationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = OrganizationFilter {
        province_code: query.province_code,
        kind: query.kind.map(|k| k.as_str().to_owned()),
        active: query.active,
    };
    let csv = CsvList::new(&ORGANIZATION_CSV, "don-vi.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = model::list(conn, &filter, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| model::count(conn, &filter))
            .transpose()?;
        let items = rows
            .iter()
            .map(Organization::render)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |o| o.id, total))
    })
    .await
}

/// Record an implementing unit.
#[utoipa::path(
    tag = "organizations",
    request_body = CreateOrganizationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Organization, description = "The unit was recorded", headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/organizations")]
pub async fn create_organization(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(WRITERS)?;
    let actor = Actor::new(&principal, &context);
    let at = now();
    let mut row = OrganizationRow {
        id: 0,
        name: body.name,
        kind: body.kind.as_str().to_owned(),
        province_code: body.province_code.map(|c| c.trim().to_owned()),
        address_line: body.address_line,
        contact_name: body.contact_name,
        phone: body.phone,
        email: body.email,
        active: true,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    let view = state
        .db
        .write(move |conn| {
            check(conn, &principal, &mut row)?;
            let row = model::insert(conn, &row)?;
            let view = Organization::render(&row)?;
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
        .insert_header(("Location", format!("/api/v1/organizations/{}", view.id)))
        .json(view))
}

/// Get one implementing unit.
#[utoipa::path(
    tag = "organizations",
    params(("id" = i64, Path, description = "Unit id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Organization, description = "The unit", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    _principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = model::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            Organization::render(&row)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change an implementing unit.
#[utoipa::path(
    tag = "organizations",
    params(
        ("id" = i64, Path, description = "Unit id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateOrganizationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Organization, description = "The unit as changed", headers(("ETag" = String))),
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
#[patch("/organizations/{id}")]
pub async fn update_organization(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = model::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            principal.require(WRITERS)?;
            if principal.role == Role::Province
                && current.province_code.as_deref() != principal.province_code.as_deref()
            {
                return Err(ApiError::forbidden());
            }
            if_match?.check(current.version)?;
            let mut next = current.clone();
            if let Some(v) = body.name {
                next.name = v;
            }
            if let Some(v) = body.kind {
                next.kind = v.as_str().to_owned();
            }
            if let Some(v) = body.province_code {
                next.province_code = v.map(|c| c.trim().to_owned());
            }
            if let Some(v) = body.address_line {
                next.address_line = v;
            }
            if let Some(v) = body.contact_name {
                next.contact_name = v;
            }
            if let Some(v) = body.phone {
                next.phone = v;
            }
            if let Some(v) = body.email {
                next.email = v;
            }
            if let Some(v) = body.active {
                next.active = v;
            }
            check(conn, &principal, &mut next)?;
            next.version = current.version + 1;
            next.updated_at = now();
            let updated = model::update(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            let view = Organization::render(&updated)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: updated.id.to_string(),
                    action: "update",
                    before: audit::snapshot(&Organization::render(&current)?),
                    after: audit::snapshot(&view),
                    province_code: updated.province_code.as_deref(),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

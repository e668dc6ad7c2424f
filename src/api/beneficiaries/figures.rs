//! Yearly figures of an establishment (revenue, employees, average income, assets) for impact
//! reporting. One record per year; `PUT` creates a year or replaces it (then `If-Match` applies).

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, Datelike, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ensure_not_merged, ensure_writable, owner};
use crate::api::csv_export::{CsvFile, CsvList, csv_answer, wants_csv};
use crate::api::extract::{ApiJson, IfMatch, etag};
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::domain::beneficiaries::{
    MAX_AVERAGE_INCOME_VND, MAX_EMPLOYEES, MAX_REVENUE_VND, MAX_TOTAL_ASSETS_VND, check_bound, check_year,
};
use crate::error::{ApiError, FieldError};
use crate::models::audit::{self, Actor, Change, snapshot};
use crate::models::beneficiaries::{self as model, AnnualFigures};
use crate::models::now;
use crate::openapi::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired, Unauthorized,
    Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::Page;
use crate::state::AppState;

const FIGURES_ENTITY: &str = "beneficiary_annual_figures";

/// The figures of one year. Money in đồng.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnualFiguresView {
    pub year: i64,
    pub revenue_vnd: Option<i64>,
    pub employees: Option<i64>,
    /// Average monthly income per worker.
    pub average_income_vnd: Option<i64>,
    pub total_assets_vnd: Option<i64>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<&AnnualFigures> for AnnualFiguresView {
    fn from(f: &AnnualFigures) -> AnnualFiguresView {
        AnnualFiguresView {
            year: f.year,
            revenue_vnd: f.revenue_vnd,
            employees: f.employees,
            average_income_vnd: f.average_income_vnd,
            total_assets_vnd: f.total_assets_vnd,
            version: f.version,
            updated_at: f.updated_at.and_utc(),
        }
    }
}

/// The figures of a year; a figure left out is unknown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnualFiguresRequest {
    /// Revenue of the year, đồng.
    #[schema(example = 2_500_000_000i64, minimum = 0, maximum = 100_000_000_000_000i64)]
    pub revenue_vnd: Option<i64>,
    #[schema(minimum = 0, maximum = 100_000)]
    pub employees: Option<i64>,
    /// Average monthly income per worker, đồng.
    #[schema(example = 6_500_000i64, minimum = 0, maximum = 1_000_000_000)]
    pub average_income_vnd: Option<i64>,
    /// Total assets at the end of the year, đồng.
    #[schema(minimum = 0, maximum = 100_000_000_000_000i64)]
    pub total_assets_vnd: Option<i64>,
}

impl AnnualFiguresRequest {
    fn check(&self, year: i64) -> Result<(), ApiError> {
        let errors: Vec<FieldError> = [
            check_year("year", year, i64::from(Utc::now().year())),
            check_bound("revenue_vnd", self.revenue_vnd, MAX_REVENUE_VND),
            check_bound("employees", self.employees, MAX_EMPLOYEES),
            check_bound(
                "average_income_vnd",
                self.average_income_vnd,
                MAX_AVERAGE_INCOME_VND,
            ),
            check_bound("total_assets_vnd", self.total_assets_vnd, MAX_TOTAL_ASSETS_VND),
        ]
        .into_iter()
        .flatten()
        .map(|out| FieldError::new(out.field, "out_of_range", out.message))
        .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

/// The columns of the list as CSV, in order.
const FIGURES_CSV: [&str; 7] = [
    "year",
    "revenue_vnd",
    "employees",
    "average_income_vnd",
    "total_assets_vnd",
    "version",
    "updated_at",
];

/// List an establishment's yearly figures, oldest year first.
#[utoipa::path(
    tag = "beneficiaries",
    params(("id" = i64, Path, description = "Establishment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The yearly figures, oldest year first (one page); with `Accept: text/csv`, as CSV", content(
            (Page<AnnualFiguresView> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/beneficiaries/{id}/annual-figures")]
pub async fn list_annual_figures(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let items = state
        .db
        .read(move |conn| {
            let row = model::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            principal.ensure_sees(owner(&row))?;
            Ok(model::annual_figures(conn, id)?
                .iter()
                .map(AnnualFiguresView::from)
                .collect::<Vec<_>>())
        })
        .await?;
    if wants_csv(&req) {
        return csv_answer(CsvList::new(&FIGURES_CSV, "so-lieu-hang-nam.csv"), &items);
    }
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
        total: None,
    }))
}

/// Record or replace the figures of one year.
#[utoipa::path(
    tag = "beneficiaries",
    params(
        ("id" = i64, Path, description = "Establishment id"),
        ("year" = i64, Path, description = "Calendar year, 1900 to the current year (a later year is a 422)", minimum = 1900, maximum = 2100),
        ("If-Match" = Option<String>, Header, description = "Required when the year already has figures: their ETag", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = AnnualFiguresRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AnnualFiguresView, description = "Replaced", headers(("ETag" = String))),
        (status = 201, body = AnnualFiguresView, description = "Created", headers(("ETag" = String))),
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
#[put("/beneficiaries/{id}/annual-figures/{year}")]
pub async fn put_annual_figures(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    path: web::Path<(i64, i64)>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<AnnualFiguresRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, year) = path.into_inner();
    let actor = Actor::new(&principal, &context);
    let (figures, created) = state
        .db
        .write(move |conn| {
            let beneficiary = model::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            ensure_writable(&principal, &beneficiary)?;
            ensure_not_merged(&beneficiary)?;
            body.check(year)?;
            let timestamp = now();
            let fresh = AnnualFigures {
                id: 0,
                beneficiary_id: id,
                year,
                revenue_vnd: body.revenue_vnd,
                employees: body.employees,
                average_income_vnd: body.average_income_vnd,
                total_assets_vnd: body.total_assets_vnd,
                version: 1,
                created_at: timestamp,
                updated_at: timestamp,
            };
            let mut existing = model::find_annual_figures(conn, id, year)?;
            let mut inserted = None;
            if existing.is_none() {
                // In a savepoint: when a concurrent request created the year first, the unique index
                // refuses this insert, and the request goes on as if it had arrived second (an
                // update, needing If-Match), exactly as when the two come one after the other.
                match conn.transaction(|conn| model::insert_annual_figures(conn, &fresh)) {
                    Ok(saved) => inserted = Some(saved),
                    Err(error) if error.code == "duplicate" => {
                        existing = model::find_annual_figures(conn, id, year)?;
                    }
                    Err(error) => return Err(error),
                }
            }
            let (saved, created) = match &existing {
                Some(current) => {
                    if_match?.check(current.version)?;
                    let next = AnnualFigures {
                        revenue_vnd: body.revenue_vnd,
                        employees: body.employees,
                        average_income_vnd: body.average_income_vnd,
                        total_assets_vnd: body.total_assets_vnd,
                        updated_at: timestamp,
                        ..current.clone()
                    };
                    let saved = model::update_annual_figures(conn, &next, current.version)?
                        .ok_or_else(|| ApiError::precondition_failed(current.version))?;
                    (saved, false)
                }
                None => (
                    inserted
                        .ok_or_else(|| ApiError::internal("annual figures neither found nor inserted"))?,
                    true,
                ),
            };
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: FIGURES_ENTITY,
                    entity_id: format!("{id}/{year}"),
                    action: if created { "create" } else { "update" },
                    before: existing
                        .as_ref()
                        .and_then(|f| snapshot(&AnnualFiguresView::from(f))),
                    after: snapshot(&AnnualFiguresView::from(&saved)),
                    province_code: Some(&beneficiary.province_code),
                },
            )?;
            Ok((AnnualFiguresView::from(&saved), created))
        })
        .await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.insert_header(etag(figures.version)).json(figures))
}

//! A year in one report: what a province puts in its year-end review, and the same for the whole
//! country. The report gathers the figure families of this module for one year, as JSON or as an
//! Excel workbook with one sheet per family (`Accept:
//! application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`).

use actix_web::http::header::{ACCEPT, CONTENT_DISPOSITION};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::certification::{self, CertificationDimension, CertificationStats};
use super::progress::{ProgrammeProgress, progress_of};
use super::projects::{
    Filters, IndicatorStats, ProjectDimension, ProjectStats, indicator_figures, project_figures,
};
use super::{check_years, province_in_scope, workbook};
use crate::api::certification::level_of;
use crate::api::certification::rounds::{RoundSummary, status_of, summary};
use crate::api::extract::ApiQuery;
use crate::auth::principal::Territory;
use crate::auth::{Principal, Role};
use crate::domain::admin_units::Era;
use crate::domain::certification::{RoundStatus, SelectionLevel};
use crate::domain::projects::{ProgrammeLevel, ProjectStatus};
use crate::error::ApiError;
use crate::models::certification::{self as rounds, RoundFilter};
use crate::models::programmes::{self, ProgrammeFilter};
use crate::models::stats::{CertificationScope, ProjectScope};
use crate::models::{admin_units, organizations};
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;

/// The media type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Projects of a year's report: those approved and later, the year's work whether finished or not.
const OF_THE_YEAR: &[ProjectStatus] = &[
    ProjectStatus::Approved,
    ProjectStatus::InProgress,
    ProjectStatus::Suspended,
    ProjectStatus::Accepted,
    ProjectStatus::Settled,
];

/// Rounds one report lists at most (a province holds a few a year).
const MAX_ROUNDS: i64 = 1000;

/// A selection round of the year with the figures the press reports.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundLine {
    pub id: i64,
    pub level: SelectionLevel,
    pub title: String,
    pub status: RoundStatus,
    pub summary: RoundSummary,
}

/// A year's figures, for a province or the whole country.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearReport {
    pub year: i64,
    /// The province (current units); `null` in the national report.
    pub province_code: Option<String>,
    pub province_name: Option<String>,
    /// Projects of the plan year approved and later, by activity type and funding source.
    pub projects: ProjectStats,
    /// The same projects by province.
    pub projects_by_province: ProjectStats,
    /// Their outcome indicators.
    pub indicators: IndicatorStats,
    /// Selection rounds of the year: the province's own, or in the national report the regional
    /// and national ones.
    pub selection_rounds: Vec<RoundLine>,
    /// Entries and certificates of the year by level.
    pub certification: CertificationStats,
    /// The programmes whose period holds the year: national ones (the province's lines in a
    /// province's report) and the province's own.
    pub programmes: Vec<ProgrammeProgress>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProvinceYearQuery {
    /// The province (current units). Province staff may only name their own.
    #[param(pattern = r"^[0-9]{2}$", example = "19")]
    pub province_code: String,
    #[param(minimum = 2000, maximum = 2100, example = 2026)]
    pub year: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NationalYearQuery {
    #[param(minimum = 2000, maximum = 2100, example = 2026)]
    pub year: i64,
}

/// An Excel workbook (`.xlsx`).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Workbook(pub Vec<u8>);

async fn year_report(state: &AppState, year: i64, province: Option<String>) -> Result<YearReport, ApiError> {
    let filters = || Filters {
        scope: ProjectScope {
            year_from: Some(year),
            year_to: Some(year),
            province_code: province.clone(),
            statuses: OF_THE_YEAR.to_vec(),
            ..ProjectScope::default()
        },
        era: Era::Current,
    };
    let projects = project_figures(
        state,
        vec![ProjectDimension::ActivityType, ProjectDimension::FundingSource],
        filters(),
    )
    .await?;
    let projects_by_province = project_figures(state, vec![ProjectDimension::Province], filters()).await?;
    let indicators = indicator_figures(state, Vec::new(), filters(), None).await?;
    let certification = certification::figures(
        state,
        vec![CertificationDimension::Level],
        CertificationScope {
            year_from: Some(year),
            year_to: Some(year),
            province_code: province.clone(),
            ..CertificationScope::default()
        },
    )
    .await?;
    let province_code = province.clone();
    let (province_name, selection_rounds, programmes) = state
        .db
        .read(move |conn| {
            let province_name = match &province {
                Some(code) => Some(
                    admin_units::find_province_2025(conn, code)?
                        .ok_or_else(ApiError::not_found)?
                        .name,
                ),
                None => None,
            };
            let filter = |level: Option<SelectionLevel>| RoundFilter {
                level: level.map(|l| l.as_str().to_owned()),
                year: Some(year),
                status: None,
                province_code: province.clone(),
                region_code: None,
                territory: Territory::National,
                user_id: 0,
            };
            let held = match &province {
                Some(_) => rounds::list_rounds(conn, &filter(None), None, MAX_ROUNDS)?,
                None => {
                    let mut held =
                        rounds::list_rounds(conn, &filter(Some(SelectionLevel::Region)), None, MAX_ROUNDS)?;
                    held.extend(rounds::list_rounds(
                        conn,
                        &filter(Some(SelectionLevel::National)),
                        None,
                        MAX_ROUNDS,
                    )?);
                    held
                }
            };
            let mut lines = Vec::with_capacity(held.len());
            for round in &held {
                lines.push(RoundLine {
                    id: round.id,
                    level: level_of(round)?,
                    title: round.title.clone(),
                    status: status_of(round)?,
                    summary: summary(conn, round)?,
                });
            }
            let covering = ProgrammeFilter {
                level: None,
                province_code: None,
                year: Some(year),
            };
            let mut progress = Vec::new();
            for programme in programmes::list_programmes(conn, &covering, None, MAX_ROUNDS)? {
                let national = programme.level == ProgrammeLevel::National.as_str();
                let own = province.is_some() && programme.province_code == province;
                if national || own {
                    progress.push(progress_of(conn, programme, province.clone())?);
                }
            }
            Ok((province_name, lines, progress))
        })
        .await?;
    Ok(YearReport {
        year,
        province_code,
        province_name,
        projects,
        projects_by_province,
        indicators,
        selection_rounds,
        certification,
        programmes,
    })
}

/// The report as the request asks for it: a workbook for an `Accept` naming its media type, JSON
/// otherwise.
async fn answer(
    state: &AppState,
    req: &HttpRequest,
    report: YearReport,
    file_name: String,
) -> Result<HttpResponse, ApiError> {
    let wants_workbook = req
        .headers()
        .get_all(ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim().starts_with(XLSX)));
    if !wants_workbook {
        return Ok(HttpResponse::Ok().json(report));
    }
    let names = state
        .db
        .read(|conn| {
            Ok(organizations::activity_types(conn)?
                .into_iter()
                .map(|t| (t.code, t.name_vi))
                .collect())
        })
        .await?;
    let bytes = workbook::year_report(&report, &names)?;
    Ok(HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(bytes))
}

/// A province's year: projects and money by activity type and source, indicators, selection
/// rounds and certificates, and plan progress.
///
/// JSON, or an Excel workbook for `Accept:
/// application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`.
#[utoipa::path(
    tag = "stats",
    params(
        ProvinceYearQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (YearReport = "application/json"),
            (Workbook = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "For a workbook: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/reports/province-year")]
pub async fn province_year_report(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<ProvinceYearQuery>,
) -> Result<HttpResponse, ApiError> {
    let province = province_in_scope(&principal, Some(query.province_code))?;
    check_years(Some(query.year), None)?;
    let report = year_report(&state, query.year, province.clone()).await?;
    let file_name = format!(
        "bao-cao-khuyen-cong-{}-{}.xlsx",
        province.unwrap_or_default(),
        query.year
    );
    answer(&state, &req, report, file_name).await
}

/// The country's year: the same figures for every province.
///
/// JSON, or an Excel workbook for `Accept:
/// application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`.
#[utoipa::path(
    tag = "stats",
    params(
        NationalYearQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (YearReport = "application/json"),
            (Workbook = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "For a workbook: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/reports/national-year")]
pub async fn national_year_report(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<NationalYearQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Admin, Role::Ministry, Role::Auditor])?;
    check_years(Some(query.year), None)?;
    let report = year_report(&state, query.year, None).await?;
    answer(
        &state,
        &req,
        report,
        format!("bao-cao-khuyen-cong-toan-quoc-{}.xlsx", query.year),
    )
    .await
}

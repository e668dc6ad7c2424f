//! Administrative units as reference data: provinces of both eras, current communes and pre-2025
//! districts. Public (no personal data), so that clients can fill their pickers before sign-in.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use crate::api::csv_export::{CsvFile, CsvList, csv_answer, list_answer, wants_csv};
use crate::domain::admin_units::{CommuneType, DistrictType, Era, ProvinceType, Region};
use crate::domain::search::{contains_pattern, search_key};
use crate::error::ApiError;
use crate::models::admin_units::{self as units, UnitFilter};
use crate::models::decode;
use crate::openapi::{BadRequest, NotFound, Unavailable};
use crate::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;

/// Provinces are few; one page holds them all by default.
const PROVINCE_PAGE: u32 = 100;
const UNIT_PAGE: u32 = 50;

/// A provincial unit of one era.
#[derive(Debug, Serialize, ToSchema)]
pub struct Province {
    /// Two-digit code, meaningful only together with `era` (codes were reused in 2025).
    pub code: String,
    pub era: Era,
    pub name: String,
    pub full_name: String,
    #[serde(rename = "type")]
    pub unit_type: ProvinceType,
    /// Name without diacritics.
    pub name_en: String,
    /// Region of the regional product-selection round.
    pub region: Region,
    /// Current era only: the province was formed from parts of more than one region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_mixed: Option<bool>,
    /// Pre-2025 era only: the current province that succeeded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successor_code: Option<String>,
    /// Current era only: the pre-2025 provinces merged into it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predecessor_codes: Option<Vec<String>>,
}

/// A province with its successor (pre-2025) or predecessors (current) spelled out.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceDetail {
    #[serde(flatten)]
    pub province: Province,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successor: Option<ProvinceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predecessors: Option<Vec<ProvinceRef>>,
}

/// A province named from another era.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceRef {
    pub code: String,
    pub era: Era,
    pub name: String,
    pub full_name: String,
}

/// A commune-level unit in force now (xã, phường, đặc khu).
#[derive(Debug, Serialize, ToSchema)]
pub struct Commune {
    /// Five-digit code (current era).
    pub code: String,
    pub name: String,
    pub full_name: String,
    #[serde(rename = "type")]
    pub unit_type: CommuneType,
    /// Current province code.
    pub province_code: String,
    pub name_en: String,
}

/// A district-level unit before the reform.
#[derive(Debug, Serialize, ToSchema)]
pub struct District {
    /// Three-digit code (pre-2025 era only).
    pub code: String,
    pub name: String,
    pub full_name: String,
    #[serde(rename = "type")]
    pub unit_type: DistrictType,
    /// Pre-2025 province code.
    pub province_code: String,
    /// Current province that took over its territory.
    pub successor_province_code: String,
    pub name_en: String,
    /// Whether it still existed on 30 June 2025 (some merged in 2024–2025).
    pub in_force_2025_06_30: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProvinceListQuery {
    /// `current` (default, 34 units) or `pre2025` (63 provinces).
    pub era: Option<Era>,
    pub region: Option<Region>,
    /// Case- and accent-insensitive search in the name.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EraQuery {
    /// `current` (default) or `pre2025`.
    pub era: Option<Era>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitListQuery {
    /// Province code: current for communes, pre-2025 for districts.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Case- and accent-insensitive search in the name (`ba dinh` finds "Ba Đình").
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

fn province_current(row: units::Province2025, predecessors: Vec<String>) -> Result<Province, ApiError> {
    Ok(Province {
        era: Era::Current,
        unit_type: decode("provinces_2025.unit_type", &row.unit_type)?,
        region: decode("provinces_2025.region", &row.region)?,
        region_mixed: Some(row.region_mixed),
        successor_code: None,
        predecessor_codes: Some(predecessors),
        code: row.code,
        name: row.name,
        full_name: row.full_name,
        name_en: row.name_en,
    })
}

fn province_pre2025(row: units::ProvincePre2025) -> Result<Province, ApiError> {
    Ok(Province {
        era: Era::Pre2025,
        unit_type: decode("provinces_pre2025.unit_type", &row.unit_type)?,
        region: decode("provinces_pre2025.region", &row.region)?,
        region_mixed: None,
        successor_code: Some(row.successor_code),
        predecessor_codes: None,
        code: row.code,
        name: row.name,
        full_name: row.full_name,
        name_en: row.name_en,
    })
}

fn provinces_of_era(conn: &mut crate::db::DbConn, era: Era) -> Result<Vec<(Province, String)>, ApiError> {
    match era {
        Era::Current => {
            let mut predecessors = units::predecessors_by_successor(conn)?;
            units::provinces_2025(conn)?
                .into_iter()
                .map(|row| {
                    let key = row.search_key.clone();
                    let codes = predecessors
                        .remove(&row.code)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| p.code)
                        .collect();
                    Ok((province_current(row, codes)?, key))
                })
                .collect()
        }
        Era::Pre2025 => units::provinces_pre2025(conn)?
            .into_iter()
            .map(|row| {
                let key = row.search_key.clone();
                Ok((province_pre2025(row)?, key))
            })
            .collect(),
    }
}

/// List provinces of an era.
#[utoipa::path(
    tag = "admin-units",
    params(ProvinceListQuery),
    responses(
        (status = 200, description = "One page of provinces; with `Accept: text/csv`, every one", content(
            (Page<Province> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/admin-units/provinces")]
pub async fn list_provinces(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<ProvinceListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<String> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        PROVINCE_PAGE,
    )?;
    let era = query.era.unwrap_or(Era::Current);
    let all = state.db.read(move |conn| provinces_of_era(conn, era)).await?;
    let needle = query.q.as_deref().map(search_key);
    let matching: Vec<Province> = all
        .into_iter()
        .filter(|(p, key)| {
            query.region.is_none_or(|r| p.region == r) && needle.as_deref().is_none_or(|n| key.contains(n))
        })
        .map(|(p, _)| p)
        .collect();
    if wants_csv(&req) {
        // At most 63 provinces: the whole list is one read.
        return csv_answer(CsvList::new(&PROVINCE_CSV, "tinh-thanh.csv"), &matching);
    }
    let total = page.include_total.then_some(matching.len() as i64);
    let rows: Vec<Province> = matching
        .into_iter()
        .filter(|p| page.after.as_deref().is_none_or(|after| p.code.as_str() > after))
        .take(page.fetch_limit() as usize)
        .collect();
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |p| p.code.clone(), total)))
}

/// Get one province; a pre-2025 province names its successor, a current one its predecessors.
#[utoipa::path(
    tag = "admin-units",
    params(("code" = String, Path, description = "Two-digit province code", pattern = r"^[0-9]{2}$"), EraQuery),
    responses(
        (status = 200, body = ProvinceDetail, description = "The province with its successor or predecessors"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/admin-units/provinces/{code}")]
pub async fn get_province(
    state: web::Data<AppState>,
    code: web::Path<String>,
    ApiQuery(query): ApiQuery<EraQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let era = query.era.unwrap_or(Era::Current);
    let detail = state
        .db
        .read(move |conn| match era {
            Era::Current => {
                let row = units::find_province_2025(conn, &code)?.ok_or_else(ApiError::not_found)?;
                let predecessors = units::predecessors_by_successor(conn)?
                    .remove(&code)
                    .unwrap_or_default();
                let codes = predecessors.iter().map(|p| p.code.clone()).collect();
                Ok(ProvinceDetail {
                    province: province_current(row, codes)?,
                    successor: None,
                    predecessors: Some(
                        predecessors
                            .into_iter()
                            .map(|p| ProvinceRef {
                                code: p.code,
                                era: Era::Pre2025,
                                name: p.name,
                                full_name: p.full_name,
                            })
                            .collect(),
                    ),
                })
            }
            Era::Pre2025 => {
                let row = units::find_province_pre2025(conn, &code)?.ok_or_else(ApiError::not_found)?;
                let successor = units::find_province_2025(conn, &row.successor_code)?
                    .ok_or_else(|| ApiError::internal(format!("successor of province {code} missing")))?;
                Ok(ProvinceDetail {
                    province: province_pre2025(row)?,
                    successor: Some(ProvinceRef {
                        code: successor.code,
                        era: Era::Current,
                        name: successor.name,
                        full_name: successor.full_name,
                    }),
                    predecessors: None,
                })
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

fn unit_filter(query: &UnitListQuery) -> UnitFilter {
    UnitFilter {
        province_code: query.province_code.clone(),
        name_pattern: query.q.as_deref().map(contains_pattern),
    }
}

/// The columns of the list as CSV, in order.
const PROVINCE_CSV: [&str; 10] = [
    "code",
    "era",
    "name",
    "full_name",
    "type",
    "name_en",
    "region",
    "region_mixed",
    "successor_code",
    "predecessor_codes",
];

/// The columns of the list as CSV, in order.
const COMMUNE_CSV: [&str; 6] = ["code", "name", "full_name", "type", "province_code", "name_en"];

/// List current communes (xã, phường, đặc khu), by province and accent-insensitive name.
#[utoipa::path(
    tag = "admin-units",
    params(UnitListQuery),
    responses(
        (status = 200, description = "One page of communes; with `Accept: text/csv`, every one", content(
            (Page<Commune> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/admin-units/communes")]
pub async fn list_communes(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<UnitListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<String> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        UNIT_PAGE,
    )?;
    let filter = unit_filter(&query);
    let csv = CsvList::new(&COMMUNE_CSV, "xa-phuong.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = units::communes(conn, &filter, page.after.as_deref(), page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| units::count_communes(conn, &filter))
            .transpose()?;
        let rows = rows
            .into_iter()
            .map(|c| {
                Ok(Commune {
                    unit_type: decode("communes_2025.unit_type", &c.unit_type)?,
                    code: c.code,
                    name: c.name,
                    full_name: c.full_name,
                    province_code: c.province_code,
                    name_en: c.name_en,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Page::from_rows(rows, page, |c| c.code.clone(), total))
    })
    .await
}

/// The columns of the list as CSV, in order.
const DISTRICT_CSV: [&str; 8] = [
    "code",
    "name",
    "full_name",
    "type",
    "province_code",
    "successor_province_code",
    "name_en",
    "in_force_2025_06_30",
];

/// List pre-2025 districts (abolished on 1 July 2025), by old province code.
#[utoipa::path(
    tag = "admin-units",
    params(UnitListQuery),
    responses(
        (status = 200, description = "One page of districts; with `Accept: text/csv`, every one", content(
            (Page<District> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/admin-units/districts")]
pub async fn list_districts(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<UnitListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<String> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        UNIT_PAGE,
    )?;
    let filter = unit_filter(&query);
    let csv = CsvList::new(&DISTRICT_CSV, "quan-huyen.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = units::districts(conn, &filter, page.after.as_deref(), page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| units::count_districts(conn, &filter))
            .transpose()?;
        let rows = rows
            .into_iter()
            .map(|d| {
                Ok(District {
                    unit_type: decode("districts_pre2025.unit_type", &d.unit_type)?,
                    code: d.code,
                    name: d.name,
                    full_name: d.full_name,
                    province_code: d.province_code,
                    successor_province_code: d.successor_province_code,
                    name_en: d.name_en,
                    in_force_2025_06_30: d.in_force_2025_06_30,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Page::from_rows(rows, page, |d| d.code.clone(), total))
    })
    .await
}

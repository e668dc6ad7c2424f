//! What anyone may read without signing in: the verification of a certificate by its number and
//! the catalogue of products holding an active certificate, for distributors and buyers. No
//! personal data; limited per client address (`RateLimit-*` headers); cacheable for five minutes
//! with an `ETag`, so a revocation shows everywhere within that time. The server itself keeps the
//! answers in memory (see [`super::answers`]).

use std::collections::HashMap;

use actix_web::http::header::{CACHE_CONTROL, ETAG, HeaderName, HeaderValue, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::answers::Answer;
use super::products::{Photo, photos_of};
use crate::api::auth::client_address;
use crate::api::csv_export::{CsvFile, CsvList, every_page, wants_csv};
use crate::api::extract::ApiQuery;
use crate::auth::rate_limit::Allowance;
use crate::db::DbConn;
use crate::db::schema::provinces_2025;
use crate::domain::admin_units::Region;
use crate::domain::certification::{
    CertificateStatus, ProductGroup, SelectionLevel, certificate_status, is_certificate_number,
};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::certification::{self as model, CertificateFilter, ProductIndex};
use crate::models::search::TextSearch;
use crate::models::{beneficiaries, decode};
use crate::openapi::{BadRequest, NotFound, TooManyRequests, Unavailable};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

/// How long clients and caches may keep a public answer.
const CACHE_FOR: &str = "public, max-age=300";

/// The answer to "is this certificate genuine and valid?".
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateVerification {
    pub number: String,
    /// `active` (valid), `expired` or `revoked`.
    pub status: CertificateStatus,
    pub level: SelectionLevel,
    pub year: i64,
    pub product_name: String,
    pub product_group: ProductGroup,
    /// The producing establishment's name.
    pub establishment_name: String,
    /// The producer's current province.
    pub province_code: String,
    pub province_name: String,
    pub region_code: Region,
    pub decision_number: String,
    pub issued_on: NaiveDate,
    pub valid_until: NaiveDate,
    /// The day it was revoked, if it was.
    pub revoked_on: Option<NaiveDate>,
    pub revocation_reason: Option<String>,
}

/// An active certificate in the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueCertificate {
    pub number: String,
    pub level: SelectionLevel,
    pub year: i64,
    pub valid_until: NaiveDate,
}

/// A product holding at least one active certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueProduct {
    pub product_id: i64,
    pub name: String,
    pub product_group: ProductGroup,
    pub is_set: bool,
    pub description: Option<String>,
    pub photos: Vec<Photo>,
    pub establishment_name: String,
    pub province_code: String,
    pub province_name: String,
    pub region_code: Region,
    /// Its active certificates (matching the filter), the oldest first.
    pub certificates: Vec<CatalogueCertificate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CatalogueQuery {
    /// The producer's current province.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    #[param(inline)]
    pub region_code: Option<Region>,
    #[param(inline)]
    pub product_group: Option<ProductGroup>,
    /// Only products certified at this level.
    #[param(inline)]
    pub level: Option<SelectionLevel>,
    /// Words of the product's or the producer's name, with or without diacritics.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
}

/// The entity tags of `If-None-Match`, refused with 400 when the header is not printable ASCII
/// or longer than the document allows.
pub(crate) fn if_none_match(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IF_NONE_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|v| v.len() <= 200 && v.bytes().all(|b| (0x20..0x7f).contains(&b)))
        .map(|v| Some(v.to_owned()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_if_none_match",
                Text::new(
                    "Tiêu đề If-None-Match phải là các ETag đã nhận (ký tự ASCII in được, tối đa 200).",
                    "The If-None-Match header must list ETags received earlier (printable ASCII, at most 200).",
                ),
            )
        })
}

pub(crate) fn allowance(state: &AppState, req: &HttpRequest) -> Result<Allowance, ApiError> {
    state
        .public_limiter
        .check(&client_address(req, state.config.trust_forwarded_for))
}

/// A cacheable JSON answer with its strong `ETag`, or `304` when the client holds it already.
pub(crate) fn cacheable(
    if_none_match: Option<&str>,
    allowance: Allowance,
    answer: Answer,
) -> Result<HttpResponse, ApiError> {
    let Answer { json, etag: tag } = answer;
    let matches = if_none_match.is_some_and(|v| {
        v.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == tag || t == "*")
    });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, tag))
        .insert_header((CACHE_CONTROL, CACHE_FOR));
    for header in allowance.headers() {
        response.insert_header(header);
    }
    Ok(if matches {
        response.finish()
    } else {
        response.content_type("application/json").body(json)
    })
}

fn province_names(conn: &mut DbConn) -> Result<HashMap<String, String>, ApiError> {
    Ok(provinces_2025::table
        .select((provinces_2025::code, provinces_2025::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Verify a certificate by its number.
#[utoipa::path(
    tag = "public",
    params(
        ("number" = String, Path, description = "The certificate number, e.g. `TINH-2026-19-0007`", pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` received earlier", max_length = 200),
    ),
    responses(
        (status = 200, body = CertificateVerification, description = "The certificate and whether it holds today",
            headers(
                ("ETag" = String), ("Cache-Control" = String),
                ("RateLimit-Limit" = i32, description = "Requests allowed per minute"),
                ("RateLimit-Remaining" = i32, description = "Requests left now"),
                ("RateLimit-Reset" = i32, description = "Seconds until the full allowance is back"),
            )),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`",
            headers(
                ("ETag" = String), ("Cache-Control" = String),
                ("RateLimit-Limit" = i32), ("RateLimit-Remaining" = i32), ("RateLimit-Reset" = i32),
            )),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/public/certificates/{number}")]
pub async fn verify_certificate(
    state: web::Data<AppState>,
    req: HttpRequest,
    number: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let conditional = if_none_match(&req)?;
    let allowance = allowance(&state, &req)?;
    let number = number.into_inner();
    if !is_certificate_number(&number) {
        return Err(ApiError::not_found());
    }
    let today = Utc::now().date_naive();
    let db = state.db.clone();
    let request = format!("certificate/{number}");
    let read = move || async move {
        let view = db
            .read(move |conn| {
                let row = match model::find_certificate_by_number(conn, &number)? {
                    Some(row) => row,
                    None => model::find_certificate_by_number(conn, &number.to_uppercase())?
                        .ok_or_else(ApiError::not_found)?,
                };
                let product = model::find_product(conn, row.product_id)?.ok_or_else(ApiError::not_found)?;
                let producer =
                    beneficiaries::find(conn, row.beneficiary_id)?.ok_or_else(ApiError::not_found)?;
                let names = province_names(conn)?;
                Ok(CertificateVerification {
                    status: certificate_status(row.valid_until, row.revoked_at.is_some(), today),
                    level: decode("certificates.level", &row.level)?,
                    year: row.year,
                    product_name: product.name,
                    product_group: decode("products.product_group", &product.product_group)?,
                    establishment_name: producer.name,
                    province_name: names.get(&row.province_code).cloned().unwrap_or_default(),
                    province_code: row.province_code,
                    region_code: decode("certificates.region_code", &row.region_code)?,
                    decision_number: row.decision_number,
                    issued_on: row.issued_on,
                    valid_until: row.valid_until,
                    revoked_on: row.revoked_at.map(|t| t.date()),
                    revocation_reason: row.revocation_reason,
                    number: row.number,
                })
            })
            .await?;
        Answer::of(&view)
    };
    let answer = state
        .public_answers
        .get_or_read(request, today, state.db.committed_writes(), read)
        .await?;
    cacheable(conditional.as_deref(), allowance, answer)
}

/// The columns of the catalogue as CSV, in order.
const CATALOGUE_CSV: [&str; 11] = [
    "product_id",
    "name",
    "product_group",
    "is_set",
    "description",
    "photos",
    "establishment_name",
    "province_code",
    "province_name",
    "region_code",
    "certificates",
];

/// The catalogue of certified products: those holding an active certificate.
#[utoipa::path(
    tag = "public",
    params(
        CatalogueQuery,
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` received earlier", max_length = 200),
    ),
    responses(
        (status = 200, description = "One page of certified products, in product order; with `Accept: text/csv`, every one (not cached, no `ETag`)",
            content(
                (Page<CatalogueProduct> = "application/json"),
                (CsvFile = "text/csv"),
            ),
            headers(
                ("Content-Disposition" = String, description = "For CSV: its file name"),
                ("ETag" = String), ("Cache-Control" = String),
                ("RateLimit-Limit" = i32, description = "Requests allowed per minute"),
                ("RateLimit-Remaining" = i32, description = "Requests left now"),
                ("RateLimit-Reset" = i32, description = "Seconds until the full allowance is back"),
            )),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`",
            headers(
                ("ETag" = String), ("Cache-Control" = String),
                ("RateLimit-Limit" = i32), ("RateLimit-Remaining" = i32), ("RateLimit-Reset" = i32),
            )),
        (status = 400, response = BadRequest),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/public/products")]
pub async fn catalogue(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<CatalogueQuery>,
) -> Result<HttpResponse, ApiError> {
    let conditional = if_none_match(&req)?;
    let allowance = allowance(&state, &req)?;
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: None,
        },
        DEFAULT_LIMIT,
    )?;
    let today = Utc::now().date_naive();
    let filter = CertificateFilter {
        level: query.level.map(|l| l.as_str().to_owned()),
        province_code: query.province_code,
        region_code: query.region_code.map(|r| r.as_str().to_owned()),
        product_group: query.product_group.map(|g| g.as_str().to_owned()),
        status: Some(CertificateStatus::Active.as_str().to_owned()),
        today: Some(today),
        search: query
            .q
            .as_deref()
            .map(|q| TextSearch::new(q, state.db.search_index())),
        ..CertificateFilter::default()
    };
    let read_page = move |conn: &mut DbConn, page: &PageRequest<i64>| {
        let names = province_names(conn)?;
        let found = model::catalogue(conn, &filter, page.after, page.fetch_limit())?;
        let producers: Vec<i64> = found.iter().map(|(p, _)| p.beneficiary_id).collect();
        let index = ProductIndex::load(conn, &[], &producers)?;
        let mut items = Vec::new();
        for (product, certificates) in found {
            let Some(latest) = certificates.last() else {
                continue;
            };
            let producer = index.producer(product.beneficiary_id)?;
            items.push(CatalogueProduct {
                product_id: product.id,
                photos: photos_of(&product)?,
                name: product.name,
                product_group: decode("products.product_group", &product.product_group)?,
                is_set: product.is_set,
                description: product.description,
                establishment_name: producer.name.clone(),
                province_name: names.get(&latest.province_code).cloned().unwrap_or_default(),
                province_code: latest.province_code.clone(),
                region_code: decode("certificates.region_code", &latest.region_code)?,
                certificates: certificates
                    .iter()
                    .map(|c| {
                        Ok(CatalogueCertificate {
                            number: c.number.clone(),
                            level: decode("certificates.level", &c.level)?,
                            year: c.year,
                            valid_until: c.valid_until,
                        })
                    })
                    .collect::<Result<_, ApiError>>()?,
            });
        }
        Ok(Page::from_rows(items, page, |p| p.product_id, None))
    };
    if wants_csv(&req) {
        // The whole catalogue is not cached: it is read afresh, a thousand products at a time.
        let mut response = every_page(
            &state.db,
            CsvList::new(&CATALOGUE_CSV, "san-pham-chung-nhan.csv"),
            read_page,
        )
        .await?;
        for (name, value) in allowance.headers() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        return Ok(response);
    }
    let db = state.db.clone();
    let request = format!("catalogue?{}", req.query_string());
    let read = move || async move {
        let result = db.read(move |conn| read_page(conn, &page)).await?;
        Answer::of(&result)
    };
    let answer = state
        .public_answers
        .get_or_read(request, today, state.db.committed_writes(), read)
        .await?;
    cacheable(conditional.as_deref(), allowance, answer)
}

//! Certificates of typical rural industrial products: issued by a round's recognition decision, or
//! recorded from before the registry (legacy, with their original number and era). A certificate's
//! status is computed from its dates (`active`, `expired`) unless it was revoked. National roles read
//! them all, province and commune staff those of their producers (anyone verifies one publicly); the
//! organiser of the level or the ministry revokes one.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Place, ScopeCodes, check_scope, not_organiser, organises};
use crate::api::beneficiaries::owner;
use crate::api::checks::{self, error};
use crate::api::csv_export::{CsvFile, CsvList, list_answer};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::auth::{Owner, Principal, Role};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::admin_units::{Era, Region};
use crate::domain::certification::{
    CertificateStatus, ProductGroup, SelectionLevel, certificate_status, is_certificate_number, valid_until,
};
use crate::domain::text::clean_line;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::beneficiaries;
use crate::models::certification::{self as model, CertificateFilter, CertificateRow, ProductIndex};
use crate::models::search::TextSearch;
use crate::models::{decode, now};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable, Unprocessable,
    UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

pub const ENTITY: &str = "certificate";

/// A certificate of recognition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    pub id: i64,
    /// Unique and readable: level, year, scope and sequence (`TINH-2026-19-0007`), or the original
    /// number of a legacy certificate.
    pub number: String,
    pub level: SelectionLevel,
    pub year: i64,
    /// The era of `scope_code`.
    pub era: Era,
    /// The commune, district, province or region code of the level, or `VN`.
    pub scope_code: String,
    /// The round that issued it; `null` for a legacy certificate.
    pub round_id: Option<i64>,
    pub entry_id: Option<i64>,
    pub product_id: i64,
    pub product_name: String,
    pub product_group: ProductGroup,
    pub beneficiary_id: i64,
    pub beneficiary_name: String,
    /// The producer's current province when the certificate was issued.
    pub province_code: String,
    /// The producer's selection region.
    pub region_code: Region,
    /// The recognition decision.
    pub decision_number: String,
    pub issued_on: NaiveDate,
    /// 31 December of the issue year + 2 (policy).
    pub valid_until: NaiveDate,
    pub status: CertificateStatus,
    /// Recorded from before the registry, without a round in it.
    pub legacy: bool,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
    pub revocation_decision_number: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One certificate, reading its product and producer.
pub fn render(conn: &mut DbConn, row: &CertificateRow, today: NaiveDate) -> Result<Certificate, ApiError> {
    let index = ProductIndex::load(conn, &[row.product_id], &[row.beneficiary_id])?;
    render_with(&index, row, today)
}

fn render_with(
    index: &ProductIndex,
    row: &CertificateRow,
    today: NaiveDate,
) -> Result<Certificate, ApiError> {
    let product = index.product(row.product_id)?;
    let producer = index.producer(row.beneficiary_id)?;
    Ok(Certificate {
        id: row.id,
        number: row.number.clone(),
        level: decode("certificates.level", &row.level)?,
        year: row.year,
        era: decode("certificates.era", &row.era)?,
        scope_code: row.scope_code.clone(),
        round_id: row.round_id,
        entry_id: row.entry_id,
        product_id: row.product_id,
        product_name: product.name.clone(),
        product_group: decode("products.product_group", &product.product_group)?,
        beneficiary_id: row.beneficiary_id,
        beneficiary_name: producer.name.clone(),
        province_code: row.province_code.clone(),
        region_code: decode("certificates.region_code", &row.region_code)?,
        decision_number: row.decision_number.clone(),
        issued_on: row.issued_on,
        valid_until: row.valid_until,
        status: certificate_status(row.valid_until, row.revoked_at.is_some(), today),
        legacy: row.legacy,
        revoked_at: row.revoked_at.map(|t| t.and_utc()),
        revocation_reason: row.revocation_reason.clone(),
        revocation_decision_number: row.revocation_decision_number.clone(),
        created_at: row.created_at.and_utc(),
    })
}

/// A certificate the principal sees: national roles all, province staff those of their province's
/// producers, commune staff those of their commune's; others 404.
fn find_visible(conn: &mut DbConn, principal: &Principal, id: i64) -> Result<CertificateRow, ApiError> {
    let row = model::find_certificate(conn, id)?.ok_or_else(ApiError::not_found)?;
    let producer = beneficiaries::find(conn, row.beneficiary_id)?;
    principal.ensure_sees(Owner {
        province_code: Some(&row.province_code),
        commune_code: producer.as_ref().and_then(|p| p.commune_code.as_deref()),
    })?;
    Ok(row)
}

/// Whether the principal may record or revoke certificates of `level` in this scope: the
/// ministry for every level, otherwise the level's organiser.
fn ensure_may_certify(
    principal: &Principal,
    level: SelectionLevel,
    owner_province: Option<&str>,
    commune: Option<&str>,
) -> Result<(), ApiError> {
    if principal.role == Role::Ministry || organises(principal, level, owner_province, commune) {
        Ok(())
    } else {
        Err(not_organiser())
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CertificateListQuery {
    #[param(inline)]
    pub level: Option<SelectionLevel>,
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i64>,
    /// The producer's current province.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    #[param(inline)]
    pub region_code: Option<Region>,
    #[param(inline)]
    pub product_group: Option<ProductGroup>,
    /// Judged today.
    #[param(inline)]
    pub status: Option<CertificateStatus>,
    pub product_id: Option<i64>,
    pub round_id: Option<i64>,
    /// Words of the number, the product's or the producer's name, with or without diacritics.
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

/// A certificate issued before the registry existed, with its original number and the
/// administrative units of its time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyCertificateRequest {
    /// The original number; a `/` of the paper number is written `-`.
    #[schema(
        example = "125-QD-UBND-2019-07",
        pattern = r"^ *[A-Za-z0-9][A-Za-z0-9._-]{0,59} *$"
    )]
    pub number: String,
    pub level: SelectionLevel,
    /// The year of the round that recognised the product.
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i64,
    pub product_id: i64,
    #[schema(example = "125/QĐ-UBND", max_length = 100)]
    pub decision_number: String,
    pub issued_on: NaiveDate,
    /// The era of the scope code; by default `pre2025` for certificates issued before 1 July 2025.
    pub era: Option<Era>,
    #[schema(pattern = r"^ *[0-9]{5} *$")]
    pub commune_code: Option<String>,
    #[schema(pattern = r"^ *[0-9]{3} *$")]
    pub district_code: Option<String>,
    #[schema(pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<String>,
    pub region_code: Option<Region>,
}

/// The revocation of a certificate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevocationRequest {
    #[schema(example = "Sản phẩm không còn đáp ứng tiêu chí", max_length = 2000)]
    pub reason: String,
    #[schema(example = "15/QĐ-UBND", max_length = 100)]
    pub decision_number: String,
}

/// The columns of the list as CSV, in order.
const CERTIFICATE_CSV: [&str; 24] = [
    "id",
    "number",
    "level",
    "year",
    "era",
    "scope_code",
    "round_id",
    "entry_id",
    "product_id",
    "product_name",
    "product_group",
    "beneficiary_id",
    "beneficiary_name",
    "province_code",
    "region_code",
    "decision_number",
    "issued_on",
    "valid_until",
    "status",
    "legacy",
    "revoked_at",
    "revocation_reason",
    "revocation_decision_number",
    "created_at",
];

/// List certificates.
#[utoipa::path(
    tag = "certification",
    params(CertificateListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of certificates; with `Accept: text/csv`, every one", content(
            (Page<Certificate> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/certificates")]
pub async fn list_certificates(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    ApiQuery(query): ApiQuery<CertificateListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let today = Utc::now().date_naive();
    let filter = CertificateFilter {
        level: query.level.map(|l| l.as_str().to_owned()),
        year: query.year,
        province_code: query.province_code,
        region_code: query.region_code.map(|r| r.as_str().to_owned()),
        product_group: query.product_group.map(|g| g.as_str().to_owned()),
        product_id: query.product_id,
        round_id: query.round_id,
        status: query.status.map(|s| s.as_str().to_owned()),
        today: Some(today),
        search: query
            .q
            .as_deref()
            .map(|q| TextSearch::new(q, state.db.search_index())),
        territory: principal.territory(),
    };
    let csv = CsvList::new(&CERTIFICATE_CSV, "chung-nhan.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = model::list_certificates(conn, &filter, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| model::count_certificates(conn, &filter))
            .transpose()?;
        let products: Vec<i64> = rows.iter().map(|r| r.product_id).collect();
        let producers: Vec<i64> = rows.iter().map(|r| r.beneficiary_id).collect();
        let index = ProductIndex::load(conn, &products, &producers)?;
        let items = rows
            .iter()
            .map(|r| render_with(&index, r, today))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |c| c.id, total))
    })
    .await
}

/// Record a certificate issued before the registry existed (it counts as a lower-level
/// certificate like any other).
#[utoipa::path(
    tag = "certification",
    request_body = LegacyCertificateRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Certificate, description = "The certificate was recorded", headers(("Location" = String))),
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
#[post("/certificates")]
pub async fn record_legacy_certificate(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<LegacyCertificateRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(&[Role::Ministry, Role::Province, Role::Commune])?;
    let actor = Actor::new(&principal, &context);
    let validity_years = state.config.certificate_validity_years;
    let view = state
        .db
        .write(move |conn| {
            let producer = match model::find_product(conn, body.product_id)? {
                Some(p) => beneficiaries::find(conn, p.beneficiary_id)?,
                None => None,
            }
            .filter(|b| principal.sees(owner(b)));
            let checked = legacy_row(conn, &principal, &body, producer.as_ref(), validity_years)?;
            let row = model::insert_certificate(conn, &checked)?;
            let view = render(conn, &row, Utc::now().date_naive())?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: row.id.to_string(),
                    action: "record_legacy",
                    before: None,
                    after: audit::snapshot(&view),
                    province_code: Some(&row.province_code),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/certificates/{}", view.id)))
        .json(view))
}

/// A legacy certificate of `producer`'s product, checked as `POST /api/v1/certificates` checks it:
/// the row to insert, or the refusal (422 listing every broken rule, 403 `not_organiser`, 409
/// `duplicate_number`). `producer` is `None` when the product is unknown to the caller. The
/// import of earlier certificates runs the same checks.
pub fn legacy_row(
    conn: &mut DbConn,
    principal: &Principal,
    body: &LegacyCertificateRequest,
    producer: Option<&crate::models::beneficiaries::BeneficiaryRow>,
    validity_years: i32,
) -> Result<CertificateRow, ApiError> {
    let number = body.number.trim().to_owned();
    let decision_number = clean_line(&body.decision_number);
    let mut errors = Vec::new();
    if !is_certificate_number(&number) {
        errors.push(error(
            "number",
            "invalid_number",
            "Số giấy chứng nhận gồm chữ, số và . - _ (tối đa 60 ký tự); viết / thành -.",
            "A certificate number has letters, digits and . - _ (at most 60); write / as -.",
        ));
    }
    checks::year(&mut errors, "year", body.year);
    checks::length(&mut errors, "decision_number", &decision_number, 1, 100);
    let issue_year = i64::from(body.issued_on.year());
    if issue_year < body.year || issue_year > body.year + 1 || body.issued_on > Utc::now().date_naive() {
        errors.push(error(
            "issued_on",
            "out_of_range",
            "Ngày cấp trong năm bình chọn hoặc năm sau, không sau hôm nay.",
            "The issue date lies in the round's year or the next, and not after today.",
        ));
    }
    let reform = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or(NaiveDate::MAX);
    let era = ScopeCodes::era_for(body.level, body.era, body.issued_on < reform, &mut errors);
    let trim = |v: &Option<String>| v.as_deref().map(|c| c.trim().to_owned());
    let scope = ScopeCodes {
        level: body.level,
        era,
        commune_code: trim(&body.commune_code),
        district_code: trim(&body.district_code),
        province_code: trim(&body.province_code),
        region_code: body.region_code.map(|r| r.as_str().to_owned()),
    };
    let owner_province = scope.check(conn, &mut errors)?;
    let Some(producer) = producer else {
        errors.push(error(
            "product_id",
            "unknown_product",
            format!(
                "Không có sản phẩm mã {} (trong phạm vi của bạn).",
                body.product_id
            ),
            format!("No product {} (within your territory).", body.product_id),
        ));
        return Err(ApiError::validation(errors));
    };
    checks::ensure(errors)?;
    ensure_may_certify(
        principal,
        body.level,
        owner_province.as_deref(),
        scope.commune_code.as_deref(),
    )?;
    let place = Place::of(conn, producer)?;
    if let Some(outside) = check_scope(&scope, &place, "product_id")? {
        return Err(ApiError::validation(vec![outside]));
    }
    if model::find_certificate_by_number(conn, &number)?.is_some() {
        return Err(ApiError::conflict(
            "duplicate_number",
            Text::new(
                format!("Đã có giấy chứng nhận số {number}."),
                format!("A certificate numbered {number} is already recorded."),
            ),
        ));
    }
    Ok(CertificateRow {
        id: 0,
        number,
        level: body.level.as_str().to_owned(),
        year: body.year,
        era: era.as_str().to_owned(),
        scope_code: scope.code(),
        round_id: None,
        entry_id: None,
        product_id: body.product_id,
        beneficiary_id: producer.id,
        province_code: producer.province_code.clone(),
        region_code: place
            .region(era)
            .map(|r| r.as_str().to_owned())
            .unwrap_or(place.region_listed.clone()),
        decision_number,
        issued_on: body.issued_on,
        valid_until: valid_until(body.issued_on, validity_years),
        legacy: true,
        revoked_at: None,
        revocation_reason: None,
        revocation_decision_number: None,
        created_at: now(),
    })
}

/// Get one certificate.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Certificate id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Certificate, description = "The certificate"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/certificates/{id}")]
pub async fn get_certificate(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = find_visible(conn, &principal, id)?;
            render(conn, &row, Utc::now().date_naive())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Revoke a certificate (the organiser of its level or the ministry), with the reason and the
/// decision. The record stays; its status becomes `revoked` and its product leaves the public
/// catalogue unless another certificate holds.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Certificate id")),
    request_body = RevocationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Certificate, description = "The revoked certificate"),
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
#[post("/certificates/{id}/revocation")]
pub async fn revoke_certificate(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<RevocationRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = find_visible(conn, &principal, id)?;
            let level: SelectionLevel = decode("certificates.level", &current.level)?;
            let commune = (level == SelectionLevel::Commune).then_some(current.scope_code.as_str());
            ensure_may_certify(&principal, level, Some(&current.province_code), commune)?;
            let reason = clean_line(&body.reason);
            let decision_number = clean_line(&body.decision_number);
            let mut errors = Vec::new();
            checks::length(&mut errors, "reason", &reason, 2, 2000);
            checks::length(&mut errors, "decision_number", &decision_number, 1, 100);
            checks::ensure(errors)?;
            let today = Utc::now().date_naive();
            let before = render(conn, &current, today)?;
            let revoked = model::revoke(conn, id, &reason, &decision_number, now())?.ok_or_else(|| {
                ApiError::conflict(
                    "already_revoked",
                    Text::new(
                        "Giấy chứng nhận đã bị thu hồi.",
                        "The certificate is already revoked.",
                    ),
                )
            })?;
            let view = render(conn, &revoked, today)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "revoke",
                    before: audit::snapshot(&before),
                    after: audit::snapshot(&view),
                    province_code: Some(&revoked.province_code),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

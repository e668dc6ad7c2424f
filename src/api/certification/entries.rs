//! Entries (hồ sơ dự bình chọn) of a round and the jury's scores. An entry is accepted only when
//! its product is eligible, and a refusal says why: the producer lies outside the round's scope,
//! the product lacks a valid certificate of the level below (unless that round was not held), or
//! it is already entered. Judges score while the round is `scoring`, each only its own scores.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rounds::ensure_status;
use super::{Place, ScopeCodes, check_scope, find_visible_round, level_of, not_organiser, organises};
use crate::api::beneficiaries::{ensure_not_merged, owner};
use crate::api::checks::{self, clean, error};
use crate::api::csv_export::{CsvFile, CsvList, list_answer, whole_list_answer};
use crate::api::extract::{ApiJson, ApiQuery, IfMatch, etag, present};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::certification::{
    CRITERIA, ProductGroup, RoundStatus, SelectionLevel, Standing, entry_reference_day, standings,
};
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::beneficiaries::{self as beneficiaries, BeneficiaryRow};
use crate::models::certification::{
    self as model, CertificateRow, EntryRow, ProductIndex, ProductRow, RoundRow, ScoreRow,
};
use crate::models::{decode, now};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

const ENTITY: &str = "selection_entry";
const SCORE_ENTITY: &str = "selection_score";

/// One judge's points for one entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Score {
    pub judge_id: i64,
    /// Market demand and capacity to expand (0–40).
    pub market: i64,
    /// Economic, technical, social and environmental value (0–40).
    pub economic_technical_social_environmental: i64,
    /// Cultural and aesthetic value (0–10).
    pub cultural_aesthetic: i64,
    /// Other: quality, awards (0–10).
    pub other: i64,
    /// The sum of the four (0–100).
    pub total: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<&ScoreRow> for Score {
    fn from(row: &ScoreRow) -> Score {
        Score {
            judge_id: row.judge_user_id,
            market: row.market,
            economic_technical_social_environmental: row.economic_technical_social_environmental,
            cultural_aesthetic: row.cultural_aesthetic,
            other: row.other,
            total: row.total,
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// An entry (dossier) of a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Entry {
    pub id: i64,
    pub round_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub product_group: ProductGroup,
    pub beneficiary_id: i64,
    pub beneficiary_name: String,
    /// The lower-level certificate the entry relies on; `null` when the round's lower level was
    /// not held or for the lowest level.
    pub basis_certificate_id: Option<i64>,
    pub note: Option<String>,
    /// How many judges have scored it.
    pub judges_scored: i64,
    /// The average of the judges' totals (two decimals), once scored.
    pub average_total: Option<f64>,
    /// 1 for the best; equal averages share a rank. Once scored.
    pub rank: Option<u32>,
    /// The average reaches the round's qualifying score. Once scored.
    pub qualifies: Option<bool>,
    /// Recognised by the round's decision.
    pub recognised: bool,
    /// The certificate the recognition issued.
    pub certificate_id: Option<i64>,
    /// The scores the caller may see: all for the organiser and national roles, a judge's own
    /// for a judge, none for others.
    pub scores: Vec<Score>,
    /// Optimistic-concurrency version; send it back as `If-Match`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An entry with its scores, its standing and the certificate it was recognised with.
pub struct Ranked {
    pub entry: EntryRow,
    pub scores: Vec<ScoreRow>,
    pub standing: Option<Standing>,
    pub certificate_id: Option<i64>,
}

/// Every entry of a round, with its scores and its standing among the others.
pub fn ranked(conn: &mut DbConn, round: &RoundRow) -> Result<Vec<Ranked>, ApiError> {
    let entries = model::entries(conn, round.id)?;
    let mut scores = model::round_scores(conn, round.id)?;
    let mut grouped: Vec<Vec<ScoreRow>> = entries
        .iter()
        .map(|e| {
            let (own, rest): (Vec<_>, Vec<_>) = scores.drain(..).partition(|s| s.entry_id == e.id);
            scores = rest;
            own
        })
        .collect();
    let totals: Vec<Vec<i64>> = grouped
        .iter()
        .map(|s| s.iter().map(|x| x.total).collect())
        .collect();
    let standing = standings(&totals, round.qualifying_score);
    let certificates = model::round_certificates(conn, round.id)?;
    Ok(entries
        .into_iter()
        .zip(standing)
        .enumerate()
        .map(|(i, (entry, standing))| Ranked {
            certificate_id: certificates
                .iter()
                .find(|c| c.entry_id == Some(entry.id))
                .map(|c| c.id),
            entry,
            scores: std::mem::take(&mut grouped[i]),
            standing,
        })
        .collect())
}

/// Which scores the principal sees in a round.
enum ScoreView {
    All,
    Own(i64),
    None,
}

fn score_view(principal: &Principal, round: &RoundRow) -> Result<ScoreView, ApiError> {
    if principal.role.is_national()
        || organises(
            principal,
            level_of(round)?,
            round.owner_province_code.as_deref(),
            round.commune_code.as_deref(),
        )
    {
        Ok(ScoreView::All)
    } else if principal.role == Role::Judge || JURY_STAFF.contains(&principal.role) {
        Ok(ScoreView::Own(principal.user_id))
    } else {
        Ok(ScoreView::None)
    }
}

/// Staff who may sit on a jury besides accounts with role `judge`.
const JURY_STAFF: &[Role] = &[Role::Ministry, Role::Province, Role::Commune];

/// The products and producers of some entries.
fn index(conn: &mut DbConn, entries: &[&Ranked]) -> Result<ProductIndex, ApiError> {
    let products: Vec<i64> = entries.iter().map(|r| r.entry.product_id).collect();
    let producers: Vec<i64> = entries.iter().map(|r| r.entry.beneficiary_id).collect();
    ProductIndex::load(conn, &products, &producers)
}

fn render(index: &ProductIndex, ranked: &Ranked, view: &ScoreView) -> Result<Entry, ApiError> {
    let e = &ranked.entry;
    let product = index.product(e.product_id)?;
    let producer = index.producer(e.beneficiary_id)?;
    Ok(Entry {
        id: e.id,
        round_id: e.round_id,
        product_id: e.product_id,
        product_name: product.name.clone(),
        product_group: decode("products.product_group", &product.product_group)?,
        beneficiary_id: e.beneficiary_id,
        beneficiary_name: producer.name.clone(),
        basis_certificate_id: e.basis_certificate_id,
        note: e.note.clone(),
        judges_scored: ranked.scores.len() as i64,
        average_total: ranked.standing.map(|s| s.average_total),
        rank: ranked.standing.map(|s| s.rank),
        qualifies: ranked.standing.map(|s| s.qualifies),
        recognised: ranked.certificate_id.is_some(),
        certificate_id: ranked.certificate_id,
        scores: ranked
            .scores
            .iter()
            .filter(|s| match view {
                ScoreView::All => true,
                ScoreView::Own(id) => s.judge_user_id == *id,
                ScoreView::None => false,
            })
            .map(Score::from)
            .collect(),
        version: e.version,
        created_at: e.created_at.and_utc(),
        updated_at: e.updated_at.and_utc(),
    })
}

/// One entry of a round as the principal sees it.
fn render_one(
    conn: &mut DbConn,
    principal: &Principal,
    round: &RoundRow,
    entry_id: i64,
) -> Result<Entry, ApiError> {
    let view = score_view(principal, round)?;
    let all = ranked(conn, round)?;
    let one = all
        .iter()
        .find(|r| r.entry.id == entry_id)
        .ok_or_else(ApiError::not_found)?;
    render(&index(conn, &[one])?, one, &view)
}

/// 403 unless the principal may enter products in this round: its organiser, or province staff
/// nominating a product of their province to a regional or national round.
fn ensure_may_enter(
    principal: &Principal,
    round: &RoundRow,
    producer: Option<&BeneficiaryRow>,
) -> Result<(), ApiError> {
    let level = level_of(round)?;
    if organises(
        principal,
        level,
        round.owner_province_code.as_deref(),
        round.commune_code.as_deref(),
    ) {
        return Ok(());
    }
    let nominates = principal.role == Role::Province
        && level.is_national_organiser()
        && producer.is_none_or(|p| Some(p.province_code.as_str()) == principal.province_code.as_deref());
    if nominates { Ok(()) } else { Err(not_organiser()) }
}

fn refusal(code: &'static str, vi: String, en: String) -> FieldError {
    FieldError::new("product_id", code, Text::new(vi, en))
}

/// The lower-level certificate that lets `product` into `round`, or why there is none.
fn lower_level_certificate(
    conn: &mut DbConn,
    round: &RoundRow,
    product_id: i64,
    today: NaiveDate,
) -> Result<Result<Option<CertificateRow>, FieldError>, ApiError> {
    let level = level_of(round)?;
    let below = level.levels_below();
    if below.is_empty() {
        return Ok(Ok(None));
    }
    let codes: Vec<&str> = below.iter().map(|l| l.as_str()).collect();
    let day = entry_reference_day(round.year, today);
    if let Some(holding) = model::holding_certificates(conn, product_id, &codes, day)?
        .into_iter()
        .next()
    {
        return Ok(Ok(Some(holding)));
    }
    if round.lower_level_round_not_held {
        return Ok(Ok(None));
    }
    let names = codes.join(" / ");
    let all = model::product_certificates(conn, product_id, &codes)?;
    let revoked = all.iter().find(|c| c.revoked_at.is_some());
    let expired = all.iter().find(|c| c.revoked_at.is_none() && c.valid_until < day);
    Ok(Err(if let Some(c) = expired {
        refusal(
            "lower_level_certificate_expired",
            format!(
                "Giấy chứng nhận cấp {} số {} đã hết hiệu lực ngày {}; sản phẩm cần giấy chứng nhận cấp {names} còn hiệu lực.",
                c.level, c.number, c.valid_until
            ),
            format!(
                "Certificate {} ({} level) expired on {}; the product needs a valid {names} certificate.",
                c.number, c.level, c.valid_until
            ),
        )
    } else if let Some(c) = revoked {
        refusal(
            "lower_level_certificate_revoked",
            format!("Giấy chứng nhận cấp {} số {} đã bị thu hồi.", c.level, c.number),
            format!("Certificate {} ({} level) was revoked.", c.number, c.level),
        )
    } else {
        refusal(
            "lower_level_certificate_missing",
            format!(
                "Sản phẩm chưa có giấy chứng nhận sản phẩm tiêu biểu cấp {names} còn hiệu lực (trừ khi vòng cấp dưới không tổ chức: lower_level_round_not_held)."
            ),
            format!(
                "The product holds no valid {names} certificate (needed unless the round's lower level was not held: lower_level_round_not_held)."
            ),
        )
    }))
}

/// Checks that `product_id` may enter `round`; 422 with every reason when it may not.
fn eligible(
    conn: &mut DbConn,
    principal: &Principal,
    round: &RoundRow,
    product_id: i64,
    replacing: Option<i64>,
) -> Result<(ProductRow, BeneficiaryRow, Option<CertificateRow>), ApiError> {
    let found = match model::find_product(conn, product_id)? {
        Some(product) => beneficiaries::find(conn, product.beneficiary_id)?.map(|p| (product, p)),
        None => None,
    };
    let Some((product, producer)) = found.filter(|(_, p)| principal.sees(owner(p))) else {
        return Err(ApiError::validation(vec![refusal(
            "unknown_product",
            format!("Không có sản phẩm mã {product_id} (trong phạm vi của bạn)."),
            format!("No product {product_id} (within your territory)."),
        )]));
    };
    ensure_may_enter(principal, round, Some(&producer))?;
    ensure_not_merged(&producer)?;
    let mut errors = Vec::new();
    let place = Place::of(conn, &producer)?;
    errors.extend(check_scope(&ScopeCodes::of_round(round)?, &place, "product_id")?);
    if let Some(existing) = model::entry_of_product(conn, round.id, product_id)?
        && Some(existing.id) != replacing
    {
        errors.push(refusal(
            "already_entered",
            format!(
                "Sản phẩm đã có hồ sơ số {} trong vòng bình chọn này.",
                existing.id
            ),
            format!(
                "The product is already entered in this round (entry {}).",
                existing.id
            ),
        ));
    }
    let basis = match lower_level_certificate(conn, round, product_id, chrono::Utc::now().date_naive())? {
        Ok(basis) => basis,
        Err(reason) => {
            errors.push(reason);
            None
        }
    };
    checks::ensure(errors)?;
    Ok((product, producer, basis))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntryListQuery {
    /// Only qualifying (`true`) or non-qualifying scored (`false`) entries.
    pub qualifies: Option<bool>,
    /// Page size, 1–500 (default 50).
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
pub struct EligibleQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
}

/// A new entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEntryRequest {
    pub product_id: i64,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Changes to an entry while the round is `open`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEntryRequest {
    /// Another product instead (checked as a new entry).
    pub product_id: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Option<String>>,
}

/// A judge's points, each within its criterion's maximum.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutScoresRequest {
    /// Market demand and capacity to expand, 0–40.
    #[schema(minimum = 0, maximum = 40)]
    pub market: i64,
    /// Economic, technical, social and environmental value, 0–40.
    #[schema(minimum = 0, maximum = 40)]
    pub economic_technical_social_environmental: i64,
    /// Cultural and aesthetic value, 0–10.
    #[schema(minimum = 0, maximum = 10)]
    pub cultural_aesthetic: i64,
    /// Other: quality, awards, 0–10.
    #[schema(minimum = 0, maximum = 10)]
    pub other: i64,
}

/// A product that may be entered in a higher round, with the certificate that lets it in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibleProduct {
    pub product_id: i64,
    pub product_name: String,
    pub product_group: ProductGroup,
    pub beneficiary_id: i64,
    pub beneficiary_name: String,
    /// The producer's current province.
    pub province_code: String,
    pub certificate_id: i64,
    pub certificate_number: String,
    pub certificate_level: SelectionLevel,
    pub valid_until: NaiveDate,
}

/// The columns of the list as CSV, in order.
const ENTRY_CSV: [&str; 19] = [
    "id",
    "round_id",
    "product_id",
    "product_name",
    "product_group",
    "beneficiary_id",
    "beneficiary_name",
    "basis_certificate_id",
    "note",
    "judges_scored",
    "average_total",
    "rank",
    "qualifies",
    "recognised",
    "certificate_id",
    "scores",
    "version",
    "created_at",
    "updated_at",
];

/// List the entries of a round with their standing, best first once scored.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Round id"), EntryListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of entries, in entry order; with `Accept: text/csv`, every one", content(
            (Page<Entry> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/selection-rounds/{id}/entries")]
pub async fn list_entries(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<i64>,
    ApiQuery(query): ApiQuery<EntryListQuery>,
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
    let csv = CsvList::new(&ENTRY_CSV, "ho-so.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let round = find_visible_round(conn, &principal, id, false)?;
        let view = score_view(&principal, &round)?;
        let all: Vec<Ranked> = ranked(conn, &round)?
            .into_iter()
            .filter(|r| {
                query
                    .qualifies
                    .is_none_or(|q| r.standing.is_some_and(|s| s.qualifies == q))
            })
            .collect();
        let total = page.include_total.then_some(all.len() as i64);
        let shown: Vec<&Ranked> = all
            .iter()
            .filter(|r| page.after.is_none_or(|after| r.entry.id > after))
            .take(page.fetch_limit() as usize)
            .collect();
        let index = index(conn, &shown)?;
        let items = shown
            .iter()
            .map(|r| render(&index, r, &view))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |e| e.id, total))
    })
    .await
}

/// Enter a product (receive its dossier) while the round is `open`.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Round id")),
    request_body = CreateEntryRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Entry, description = "The entry was received", headers(("ETag" = String), ("Location" = String))),
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
#[post("/selection-rounds/{id}/entries")]
pub async fn create_entry(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<CreateEntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let round = find_visible_round(conn, &principal, id, true)?;
            ensure_may_enter(&principal, &round, None)?;
            ensure_status(&round, &[RoundStatus::Open], "nhận hồ sơ", "entries are received")?;
            let note = clean(body.note);
            let mut errors = Vec::new();
            checks::max_length(&mut errors, "note", note.as_deref(), 2000);
            checks::ensure(errors)?;
            let (product, producer, basis) = eligible(conn, &principal, &round, body.product_id, None)?;
            let at = now();
            let row = model::insert_entry(
                conn,
                &EntryRow {
                    id: 0,
                    round_id: round.id,
                    product_id: product.id,
                    beneficiary_id: producer.id,
                    basis_certificate_id: basis.map(|c| c.id),
                    note,
                    version: 1,
                    created_at: at,
                    updated_at: at,
                },
            )?;
            let view = render_one(conn, &principal, &round, row.id)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: row.id.to_string(),
                    action: "create",
                    before: None,
                    after: audit::snapshot(&view),
                    province_code: Some(&producer.province_code),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .insert_header((
            "Location",
            format!("/api/v1/selection-rounds/{}/entries/{}", view.round_id, view.id),
        ))
        .json(view))
}

/// Get one entry.
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("entry_id" = i64, Path, description = "Entry id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Entry, description = "The entry", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/selection-rounds/{id}/entries/{entry_id}")]
pub async fn get_entry(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, entry_id) = path.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let round = find_visible_round(conn, &principal, id, false)?;
            render_one(conn, &principal, &round, entry_id)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change an entry while the round is `open`.
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("entry_id" = i64, Path, description = "Entry id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateEntryRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Entry, description = "The entry as changed", headers(("ETag" = String))),
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
#[patch("/selection-rounds/{id}/entries/{entry_id}")]
pub async fn update_entry(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    path: web::Path<(i64, i64)>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateEntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, entry_id) = path.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let round = find_visible_round(conn, &principal, id, true)?;
            let current = model::find_entry(conn, id, entry_id)?.ok_or_else(ApiError::not_found)?;
            let producer = beneficiaries::find(conn, current.beneficiary_id)?;
            ensure_may_enter(&principal, &round, producer.as_ref())?;
            if_match?.check(current.version)?;
            ensure_status(
                &round,
                &[RoundStatus::Open],
                "sửa hồ sơ",
                "entries can be changed",
            )?;
            let before = render_one(conn, &principal, &round, entry_id)?;
            let mut next = current.clone();
            if let Some(v) = body.note {
                next.note = clean(v);
            }
            let mut errors = Vec::new();
            checks::max_length(&mut errors, "note", next.note.as_deref(), 2000);
            checks::ensure(errors)?;
            if let Some(product_id) = body.product_id {
                let (product, producer, basis) =
                    eligible(conn, &principal, &round, product_id, Some(entry_id))?;
                next.product_id = product.id;
                next.beneficiary_id = producer.id;
                next.basis_certificate_id = basis.map(|c| c.id);
            }
            next.version = current.version + 1;
            next.updated_at = now();
            model::update_entry(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            let view = render_one(conn, &principal, &round, entry_id)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: entry_id.to_string(),
                    action: "update",
                    before: audit::snapshot(&before),
                    after: audit::snapshot(&view),
                    province_code: round.owner_province_code.as_deref(),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Withdraw an entry while the round is `open`.
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("entry_id" = i64, Path, description = "Entry id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The entry was withdrawn"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
#[delete("/selection-rounds/{id}/entries/{entry_id}")]
pub async fn delete_entry(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, entry_id) = path.into_inner();
    let actor = Actor::new(&principal, &context);
    state
        .db
        .write(move |conn| {
            let round = find_visible_round(conn, &principal, id, true)?;
            let current = model::find_entry(conn, id, entry_id)?.ok_or_else(ApiError::not_found)?;
            let producer = beneficiaries::find(conn, current.beneficiary_id)?;
            ensure_may_enter(&principal, &round, producer.as_ref())?;
            ensure_status(
                &round,
                &[RoundStatus::Open],
                "rút hồ sơ",
                "entries can be withdrawn",
            )?;
            let before = render_one(conn, &principal, &round, entry_id)?;
            model::delete_entry(conn, entry_id)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: entry_id.to_string(),
                    action: "delete",
                    before: audit::snapshot(&before),
                    after: None,
                    province_code: round.owner_province_code.as_deref(),
                },
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The columns of the list as CSV, in order.
const SCORE_CSV: [&str; 7] = [
    "judge_id",
    "market",
    "economic_technical_social_environmental",
    "cultural_aesthetic",
    "other",
    "total",
    "updated_at",
];

/// The scores of an entry the caller may see (a judge: its own).
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("entry_id" = i64, Path, description = "Entry id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The visible scores; with `Accept: text/csv`, as CSV", content(
            (Vec<Score> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/selection-rounds/{id}/entries/{entry_id}/scores")]
pub async fn get_scores(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, entry_id) = path.into_inner();
    let scores = state
        .db
        .read(move |conn| {
            let round = find_visible_round(conn, &principal, id, false)?;
            Ok(render_one(conn, &principal, &round, entry_id)?.scores)
        })
        .await?;
    whole_list_answer(&req, CsvList::new(&SCORE_CSV, "diem.csv"), scores)
}

/// Give or change the caller's own scores of an entry (an assigned judge, while the round is
/// `scoring`).
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("entry_id" = i64, Path, description = "Entry id"),
    ),
    request_body = PutScoresRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Score, description = "The caller's score of the entry"),
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
#[put("/selection-rounds/{id}/entries/{entry_id}/scores")]
pub async fn put_scores(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    path: web::Path<(i64, i64)>,
    ApiJson(body): ApiJson<PutScoresRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, entry_id) = path.into_inner();
    let actor = Actor::new(&principal, &context);
    let score = state
        .db
        .write(move |conn| {
            let round = find_visible_round(conn, &principal, id, true)?;
            model::find_entry(conn, id, entry_id)?.ok_or_else(ApiError::not_found)?;
            if !model::is_judge(conn, id, principal.user_id)? {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "not_a_judge",
                    Text::new(
                        "Chỉ thành viên hội đồng của vòng bình chọn này được chấm điểm.",
                        "Only members of this round's jury may score its entries.",
                    ),
                ));
            }
            ensure_status(&round, &[RoundStatus::Scoring], "chấm điểm", "entries are scored")?;
            let points = [
                body.market,
                body.economic_technical_social_environmental,
                body.cultural_aesthetic,
                body.other,
            ];
            let errors: Vec<FieldError> = CRITERIA
                .iter()
                .zip(points)
                .filter(|((_, max), value)| !(0..=*max).contains(value))
                .map(|((name, max), value)| {
                    error(
                        name,
                        "out_of_range",
                        format!("Điểm {name} từ 0 đến {max} (đã nhập {value})."),
                        format!("{name} is scored from 0 to {max} (given {value})."),
                    )
                })
                .collect();
            checks::ensure(errors)?;
            let before = model::find_score(conn, entry_id, principal.user_id)?;
            let row = ScoreRow {
                entry_id,
                judge_user_id: principal.user_id,
                market: body.market,
                economic_technical_social_environmental: body.economic_technical_social_environmental,
                cultural_aesthetic: body.cultural_aesthetic,
                other: body.other,
                total: points.iter().sum(),
                updated_at: now(),
            };
            model::put_score(conn, &row)?;
            let score = Score::from(&row);
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: SCORE_ENTITY,
                    entity_id: format!("{entry_id}:{}", principal.user_id),
                    action: if before.is_some() { "update" } else { "create" },
                    before: before
                        .as_ref()
                        .map(Score::from)
                        .as_ref()
                        .and_then(audit::snapshot),
                    after: audit::snapshot(&score),
                    province_code: round.owner_province_code.as_deref(),
                },
            )?;
            Ok(score)
        })
        .await?;
    Ok(HttpResponse::Ok().json(score))
}

/// The columns of the list as CSV, in order.
const ELIGIBLE_CSV: [&str; 10] = [
    "product_id",
    "product_name",
    "product_group",
    "beneficiary_id",
    "beneficiary_name",
    "province_code",
    "certificate_id",
    "certificate_number",
    "certificate_level",
    "valid_until",
];

/// Products of a higher round's scope that hold a valid certificate of the level below and are not
/// entered yet: the nominations the round may receive.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Round id"), EligibleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Products that may be entered, in product order; with `Accept: text/csv`, every one", content(
            (Page<EligibleProduct> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/selection-rounds/{id}/eligible-products")]
pub async fn eligible_products(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<i64>,
    ApiQuery(query): ApiQuery<EligibleQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: None,
        },
        DEFAULT_LIMIT,
    )?;
    let csv = CsvList::new(&ELIGIBLE_CSV, "san-pham-du-dieu-kien.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let round = find_visible_round(conn, &principal, id, false)?;
        let level = level_of(&round)?;
        if level.levels_below().is_empty() {
            return Err(ApiError::validation(vec![error(
                "id",
                "no_lower_level",
                "Vòng bình chọn cấp thấp nhất không nhận đề cử từ cấp dưới.",
                "A round of the lowest level takes no nominations from below.",
            )]));
        }
        let codes: Vec<&str> = level.levels_below().iter().map(|l| l.as_str()).collect();
        let day = entry_reference_day(round.year, chrono::Utc::now().date_naive());
        let entered = model::entered_products(conn, round.id)?;
        let scope = ScopeCodes::of_round(&round)?;
        // Certificates come by product, the latest first: the first of each product is its basis.
        let mut candidates = model::holding_at_levels(conn, &codes, day)?;
        candidates.retain(|c| {
            !entered.contains(&c.product_id) && page.after.is_none_or(|after| c.product_id > after)
        });
        candidates.dedup_by_key(|c| c.product_id);
        let products: Vec<i64> = candidates.iter().map(|c| c.product_id).collect();
        let index = ProductIndex::load(conn, &products, &[])?;
        let mut items = Vec::new();
        for certificate in candidates {
            let product = index.product(certificate.product_id)?;
            let producer = index.producer(product.beneficiary_id)?;
            if !principal.sees(owner(producer))
                || check_scope(&scope, &Place::of(conn, producer)?, "")?.is_some()
            {
                continue;
            }
            items.push(EligibleProduct {
                product_id: product.id,
                product_name: product.name.clone(),
                product_group: decode("products.product_group", &product.product_group)?,
                beneficiary_id: producer.id,
                beneficiary_name: producer.name.clone(),
                province_code: producer.province_code.clone(),
                certificate_id: certificate.id,
                certificate_number: certificate.number,
                certificate_level: decode("certificates.level", &certificate.level)?,
                valid_until: certificate.valid_until,
            });
            if items.len() as i64 >= page.fetch_limit() {
                break;
            }
        }
        Ok(Page::from_rows(items, page, |p| p.product_id, None))
    })
    .await
}

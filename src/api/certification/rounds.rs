//! Selection rounds: a level, a year, a scope read in its era, the organising decision, a jury and
//! a state (`open` → `scoring` → `closed` → `published`). A round is seen as DESIGN's territories
//! say (see [`super::sees_round`]) and changed only by the organiser of its level.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::entries::ranked;
use super::{ScopeCodes, ensure_organiser, era_of, find_visible_round, level_of, not_organiser, organises};
use crate::api::checks::{self, clean, error};
use crate::api::csv_export::{CsvFile, CsvList, list_answer, whole_list_answer};
use crate::api::extract::{ApiJson, ApiQuery, IfMatch, etag, present};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::admin_units::{Era, Region};
use crate::domain::certification::{RoundAction, RoundStatus, SelectionLevel};
use crate::domain::text::clean_line;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::certification::{self as model, RoundFilter, RoundRow};
use crate::models::{decode, now, users};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::{DEFAULT_LIMIT, Page, PageParams, PageRequest};
use crate::state::AppState;

pub const ENTITY: &str = "selection_round";
/// Roles that may organise some level.
const ORGANISERS: &[Role] = &[Role::Ministry, Role::Province, Role::Commune];
/// Roles whose accounts may sit on a jury.
const JURY_ROLES: &[Role] = &[Role::Judge, Role::Ministry, Role::Province, Role::Commune];
const MAX_JUDGES: usize = 50;

/// The figures the press reports about a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundSummary {
    /// Entries (dossiers) received.
    pub dossiers_received: i64,
    /// Distinct establishments among them.
    pub distinct_establishments: i64,
    /// Entries scored by at least one judge.
    pub entries_scored: i64,
    /// Entries whose average total reaches the qualifying score.
    pub entries_qualifying: i64,
    /// Entries recognised by the decision (each with a certificate).
    pub entries_recognised: i64,
    /// Products recognised here that were later entered at the next level.
    pub nominations_to_next_level: i64,
}

/// A selection round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Round {
    pub id: i64,
    pub level: SelectionLevel,
    pub year: i64,
    /// Which list of administrative units the scope code belongs to.
    pub era: Era,
    pub title: String,
    /// Scope of a commune round (current code).
    pub commune_code: Option<String>,
    /// Scope of a district round (pre-2025 code).
    pub district_code: Option<String>,
    /// Scope of a provincial round, in the round's era.
    pub province_code: Option<String>,
    /// Scope of a regional round.
    pub region_code: Option<Region>,
    /// The current province the round belongs to; `null` for regional and national rounds.
    pub owner_province_code: Option<String>,
    /// The decision organising the round.
    pub decision_number: Option<String>,
    pub decision_date: Option<NaiveDate>,
    /// The round of the level below was not held: products enter without a lower-level certificate.
    pub lower_level_round_not_held: bool,
    /// The average total an entry needs to qualify (policy in force when the round opened).
    pub qualifying_score: i64,
    pub status: RoundStatus,
    /// The steps the round's state allows.
    pub allowed_actions: Vec<RoundAction>,
    /// User ids of the jury.
    pub judge_ids: Vec<i64>,
    pub recognition_decision_number: Option<String>,
    pub recognition_decision_date: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    pub summary: RoundSummary,
    /// Optimistic-concurrency version; send it back as `If-Match`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn summary(conn: &mut DbConn, round: &RoundRow) -> Result<RoundSummary, ApiError> {
    let entries = ranked(conn, round)?;
    let establishments: std::collections::BTreeSet<i64> =
        entries.iter().map(|e| e.entry.beneficiary_id).collect();
    let certificates: Vec<i64> = entries.iter().filter_map(|e| e.certificate_id).collect();
    Ok(RoundSummary {
        dossiers_received: entries.len() as i64,
        distinct_establishments: establishments.len() as i64,
        entries_scored: entries.iter().filter(|e| e.standing.is_some()).count() as i64,
        entries_qualifying: entries
            .iter()
            .filter(|e| e.standing.is_some_and(|s| s.qualifies))
            .count() as i64,
        entries_recognised: certificates.len() as i64,
        nominations_to_next_level: model::entries_based_on(conn, &certificates)?,
    })
}

pub fn render(conn: &mut DbConn, row: &RoundRow) -> Result<Round, ApiError> {
    let status: RoundStatus = decode("selection_rounds.status", &row.status)?;
    Ok(Round {
        id: row.id,
        level: level_of(row)?,
        year: row.year,
        era: era_of(row)?,
        title: row.title.clone(),
        commune_code: row.commune_code.clone(),
        district_code: row.district_code.clone(),
        province_code: row.province_code.clone(),
        region_code: row
            .region_code
            .as_deref()
            .map(|r| decode("selection_rounds.region_code", r))
            .transpose()?,
        owner_province_code: row.owner_province_code.clone(),
        decision_number: row.decision_number.clone(),
        decision_date: row.decision_date,
        lower_level_round_not_held: row.lower_level_round_not_held,
        qualifying_score: row.qualifying_score,
        status,
        allowed_actions: RoundAction::allowed_from(status),
        judge_ids: model::judges(conn, row.id)?.iter().map(|j| j.user_id).collect(),
        recognition_decision_number: row.recognition_decision_number.clone(),
        recognition_decision_date: row.recognition_decision_date,
        published_at: row.published_at.map(|t| t.and_utc()),
        summary: summary(conn, row)?,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

pub fn status_of(row: &RoundRow) -> Result<RoundStatus, ApiError> {
    decode("selection_rounds.status", &row.status)
}

/// 409 unless the round is in `expected`.
pub fn ensure_status(
    row: &RoundRow,
    expected: &[RoundStatus],
    doing_vi: &str,
    doing_en: &str,
) -> Result<(), ApiError> {
    let status = status_of(row)?;
    if expected.contains(&status) {
        return Ok(());
    }
    let wanted: Vec<&str> = expected.iter().map(|s| s.as_str()).collect();
    Err(ApiError::conflict(
        "round_state",
        Text::new(
            format!(
                "Vòng bình chọn đang ở trạng thái {}; chỉ {doing_vi} khi ở trạng thái {}.",
                status.as_str(),
                wanted.join(", ")
            ),
            format!(
                "The round is {}; {doing_en} only while it is {}.",
                status.as_str(),
                wanted.join(", ")
            ),
        ),
    )
    .with_extension("round_status", status.as_str()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RoundListQuery {
    #[param(inline)]
    pub level: Option<SelectionLevel>,
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i64>,
    #[param(inline)]
    pub status: Option<RoundStatus>,
    /// The current province a round belongs to.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    #[param(inline)]
    pub region_code: Option<Region>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Opaque: the `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", max_length = 1024)]
    pub cursor: Option<String>,
    pub include_total: Option<bool>,
}

/// A new round. Give the one scope code its level needs: `commune_code` (commune),
/// `district_code` (district, before 1 July 2025), `province_code` (province), `region_code`
/// (region); none for a national round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoundRequest {
    pub level: SelectionLevel,
    #[schema(minimum = 2000, maximum = 2100, example = 2026)]
    pub year: i64,
    #[schema(
        example = "Bình chọn sản phẩm CNNT tiêu biểu cấp tỉnh năm 2026",
        max_length = 300
    )]
    pub title: String,
    /// The era of the scope code: `pre2025` for district rounds and rounds before 2025, `current`
    /// for commune rounds and rounds since 2025 (the defaults).
    pub era: Option<Era>,
    #[schema(pattern = r"^ *[0-9]{5} *$")]
    pub commune_code: Option<String>,
    #[schema(pattern = r"^ *[0-9]{3} *$")]
    pub district_code: Option<String>,
    #[schema(pattern = r"^ *[0-9]{2} *$")]
    pub province_code: Option<String>,
    pub region_code: Option<Region>,
    /// The decision organising the round.
    #[schema(example = "1234/QĐ-UBND", max_length = 100)]
    pub decision_number: Option<String>,
    pub decision_date: Option<NaiveDate>,
    /// The round of the level below was not held, so products enter without its certificate
    /// (not for the lowest levels). Default false.
    pub lower_level_round_not_held: Option<bool>,
}

/// Changes to a round. The level, year and scope stay (entries depend on them).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoundRequest {
    #[schema(max_length = 300)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub decision_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub decision_date: Option<Option<NaiveDate>>,
    /// Only while the round is `open`.
    pub lower_level_round_not_held: Option<bool>,
}

/// One step of a round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundTransitionRequest {
    pub action: RoundAction,
}

/// The jury of a round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutJudgesRequest {
    /// User ids: accounts with role `judge`, or ministry, province or commune staff acting as
    /// judges. At most 50.
    #[schema(max_items = 50)]
    pub judge_ids: Vec<i64>,
}

/// A member of a jury.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Judge {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// Checks the round's own fields and its scope; returns the era and the owner province.
fn check_round(
    conn: &mut DbConn,
    row: &RoundRow,
    era_given: Option<Era>,
) -> Result<(Era, Option<String>), ApiError> {
    let level = level_of(row)?;
    let mut errors = Vec::new();
    checks::year(&mut errors, "year", row.year);
    checks::length(&mut errors, "title", &row.title, 2, 300);
    checks::max_length(
        &mut errors,
        "decision_number",
        row.decision_number.as_deref(),
        100,
    );
    let era = ScopeCodes::era_for(level, era_given, row.year <= 2024, &mut errors);
    if row.lower_level_round_not_held && level.levels_below().is_empty() {
        errors.push(error(
            "lower_level_round_not_held",
            "not_applicable",
            "Cấp thấp nhất không có vòng bình chọn cấp dưới.",
            "The lowest level has no round below it.",
        ));
    }
    let scope = ScopeCodes {
        level,
        era,
        commune_code: row.commune_code.clone(),
        district_code: row.district_code.clone(),
        province_code: row.province_code.clone(),
        region_code: row.region_code.clone(),
    };
    let owner = scope.check(conn, &mut errors)?;
    checks::ensure(errors)?;
    Ok((era, owner))
}

/// The columns of the list as CSV, in order.
const ROUND_CSV: [&str; 28] = [
    "id",
    "level",
    "year",
    "era",
    "title",
    "commune_code",
    "district_code",
    "province_code",
    "region_code",
    "owner_province_code",
    "decision_number",
    "decision_date",
    "lower_level_round_not_held",
    "qualifying_score",
    "status",
    "recognition_decision_number",
    "recognition_decision_date",
    "published_at",
    "summary.dossiers_received",
    "summary.distinct_establishments",
    "summary.entries_scored",
    "summary.entries_qualifying",
    "summary.entries_recognised",
    "summary.nominations_to_next_level",
    "judge_ids",
    "version",
    "created_at",
    "updated_at",
];

/// List selection rounds.
#[utoipa::path(
    tag = "certification",
    params(RoundListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of rounds; with `Accept: text/csv`, every one", content(
            (Page<Round> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/selection-rounds")]
pub async fn list_rounds(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    ApiQuery(query): ApiQuery<RoundListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest<i64> = PageRequest::parse(
        PageParams {
            limit: query.limit,
            cursor: query.cursor.as_deref(),
            include_total: query.include_total,
        },
        DEFAULT_LIMIT,
    )?;
    let filter = RoundFilter {
        level: query.level.map(|l| l.as_str().to_owned()),
        year: query.year,
        status: query.status.map(|s| s.as_str().to_owned()),
        province_code: query.province_code,
        region_code: query.region_code.map(|r| r.as_str().to_owned()),
        territory: principal.territory(),
        user_id: principal.user_id,
    };
    let csv = CsvList::new(&ROUND_CSV, "vong-binh-chon.csv");
    list_answer(&state.db, &req, page, csv, move |conn, page| {
        let rows = model::list_rounds(conn, &filter, page.after, page.fetch_limit())?;
        let total = page
            .include_total
            .then(|| model::count_rounds(conn, &filter))
            .transpose()?;
        let items = rows
            .iter()
            .map(|r| render(conn, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |r| r.id, total))
    })
    .await
}

/// Open a selection round.
#[utoipa::path(
    tag = "certification",
    request_body = CreateRoundRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Round, description = "The round is open for dossiers", headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/selection-rounds")]
pub async fn create_round(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<CreateRoundRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ORGANISERS)?;
    let actor = Actor::new(&principal, &context);
    let qualifying_score = state.config.selection_qualifying_score;
    let view = state
        .db
        .write(move |conn| {
            let at = now();
            let trim = |v: Option<String>| v.map(|c| c.trim().to_owned());
            let mut row = RoundRow {
                id: 0,
                level: body.level.as_str().to_owned(),
                year: body.year,
                era: String::new(),
                title: clean_line(&body.title),
                commune_code: trim(body.commune_code),
                district_code: trim(body.district_code),
                province_code: trim(body.province_code),
                region_code: body.region_code.map(|r| r.as_str().to_owned()),
                owner_province_code: None,
                decision_number: clean(body.decision_number),
                decision_date: body.decision_date,
                lower_level_round_not_held: body.lower_level_round_not_held.unwrap_or(false),
                qualifying_score,
                status: RoundStatus::Open.as_str().to_owned(),
                recognition_decision_number: None,
                recognition_decision_date: None,
                published_at: None,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            let (era, owner) = check_round(conn, &row, body.era)?;
            row.era = era.as_str().to_owned();
            row.owner_province_code = owner;
            if !organises(
                &principal,
                body.level,
                row.owner_province_code.as_deref(),
                row.commune_code.as_deref(),
            ) {
                return Err(not_organiser());
            }
            let row = model::insert_round(conn, &row)?;
            let view = render(conn, &row)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: row.id.to_string(),
                    action: "create",
                    before: None,
                    after: audit::snapshot(&view),
                    province_code: row.owner_province_code.as_deref(),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/selection-rounds/{}", view.id)))
        .json(view))
}

/// Get one selection round with its summary.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Round id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Round, description = "The round", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/selection-rounds/{id}")]
pub async fn get_round(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let row = find_visible_round(conn, &principal, id, false)?;
            render(conn, &row)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Change a round's title, organising decision or policy flag.
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = UpdateRoundRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Round, description = "The round as changed", headers(("ETag" = String))),
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
#[patch("/selection-rounds/{id}")]
pub async fn update_round(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<UpdateRoundRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = find_visible_round(conn, &principal, id, true)?;
            ensure_organiser(&principal, &current)?;
            if_match?.check(current.version)?;
            ensure_status(
                &current,
                &[RoundStatus::Open, RoundStatus::Scoring, RoundStatus::Closed],
                "sửa vòng bình chọn",
                "a round can be changed",
            )?;
            let mut next = current.clone();
            if let Some(v) = body.title {
                next.title = clean_line(&v);
            }
            if let Some(v) = body.decision_number {
                next.decision_number = clean(v);
            }
            if let Some(v) = body.decision_date {
                next.decision_date = v;
            }
            if let Some(v) = body.lower_level_round_not_held
                && v != current.lower_level_round_not_held
            {
                ensure_status(
                    &current,
                    &[RoundStatus::Open],
                    "đổi điều kiện chứng nhận cấp dưới",
                    "the lower-level condition can be changed",
                )?;
                // Entries let in by the flag would lose the ground they were accepted on.
                let relying: Vec<i64> = model::entries(conn, id)?
                    .iter()
                    .filter(|e| e.basis_certificate_id.is_none())
                    .map(|e| e.id)
                    .collect();
                if !v && !relying.is_empty() && !level_of(&current)?.levels_below().is_empty() {
                    return Err(ApiError::conflict(
                        "entries_without_certificate",
                        Text::new(
                            "Có hồ sơ đã được nhận không cần giấy chứng nhận cấp dưới; hãy rút các hồ sơ đó trước.",
                            "Some entries were received without a lower-level certificate; withdraw them first.",
                        ),
                    )
                    .with_extension("entry_ids", relying));
                }
                next.lower_level_round_not_held = v;
            }
            check_round(conn, &next, Some(era_of(&current)?))?;
            let before = render(conn, &current)?;
            next.version = current.version + 1;
            next.updated_at = now();
            let updated = model::update_round(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            let view = render(conn, &updated)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: updated.id.to_string(),
                    action: "update",
                    before: audit::snapshot(&before),
                    after: audit::snapshot(&view),
                    province_code: updated.owner_province_code.as_deref(),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Take one step of a round: `start_scoring` (needs entries and a jury) or `close` (needs every
/// entry scored). Publication happens through the recognition decision.
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("If-Match" = String, Header, description = "The ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = RoundTransitionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Round, description = "The round after the step", headers(("ETag" = String))),
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
#[post("/selection-rounds/{id}/transitions")]
pub async fn transition_round(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<RoundTransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let current = find_visible_round(conn, &principal, id, true)?;
            ensure_organiser(&principal, &current)?;
            if_match?.check(current.version)?;
            let status = status_of(&current)?;
            let (from, to) = body.action.step();
            if status != from {
                return Err(ApiError::conflict(
                    "illegal_transition",
                    Text::new(
                        format!(
                            "Không thể {} khi vòng bình chọn ở trạng thái {}.",
                            body.action.as_str(),
                            status.as_str()
                        ),
                        format!(
                            "Cannot {} a round that is {}.",
                            body.action.as_str(),
                            status.as_str()
                        ),
                    ),
                )
                .with_extension("round_status", status.as_str())
                .with_extension("allowed_actions", RoundAction::allowed_from(status)));
            }
            let entries = ranked(conn, &current)?;
            match body.action {
                RoundAction::StartScoring => {
                    let mut errors = Vec::new();
                    if entries.is_empty() {
                        errors.push(error(
                            "entries",
                            "no_entries",
                            "Chưa có hồ sơ nào để chấm.",
                            "There are no entries to score.",
                        ));
                    }
                    if model::judges(conn, id)?.is_empty() {
                        errors.push(error(
                            "judge_ids",
                            "no_judges",
                            "Chưa có thành viên hội đồng; gán bằng PUT .../judges.",
                            "The round has no jury yet; assign one with PUT .../judges.",
                        ));
                    }
                    checks::ensure(errors)?;
                }
                RoundAction::Close => {
                    let unscored: Vec<i64> = entries
                        .iter()
                        .filter(|e| e.standing.is_none())
                        .map(|e| e.entry.id)
                        .collect();
                    if !unscored.is_empty() {
                        return Err(ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "entries_unscored",
                            Text::new(
                                format!("Còn {} hồ sơ chưa được chấm điểm.", unscored.len()),
                                format!("{} entries have no score yet.", unscored.len()),
                            ),
                        )
                        .with_extension("entry_ids", unscored));
                    }
                }
            }
            let mut next = current.clone();
            next.status = to.as_str().to_owned();
            next.version = current.version + 1;
            next.updated_at = now();
            let updated = model::update_round(conn, &next, current.version)?
                .ok_or_else(|| ApiError::precondition_failed(current.version))?;
            let view = render(conn, &updated)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: updated.id.to_string(),
                    action: body.action.as_str(),
                    before: Some(serde_json::json!({"status": from.as_str()})),
                    after: Some(serde_json::json!({"status": to.as_str()})),
                    province_code: updated.owner_province_code.as_deref(),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

fn render_judges(conn: &mut DbConn, round_id: i64) -> Result<Vec<Judge>, ApiError> {
    model::judges(conn, round_id)?
        .into_iter()
        .map(|j| {
            Ok(Judge {
                user_id: j.user_id,
                username: j.username,
                display_name: j.display_name,
                role: decode("users.role", &j.role)?,
            })
        })
        .collect()
}

/// The columns of the list as CSV, in order.
const JUDGE_CSV: [&str; 4] = ["user_id", "username", "display_name", "role"];

/// The jury of a round.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Round id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The jury; with `Accept: text/csv`, as CSV", content(
            (Vec<Judge> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/selection-rounds/{id}/judges")]
pub async fn get_judges(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let judges = state
        .db
        .read(move |conn| {
            find_visible_round(conn, &principal, id, false)?;
            render_judges(conn, id)
        })
        .await?;
    whole_list_answer(&req, CsvList::new(&JUDGE_CSV, "hoi-dong.csv"), judges)
}

/// Set the jury of a round (while it is `open` or `scoring`). A judge who has scored stays.
#[utoipa::path(
    tag = "certification",
    params(("id" = i64, Path, description = "Round id")),
    request_body = PutJudgesRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Judge>, description = "The jury as set"),
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
#[put("/selection-rounds/{id}/judges")]
pub async fn put_judges(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    ApiJson(body): ApiJson<PutJudgesRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let judges = state
        .db
        .write(move |conn| {
            let round = find_visible_round(conn, &principal, id, true)?;
            ensure_organiser(&principal, &round)?;
            ensure_status(
                &round,
                &[RoundStatus::Open, RoundStatus::Scoring],
                "đổi hội đồng",
                "the jury can be changed",
            )?;
            let mut ids = body.judge_ids.clone();
            ids.sort_unstable();
            ids.dedup();
            let mut errors = Vec::new();
            if ids.len() > MAX_JUDGES {
                errors.push(error(
                    "judge_ids",
                    "too_many_items",
                    format!("Hội đồng có tối đa {MAX_JUDGES} thành viên."),
                    format!("A jury has at most {MAX_JUDGES} members."),
                ));
            }
            for (i, user_id) in ids.iter().enumerate().take(MAX_JUDGES) {
                let user = users::find(conn, *user_id)?;
                let fits = user.as_ref().is_some_and(|u| {
                    u.active
                        && u.role
                            .parse::<Role>()
                            .is_ok_and(|role| JURY_ROLES.contains(&role))
                });
                if !fits {
                    errors.push(error(
                        &format!("judge_ids[{i}]"),
                        "not_a_judge",
                        format!("Người dùng {user_id} không tồn tại, đã bị khóa hoặc không thể là thành viên hội đồng."),
                        format!("User {user_id} does not exist, is inactive or cannot sit on a jury."),
                    ));
                }
            }
            checks::ensure(errors)?;
            let leaving: Vec<i64> = model::judges_with_scores(conn, id)?
                .into_iter()
                .filter(|j| !ids.contains(j))
                .collect();
            if !leaving.is_empty() {
                return Err(ApiError::conflict(
                    "judge_has_scores",
                    Text::new(
                        "Không thể bỏ thành viên đã chấm điểm khỏi hội đồng.",
                        "A judge who has scored entries cannot leave the jury.",
                    ),
                )
                .with_extension("judge_ids", leaving));
            }
            let before = render_judges(conn, id)?;
            model::replace_judges(conn, id, &ids)?;
            let after = render_judges(conn, id)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: id.to_string(),
                    action: "set_judges",
                    before: audit::snapshot(&before),
                    after: audit::snapshot(&after),
                    province_code: round.owner_province_code.as_deref(),
                },
            )?;
            Ok(after)
        })
        .await?;
    Ok(HttpResponse::Ok().json(judges))
}

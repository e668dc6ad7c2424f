//! The recognition decision (quyết định công nhận): the organiser names the qualifying entries the
//! council recognises (not every qualifying entry must be), one certificate is issued per entry,
//! and the round is published, all in one transaction.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::certificates::{Certificate, ENTITY as CERTIFICATE_ENTITY, render as render_certificate};
use super::entries::ranked;
use super::rounds::{self, ENTITY as ROUND_ENTITY, Round, ensure_status};
use super::{Place, ScopeCodes, ensure_organiser, find_visible_round};
use crate::api::checks::{self, error};
use crate::api::extract::{ApiJson, IfMatch, etag};
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::domain::certification::{RoundStatus, certificate_number, valid_until};
use crate::error::ApiError;
use crate::models::audit::{self, Actor, Change};
use crate::models::beneficiaries;
use crate::models::certification::{self as model, CertificateRow};
use crate::models::now;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;

/// The recognition decision of a closed round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecognitionRequest {
    #[schema(example = "2150/QĐ-UBND", max_length = 100)]
    pub decision_number: String,
    /// The date of the decision: the certificates' issue date. Not in the future, not before the
    /// round's year.
    pub decision_date: NaiveDate,
    /// The recognised entries; each must qualify. May be empty (nothing recognised).
    #[schema(max_items = 500)]
    pub entry_ids: Vec<i64>,
}

/// The published round and the certificates issued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recognition {
    pub round: Round,
    pub certificates: Vec<Certificate>,
}

/// Recognise qualifying entries of a `closed` round: issues their certificates and publishes the
/// round.
#[utoipa::path(
    tag = "certification",
    params(
        ("id" = i64, Path, description = "Round id"),
        ("If-Match" = String, Header, description = "The round's ETag last read, e.g. \"3\"", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = RecognitionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Recognition, description = "The round is published with its certificates", headers(("ETag" = String))),
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
#[post("/selection-rounds/{id}/recognition")]
pub async fn recognise(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<RecognitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let validity_years = state.config.certificate_validity_years;
    let result = state
        .db
        .write(move |conn| {
            let round = find_visible_round(conn, &principal, id, true)?;
            ensure_organiser(&principal, &round)?;
            if_match?.check(round.version)?;
            ensure_status(
                &round,
                &[RoundStatus::Closed],
                "công nhận kết quả",
                "results are recognised",
            )?;
            let decision_number = crate::domain::text::clean_line(&body.decision_number);
            let mut errors = Vec::new();
            checks::length(&mut errors, "decision_number", &decision_number, 1, 100);
            let today = chrono::Utc::now().date_naive();
            if body.decision_date > today
                || i64::from(chrono::Datelike::year(&body.decision_date)) < round.year
            {
                errors.push(error(
                    "decision_date",
                    "out_of_range",
                    format!("Ngày quyết định từ năm {} đến hôm nay.", round.year),
                    format!(
                        "The decision is dated from the round's year {} to today.",
                        round.year
                    ),
                ));
            }
            let standing = ranked(conn, &round)?;
            let chosen: BTreeSet<i64> = body.entry_ids.iter().copied().collect();
            for (i, entry_id) in body.entry_ids.iter().enumerate() {
                match standing.iter().find(|r| r.entry.id == *entry_id) {
                    None => errors.push(error(
                        &format!("entry_ids[{i}]"),
                        "unknown_entry",
                        format!("Vòng bình chọn không có hồ sơ {entry_id}."),
                        format!("The round has no entry {entry_id}."),
                    )),
                    Some(r) if !r.standing.is_some_and(|s| s.qualifies) => errors.push(error(
                        &format!("entry_ids[{i}]"),
                        "not_qualifying",
                        format!(
                            "Hồ sơ {entry_id} đạt {} điểm, dưới mức {} điểm để được công nhận.",
                            r.standing.map_or(0.0, |s| s.average_total),
                            round.qualifying_score
                        ),
                        format!(
                            "Entry {entry_id} averages {}, under the {} needed to be recognised.",
                            r.standing.map_or(0.0, |s| s.average_total),
                            round.qualifying_score
                        ),
                    )),
                    Some(_) => {}
                }
            }
            if chosen.len() != body.entry_ids.len() {
                errors.push(error(
                    "entry_ids",
                    "duplicate_items",
                    "Danh sách hồ sơ có mục trùng.",
                    "The list names an entry twice.",
                ));
            }
            checks::ensure(errors)?;

            let scope = ScopeCodes::of_round(&round)?;
            let at = now();
            let mut issued = Vec::new();
            for entry in standing
                .iter()
                .map(|r| &r.entry)
                .filter(|e| chosen.contains(&e.id))
            {
                let producer = beneficiaries::find(conn, entry.beneficiary_id)?
                    .ok_or_else(|| ApiError::internal("entry without producer"))?;
                let place = Place::of(conn, &producer)?;
                let prefix = format!("{}-{}-{}", scope.level.as_str(), round.year, scope.code());
                let sequence = model::next_certificate_number(conn, &prefix)?;
                let row = model::insert_certificate(
                    conn,
                    &CertificateRow {
                        id: 0,
                        number: certificate_number(scope.level, round.year, &scope.code(), sequence),
                        level: round.level.clone(),
                        year: round.year,
                        era: round.era.clone(),
                        scope_code: scope.code(),
                        round_id: Some(round.id),
                        entry_id: Some(entry.id),
                        product_id: entry.product_id,
                        beneficiary_id: producer.id,
                        province_code: producer.province_code.clone(),
                        region_code: place
                            .region(scope.era)
                            .map(|r| r.as_str().to_owned())
                            .unwrap_or(place.region_listed.clone()),
                        decision_number: decision_number.clone(),
                        issued_on: body.decision_date,
                        valid_until: valid_until(body.decision_date, validity_years),
                        legacy: false,
                        revoked_at: None,
                        revocation_reason: None,
                        revocation_decision_number: None,
                        created_at: at,
                    },
                )?;
                let view = render_certificate(conn, &row, today)?;
                audit::record(
                    conn,
                    &actor,
                    Change {
                        entity_type: CERTIFICATE_ENTITY,
                        entity_id: row.id.to_string(),
                        action: "issue",
                        before: None,
                        after: audit::snapshot(&view),
                        province_code: Some(&row.province_code),
                    },
                )?;
                issued.push(view);
            }
            let ids: Vec<i64> = chosen.into_iter().collect();
            let mut next = round.clone();
            next.status = RoundStatus::Published.as_str().to_owned();
            next.recognition_decision_number = Some(decision_number);
            next.recognition_decision_date = Some(body.decision_date);
            next.published_at = Some(at);
            next.version = round.version + 1;
            next.updated_at = at;
            let updated = model::update_round(conn, &next, round.version)?
                .ok_or_else(|| ApiError::precondition_failed(round.version))?;
            let view = rounds::render(conn, &updated)?;
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ROUND_ENTITY,
                    entity_id: updated.id.to_string(),
                    action: "recognise",
                    before: Some(serde_json::json!({"status": round.status})),
                    after: Some(serde_json::json!({
                        "status": updated.status,
                        "recognition_decision_number": updated.recognition_decision_number,
                        "recognition_decision_date": updated.recognition_decision_date,
                        "entry_ids": ids,
                    })),
                    province_code: updated.owner_province_code.as_deref(),
                },
            )?;
            Ok(Recognition {
                round: view,
                certificates: issued,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(result.round.version))
        .json(result))
}

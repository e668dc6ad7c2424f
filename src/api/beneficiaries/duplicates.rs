//! Probable duplicates and merging: a duplicate is folded into the surviving record (its links move
//! over, it becomes `merged` and points to the survivor). The audit record of a merge holds what
//! moved, and `unmerge` reverses the merge from it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ENTITY, audit_snapshot, ensure_not_merged, ensure_writable, owner, render_for, shows_personal_data,
};
use crate::api::csv_export::{CsvFile, CsvList, csv_answer, wants_csv};
use crate::api::extract::{ApiJson, IfMatch, etag};
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::domain::beneficiaries::BeneficiaryStatus;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::beneficiaries::{self as model, BeneficiaryRow};
use crate::models::now;
use crate::openapi::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired, Unauthorized,
    Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::pagination::Page;
use crate::state::AppState;

/// Candidates listed at most (a longer list means the data needs cleaning, not paging).
const MAX_CANDIDATES: i64 = 100;

/// Why two records look like the same establishment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same name (ignoring case, accents and legal-form words) in the same commune.
    SameNameSameCommune,
    /// The same contact or representative phone.
    SamePhone,
}

/// A record that is probably the same establishment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateCandidate {
    pub beneficiary_id: i64,
    pub name: String,
    pub province_code: String,
    pub commune_code: Option<String>,
    pub reasons: Vec<DuplicateReason>,
}

/// Probable duplicates of `row` among the records the principal may see.
pub fn candidates_for(
    conn: &mut DbConn,
    principal: &Principal,
    row: &BeneficiaryRow,
) -> Result<Vec<DuplicateCandidate>, ApiError> {
    // Candidates lie in the principal's territory, where the right to personal data is the same
    // for every record.
    let personal = shows_personal_data(principal, row);
    let phones_of = |r: &BeneficiaryRow| {
        let representative = if personal {
            r.representative_phone_key.clone()
        } else {
            None
        };
        [r.phone_key.clone(), representative]
    };
    let phones = phones_of(row);
    Ok(
        model::possible_duplicates(conn, row, &principal.territory(), personal, MAX_CANDIDATES)?
            .into_iter()
            .map(|other| {
                let mut reasons = Vec::new();
                if other.name_key == row.name_key && other.commune_code == row.commune_code {
                    reasons.push(DuplicateReason::SameNameSameCommune);
                }
                let shares_phone = phones_of(&other)
                    .into_iter()
                    .flatten()
                    .any(|p| phones.iter().any(|mine| mine.as_ref() == Some(&p)));
                if shares_phone {
                    reasons.push(DuplicateReason::SamePhone);
                }
                DuplicateCandidate {
                    beneficiary_id: other.id,
                    name: other.name,
                    province_code: other.province_code,
                    commune_code: other.commune_code,
                    reasons,
                }
            })
            .collect(),
    )
}

/// The columns of the list as CSV, in order.
const DUPLICATE_CSV: [&str; 5] = [
    "beneficiary_id",
    "name",
    "province_code",
    "commune_code",
    "reasons",
];

/// List records that are probably the same establishment.
#[utoipa::path(
    tag = "beneficiaries",
    params(("id" = i64, Path, description = "Establishment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Probable duplicates among the records the caller sees (one page); with `Accept: text/csv`, as CSV", content(
            (Page<DuplicateCandidate> = "application/json"),
            (CsvFile = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "For CSV: its file name"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/beneficiaries/{id}/possible-duplicates")]
pub async fn list_possible_duplicates(
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
            candidates_for(conn, &principal, &row)
        })
        .await?;
    if wants_csv(&req) {
        return csv_answer(CsvList::new(&DUPLICATE_CSV, "co-the-trung.csv"), &items);
    }
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
        total: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate to fold into this record.
    pub duplicate_id: i64,
}

fn unprocessable(code: &'static str, vi: String, en: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, Text::new(vi, en))
}

/// Writes a changed copy of a record at the next version; 412 if it changed meanwhile.
fn save(
    conn: &mut DbConn,
    current: &BeneficiaryRow,
    change: impl FnOnce(&mut BeneficiaryRow),
) -> Result<BeneficiaryRow, ApiError> {
    let mut next = current.clone();
    change(&mut next);
    next.version = current.version + 1;
    next.updated_at = now();
    model::update(conn, &next, current.version)?.ok_or_else(|| ApiError::precondition_failed(current.version))
}

/// Merge a duplicate into this record: the duplicate's yearly figures move over (years this record
/// already has stay with the duplicate), and the duplicate becomes `merged`.
#[utoipa::path(
    tag = "beneficiaries",
    params(
        ("id" = i64, Path, description = "The surviving establishment"),
        ("If-Match" = String, Header, description = "ETag of the surviving establishment", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    request_body = MergeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = super::Beneficiary, description = "The survivor after the merge", headers(("ETag" = String))),
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
#[post("/beneficiaries/{id}/merge")]
pub async fn merge_beneficiary(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
    ApiJson(body): ApiJson<MergeRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let survivor = model::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            ensure_writable(&principal, &survivor)?;
            if_match?.check(survivor.version)?;
            ensure_not_merged(&survivor)?;
            let duplicate = model::find(conn, body.duplicate_id)?.ok_or_else(ApiError::not_found)?;
            ensure_writable(&principal, &duplicate)?;
            if duplicate.id == survivor.id {
                return Err(unprocessable(
                    "merge_into_itself",
                    "Không thể gộp một cơ sở vào chính nó.".into(),
                    "An establishment cannot be merged into itself.".into(),
                ));
            }
            ensure_not_merged(&duplicate)?;

            let kept_years: Vec<i64> = model::annual_figures(conn, survivor.id)?
                .iter()
                .map(|f| f.year)
                .collect();
            let moved: Vec<i64> = model::annual_figures(conn, duplicate.id)?
                .into_iter()
                .filter(|f| !kept_years.contains(&f.year))
                .map(|f| f.id)
                .collect();
            model::move_annual_figures(conn, &moved, survivor.id)?;
            let merged = save(conn, &duplicate, |d| {
                d.status = BeneficiaryStatus::Merged.as_str().to_owned();
                d.merged_into_id = Some(survivor.id);
            })?;
            let updated = save(conn, &survivor, |_| {})?;

            let links = serde_json::json!({ "annual_figure_ids": moved });
            let mut survivor_after = audit_snapshot(&updated);
            if let Some(after) = survivor_after.as_mut() {
                after["merged_duplicate_id"] = duplicate.id.into();
                after["moved_links"] = links.clone();
            }
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: survivor.id.to_string(),
                    action: "merge",
                    before: audit_snapshot(&survivor),
                    after: survivor_after,
                    province_code: Some(&survivor.province_code),
                },
            )?;
            let mut duplicate_after = audit_snapshot(&merged);
            if let Some(after) = duplicate_after.as_mut() {
                after["moved_links"] = links;
            }
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: ENTITY,
                    entity_id: duplicate.id.to_string(),
                    action: "merged_into",
                    before: audit_snapshot(&duplicate),
                    after: duplicate_after,
                    province_code: Some(&duplicate.province_code),
                },
            )?;
            render_for(conn, &principal, &updated)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Reverse the merge of this (merged) record, from its audit record: the links that moved come
/// back and the record regains the status it had.
#[utoipa::path(
    tag = "beneficiaries",
    params(
        ("id" = i64, Path, description = "The merged establishment"),
        ("If-Match" = String, Header, description = "ETag of the merged establishment", pattern = r#"^(W/)?"[0-9]{1,18}"$"#),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = super::Beneficiary, description = "The record after the reversal", headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
        (status = 428, response = PreconditionRequired),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/beneficiaries/{id}/unmerge")]
pub async fn unmerge_beneficiary(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    id: web::Path<i64>,
    if_match: Result<IfMatch, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = Actor::new(&principal, &context);
    let view = state
        .db
        .write(move |conn| {
            let merged = model::find(conn, id)?.ok_or_else(ApiError::not_found)?;
            ensure_writable(&principal, &merged)?;
            if_match?.check(merged.version)?;
            let survivor_id = merged
                .merged_into_id
                .filter(|_| merged.status == BeneficiaryStatus::Merged.as_str());
            let Some(survivor_id) = survivor_id else {
                return Err(unprocessable(
                    "not_merged",
                    "Bản ghi này chưa được gộp.".into(),
                    "This record is not merged.".into(),
                ));
            };
            let event =
                audit::latest(conn, ENTITY, &merged.id.to_string(), "merged_into")?.ok_or_else(|| {
                    ApiError::internal(format!("merge of beneficiary {id} has no audit record"))
                })?;
            let (before, after) = (
                event.before().unwrap_or_default(),
                event.after().unwrap_or_default(),
            );
            let previous_status = before["status"].as_str().unwrap_or("active").to_owned();
            let moved: Vec<i64> = after["moved_links"]["annual_figure_ids"]
                .as_array()
                .map(|ids| ids.iter().filter_map(serde_json::Value::as_i64).collect())
                .unwrap_or_default();

            let survivor = model::find(conn, survivor_id)?.ok_or_else(ApiError::not_found)?;
            ensure_writable(&principal, &survivor)?;
            let still_there: Vec<i64> = model::annual_figures(conn, survivor.id)?
                .into_iter()
                .filter(|f| moved.contains(&f.id))
                .map(|f| f.id)
                .collect();
            model::move_annual_figures(conn, &still_there, merged.id)?;
            let restored = save(conn, &merged, |d| {
                d.status = previous_status;
                d.merged_into_id = None;
            })?;
            let survivor_updated = save(conn, &survivor, |_| {})?;
            let links = serde_json::json!({ "annual_figure_ids": still_there });
            for (before_row, after_row, action) in [
                (&merged, &restored, "unmerge"),
                (&survivor, &survivor_updated, "unmerge_survivor"),
            ] {
                let mut after = audit_snapshot(after_row);
                if let Some(after) = after.as_mut() {
                    after["returned_links"] = links.clone();
                    after["reversed_audit_event_id"] = event.id.into();
                }
                audit::record(
                    conn,
                    &actor,
                    Change {
                        entity_type: ENTITY,
                        entity_id: after_row.id.to_string(),
                        action,
                        before: audit_snapshot(before_row),
                        after,
                        province_code: Some(&after_row.province_code),
                    },
                )?;
            }
            render_for(conn, &principal, &restored)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

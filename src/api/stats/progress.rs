//! Plan versus actual for a programme (chương trình khuyến công): each target of a province and
//! activity type beside what the period's projects did. A national programme is carried out with
//! national funds, a provincial one with the province's own: the projects counted are those of the
//! programme's plan years funded from its source.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::province_in_scope;
use crate::api::projects::ratio;
use crate::auth::Principal;
use crate::db::DbConn;
use crate::domain::projects::{FundingSource, ProgrammeLevel};
use crate::error::ApiError;
use crate::models::programmes::ProgrammeRow;
use crate::models::stats::{self as model, ProgrammeActuals};
use crate::models::{admin_units, decode, programmes};
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;

/// Targets beside the actual figures, in đồng for money.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct ProgressMeasures {
    /// Projects planned; `null` when no target gives a count.
    pub target_count: Option<i64>,
    /// Money planned; `null` when no target gives an amount.
    pub target_amount_vnd: Option<i64>,
    /// Projects approved (approved, in progress, suspended, accepted or settled).
    pub projects_approved: i64,
    /// Of those, accepted or settled.
    pub projects_accepted: i64,
    /// The programme's source approved for the approved projects.
    pub approved_vnd: i64,
    /// The programme's source moved to them (advances, payments, settlement payments less refunds).
    pub disbursed_vnd: i64,
    /// Projects approved ÷ target count (four decimals); `null` without a target count.
    pub approved_count_share: Option<f64>,
    /// Projects accepted ÷ target count; `null` without a target count.
    pub accepted_count_share: Option<f64>,
    /// Money approved ÷ target amount; `null` without a target amount.
    pub approved_amount_share: Option<f64>,
    /// Money moved ÷ target amount; `null` without a target amount.
    pub disbursed_amount_share: Option<f64>,
}

impl ProgressMeasures {
    fn add(&mut self, other: &ProgressMeasures) {
        let plus = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.target_count = plus(self.target_count, other.target_count);
        self.target_amount_vnd = plus(self.target_amount_vnd, other.target_amount_vnd);
        self.projects_approved += other.projects_approved;
        self.projects_accepted += other.projects_accepted;
        self.approved_vnd += other.approved_vnd;
        self.disbursed_vnd += other.disbursed_vnd;
    }

    fn actual(&mut self, row: &ProgrammeActuals) {
        self.projects_approved = row.approved;
        self.projects_accepted = row.accepted;
        self.approved_vnd = row.approved_vnd;
        self.disbursed_vnd = row.disbursed_vnd;
    }

    /// The shares, once the sums are complete.
    fn with_shares(mut self) -> ProgressMeasures {
        let share = |part: i64, whole: Option<i64>| whole.filter(|w| *w > 0).map(|w| ratio(part, w));
        self.approved_count_share = share(self.projects_approved, self.target_count);
        self.accepted_count_share = share(self.projects_accepted, self.target_count);
        self.approved_amount_share = share(self.approved_vnd, self.target_amount_vnd);
        self.disbursed_amount_share = share(self.disbursed_vnd, self.target_amount_vnd);
        self
    }
}

/// One province and activity type. A line without a target holds projects the plan did not
/// foresee.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressLine {
    pub province_code: String,
    pub province_name: String,
    pub activity_type: String,
    #[serde(flatten)]
    pub measures: ProgressMeasures,
}

/// One province's lines added up.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceProgress {
    pub province_code: String,
    pub province_name: String,
    #[serde(flatten)]
    pub measures: ProgressMeasures,
}

/// Plan versus actual.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeProgress {
    pub programme_id: i64,
    /// The period, e.g. `2021-2025`.
    pub code: String,
    pub level: ProgrammeLevel,
    pub start_year: i64,
    pub end_year: i64,
    /// The funds whose projects are counted: `national` for a national programme, `local` for a
    /// provincial one.
    pub funding_source: FundingSource,
    /// Per province and activity type, by province code then activity type.
    pub lines: Vec<ProgressLine>,
    /// Per province, by code.
    pub provinces: Vec<ProvinceProgress>,
    /// Every line counted (for province staff: their province's).
    pub total: ProgressMeasures,
}

/// Plan versus actual of a programme: each target beside the projects approved and accepted and
/// the money approved and moved, with the share reached; totals per province and nationally.
#[utoipa::path(
    tag = "programmes",
    params(("id" = i64, Path, description = "Programme id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProgrammeProgress, description = "The programme's progress"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/programmes/{id}/progress")]
pub async fn programme_progress(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let own_province = province_in_scope(&principal, None)?;
    let progress = state
        .db
        .read(move |conn| {
            let programme = programmes::find_programme(conn, id)?.ok_or_else(ApiError::not_found)?;
            progress_of(conn, programme, own_province)
        })
        .await?;
    Ok(HttpResponse::Ok().json(progress))
}

/// The progress of `programme` as seen by a caller limited to `own_province` (`None`: the whole
/// country); another province's programme is not found.
pub(crate) fn progress_of(
    conn: &mut DbConn,
    programme: ProgrammeRow,
    own_province: Option<String>,
) -> Result<ProgrammeProgress, ApiError> {
    let level: ProgrammeLevel = decode("programmes.level", &programme.level)?;
    let (source, province) = match level {
        ProgrammeLevel::National => (FundingSource::National, own_province),
        ProgrammeLevel::Provincial => {
            // Another province's programme is outside a province user's territory.
            if own_province.is_some() && own_province != programme.province_code {
                return Err(ApiError::not_found());
            }
            (FundingSource::Local, programme.province_code.clone())
        }
    };
    let targets = programmes::targets(conn, programme.id)?;
    let actuals = model::programme_actuals(
        conn,
        (programme.start_year, programme.end_year),
        source,
        province.as_deref(),
    )?;
    let names: HashMap<String, String> = admin_units::provinces_2025(conn)?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();

    let mut lines: BTreeMap<(String, String), ProgressMeasures> = BTreeMap::new();
    for target in targets
        .iter()
        .filter(|t| province.as_deref().is_none_or(|p| p == t.province_code))
    {
        let line = lines
            .entry((target.province_code.clone(), target.activity_type.clone()))
            .or_default();
        line.target_count = target.target_count;
        line.target_amount_vnd = target.target_amount_vnd;
    }
    for row in &actuals {
        lines
            .entry((row.province_code.clone(), row.activity_type.clone()))
            .or_default()
            .actual(row);
    }
    let name = |code: &str| names.get(code).cloned().unwrap_or_default();
    let mut provinces: BTreeMap<String, ProgressMeasures> = BTreeMap::new();
    let mut total = ProgressMeasures::default();
    for ((code, _), measures) in &lines {
        provinces.entry(code.clone()).or_default().add(measures);
        total.add(measures);
    }
    Ok(ProgrammeProgress {
        programme_id: programme.id,
        code: programme.code,
        level,
        start_year: programme.start_year,
        end_year: programme.end_year,
        funding_source: source,
        lines: lines
            .into_iter()
            .map(|((code, activity_type), measures)| ProgressLine {
                province_name: name(&code),
                province_code: code,
                activity_type,
                measures: measures.with_shares(),
            })
            .collect(),
        provinces: provinces
            .into_iter()
            .map(|(code, measures)| ProvinceProgress {
                province_name: name(&code),
                province_code: code,
                measures: measures.with_shares(),
            })
            .collect(),
        total: total.with_shares(),
    })
}

//! Outcome figures: for each establishment supported by an accepted project, its revenue,
//! employees, average income and total assets in the latest year reported since the acceptance,
//! divided by the same figure of the year before the project started; summed up as count,
//! quartiles, minimum and maximum. A pair without both figures is counted as "no data", never left
//! out.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, get, web};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{GroupOrder, check_code, check_years, comma_separated, province_in_scope};
use crate::api::extract::ApiQuery;
use crate::auth::Principal;
use crate::domain::outcomes::{baseline_year, growth, spread};
use crate::error::ApiError;
use crate::labeled_enum;
use crate::models::admin_units;
use crate::models::outcomes::{self as model, OutcomeScope, SupportedProject, YearFigures};
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;

labeled_enum! {
    /// What outcome figures are grouped by (`group_by`, several joined by commas).
    pub enum OutcomeDimension as "outcome_stats_dimension" {
        ActivityType = "activity_type": "Nội dung hoạt động khuyến công" / "Activity type",
        Province = "province": "Tỉnh, thành phố" / "Province",
        Year = "year": "Năm kế hoạch" / "Plan year",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutcomeStatsQuery {
    /// What to group by, several joined by commas: `activity_type`, `province` (the project's
    /// current province), `year` (plan year). Without it, only the total.
    #[param(
        value_type = Option<String>,
        pattern = r"^(activity_type|province|year)(,(activity_type|province|year)){0,2}$",
        example = "activity_type"
    )]
    #[serde(default, deserialize_with = "comma_separated")]
    pub group_by: Vec<OutcomeDimension>,
    /// First plan year counted.
    #[param(minimum = 2000, maximum = 2100)]
    pub year_from: Option<i64>,
    /// Last plan year counted.
    #[param(minimum = 2000, maximum = 2100)]
    pub year_to: Option<i64>,
    /// Projects of this province (current units). Province staff may only name their own.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// A code of `GET /api/v1/activity-types`.
    #[param(pattern = r"^[a-z][a-z0-9_]{2,63}$")]
    pub activity_type: Option<String>,
}

/// How one figure changed over the establishments of a group: after ÷ before, four decimals.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct GrowthSpread {
    /// Establishments with both figures.
    pub count: i64,
    /// Establishments without the figure of the year before or of a year since the acceptance
    /// (or with nothing to grow from: 0 the year before).
    pub no_data: i64,
    /// `null` when `count` is 0, as are the quartiles and the maximum.
    pub min: Option<f64>,
    /// First quartile (linear interpolation, as `QUARTILE.INC`).
    pub q1: Option<f64>,
    pub median: Option<f64>,
    /// Third quartile.
    pub q3: Option<f64>,
    pub max: Option<f64>,
}

/// The outcomes of a set of supported establishments.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct OutcomeMeasures {
    /// Establishments supported, counted once per accepted project that supported them.
    pub establishments: i64,
    pub revenue: GrowthSpread,
    pub employees: GrowthSpread,
    pub average_income: GrowthSpread,
    pub total_assets: GrowthSpread,
}

/// The group a line belongs to. Only the keys asked for in `group_by` are present.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct OutcomeGroupKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
}

/// One line of outcome figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeGroup {
    pub key: OutcomeGroupKey,
    #[serde(flatten)]
    pub measures: OutcomeMeasures,
}

/// Outcome figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeStats {
    pub group_by: Vec<OutcomeDimension>,
    /// One line per group, ordered by the keys in `group_by` order.
    pub groups: Vec<OutcomeGroup>,
    pub total: OutcomeMeasures,
}

/// The four growths of one supported establishment; `None` where a figure is missing.
type Growths = [Option<f64>; 4];

fn growths(project: &SupportedProject, accepted_year: i64, figures: &[YearFigures]) -> Growths {
    let base = baseline_year(project.planned_start, project.plan_year);
    let before = figures.iter().find(|f| f.year == base);
    let measures: [fn(&YearFigures) -> Option<i64>; 4] = [
        |f| f.revenue_vnd,
        |f| f.employees,
        |f| f.average_income_vnd,
        |f| f.total_assets_vnd,
    ];
    measures.map(|measure| {
        // The latest year since the acceptance that reports this figure.
        let after = figures
            .iter()
            .rev()
            .filter(|f| f.year >= accepted_year)
            .find_map(measure);
        growth(before.and_then(measure), after)
    })
}

/// The key of the group `project`'s establishments fall in.
fn group_key(
    project: &SupportedProject,
    group_by: &[OutcomeDimension],
    names: &HashMap<String, String>,
) -> OutcomeGroupKey {
    let mut key = OutcomeGroupKey::default();
    for dimension in group_by {
        match dimension {
            OutcomeDimension::ActivityType => key.activity_type = Some(project.activity_type.clone()),
            OutcomeDimension::Province => {
                key.province_code = Some(project.province_code.clone());
                key.province_name = names.get(&project.province_code).cloned();
            }
            OutcomeDimension::Year => key.year = Some(project.plan_year),
        }
    }
    key
}

fn measures(lines: &[Growths]) -> OutcomeMeasures {
    let spread_of = |i: usize| {
        let values: Vec<f64> = lines.iter().filter_map(|g| g[i]).collect();
        let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
        let s = spread(&values);
        GrowthSpread {
            count: values.len() as i64,
            no_data: (lines.len() - values.len()) as i64,
            min: s.map(|s| round(s.min)),
            q1: s.map(|s| round(s.q1)),
            median: s.map(|s| round(s.median)),
            q3: s.map(|s| round(s.q3)),
            max: s.map(|s| round(s.max)),
        }
    };
    OutcomeMeasures {
        establishments: lines.len() as i64,
        revenue: spread_of(0),
        employees: spread_of(1),
        average_income: spread_of(2),
        total_assets: spread_of(3),
    }
}

/// Outcome figures: how supported establishments' revenue, employees, average income and assets
/// grew from the year before their project to the latest year reported since its acceptance.
#[utoipa::path(
    tag = "stats",
    params(OutcomeStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OutcomeStats, description = "The figures, one line per group, and their total"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/stats/beneficiary-outcomes")]
pub async fn outcome_stats(
    state: web::Data<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<OutcomeStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let province_code = province_in_scope(&principal, query.province_code)?;
    check_years(query.year_from, query.year_to)?;
    check_code("query.activity_type", query.activity_type.as_deref())?;
    let scope = OutcomeScope {
        year_from: query.year_from,
        year_to: query.year_to,
        province_code,
        activity_type: query.activity_type,
    };
    let (projects, pairs, acceptances, figures, names) = state
        .db
        .read(move |conn| {
            Ok((
                model::supported_projects(conn, &scope)?,
                model::supported_establishments(conn, &scope)?,
                model::acceptances(conn)?,
                model::figures_of_supported(conn)?,
                admin_units::provinces_2025(conn)?,
            ))
        })
        .await?;
    let names: HashMap<String, String> = names.into_iter().map(|p| (p.code, p.name)).collect();
    // The year each project was accepted: its last acceptance, by the decision's date.
    let mut accepted_year: HashMap<i64, i64> = HashMap::new();
    for step in &acceptances {
        let year = i64::from(step.decision_date.unwrap_or(step.occurred_at.date()).year());
        let kept = accepted_year.entry(step.project_id).or_insert(year);
        *kept = (*kept).max(year);
    }
    // The figures come ordered by establishment and year: an establishment's are one run of them.
    let figures_of = |beneficiary_id: i64| {
        let start = figures.partition_point(|f| f.beneficiary_id < beneficiary_id);
        let end = figures.partition_point(|f| f.beneficiary_id <= beneficiary_id);
        &figures[start..end]
    };

    let group_by = query.group_by;
    // Each group holds the positions of its lines in `all`.
    let mut groups: BTreeMap<GroupOrder, (OutcomeGroupKey, Vec<usize>)> = BTreeMap::new();
    let mut all = Vec::with_capacity(pairs.len());
    for &(project_id, beneficiary_id) in &pairs {
        // Both lists are read by one request without a snapshot: a project that left the accepted
        // statuses between the two reads is not in the first, and its establishments are not counted.
        let Ok(found) = projects.binary_search_by_key(&project_id, |p| p.id) else {
            continue;
        };
        let project = &projects[found];
        // A project accepted before the registry kept its history: its plan year stands in.
        let accepted = accepted_year
            .get(&project.id)
            .copied()
            .unwrap_or(project.plan_year);
        all.push(growths(project, accepted, figures_of(beneficiary_id)));
        if group_by.is_empty() {
            continue;
        }
        let order: GroupOrder = group_by
            .iter()
            .map(|dimension| match dimension {
                OutcomeDimension::ActivityType => (0, project.activity_type.clone()),
                OutcomeDimension::Province => (0, project.province_code.clone()),
                OutcomeDimension::Year => (project.plan_year, String::new()),
            })
            .collect();
        groups
            .entry(order)
            .or_insert_with(|| (group_key(project, &group_by, &names), Vec::new()))
            .1
            .push(all.len() - 1);
    }
    let groups = groups
        .into_values()
        .map(|(key, positions)| OutcomeGroup {
            key,
            measures: measures(&positions.iter().map(|&i| all[i]).collect::<Vec<_>>()),
        })
        .collect();
    Ok(HttpResponse::Ok().json(OutcomeStats {
        group_by,
        groups,
        total: measures(&all),
    }))
}

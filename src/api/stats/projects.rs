//! Project figures: counts and money, and outcome indicators, grouped by year, province, region,
//! activity type, funding source, status or implementing unit, in either era of units.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{check_code, check_years, comma_separated, decode_optional, province_in_scope};
use crate::api::extract::ApiQuery;
use crate::api::projects::{Lines, ratio};
use crate::auth::Principal;
use crate::domain::admin_units::{Era, Region};
use crate::domain::projects::{Budget, FundingSource, ProjectStatus};
use crate::error::ApiError;
use crate::labeled_enum;
use crate::models::stats::{
    self as model, GroupColumns, IndicatorFigures, ProjectFigures, ProjectKey, ProjectScope,
};
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;

labeled_enum! {
    /// What project figures are grouped by (`group_by`, several joined by commas).
    pub enum ProjectDimension as "project_stats_dimension" {
        Year = "year": "Năm kế hoạch" / "Plan year",
        Province = "province": "Tỉnh, thành phố" / "Province",
        Region = "region": "Khu vực" / "Region",
        ActivityType = "activity_type": "Nội dung hoạt động khuyến công" / "Activity type",
        FundingSource = "funding_source": "Nguồn kinh phí" / "Funding source",
        Status = "status": "Trạng thái đề án" / "Project status",
        ImplementingUnit = "implementing_unit": "Đơn vị thực hiện" / "Implementing unit",
    }
}

impl From<ProjectDimension> for ProjectKey {
    fn from(dimension: ProjectDimension) -> ProjectKey {
        match dimension {
            ProjectDimension::Year => ProjectKey::Year,
            ProjectDimension::Province => ProjectKey::Province,
            ProjectDimension::Region => ProjectKey::Region,
            ProjectDimension::ActivityType => ProjectKey::ActivityType,
            ProjectDimension::FundingSource => ProjectKey::FundingSource,
            ProjectDimension::Status => ProjectKey::Status,
            ProjectDimension::ImplementingUnit => ProjectKey::ImplementingUnit,
        }
    }
}

/// Projects accepted and later are the programme's results; other statuses are counted only when
/// asked for.
const DONE: &[ProjectStatus] = &[ProjectStatus::Accepted, ProjectStatus::Settled];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectStatsQuery {
    /// What to group by, several joined by commas, e.g. `year,province`: `year`, `province`,
    /// `region`, `activity_type`, `funding_source`, `status`, `implementing_unit`. Without it,
    /// one group holds every counted project.
    #[param(
        value_type = Option<String>,
        pattern = r"^(year|province|region|activity_type|funding_source|status|implementing_unit)(,(year|province|region|activity_type|funding_source|status|implementing_unit)){0,6}$",
        example = "year,province"
    )]
    #[serde(default, deserialize_with = "comma_separated")]
    pub group_by: Vec<ProjectDimension>,
    /// First plan year counted.
    #[param(minimum = 2000, maximum = 2100)]
    pub year_from: Option<i64>,
    /// Last plan year counted.
    #[param(minimum = 2000, maximum = 2100)]
    pub year_to: Option<i64>,
    /// Projects of this province (current units). Province staff may only name their own.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Projects whose current province is in this region.
    pub region: Option<Region>,
    /// A code of `GET /api/v1/activity-types`.
    #[param(pattern = r"^[a-z][a-z0-9_]{2,63}$")]
    pub activity_type: Option<String>,
    pub funding_source: Option<FundingSource>,
    /// The statuses counted, several joined by commas. Default: `accepted,settled` (the projects
    /// whose work is done).
    #[param(
        value_type = Option<String>,
        pattern = r"^(draft|submitted|appraised|approved|in_progress|suspended|accepted|settled|returned|cancelled)(,(draft|submitted|appraised|approved|in_progress|suspended|accepted|settled|returned|cancelled)){0,9}$",
        example = "approved,in_progress,accepted,settled"
    )]
    #[serde(default, deserialize_with = "comma_separated")]
    pub status: Vec<ProjectStatus>,
    /// Which provinces and regions `province` and `region` group by: `current` (default), or
    /// `pre2025` for the provinces as the projects recorded them before the 1 July 2025 reform
    /// (projects recorded after it fall in a group whose province is `null`).
    pub era: Option<Era>,
}

/// The group a line of figures belongs to. Only the keys asked for in `group_by` are present; a
/// present key may be `null` (a project without a province before the reform).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ProjectGroupKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_code: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Option<Region>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_source: Option<Option<FundingSource>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Option<ProjectStatus>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementing_unit_id: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementing_unit_name: Option<Option<String>>,
}

/// Counts and money of a set of projects, in đồng.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectMeasures {
    pub project_count: i64,
    /// Sum of the approved lines (current budget versions).
    pub total_cost_vnd: i64,
    /// Approved amounts per source.
    pub approved: Lines,
    /// National and local funds approved.
    pub state_support_vnd: i64,
    /// Money the establishments and others bring: the counterpart and other lines approved.
    pub counterpart_mobilised_vnd: i64,
    /// Money moved per source: advances, payments and settlement payments, less refunds.
    pub disbursed: Lines,
    /// National and local money moved.
    pub disbursed_state_vnd: i64,
    /// National and local money moved for the projects that are settled.
    pub settled_vnd: i64,
    /// State money moved as a share of the state support (0–1, four decimals; 0 without support).
    pub disbursement_rate: f64,
}

/// One line of figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectGroup {
    pub key: ProjectGroupKey,
    #[serde(flatten)]
    pub measures: ProjectMeasures,
}

/// Project figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectStats {
    pub group_by: Vec<ProjectDimension>,
    pub era: Era,
    /// The statuses whose projects were counted.
    pub statuses_counted: Vec<ProjectStatus>,
    /// One line per group, ordered by the keys in `group_by` order.
    pub groups: Vec<ProjectGroup>,
    /// Every counted project.
    pub total: ProjectMeasures,
}

#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    projects: i64,
    approved: Budget,
    moved: Budget,
    settled: i64,
}

impl Sums {
    fn of(row: &ProjectFigures) -> Sums {
        Sums {
            projects: row.projects,
            approved: Budget {
                national: row.approved_national,
                local: row.approved_local,
                counterpart: row.approved_counterpart,
                other: row.approved_other,
            },
            moved: Budget {
                national: row.moved_national,
                local: row.moved_local,
                counterpart: row.moved_counterpart,
                other: row.moved_other,
            },
            settled: row.settled_state,
        }
    }

    fn add(&mut self, other: &Sums) {
        self.projects += other.projects;
        for (total, part) in [
            (&mut self.approved, &other.approved),
            (&mut self.moved, &other.moved),
        ] {
            total.national += part.national;
            total.local += part.local;
            total.counterpart += part.counterpart;
            total.other += part.other;
        }
        self.settled += other.settled;
    }

    fn measures(&self) -> ProjectMeasures {
        ProjectMeasures {
            project_count: self.projects,
            total_cost_vnd: self.approved.total_cost(),
            approved: self.approved.into(),
            state_support_vnd: self.approved.state_support(),
            counterpart_mobilised_vnd: self.approved.counterpart + self.approved.other,
            disbursed: self.moved.into(),
            disbursed_state_vnd: self.moved.state_support(),
            settled_vnd: self.settled,
            disbursement_rate: ratio(self.moved.state_support(), self.approved.state_support()),
        }
    }
}

fn group_key(row: &GroupColumns, group_by: &[ProjectDimension]) -> Result<ProjectGroupKey, ApiError> {
    let mut key = ProjectGroupKey::default();
    for dimension in group_by {
        match dimension {
            ProjectDimension::Year => key.year = Some(row.year),
            ProjectDimension::Province => {
                key.province_code = Some(row.province_code.clone());
                key.province_name = Some(row.province_name.clone());
            }
            ProjectDimension::Region => {
                key.region = Some(decode_optional("provinces.region", row.region.as_deref())?)
            }
            ProjectDimension::ActivityType => key.activity_type = Some(row.activity_type.clone()),
            ProjectDimension::FundingSource => {
                key.funding_source = Some(decode_optional(
                    "projects.funding_source",
                    row.funding_source.as_deref(),
                )?)
            }
            ProjectDimension::Status => {
                key.status = Some(decode_optional("projects.status", row.status.as_deref())?)
            }
            ProjectDimension::ImplementingUnit => {
                key.implementing_unit_id = Some(row.implementing_unit_id);
                key.implementing_unit_name = Some(row.implementing_unit_name.clone());
            }
        }
    }
    Ok(key)
}

/// Project figures: counts and money grouped as asked.
#[utoipa::path(
    tag = "stats",
    params(ProjectStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectStats, description = "The figures, one line per group, and their total"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/stats/projects")]
pub async fn project_stats(
    state: web::Data<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ProjectStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let filters = Filters::checked(
        &principal,
        ProjectFilters {
            year_from: query.year_from,
            year_to: query.year_to,
            province_code: query.province_code,
            region: query.region,
            activity_type: query.activity_type,
            funding_source: query.funding_source,
            status: query.status,
            era: query.era,
        },
    )?;
    Ok(HttpResponse::Ok().json(project_figures(&state, query.group_by, filters).await?))
}

/// Project figures of the projects `filters` names, grouped by `group_by`.
pub(crate) async fn project_figures(
    state: &AppState,
    group_by: Vec<ProjectDimension>,
    filters: Filters,
) -> Result<ProjectStats, ApiError> {
    let Filters { scope, era } = filters;
    let statuses = scope.statuses.clone();
    let keys: Vec<ProjectKey> = group_by.iter().map(|d| ProjectKey::from(*d)).collect();
    let rows = state
        .db
        .read(move |conn| model::project_figures(conn, &keys, era, &scope))
        .await?;
    let mut total = Sums::default();
    let mut groups = Vec::with_capacity(rows.len());
    for row in &rows {
        let sums = Sums::of(row);
        total.add(&sums);
        groups.push(ProjectGroup {
            key: group_key(&row.key, &group_by)?,
            measures: sums.measures(),
        });
    }
    // Without a grouping the database answers one line, which is the total itself.
    if group_by.is_empty() {
        groups.clear();
    }
    Ok(ProjectStats {
        group_by,
        era,
        statuses_counted: statuses,
        groups,
        total: total.measures(),
    })
}

/// The filters project and indicator figures share, as the request gave them.
struct ProjectFilters {
    year_from: Option<i64>,
    year_to: Option<i64>,
    province_code: Option<String>,
    region: Option<Region>,
    activity_type: Option<String>,
    funding_source: Option<FundingSource>,
    status: Vec<ProjectStatus>,
    era: Option<Era>,
}

/// The projects a request counts, checked against the caller's territory.
pub(crate) struct Filters {
    pub(crate) scope: ProjectScope,
    pub(crate) era: Era,
}

impl Filters {
    fn checked(principal: &Principal, asked: ProjectFilters) -> Result<Filters, ApiError> {
        let province_code = province_in_scope(principal, asked.province_code)?;
        check_years(asked.year_from, asked.year_to)?;
        check_code("query.activity_type", asked.activity_type.as_deref())?;
        let statuses = if asked.status.is_empty() {
            DONE.to_vec()
        } else {
            asked.status
        };
        Ok(Filters {
            scope: ProjectScope {
                year_from: asked.year_from,
                year_to: asked.year_to,
                province_code,
                region: asked.region,
                activity_type: asked.activity_type,
                funding_source: asked.funding_source,
                statuses,
            },
            era: asked.era.unwrap_or(Era::Current),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndicatorStatsQuery {
    /// What to group by besides the indicator, several joined by commas, e.g. `year,province`:
    /// `year`, `province`, `region`, `activity_type`, `funding_source`, `status`,
    /// `implementing_unit`. Without it, one line per indicator.
    #[param(
        value_type = Option<String>,
        pattern = r"^(year|province|region|activity_type|funding_source|status|implementing_unit)(,(year|province|region|activity_type|funding_source|status|implementing_unit)){0,6}$",
        example = "province"
    )]
    #[serde(default, deserialize_with = "comma_separated")]
    pub group_by: Vec<ProjectDimension>,
    /// Only this indicator: a standard code (`indicator_code` in the reference enumerations) or
    /// another one projects use.
    #[param(pattern = r"^[a-z][a-z0-9_]{2,63}$", example = "workers_trained")]
    pub code: Option<String>,
    /// First plan year counted.
    #[param(minimum = 2000, maximum = 2100)]
    pub year_from: Option<i64>,
    /// Last plan year counted.
    #[param(minimum = 2000, maximum = 2100)]
    pub year_to: Option<i64>,
    /// Projects of this province (current units). Province staff may only name their own.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// Projects whose current province is in this region.
    pub region: Option<Region>,
    /// A code of `GET /api/v1/activity-types`.
    #[param(pattern = r"^[a-z][a-z0-9_]{2,63}$")]
    pub activity_type: Option<String>,
    pub funding_source: Option<FundingSource>,
    /// The statuses counted, several joined by commas. Default: `accepted,settled`.
    #[param(
        value_type = Option<String>,
        pattern = r"^(draft|submitted|appraised|approved|in_progress|suspended|accepted|settled|returned|cancelled)(,(draft|submitted|appraised|approved|in_progress|suspended|accepted|settled|returned|cancelled)){0,9}$",
        example = "approved,in_progress,accepted,settled"
    )]
    #[serde(default, deserialize_with = "comma_separated")]
    pub status: Vec<ProjectStatus>,
    /// `current` (default) or `pre2025`, as for project figures.
    pub era: Option<Era>,
}

/// One indicator summed over a set of projects.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorMeasures {
    /// The indicator's code, e.g. `workers_trained`.
    pub code: String,
    /// The unit it is counted in, e.g. `person`.
    pub unit: String,
    /// Projects that carry the indicator.
    pub project_count: i64,
    /// Of those, the projects that set a target.
    pub projects_with_target: i64,
    /// Of those, the projects that reported an actual value.
    pub projects_with_actual: i64,
    pub baseline_total: i64,
    pub target_total: i64,
    pub actual_total: i64,
    /// Actual as a share of the target (four decimals; above 1 when exceeded); `null` without a
    /// target.
    pub achievement_rate: Option<f64>,
}

/// One line of indicator figures: one indicator in one group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorGroup {
    pub key: ProjectGroupKey,
    #[serde(flatten)]
    pub measures: IndicatorMeasures,
}

/// Indicator figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorStats {
    pub group_by: Vec<ProjectDimension>,
    pub era: Era,
    /// The statuses whose projects were counted.
    pub statuses_counted: Vec<ProjectStatus>,
    /// One line per group and indicator, ordered by the keys in `group_by` order, then the code.
    /// Without `group_by`, empty: the totals are the figures.
    pub groups: Vec<IndicatorGroup>,
    /// Each indicator over every counted project, by code.
    pub totals: Vec<IndicatorMeasures>,
}

#[derive(Debug, Clone, Copy, Default)]
struct IndicatorSums {
    projects: i64,
    with_target: i64,
    with_actual: i64,
    baseline: i64,
    target: i64,
    actual: i64,
}

impl IndicatorSums {
    fn of(row: &IndicatorFigures) -> IndicatorSums {
        IndicatorSums {
            projects: row.projects,
            with_target: row.with_target,
            with_actual: row.with_actual,
            baseline: row.baseline,
            target: row.target,
            actual: row.actual,
        }
    }

    fn add(&mut self, other: &IndicatorSums) {
        self.projects += other.projects;
        self.with_target += other.with_target;
        self.with_actual += other.with_actual;
        self.baseline += other.baseline;
        self.target += other.target;
        self.actual += other.actual;
    }

    fn measures(&self, code: &str, unit: &str) -> IndicatorMeasures {
        IndicatorMeasures {
            code: code.to_owned(),
            unit: unit.to_owned(),
            project_count: self.projects,
            projects_with_target: self.with_target,
            projects_with_actual: self.with_actual,
            baseline_total: self.baseline,
            target_total: self.target,
            actual_total: self.actual,
            achievement_rate: (self.target > 0).then(|| ratio(self.actual, self.target)),
        }
    }
}

/// Indicator figures: outcome targets and actuals of the counted projects, per indicator.
#[utoipa::path(
    tag = "stats",
    params(IndicatorStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = IndicatorStats, description = "The figures, one line per group and indicator, and each indicator's total"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/stats/indicators")]
pub async fn indicator_stats(
    state: web::Data<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<IndicatorStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let filters = Filters::checked(
        &principal,
        ProjectFilters {
            year_from: query.year_from,
            year_to: query.year_to,
            province_code: query.province_code,
            region: query.region,
            activity_type: query.activity_type,
            funding_source: query.funding_source,
            status: query.status,
            era: query.era,
        },
    )?;
    check_code("query.code", query.code.as_deref())?;
    Ok(HttpResponse::Ok().json(indicator_figures(&state, query.group_by, filters, query.code).await?))
}

/// Indicator figures of the projects `filters` names (of one indicator, with `code`), grouped by
/// `group_by`.
pub(crate) async fn indicator_figures(
    state: &AppState,
    group_by: Vec<ProjectDimension>,
    filters: Filters,
    code: Option<String>,
) -> Result<IndicatorStats, ApiError> {
    let Filters { scope, era } = filters;
    let statuses = scope.statuses.clone();
    let keys: Vec<ProjectKey> = group_by.iter().map(|d| ProjectKey::from(*d)).collect();
    let rows = state
        .db
        .read(move |conn| model::indicator_figures(conn, &keys, era, &scope, code.as_deref()))
        .await?;
    let mut totals: BTreeMap<(&str, &str), IndicatorSums> = BTreeMap::new();
    let mut groups = Vec::new();
    for row in &rows {
        let sums = IndicatorSums::of(row);
        totals
            .entry((row.code.as_str(), row.unit.as_str()))
            .or_default()
            .add(&sums);
        if !group_by.is_empty() {
            groups.push(IndicatorGroup {
                key: group_key(&row.key, &group_by)?,
                measures: sums.measures(&row.code, &row.unit),
            });
        }
    }
    let totals = totals
        .iter()
        .map(|((code, unit), sums)| sums.measures(code, unit))
        .collect();
    Ok(IndicatorStats {
        group_by,
        era,
        statuses_counted: statuses,
        groups,
        totals,
    })
}

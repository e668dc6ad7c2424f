//! Certification figures: selection entries (dossiers, establishments, qualifying, recognised,
//! nominated to the next level) and certificates (issued, active, expired, revoked), grouped by
//! level, year, province, region or product group. The same figures, for the whole country and
//! without signing in, are public: they hold no personal data.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{GroupOrder, check_years, comma_separated, decode_optional, province_in_scope};
use crate::api::certification::answers::Answer;
use crate::api::certification::public::{allowance, cacheable, if_none_match};
use crate::api::extract::ApiQuery;
use crate::auth::Principal;
use crate::domain::admin_units::Region;
use crate::domain::certification::{ProductGroup, SelectionLevel};
use crate::domain::labels::Labeled;
use crate::error::ApiError;
use crate::labeled_enum;
use crate::models::stats::{
    self as model, CertificateFigures, CertificationColumns, CertificationKey, CertificationScope,
    EntryFigures,
};
use crate::openapi::{BadRequest, Forbidden, NotFound, TooManyRequests, Unauthorized, Unavailable};
use crate::state::AppState;

labeled_enum! {
    /// What certification figures are grouped by (`group_by`, several joined by commas).
    pub enum CertificationDimension as "certification_stats_dimension" {
        Level = "level": "Cấp bình chọn" / "Level",
        Year = "year": "Năm" / "Year",
        Province = "province": "Tỉnh, thành phố" / "Province",
        Region = "region": "Khu vực" / "Region",
        ProductGroup = "product_group": "Nhóm sản phẩm" / "Product group",
    }
}

impl From<CertificationDimension> for CertificationKey {
    fn from(dimension: CertificationDimension) -> CertificationKey {
        match dimension {
            CertificationDimension::Level => CertificationKey::Level,
            CertificationDimension::Year => CertificationKey::Year,
            CertificationDimension::Province => CertificationKey::Province,
            CertificationDimension::Region => CertificationKey::Region,
            CertificationDimension::ProductGroup => CertificationKey::ProductGroup,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CertificationStatsQuery {
    /// What to group by, several joined by commas, e.g. `level,year`: `level`, `year`,
    /// `province`, `region`, `product_group`. Without it, only the total.
    #[param(
        value_type = Option<String>,
        pattern = r"^(level|year|province|region|product_group)(,(level|year|province|region|product_group)){0,4}$",
        example = "level,year"
    )]
    #[serde(default, deserialize_with = "comma_separated")]
    pub group_by: Vec<CertificationDimension>,
    /// First year counted (the round's year for entries, the certificate's year for certificates).
    #[param(minimum = 2000, maximum = 2100)]
    pub year_from: Option<i64>,
    /// Last year counted.
    #[param(minimum = 2000, maximum = 2100)]
    pub year_to: Option<i64>,
    pub level: Option<SelectionLevel>,
    /// The producer's current province. Province staff may only name their own.
    #[param(pattern = r"^[0-9]{2}$")]
    pub province_code: Option<String>,
    /// The region of the producer's current province.
    pub region: Option<Region>,
    pub product_group: Option<ProductGroup>,
}

/// The group a line of figures belongs to. Only the keys asked for in `group_by` are present.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct CertificationGroupKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<SelectionLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_group: Option<ProductGroup>,
}

/// What selection rounds received and decided, and the certificates.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct CertificationMeasures {
    /// Entries (dossiers) received.
    pub dossiers_received: i64,
    /// Distinct establishments among them.
    pub distinct_establishments: i64,
    /// Entries scored by at least one judge.
    pub entries_scored: i64,
    /// Entries whose average total reaches their round's qualifying score.
    pub entries_qualifying: i64,
    /// Entries recognised (each with a certificate of its round).
    pub products_recognised: i64,
    /// Recognised entries whose certificate a round of the next level received an entry on.
    pub nominations_to_next_level: i64,
    /// Certificates issued, by rounds or recorded from before the registry.
    pub certificates_issued: i64,
    /// Of those, valid on `as_of`.
    pub certificates_active: i64,
    /// Of those, past their last valid day on `as_of`.
    pub certificates_expired: i64,
    pub certificates_revoked: i64,
}

impl CertificationMeasures {
    fn add_entries(&mut self, row: &EntryFigures) {
        self.dossiers_received += row.dossiers;
        self.distinct_establishments += row.establishments;
        self.entries_scored += row.scored;
        self.entries_qualifying += row.qualifying;
        self.products_recognised += row.recognised;
        self.nominations_to_next_level += row.nominated;
    }

    fn add_certificates(&mut self, row: &CertificateFigures) {
        self.certificates_issued += row.issued;
        self.certificates_active += row.active;
        self.certificates_expired += row.expired;
        self.certificates_revoked += row.revoked;
    }
}

/// One line of figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificationGroup {
    pub key: CertificationGroupKey,
    #[serde(flatten)]
    pub measures: CertificationMeasures,
}

/// Certification figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificationStats {
    pub group_by: Vec<CertificationDimension>,
    /// The day certificates' status is counted on (today, UTC).
    pub as_of: NaiveDate,
    /// One line per group holding entries or certificates, ordered by the keys in `group_by`
    /// order (levels from the commune up).
    pub groups: Vec<CertificationGroup>,
    /// Everything counted; an establishment with entries in several groups counts once here.
    pub total: CertificationMeasures,
}

fn group_key(
    row: &CertificationColumns,
    group_by: &[CertificationDimension],
) -> Result<(GroupOrder, CertificationGroupKey), ApiError> {
    let mut key = CertificationGroupKey::default();
    let mut order = Vec::with_capacity(group_by.len());
    for dimension in group_by {
        match dimension {
            CertificationDimension::Level => {
                let level: Option<SelectionLevel> = decode_optional("level", row.level.as_deref())?;
                let rank = level.and_then(|l| SelectionLevel::ALL.iter().position(|x| *x == l));
                order.push((rank.unwrap_or(usize::MAX) as i64, String::new()));
                key.level = level;
            }
            CertificationDimension::Year => {
                order.push((row.year.unwrap_or(i64::MAX), String::new()));
                key.year = row.year;
            }
            CertificationDimension::Province => {
                order.push((0, row.province_code.clone().unwrap_or_default()));
                key.province_code = row.province_code.clone();
                key.province_name = row.province_name.clone();
            }
            CertificationDimension::Region => {
                order.push((0, row.region.clone().unwrap_or_default()));
                key.region = decode_optional("region", row.region.as_deref())?;
            }
            CertificationDimension::ProductGroup => {
                order.push((0, row.product_group.clone().unwrap_or_default()));
                key.product_group = decode_optional("products.product_group", row.product_group.as_deref())?;
            }
        }
    }
    Ok((order, key))
}

/// The figures of `scope`, grouped as asked: entries and certificates are counted apart and their
/// lines joined on the keys; the total is counted once more, ungrouped, so that an establishment
/// is not counted once per group.
pub(crate) async fn figures(
    state: &AppState,
    group_by: Vec<CertificationDimension>,
    scope: CertificationScope,
) -> Result<CertificationStats, ApiError> {
    let keys: Vec<CertificationKey> = group_by.iter().map(|d| CertificationKey::from(*d)).collect();
    let today = Utc::now().date_naive();
    // Every total is the sum of the groups' but the establishments, which may have entries in
    // several groups: they are counted apart, without reading the entries' scores again.
    let (entries, certificates, establishments) = state
        .db
        .read(move |conn| {
            let establishments = if keys.is_empty() {
                None
            } else {
                Some(model::entry_establishments(conn, &scope)?)
            };
            Ok((
                model::entry_figures(conn, &keys, &scope)?,
                model::certificate_figures(conn, &keys, &scope, today)?,
                establishments,
            ))
        })
        .await?;
    let mut total = CertificationMeasures::default();
    entries.iter().for_each(|row| total.add_entries(row));
    certificates.iter().for_each(|row| total.add_certificates(row));
    if let Some(establishments) = establishments {
        total.distinct_establishments = establishments;
    }
    if group_by.is_empty() {
        return Ok(CertificationStats {
            group_by,
            as_of: today,
            groups: Vec::new(),
            total,
        });
    }
    let mut groups: BTreeMap<GroupOrder, CertificationGroup> = BTreeMap::new();
    for row in &entries {
        let (order, key) = group_key(&row.key, &group_by)?;
        groups
            .entry(order)
            .or_insert_with(|| CertificationGroup {
                key,
                measures: CertificationMeasures::default(),
            })
            .measures
            .add_entries(row);
    }
    for row in &certificates {
        let (order, key) = group_key(&row.key, &group_by)?;
        groups
            .entry(order)
            .or_insert_with(|| CertificationGroup {
                key,
                measures: CertificationMeasures::default(),
            })
            .measures
            .add_certificates(row);
    }
    Ok(CertificationStats {
        group_by,
        as_of: today,
        groups: groups.into_values().collect(),
        total,
    })
}

fn scope_of(
    query: CertificationStatsQuery,
    province_code: Option<String>,
) -> Result<CertificationScope, ApiError> {
    check_years(query.year_from, query.year_to)?;
    Ok(CertificationScope {
        year_from: query.year_from,
        year_to: query.year_to,
        level: query.level,
        province_code,
        region: query.region,
        product_group: query.product_group,
    })
}

/// Certification figures: what selection rounds received and recognised, and the certificates.
#[utoipa::path(
    tag = "stats",
    params(CertificationStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CertificationStats, description = "The figures, one line per group, and their total"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/stats/certification")]
pub async fn certification_stats(
    state: web::Data<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<CertificationStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let province_code = province_in_scope(&principal, query.province_code.clone())?;
    let group_by = query.group_by.clone();
    let scope = scope_of(query, province_code)?;
    Ok(HttpResponse::Ok().json(figures(&state, group_by, scope).await?))
}

/// Certification figures for anyone: the same as `GET /api/v1/stats/certification`, for the whole
/// country or one province, without signing in. Kept in memory and cacheable like the other public
/// answers; limited per client address.
#[utoipa::path(
    tag = "public",
    params(
        CertificationStatsQuery,
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` received earlier", max_length = 200),
    ),
    responses(
        (status = 200, body = CertificationStats, description = "The figures, one line per group, and their total",
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
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/public/stats/certification")]
pub async fn public_certification_stats(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiQuery(query): ApiQuery<CertificationStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let conditional = if_none_match(&req)?;
    let allowance = allowance(&state, &req)?;
    // The answer depends only on these values: the key is built from them, not from the raw
    // query string, so that spellings of one request share one kept answer.
    let request = format!(
        "stats/certification?{:?}&{:?}&{:?}&{:?}&{:?}&{:?}&{:?}",
        query.group_by,
        query.year_from,
        query.year_to,
        query.level,
        query.province_code,
        query.region,
        query.product_group
    );
    let group_by = query.group_by.clone();
    let province_code = query.province_code.clone();
    let scope = scope_of(query, province_code)?;
    let today = Utc::now().date_naive();
    let read = || async { Answer::of(&figures(&state, group_by, scope).await?) };
    let answer = state
        .public_answers
        .get_or_read(request, today, state.db.committed_writes(), read)
        .await?;
    cacheable(conditional.as_deref(), allowance, answer)
}

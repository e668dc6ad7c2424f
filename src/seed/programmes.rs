//! Programmes (chương trình khuyến công) and their targets per province and activity type.
//!
//! The targets are set from what the generated projects of the period did, as a plan drawn up
//! with hindsight would be: a little above or below each line's approved projects and money, and
//! for a period still running, that pace carried over its remaining years. Plan versus actual
//! (`GET /programmes/{id}/progress`) then shows shares around one rather than empty lines.

use std::collections::BTreeMap;

use chrono::Datelike;
use rand::Rng;
use rand::rngs::StdRng;

use super::calendar::{self, AS_OF, REGISTRY_START};
use super::codes;
use super::names;
use super::places::Atlas;
use super::projects::Projects;
use super::rows;
use crate::domain::projects::{FundingSource, ProgrammeLevel, ProjectStatus};

/// The generated programmes and targets.
#[derive(Debug, Default)]
pub struct Programmes {
    pub programmes: Vec<rows::Programme>,
    pub targets: Vec<rows::ProgrammeTarget>,
}

#[derive(Debug, Clone, Copy)]
pub struct FirstIds {
    pub programme: i64,
    pub target: i64,
}

/// The national programme periods and their legal bases (DOMAIN: 2021–2025 QĐ 1881/QĐ-TTg,
/// 2026–2030 QĐ 2646/QĐ-BCT).
const NATIONAL_PERIODS: &[(i64, i64, &str)] = &[
    (2021, 2025, "Quyết định 1881/QĐ-TTg"),
    (2026, 2030, "Quyết định 2646/QĐ-BCT"),
];

/// The period provincial programmes are made for: the one the generated history covers whole.
const PROVINCIAL_PERIOD: (i64, i64) = (2021, 2025);

/// What a line's approved projects did: how many, and the programme source's money.
#[derive(Debug, Default, Clone, Copy)]
struct Done {
    projects: i64,
    amount: i64,
}

/// The lines of projects approved (or further on) in `years`, funded from `source`, per province
/// and activity type: the projects plan versus actual counts.
fn done(projects: &Projects, years: (i64, i64), source: FundingSource) -> BTreeMap<(String, String), Done> {
    let mut lines: BTreeMap<(String, String), Done> = BTreeMap::new();
    for p in &projects.projects {
        let counted = p.status.parse::<ProjectStatus>().is_ok_and(|s| {
            matches!(
                s,
                ProjectStatus::Approved
                    | ProjectStatus::InProgress
                    | ProjectStatus::Suspended
                    | ProjectStatus::Accepted
                    | ProjectStatus::Settled
            )
        });
        if !counted || p.funding_source != source.as_str() || !(years.0..=years.1).contains(&p.plan_year) {
            continue;
        }
        let line = lines
            .entry((p.province_code.clone(), p.activity_type.clone()))
            .or_default();
        line.projects += 1;
        line.amount += match source {
            FundingSource::National => p.budget_national_vnd,
            FundingSource::Local => p.budget_local_vnd,
        };
    }
    lines
}

/// A programme to make: its level, its province (provincial ones), its period and legal basis.
type Wanted = (ProgrammeLevel, Option<String>, (i64, i64), String);

/// `count` programmes: the national ones first, then provincial programmes of the provinces that
/// carried out the most locally funded projects.
pub fn generate(
    rng: &mut StdRng,
    atlas: &Atlas<'_>,
    projects: &Projects,
    count: usize,
    first: FirstIds,
) -> Programmes {
    let mut out = Programmes::default();
    let mut programme_id = first.programme;
    let mut target_id = first.target;
    let mut wanted: Vec<Wanted> = NATIONAL_PERIODS
        .iter()
        .map(|(start, end, basis)| {
            (
                ProgrammeLevel::National,
                None,
                (*start, *end),
                (*basis).to_owned(),
            )
        })
        .collect();
    let mut local: BTreeMap<String, i64> = BTreeMap::new();
    for ((province, _), line) in done(projects, PROVINCIAL_PERIOD, FundingSource::Local) {
        *local.entry(province).or_default() += line.projects;
    }
    let mut busiest: Vec<(String, i64)> = local.into_iter().collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (province, _) in busiest {
        let basis = format!("Quyết định {}", codes::decision(rng, "UBND"));
        wanted.push((
            ProgrammeLevel::Provincial,
            Some(province),
            PROVINCIAL_PERIOD,
            basis,
        ));
    }

    for (level, province, (start, end), basis) in wanted.into_iter().take(count) {
        let (source, name) = match &province {
            None => (
                FundingSource::National,
                format!("Chương trình khuyến công quốc gia giai đoạn {start}-{end}"),
            ),
            Some(code) => (
                FundingSource::Local,
                format!(
                    "Chương trình khuyến công {} giai đoạn {start}-{end}",
                    names::lowercased_first(&atlas.province(code).full_name)
                ),
            ),
        };
        // Recorded early in its first year; its targets set a few weeks later.
        let created_on = calendar::in_month(rng, start as i32, 1).clamp(REGISTRY_START, AS_OF);
        let created_at = calendar::office_time(rng, created_on);
        let targets_on = calendar::after(created_on, rng.gen_range(14..=45), AS_OF);
        let updated_at = calendar::office_time(rng, targets_on).max(created_at);

        // A period still running is planned at the pace of its years so far, or, while none of
        // its projects is approved yet, at the pace of the period before.
        let years = end - start + 1;
        let of_province = |mut lines: BTreeMap<(String, String), Done>| {
            if let Some(code) = &province {
                lines.retain(|(p, _), _| p == code);
            }
            lines
        };
        let mut elapsed = (end.min(i64::from(AS_OF.year())) - start + 1).max(1);
        let mut lines = of_province(done(projects, (start, end), source));
        if lines.is_empty() {
            lines = of_province(done(projects, (start - years, start - 1), source));
            elapsed = years;
        }
        for ((province_code, activity_type), line) in lines {
            let count_factor: i64 = rng.gen_range(85..=130);
            let amount_factor: i64 = rng.gen_range(90..=125);
            let whole = elapsed * 100;
            let target_count = ((line.projects * years * count_factor + whole - 1) / whole).max(1);
            let target_amount = line.amount / 1_000_000 * years * amount_factor / (elapsed * 100) * 1_000_000;
            out.targets.push(rows::ProgrammeTarget {
                id: target_id,
                programme_id,
                province_code,
                activity_type,
                target_count: Some(target_count),
                // A line of training or fairs is sometimes planned by count only.
                target_amount_vnd: (target_amount > 0 && rng.gen_bool(0.9)).then_some(target_amount),
            });
            target_id += 1;
        }
        out.programmes.push(rows::Programme {
            id: programme_id,
            code: format!("{start}-{end}"),
            name,
            level: level.as_str().to_owned(),
            province_code: province,
            start_year: start,
            end_year: end,
            legal_basis: Some(basis),
            // Recorded, then its targets set: the API moves the version on with the targets.
            version: 2,
            created_at,
            updated_at,
        });
        programme_id += 1;
    }
    out
}

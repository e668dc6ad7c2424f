//! Implementing units and projects (đề án khuyến công) with everything a project's life leaves
//! behind: the establishments it names, its history of steps and decisions, its budget versions,
//! its money movements and its outcome indicators.
//!
//! A project is walked through the lifecycle of `domain::projects` step by step, with the dates
//! of each decision, and stops where the calendar ends; the state support respects the cap in
//! force on the approval date (checked with `domain::projects::Cap`); every money movement is
//! checked with `domain::projects::check_movement` against what moved before it, so that the
//! rules `POST .../disbursements` applies hold for every seeded row.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use rand::Rng;
use rand::rngs::StdRng;

use super::Coverage;
use super::beneficiaries::{Establishment, Establishments};
use super::calendar::{self, AS_OF, REGISTRY_START};
use super::codes::{self, Issued};
use super::names::{self, CRAFTS};
use super::places::Atlas;
use super::rows;
use crate::api::projects::fields::{BeneficiaryLink, Fields};
use crate::domain::labels::Labeled;
use crate::domain::projects::{
    BeneficiaryRole, Budget, BudgetSource, CapClaim, DisbursementKind, FundingSource, IndicatorCode, Moved,
    OrganizationKind, ProjectStatus, TransitionAction, check_movement,
};
use crate::models::projects::ProjectRow;

/// The generated implementing units and projects.
#[derive(Debug, Default)]
pub struct Projects {
    pub organizations: Vec<rows::Organization>,
    pub projects: Vec<rows::Project>,
    pub links: Vec<rows::ProjectBeneficiary>,
    pub history: Vec<rows::History>,
    pub budget_versions: Vec<rows::BudgetVersion>,
    pub disbursements: Vec<rows::Disbursement>,
    pub indicators: Vec<rows::Indicator>,
    pub code_sequences: Vec<rows::Sequence>,
}

/// Where each kind of row starts numbering.
#[derive(Debug, Clone, Copy)]
pub struct FirstIds {
    pub organization: i64,
    pub project: i64,
    pub history: i64,
    pub budget_version: i64,
    pub disbursement: i64,
    pub indicator: i64,
}

/// The implementing units of a province.
#[derive(Debug, Clone, Copy)]
struct Units {
    centre: i64,
    department: i64,
}

/// Who the seeded steps are recorded as: the command line, as for every record the command line
/// makes (`models::audit::Actor::command_line`).
fn actor() -> String {
    crate::models::audit::Actor::command_line().username
}

/// One provincial industrial-promotion centre and one Department of Industry and Trade per
/// current province, and the ministry's agency.
fn organizations(
    rng: &mut StdRng,
    atlas: &Atlas<'_>,
    issued: &mut Issued,
    first_id: i64,
    out: &mut Vec<rows::Organization>,
) -> (BTreeMap<String, Units>, i64) {
    let mut units = BTreeMap::new();
    let mut id = first_id;
    let opened = calendar::office_time(rng, REGISTRY_START);
    let agency = id;
    out.push(rows::Organization {
        id,
        name: "Cục Đổi mới sáng tạo, Chuyển đổi xanh và Khuyến công".to_owned(),
        kind: OrganizationKind::MinistryAgency.as_str().to_owned(),
        province_code: None,
        address_line: Some("Số 54 Hai Bà Trưng, phường Cửa Nam, Hà Nội".to_owned()),
        contact_name: Some(names::person(rng, true)),
        phone: Some(issued.landline(rng, "024")),
        email: Some("khuyencong@moit.gov.vn".to_owned()),
        active: true,
        version: 1,
        created_at: opened,
        updated_at: opened,
    });
    id += 1;
    for province in atlas.provinces_with_communes() {
        let of_province = names::lowercased_first(&province.full_name);
        let slug = names::slug(&province.name);
        let centre = id;
        let department = id + 1;
        for (unit_id, name, kind, email) in [
            (
                centre,
                format!("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp {of_province}"),
                OrganizationKind::ProvincialPromotionCentre,
                format!("ttkc@{slug}.gov.vn"),
            ),
            (
                department,
                format!("Sở Công Thương {of_province}"),
                OrganizationKind::ProvincialDepartment,
                format!("sct@{slug}.gov.vn"),
            ),
        ] {
            let woman = rng.gen_bool(0.5);
            let street = rng.gen_range(1..200);
            out.push(rows::Organization {
                id: unit_id,
                name,
                kind: kind.as_str().to_owned(),
                province_code: Some(province.code.clone()),
                address_line: Some(format!("Số {street} đường Trần Hưng Đạo, {}", province.name)),
                contact_name: Some(names::person(rng, woman)),
                phone: Some(issued.landline(rng, &codes::area_code(&province.code))),
                email: Some(email),
                active: true,
                version: 1,
                created_at: opened,
                updated_at: opened,
            });
        }
        units.insert(province.code.clone(), Units { centre, department });
        id += 2;
    }
    (units, agency)
}

const ACTIVITY_WEIGHTS: &[(&str, u32)] = &[
    ("machinery_application", 30),
    ("vocational_training", 15),
    ("demonstration_model", 10),
    ("product_development", 8),
    ("trade_fair", 8),
    ("management_capacity", 5),
    ("brand_registration", 4),
    ("information_communication", 4),
    ("showroom", 3),
    ("consulting", 3),
    ("technology_transfer", 2),
    ("cleaner_production", 2),
    ("system_capacity", 2),
    ("digital_transformation", 2),
    ("pollution_treatment", 1),
    ("industrial_cluster_planning", 1),
    ("industrial_cluster_infrastructure", 1),
    ("business_association", 1),
    ("sustainable_production", 1),
    ("artisan_support", 1),
    ("relocation", 1),
    ("international_cooperation", 1),
];

/// Total cost range (million đồng) and the share of it the state usually supports (percent).
fn cost_profile(activity: &str) -> ((i64, i64), (i64, i64)) {
    match activity {
        "machinery_application" => ((300, 3_000), (25, 50)),
        "demonstration_model" => ((1_500, 4_500), (20, 30)),
        "vocational_training" => ((80, 450), (80, 100)),
        "management_capacity" => ((50, 300), (90, 100)),
        "product_development" => ((100, 800), (80, 100)),
        "trade_fair" => ((300, 2_500), (60, 90)),
        "showroom" => ((200, 1_200), (40, 70)),
        "brand_registration" => ((50, 300), (60, 100)),
        "consulting" => ((50, 400), (60, 100)),
        "information_communication" => ((100, 1_000), (90, 100)),
        "technology_transfer" | "cleaner_production" | "sustainable_production" => ((200, 2_000), (30, 60)),
        "pollution_treatment" => ((500, 5_000), (30, 50)),
        "industrial_cluster_planning" => ((300, 1_500), (70, 100)),
        "industrial_cluster_infrastructure" => ((15_000, 80_000), (8, 20)),
        "relocation" => ((1_000, 6_000), (20, 40)),
        "business_association" => ((100, 600), (50, 80)),
        "international_cooperation" => ((300, 2_000), (70, 100)),
        "system_capacity" => ((100, 800), (100, 100)),
        "digital_transformation" => ((150, 1_200), (40, 70)),
        "artisan_support" => ((50, 300), (70, 100)),
        _ => ((100, 1_000), (40, 70)),
    }
}

/// How many establishments a project of `activity` names (machinery is per establishment,
/// trainings and fairs gather many).
fn linked_count(rng: &mut StdRng, activity: &str) -> usize {
    match activity {
        "machinery_application" => {
            if rng.gen_bool(0.85) {
                1
            } else {
                rng.gen_range(2..=3)
            }
        }
        "demonstration_model" => rng.gen_range(1..=4),
        "vocational_training" | "artisan_support" => rng.gen_range(1..=6),
        "trade_fair"
        | "product_development"
        | "management_capacity"
        | "showroom"
        | "business_association" => rng.gen_range(0..=12),
        "information_communication"
        | "system_capacity"
        | "industrial_cluster_planning"
        | "industrial_cluster_infrastructure"
        | "international_cooperation" => rng.gen_range(0..=2),
        _ => rng.gen_range(1..=3),
    }
}

fn status_weights(plan_year: i64) -> &'static [(ProjectStatus, u32)] {
    use ProjectStatus as S;
    match plan_year {
        ..=2022 => &[
            (S::Settled, 82),
            (S::Accepted, 5),
            (S::Cancelled, 9),
            (S::InProgress, 2),
            (S::Suspended, 1),
            (S::Returned, 1),
        ],
        2023 => &[
            (S::Settled, 62),
            (S::Accepted, 15),
            (S::InProgress, 8),
            (S::Suspended, 2),
            (S::Cancelled, 8),
            (S::Returned, 1),
        ],
        2024 => &[
            (S::Settled, 40),
            (S::Accepted, 24),
            (S::InProgress, 20),
            (S::Suspended, 3),
            (S::Cancelled, 8),
            (S::Returned, 2),
            (S::Approved, 2),
        ],
        2025 => &[
            (S::Settled, 12),
            (S::Accepted, 25),
            (S::InProgress, 36),
            (S::Suspended, 3),
            (S::Approved, 8),
            (S::Cancelled, 7),
            (S::Returned, 3),
            (S::Appraised, 2),
            (S::Submitted, 2),
            (S::Draft, 1),
        ],
        2026 => &[
            (S::Accepted, 6),
            (S::InProgress, 35),
            (S::Approved, 20),
            (S::Appraised, 8),
            (S::Submitted, 10),
            (S::Returned, 5),
            (S::Draft, 8),
            (S::Suspended, 2),
            (S::Cancelled, 6),
        ],
        _ => &[
            (S::Draft, 55),
            (S::Submitted, 25),
            (S::Appraised, 8),
            (S::Returned, 8),
            (S::Cancelled, 4),
        ],
    }
}

const PLAN_YEARS: &[(i64, u32)] = &[
    (2019, 8),
    (2020, 9),
    (2021, 11),
    (2022, 12),
    (2023, 13),
    (2024, 14),
    (2025, 14),
    (2026, 13),
    (2027, 6),
];

/// A plan year whose projects reach `status` before the calendar ends, for a data set that must
/// show every state: settled ones are a few years old, drafts are next year's.
fn year_reaching(status: ProjectStatus) -> i64 {
    use ProjectStatus as S;
    let this_year = i64::from(AS_OF.year());
    match status {
        S::Settled => this_year - 3,
        S::Accepted | S::Cancelled => this_year - 2,
        S::InProgress | S::Suspended => this_year - 1,
        S::Approved | S::Appraised | S::Submitted | S::Returned => this_year,
        S::Draft => this_year + 1,
    }
}

/// Floors an amount to whole millions of đồng, as budgets are written.
fn millions(amount: i64) -> i64 {
    amount / 1_000_000 * 1_000_000
}

/// One step of a project's planned life, with its day.
#[derive(Debug, Clone, Copy)]
struct Step {
    action: TransitionAction,
    on: NaiveDate,
}

#[expect(
    clippy::too_many_arguments,
    reason = "the inputs of one generator, each named where it is called"
)]
pub fn generate(
    rng: &mut StdRng,
    atlas: &Atlas<'_>,
    issued: &mut Issued,
    establishments: &Establishments,
    count: usize,
    first: FirstIds,
    advance_share_percent: i64,
    coverage: &Coverage,
) -> Projects {
    let mut out = Projects::default();
    let (units, agency) = organizations(rng, atlas, issued, first.organization, &mut out.organizations);
    let activities: Vec<(&str, u32)> = atlas
        .reference
        .activity_types
        .iter()
        .map(|code| {
            let weight = ACTIVITY_WEIGHTS
                .iter()
                .find(|(c, _)| c == code)
                .map_or(1, |(_, w)| *w);
            (code.as_str(), weight)
        })
        .collect();
    let usable: Vec<usize> = establishments.usable_in.values().flatten().copied().collect();
    if activities.is_empty() || units.is_empty() {
        return out;
    }
    let mut ids = first;
    let mut sequences: BTreeMap<String, i64> = BTreeMap::new();
    for n in 0..count {
        // A data set that must show every state gives them to its first projects in turn.
        let forced_status = coverage
            .every_project_status
            .then(|| ProjectStatus::ALL.get(n).copied())
            .flatten();
        let plan_year = match forced_status {
            Some(status) => year_reaching(status),
            None => *names::weighted(rng, PLAN_YEARS),
        };
        // Plans for next year are drafted in the last months of the calendar.
        let next_year = plan_year > i64::from(AS_OF.year());
        let window_end = if next_year {
            AS_OF - Days::new(10)
        } else {
            calendar::day(plan_year as i32, 2, 28).max(REGISTRY_START + Days::new(90))
        };
        let window_start = if next_year {
            calendar::day(AS_OF.year(), 8, 1)
        } else {
            calendar::day(plan_year as i32 - 1, 10, 1).max(REGISTRY_START + Days::new(7))
        };
        // The establishment a project is built around fixes its province.
        let anchor: Option<&Establishment> = if usable.is_empty() {
            None
        } else {
            (0..20)
                .map(|_| &establishments.info[*names::pick(rng, &usable)])
                .find(|e| e.created_at.date() <= window_end)
        };
        let province_code = match anchor {
            Some(e) => e.province_code.clone(),
            None => names::pick(rng, &atlas.provinces_with_communes()).code.clone(),
        };
        let Some(province_units) = units.get(&province_code).copied() else {
            continue;
        };
        let province = atlas.province(&province_code);
        let earliest = anchor.map_or(window_start, |e| e.created_at.date().max(window_start));
        let created_on = calendar::between(rng, earliest, window_end.max(earliest));
        let created_at = calendar::office_time(rng, created_on);

        let funding = if rng.gen_bool(0.3) {
            FundingSource::National
        } else {
            FundingSource::Local
        };
        let activity = (*names::weighted(rng, &activities)).to_owned();
        let implementing_unit_id = match (funding, rng.gen_range(0..100)) {
            (FundingSource::National, 0..=19) => agency,
            (_, 0..=84) => province_units.centre,
            _ => province_units.department,
        };

        let subject = anchor;
        let craft = &CRAFTS[subject.map_or(0, |e| e.craft)];
        let commune_code = match subject {
            Some(e) if rng.gen_bool(0.75) => Some(e.commune_code.clone()),
            _ => None,
        };
        // "xã Bát Tràng", "tỉnh Bắc Ninh": unit names are written in lower case inside a title.
        let province_name = names::lowercased_first(&province.full_name);
        let commune_name = commune_code
            .as_deref()
            .map(|c| names::lowercased_first(&atlas.commune(c).full_name))
            .unwrap_or_else(|| province_name.clone());
        let recorded_province = if plan_year <= 2024 || (plan_year == 2025 && rng.gen_bool(0.5)) {
            match subject.and_then(|e| e.recorded_province_pre2025.clone()) {
                Some(code) => Some(code),
                None => atlas.predecessors_of.get(province_code.as_str()).map(|p| {
                    atlas.reference.provinces_pre2025[*names::pick(rng, p)]
                        .code
                        .clone()
                }),
            }
        } else {
            None
        };
        let recorded_district = match (&recorded_province, subject) {
            (Some(p), Some(e)) if e.recorded_province_pre2025.as_ref() == Some(p) && rng.gen_bool(0.6) => {
                e.recorded_district_pre2025.clone()
            }
            _ => None,
        };

        let source = match funding {
            FundingSource::National => "KCQG",
            FundingSource::Local => "KCDP",
        };
        let prefix = format!("{source}-{plan_year}-{province_code}");
        let sequence = sequences.entry(prefix.clone()).or_insert(0);
        *sequence += 1;
        let code = format!("{prefix}-{:04}", *sequence);

        let product = subject
            .map(|_| names::lowercased_first(names::pick::<&str>(rng, craft.products)))
            .unwrap_or_else(|| format!("sản phẩm {}", craft.name));
        let title = names::project_title(
            &activity,
            craft,
            &product,
            subject.map_or(province_name.as_str(), |e| e.name.as_str()),
            &commune_name,
            &province_name,
            plan_year,
        );
        let summary = names::project_summary(rng, &activity, craft);

        // The planned life, then cut where the calendar ends.
        let target = match forced_status {
            Some(status) => status,
            None => *names::weighted(rng, status_weights(plan_year)),
        };
        let has_budget = target != ProjectStatus::Draft || rng.gen_bool(0.6);
        let budget_set_on = calendar::after(created_on, rng.gen_range(1..=10), AS_OF);
        let (steps, planned_start, planned_end) = plan_steps(rng, target, budget_set_on);
        let mut status = ProjectStatus::Draft;
        let mut taken: Vec<(Step, ProjectStatus, ProjectStatus)> = Vec::new();
        for step in steps {
            if step.on > AS_OF {
                break;
            }
            let Some(next) = step.action.target(status) else {
                break;
            };
            taken.push((step, status, next));
            status = next;
        }
        let has_budget = has_budget || status != ProjectStatus::Draft;
        let dated_for_submission = has_budget || rng.gen_bool(0.5);
        let approval = taken
            .iter()
            .find(|(s, _, _)| s.action == TransitionAction::Approve)
            .map(|(s, _, _)| s.on);
        let on_for_cap = approval.unwrap_or(budget_set_on);

        // Establishments named: the anchor first, then others of the province already recorded.
        let mut named: Vec<&Establishment> = Vec::new();
        // An accepted project names at least one establishment (the API checks it at acceptance).
        let accepted = taken.iter().any(|(s, _, _)| s.action == TransitionAction::Accept);
        let wanted = linked_count(rng, &activity).max(usize::from(accepted));
        if let Some(anchor) = anchor
            && wanted > 0
        {
            named.push(anchor);
        }
        if let Some(candidates) = establishments.usable_in.get(&province_code) {
            let mut tries = 0;
            while named.len() < wanted && tries < wanted * 4 {
                tries += 1;
                let other = &establishments.info[*names::pick(rng, candidates)];
                if other.created_at <= created_at && !named.iter().any(|e| e.id == other.id) {
                    named.push(other);
                }
            }
            if accepted && named.is_empty() {
                named.push(&establishments.info[candidates[0]]);
            }
        }

        let links: Vec<BeneficiaryLink> = named
            .iter()
            .enumerate()
            .map(|(i, e)| BeneficiaryLink {
                beneficiary_id: e.id,
                role: match (i, activity.as_str()) {
                    (0, "demonstration_model") => BeneficiaryRole::Host,
                    (0, _) => BeneficiaryRole::Primary,
                    _ => BeneficiaryRole::Participant,
                },
            })
            .collect();
        let complete_production_line = activity == "machinery_application" && rng.gen_bool(0.15);
        let priority_area = rng.gen_bool(0.12);

        // The budget, within the cap in force on the approval day.
        let ((low, high), (share_low, share_high)) = cost_profile(&activity);
        let total = rng.gen_range(low..=high) * 1_000_000;
        let mut state = millions(total * rng.gen_range(share_low..=share_high) / 100).max(1_000_000);
        let province_for_cap = (funding == FundingSource::Local).then_some(province_code.as_str());
        let cap = atlas.cap_in_force(funding.as_str(), &activity, province_for_cap, on_for_cap);
        let claim_for = |state: i64, other: i64| CapClaim {
            budget: lines(funding, state, total - state - other, other),
            beneficiaries: links.len() as i64,
            complete_production_line,
            priority_area,
        };
        let mut cap_override = None;
        if let Some(cap) = &cap {
            if funding == FundingSource::National && approval.is_some() && rng.gen_bool(0.01) {
                // A ministry override: the support goes above the cap, for a recorded reason.
                let above = cap.ceiling(&claim_for(state, 0)).unwrap_or(state) / 10 * 13;
                state = millions(above.min(total));
                if cap.check(&claim_for(state, 0)).is_some() {
                    cap_override = Some(names::pick(rng, names::CAP_OVERRIDE_REASONS).to_string());
                }
            }
            while cap_override.is_none() && state > 1_000_000 && cap.check(&claim_for(state, 0)).is_some() {
                let allowed = cap.check(&claim_for(state, 0)).map_or(state, |b| b.allowed_vnd);
                state = millions(allowed).min(state - 1_000_000).max(1_000_000);
            }
        }
        let other = if rng.gen_bool(0.1) {
            millions(total * rng.gen_range(3..=10) / 100).min(total - state)
        } else {
            0
        };
        let first_budget = lines(funding, state, total - state - other, other);

        // History: creation, the budget, then each step taken.
        let project_id = ids.project;
        ids.project += 1;
        let actor = actor();
        let mut history: Vec<rows::History> = Vec::new();
        let push = |history: &mut Vec<rows::History>, at: NaiveDateTime, kind: &str| {
            history.push(rows::History {
                id: 0,
                project_id,
                kind: kind.to_owned(),
                action: None,
                from_status: None,
                to_status: None,
                decision_number: None,
                decision_date: None,
                note: None,
                override_reason: None,
                budget_version: None,
                actor_user_id: None,
                actor_username: actor.clone(),
                occurred_at: at,
            })
        };
        push(&mut history, created_at, "created");
        if let Some(last) = history.last_mut() {
            last.to_status = Some(ProjectStatus::Draft.as_str().to_owned());
        }
        let mut budget_versions: Vec<rows::BudgetVersion> = Vec::new();
        let mut budget = Budget::default();
        if has_budget {
            let at = calendar::office_time(rng, budget_set_on).max(created_at);
            push(&mut history, at, "budget_set");
            if let Some(last) = history.last_mut() {
                last.budget_version = Some(1);
            }
            budget_versions.push(budget_version(
                project_id,
                1,
                &first_budget,
                "draft",
                None,
                None,
                at,
            ));
            budget = first_budget;
        }
        let approver = match funding {
            FundingSource::National => "BCT",
            FundingSource::Local => "UBND",
        };
        let mut suspended_on: Option<NaiveDate> = None;
        let mut accepted_on: Option<NaiveDate> = None;
        let mut started_on: Option<NaiveDate> = None;
        let mut settled_on: Option<NaiveDate> = None;
        let mut cancelled_on: Option<NaiveDate> = None;
        for (step, from, to) in &taken {
            let at = calendar::office_time(rng, step.on);
            push(&mut history, at, "transition");
            let decision = step.action.needs_decision().then(|| match step.action {
                TransitionAction::Accept => codes::decision(rng, "SCT"),
                TransitionAction::Settle => codes::decision(rng, "SCT"),
                _ => codes::decision(rng, approver),
            });
            let note = match step.action {
                TransitionAction::Return => Some(names::pick(rng, names::RETURN_NOTES).to_string()),
                TransitionAction::Suspend => Some(names::pick(rng, names::SUSPEND_NOTES).to_string()),
                TransitionAction::Cancel => Some(names::pick(rng, names::CANCEL_NOTES).to_string()),
                _ => None,
            };
            if let Some(last) = history.last_mut() {
                last.action = Some(step.action.as_str().to_owned());
                last.from_status = Some(from.as_str().to_owned());
                last.to_status = Some(to.as_str().to_owned());
                last.decision_date = decision.as_ref().map(|_| step.on);
                last.decision_number = decision;
                last.note = note;
                if step.action == TransitionAction::Approve {
                    last.override_reason = cap_override.clone();
                }
            }
            match step.action {
                TransitionAction::Start => started_on = Some(step.on),
                TransitionAction::Suspend => suspended_on = suspended_on.or(Some(step.on)),
                TransitionAction::Accept => accepted_on = Some(step.on),
                TransitionAction::Settle => settled_on = Some(step.on),
                TransitionAction::Cancel => cancelled_on = Some(step.on),
                _ => {}
            }
        }

        // An adjustment decision between approval and acceptance, for some projects: less state
        // money after tendering, or more of the establishment's own.
        if let Some(approved_on) = approval
            && cap_override.is_none()
            && (status.takes_adjustments()
                || matches!(status, ProjectStatus::Accepted | ProjectStatus::Settled))
            && rng.gen_bool(0.08)
        {
            let until = accepted_on
                .or(suspended_on)
                .or(cancelled_on)
                .unwrap_or(AS_OF)
                .min(AS_OF);
            let from = approved_on + Days::new(20);
            if from < until {
                let on = calendar::between(rng, from, until - Days::new(1));
                let mut adjusted = budget;
                if rng.gen_bool(0.6) {
                    let cut = millions(budget.state_support() * rng.gen_range(5..=20) / 100);
                    match funding {
                        FundingSource::National => {
                            adjusted.national = (adjusted.national - cut).max(1_000_000)
                        }
                        FundingSource::Local => adjusted.local = (adjusted.local - cut).max(1_000_000),
                    }
                } else {
                    adjusted.counterpart += millions(budget.counterpart * rng.gen_range(10..=30) / 100);
                }
                let claim = CapClaim {
                    budget: adjusted,
                    beneficiaries: links.len() as i64,
                    complete_production_line,
                    priority_area,
                };
                let within = atlas
                    .cap_in_force(funding.as_str(), &activity, province_for_cap, on)
                    .is_none_or(|cap| cap.check(&claim).is_none());
                if within && adjusted != budget {
                    let at = calendar::office_time(rng, on);
                    let decision = codes::decision(rng, approver);
                    let reason = names::pick(rng, names::ADJUSTMENT_REASONS).to_string();
                    push(&mut history, at, "adjustment");
                    if let Some(last) = history.last_mut() {
                        last.decision_number = Some(decision.clone());
                        last.decision_date = Some(on);
                        last.note = Some(reason.clone());
                        last.budget_version = Some(2);
                    }
                    budget_versions.push(budget_version(
                        project_id,
                        2,
                        &adjusted,
                        "adjustment",
                        Some((decision, on)),
                        Some(reason),
                        at,
                    ));
                    budget = adjusted;
                }
            }
        }
        history.sort_by_key(|h| h.occurred_at);
        for h in &mut history {
            h.id = ids.history;
            ids.history += 1;
        }
        for v in &mut budget_versions {
            v.id = ids.budget_version;
            ids.budget_version += 1;
        }

        // Money: windows in which the lifecycle lets it move, each movement checked in order.
        let money = MoneyWindows {
            approved: approval,
            started: started_on,
            accepted: accepted_on,
            settled: settled_on,
            stop: suspended_on.or(cancelled_on),
        };
        let movements = movements(
            rng,
            &budget,
            funding,
            &money,
            status,
            cancelled_on,
            advance_share_percent,
        );
        for (kind, source, amount, on) in movements {
            out.disbursements.push(rows::Disbursement {
                id: ids.disbursement,
                project_id,
                kind: kind.as_str().to_owned(),
                source: source.as_str().to_owned(),
                amount_vnd: amount,
                date: on,
                document_number: codes::document(
                    rng,
                    match kind {
                        DisbursementKind::Advance => "GTU",
                        DisbursementKind::Payment => "UNC",
                        DisbursementKind::Refund => "GNT",
                        DisbursementKind::Settlement => "QT",
                    },
                    on.year(),
                ),
                note: (kind == DisbursementKind::Advance && rng.gen_bool(0.3))
                    .then(|| "Tạm ứng theo hợp đồng thực hiện đề án.".to_owned()),
                recorded_by: actor.clone(),
                created_at: calendar::office_time(rng, on),
            });
            ids.disbursement += 1;
        }

        // Indicators, with results once the project is accepted.
        let indicator_rows = indicators(rng, &activity, status, named.len(), total);
        let has_indicators = !indicator_rows.is_empty();
        for (code, unit, baseline, target, actual) in indicator_rows {
            out.indicators.push(rows::Indicator {
                id: ids.indicator,
                project_id,
                code,
                unit,
                baseline,
                target,
                actual,
            });
            ids.indicator += 1;
        }

        let last_change = history.iter().map(|h| h.occurred_at).max().unwrap_or(created_at);
        let changes = history.len() as i64 - 1 + i64::from(has_indicators);
        let base = ProjectRow {
            id: project_id,
            code: code.clone(),
            title: String::new(),
            summary: None,
            activity_type: String::new(),
            funding_source: String::new(),
            plan_year,
            province_code: String::new(),
            commune_code: None,
            recorded_province_code_pre2025: None,
            recorded_district_code_pre2025: None,
            implementing_unit_id,
            planned_start: None,
            planned_end: None,
            complete_production_line,
            priority_area,
            status: status.as_str().to_owned(),
            budget_national_vnd: budget.national,
            budget_local_vnd: budget.local,
            budget_counterpart_vnd: budget.counterpart,
            budget_other_vnd: budget.other,
            budget_version: budget_versions.len() as i64,
            cap_override_reason: cap_override.clone(),
            cap_override_budget_version: cap_override.as_ref().map(|_| 1),
            search_key: String::new(),
            version: 1 + changes,
            created_at,
            updated_at: last_change,
        };
        let fields = Fields {
            code: Some(code),
            title,
            summary,
            activity_type: activity.clone(),
            funding_source: funding,
            plan_year,
            province_code: Some(province_code.clone()),
            commune_code,
            recorded_province_code_pre2025: recorded_province,
            recorded_district_code_pre2025: recorded_district,
            implementing_unit_id,
            planned_start: dated_for_submission.then_some(planned_start),
            planned_end: dated_for_submission.then_some(planned_end),
            complete_production_line,
            priority_area,
            beneficiaries: links,
        }
        .normalized();
        // The API's own derivation of the stored row (search key included).
        let mut row = fields.to_row(&base);
        row.updated_at = last_change;
        for (beneficiary_id, role) in fields.links() {
            out.links.push(rows::ProjectBeneficiary {
                project_id,
                beneficiary_id,
                role,
            });
        }
        out.projects.push(row.into());
        out.history.extend(history);
        out.budget_versions.extend(budget_versions);
    }
    out.code_sequences = sequences
        .into_iter()
        .map(|(prefix, last_value)| rows::Sequence { prefix, last_value })
        .collect();
    out
}

/// The approved lines of a project: the state part on its funding source's line.
fn lines(funding: FundingSource, state: i64, counterpart: i64, other: i64) -> Budget {
    Budget {
        national: if funding == FundingSource::National {
            state
        } else {
            0
        },
        local: if funding == FundingSource::Local { state } else { 0 },
        counterpart: counterpart.max(0),
        other,
    }
}

fn budget_version(
    project_id: i64,
    version: i64,
    budget: &Budget,
    kind: &str,
    decision: Option<(String, NaiveDate)>,
    reason: Option<String>,
    at: NaiveDateTime,
) -> rows::BudgetVersion {
    rows::BudgetVersion {
        id: 0,
        project_id,
        budget_version: version,
        national_vnd: budget.national,
        local_vnd: budget.local,
        counterpart_vnd: budget.counterpart,
        other_vnd: budget.other,
        kind: kind.to_owned(),
        decision_number: decision.as_ref().map(|d| d.0.clone()),
        decision_date: decision.map(|d| d.1),
        reason,
        actor_username: actor(),
        created_at: at,
    }
}

/// The steps towards `target`, dated from the day the budget was set, with the planned dates.
fn plan_steps(
    rng: &mut StdRng,
    target: ProjectStatus,
    budget_set_on: NaiveDate,
) -> (Vec<Step>, NaiveDate, NaiveDate) {
    use ProjectStatus as S;
    use TransitionAction as A;
    let mut on = budget_set_on;
    let mut next = |rng: &mut StdRng, low: u64, high: u64| {
        on = on + Days::new(rng.gen_range(low..=high));
        on
    };
    let submit = next(rng, 5, 50);
    let appraise = next(rng, 7, 30);
    let approve = next(rng, 7, 40);
    let start = next(rng, 3, 30);
    let planned_start = approve + Days::new(rng.gen_range(0..=30));
    let planned_end = planned_start + Days::new(rng.gen_range(120..=300));
    let accept = planned_end.max(start + Days::new(30)) + Days::new(rng.gen_range(0..=45));
    let settle = accept + Days::new(rng.gen_range(20..=120));
    let step = |action, on| Step { action, on };
    let through_start = vec![
        step(A::Submit, submit),
        step(A::Appraise, appraise),
        step(A::Approve, approve),
        step(A::Start, start),
    ];
    let mut steps = match target {
        S::Draft => Vec::new(),
        S::Submitted => through_start[..1].to_vec(),
        S::Appraised => through_start[..2].to_vec(),
        S::Approved => through_start[..3].to_vec(),
        S::Returned => {
            let upto = rng.gen_range(1..=2);
            let mut s = through_start[..upto].to_vec();
            let last = s[upto - 1].on;
            s.push(step(A::Return, last + Days::new(rng.gen_range(3..=20))));
            s
        }
        S::InProgress | S::Suspended | S::Accepted | S::Settled => {
            let mut s = through_start.clone();
            let suspend_at = start + Days::new(rng.gen_range(30..=90));
            if target == S::Suspended {
                s.push(step(A::Suspend, suspend_at));
            } else if rng.gen_bool(0.05) && suspend_at + Days::new(40) < accept {
                s.push(step(A::Suspend, suspend_at));
                s.push(step(A::Resume, suspend_at + Days::new(rng.gen_range(15..=35))));
            }
            if matches!(target, S::Accepted | S::Settled) {
                s.push(step(A::Accept, accept));
            }
            if target == S::Settled {
                s.push(step(A::Settle, settle));
            }
            s
        }
        S::Cancelled => {
            let upto = rng.gen_range(0..=4);
            let mut s = through_start[..upto].to_vec();
            let last = s.last().map_or(budget_set_on, |x| x.on);
            s.push(step(A::Cancel, last + Days::new(rng.gen_range(10..=60))));
            s
        }
    };
    steps.sort_by_key(|s| s.on);
    (steps, planned_start, planned_end)
}

/// When money could move: from approval, before any suspension or cancellation, advances before
/// acceptance and settlement payments after it, nothing after settlement.
struct MoneyWindows {
    approved: Option<NaiveDate>,
    started: Option<NaiveDate>,
    accepted: Option<NaiveDate>,
    settled: Option<NaiveDate>,
    stop: Option<NaiveDate>,
}

/// A money movement: kind, source, amount in đồng, day.
type Movement = (DisbursementKind, BudgetSource, i64, NaiveDate);

/// The money movements of a project, in date order, each within the rules.
fn movements(
    rng: &mut StdRng,
    budget: &Budget,
    funding: FundingSource,
    windows: &MoneyWindows,
    status: ProjectStatus,
    cancelled_on: Option<NaiveDate>,
    advance_share_percent: i64,
) -> Vec<Movement> {
    let Some(approved) = windows.approved else {
        return Vec::new();
    };
    let state_source = match funding {
        FundingSource::National => BudgetSource::National,
        FundingSource::Local => BudgetSource::Local,
    };
    let state = budget.get(state_source);
    // The last day before acceptance on which money moves (suspension stops it).
    let running_end = [windows.accepted, windows.stop, Some(AS_OF + Days::new(1))]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(AS_OF)
        - Days::new(1);
    let mut planned: Vec<Movement> = Vec::new();
    let advance_day = approved + Days::new(rng.gen_range(3..=30));
    if state > 0 && advance_day <= running_end && rng.gen_bool(0.65) {
        let amount = millions(state * rng.gen_range(30..=advance_share_percent.max(30)) / 100);
        if amount > 0 {
            planned.push((DisbursementKind::Advance, state_source, amount, advance_day));
        }
    }
    let paid_in_progress = match (windows.started, status) {
        (Some(_), ProjectStatus::Settled) => rng.gen_range(40..=80),
        (Some(_), ProjectStatus::Accepted) => rng.gen_range(30..=80),
        (Some(_), _) => rng.gen_range(0..=60),
        (None, _) => 0,
    };
    if let Some(started) = windows.started {
        let from = started + Days::new(20);
        if from <= running_end && paid_in_progress > 0 {
            let payments = rng.gen_range(1..=2);
            for _ in 0..payments {
                let amount = millions(state * paid_in_progress / 100 / payments);
                if amount > 0 {
                    planned.push((
                        DisbursementKind::Payment,
                        state_source,
                        amount,
                        calendar::between(rng, from, running_end),
                    ));
                }
            }
        }
        if budget.counterpart > 0 && from <= running_end && rng.gen_bool(0.5) {
            let share = if status == ProjectStatus::Settled {
                100
            } else {
                rng.gen_range(30..=100)
            };
            let amount = millions(budget.counterpart * share / 100);
            if amount > 0 {
                planned.push((
                    DisbursementKind::Payment,
                    BudgetSource::Counterpart,
                    amount,
                    calendar::between(rng, from, running_end),
                ));
            }
        }
    }
    // A refund of part of an advance, sometimes (the establishment bought for less).
    if let Some(&(_, _, advance, day)) = planned.iter().find(|m| m.0 == DisbursementKind::Advance)
        && rng.gen_bool(0.05)
        && day + Days::new(10) <= running_end
    {
        planned.push((
            DisbursementKind::Refund,
            state_source,
            millions(advance * rng.gen_range(10..=30) / 100).max(1_000_000),
            calendar::between(rng, day + Days::new(10), running_end),
        ));
    }
    planned.sort_by_key(|m| m.3);

    let status_on = |day: NaiveDate| match windows.accepted {
        Some(accepted) if day >= accepted => ProjectStatus::Accepted,
        _ => match windows.started {
            Some(started) if day >= started => ProjectStatus::InProgress,
            _ => ProjectStatus::Approved,
        },
    };
    let mut moved = Moved::default();
    let mut out: Vec<Movement> = Vec::new();
    let record = |moved: &mut Moved,
                  out: &mut Vec<Movement>,
                  kind,
                  source: BudgetSource,
                  amount: i64,
                  day: NaiveDate| {
        if amount <= 0
            || check_movement(
                budget,
                moved,
                kind,
                source,
                amount,
                status_on(day),
                advance_share_percent,
            )
            .is_err()
        {
            return;
        }
        let line = match source {
            BudgetSource::National => &mut moved.net.national,
            BudgetSource::Local => &mut moved.net.local,
            BudgetSource::Counterpart => &mut moved.net.counterpart,
            BudgetSource::Other => &mut moved.net.other,
        };
        if kind == DisbursementKind::Refund {
            *line -= amount;
        } else {
            *line += amount;
        }
        if kind == DisbursementKind::Advance && source.is_state() {
            moved.state_advances += amount;
        }
        out.push((kind, source, amount, day));
    };
    for (kind, source, amount, day) in planned {
        record(&mut moved, &mut out, kind, source, amount, day);
    }
    // After acceptance: the settlement payment of what remains (less a small unspent part now
    // and then), before the settlement decision or the end of the calendar.
    if let Some(accepted) = windows.accepted {
        let until = windows
            .settled
            .unwrap_or(AS_OF + Days::new(1))
            .min(AS_OF + Days::new(1))
            - Days::new(1);
        let from = accepted + Days::new(5);
        let settle_now = status == ProjectStatus::Settled || rng.gen_bool(0.5);
        if from <= until && settle_now {
            let unspent = if rng.gen_bool(0.2) {
                millions(state * rng.gen_range(1..=5) / 100)
            } else {
                0
            };
            let remaining = state - moved.net.get(state_source) - unspent;
            let day = calendar::between(rng, from, until);
            record(
                &mut moved,
                &mut out,
                DisbursementKind::Settlement,
                state_source,
                remaining,
                day,
            );
        }
    }
    // A cancelled project returns the state money it received before the cancellation.
    if let Some(cancelled) = cancelled_on {
        let net = moved.net.get(state_source);
        if net > 0 {
            let day = out
                .last()
                .map_or(cancelled, |m| m.3)
                .max(cancelled - Days::new(1));
            record(
                &mut moved,
                &mut out,
                DisbursementKind::Refund,
                state_source,
                net,
                day,
            );
        }
    }
    out
}

/// Outcome indicators of a project of `activity`: code, unit, baseline, target, actual.
type IndicatorValues = (String, String, Option<i64>, Option<i64>, Option<i64>);

fn indicators(
    rng: &mut StdRng,
    activity: &str,
    status: ProjectStatus,
    establishments: usize,
    total_cost: i64,
) -> Vec<IndicatorValues> {
    let share = if status == ProjectStatus::Draft { 0.4 } else { 0.8 };
    if !rng.gen_bool(share) {
        return Vec::new();
    }
    let finished = matches!(status, ProjectStatus::Accepted | ProjectStatus::Settled);
    let partial = status == ProjectStatus::InProgress && rng.gen_bool(0.3);
    let mut out = Vec::new();
    // The target is drawn first; results come once the project is accepted (partly while it runs).
    let mut standard =
        |rng: &mut StdRng, code: IndicatorCode, baseline: Option<i64>, (low, high): (i64, i64)| {
            let target = rng.gen_range(low..=high);
            let actual = if finished {
                Some(target * rng.gen_range(85..=115) / 100)
            } else if partial {
                Some(target * rng.gen_range(20..=70) / 100)
            } else {
                None
            };
            out.push((
                code.as_str().to_owned(),
                code.unit().to_owned(),
                baseline,
                Some(target),
                actual,
            ));
        };
    let revenue = total_cost * rng.gen_range(2..=6);
    match activity {
        "vocational_training" | "artisan_support" => {
            standard(rng, IndicatorCode::WorkersTrained, Some(0), (20, 70));
            standard(rng, IndicatorCode::JobsCreated, Some(0), (10, 50));
        }
        "management_capacity" | "system_capacity" => {
            standard(rng, IndicatorCode::WorkersTrained, Some(0), (30, 150));
        }
        "machinery_application" | "technology_transfer" => {
            standard(rng, IndicatorCode::MachinesInstalled, Some(0), (1, 10));
            standard(
                rng,
                IndicatorCode::RevenueVnd,
                Some(revenue),
                (revenue * 110 / 100, revenue * 140 / 100),
            );
            standard(rng, IndicatorCode::JobsCreated, Some(0), (2, 20));
        }
        "demonstration_model" => {
            standard(rng, IndicatorCode::ModelsBuilt, Some(0), (1, 1));
            standard(
                rng,
                IndicatorCode::RevenueVnd,
                Some(revenue),
                (revenue * 110 / 100, revenue * 150 / 100),
            );
            standard(rng, IndicatorCode::JobsCreated, Some(0), (5, 30));
        }
        "industrial_cluster_planning" | "industrial_cluster_infrastructure" => {
            let area = rng.gen_range(20..=75);
            out.push((
                "cluster_area_ha".to_owned(),
                "ha".to_owned(),
                Some(0),
                Some(area),
                finished.then_some(area),
            ));
        }
        _ => {
            let least = (establishments as i64).max(3);
            standard(
                rng,
                IndicatorCode::EstablishmentsSupported,
                Some(0),
                (least, least.max(40)),
            );
        }
    }
    out
}

//! Products, selection rounds with their juries, entries and scores, and certificates, both those
//! the rounds issue and those recorded from paper (legacy).
//!
//! Rounds are generated in the order they were held (year, then level from the lowest), so that a
//! product enters a round only with a certificate of the level below that holds on the day its
//! entry was made, as `api::certification::entries` requires; a round's scope is taken from a real
//! producer's place in the round's era, so that every entry lies inside it; entries qualify by
//! `domain::certification::standings`, and only qualifying entries are recognised.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use sha2::{Digest, Sha256};

use super::Coverage;
use super::beneficiaries::{Establishment, Establishments};
use super::calendar::{self, AS_OF};
use super::codes::{self, Issued};
use super::names::{self, CRAFTS};
use super::places::Atlas;
use super::rows;
use crate::domain::admin_units::{Era, Region};
use crate::domain::certification::{
    CULTURAL_AESTHETIC_MAX, ECONOMIC_TECHNICAL_SOCIAL_ENVIRONMENTAL_MAX, MARKET_MAX, OTHER_MAX, RoundStatus,
    SelectionLevel, certificate_number, entry_reference_day, region_scope, standings, valid_until,
};
use crate::domain::search::search_key;
use crate::domain::text::clean_line;

/// The generated certification records.
#[derive(Debug, Default)]
pub struct Certification {
    pub products: Vec<rows::Product>,
    pub rounds: Vec<rows::Round>,
    pub judges: Vec<rows::RoundJudge>,
    pub entries: Vec<rows::Entry>,
    pub scores: Vec<rows::Score>,
    pub certificates: Vec<rows::Certificate>,
    pub number_sequences: Vec<rows::Sequence>,
}

#[derive(Debug, Clone, Copy)]
pub struct FirstIds {
    pub product: i64,
    pub round: i64,
    pub entry: i64,
    pub certificate: i64,
}

/// How many of each to make.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    pub products: usize,
    pub rounds: usize,
    pub certificates: usize,
}

/// Policy values the API reads from its configuration.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub qualifying_score: i64,
    pub validity_years: i32,
}

/// A selection round to hold in place of a drawn one: its year and level, and the state it has
/// reached when that is chosen too (the calendar's end can still hold it back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundSpec {
    pub year: i64,
    pub level: SelectionLevel,
    pub status: Option<RoundStatus>,
}

/// A product with what eligibility looks at.
struct Made<'e> {
    id: i64,
    producer: &'e Establishment,
    created_at: NaiveDateTime,
}

/// A certificate with what eligibility and revocation look at; `held[i]` describes
/// `certificates[i]`.
struct Held {
    index: usize,
    level: SelectionLevel,
    issued_on: NaiveDate,
    valid_until: NaiveDate,
    /// The last day an entry relied on it: a revocation comes later.
    last_relied_on: Option<NaiveDate>,
}

/// Where products can be found by the scope a round reads.
#[derive(Default)]
struct ScopeIndex {
    commune: BTreeMap<String, Vec<usize>>,
    district: BTreeMap<String, Vec<usize>>,
    province_pre2025: BTreeMap<String, Vec<usize>>,
    province_current: BTreeMap<String, Vec<usize>>,
    region_pre2025: BTreeMap<&'static str, Vec<usize>>,
    region_current: BTreeMap<&'static str, Vec<usize>>,
}

impl ScopeIndex {
    fn new(products: &[Made<'_>]) -> ScopeIndex {
        let mut index = ScopeIndex::default();
        for (i, p) in products.iter().enumerate() {
            let e = p.producer;
            index.commune.entry(e.commune_code.clone()).or_default().push(i);
            if let Some(d) = &e.recorded_district_pre2025 {
                index.district.entry(d.clone()).or_default().push(i);
            }
            if let Some(code) = &e.place.province_pre2025 {
                index.province_pre2025.entry(code.clone()).or_default().push(i);
            }
            index
                .province_current
                .entry(e.province_code.clone())
                .or_default()
                .push(i);
            if let Some(r) = e.place.region_pre2025 {
                index.region_pre2025.entry(r.as_str()).or_default().push(i);
            }
            if let Some(r) = e.place.region_current {
                index.region_current.entry(r.as_str()).or_default().push(i);
            }
        }
        index
    }
}

/// A round's scope in its era: the code stored, the current province owning it, the code its
/// certificate numbers show, and how it is named in the title.
struct Scope {
    commune: Option<String>,
    district: Option<String>,
    province: Option<String>,
    region: Option<Region>,
    owner: Option<String>,
    number_code: String,
    title: String,
}

/// Whether a product's producer lies inside a scope (the rule of `api::certification::check_scope`).
fn inside(level: SelectionLevel, era: Era, scope: &Scope, e: &Establishment) -> bool {
    match level {
        SelectionLevel::National => true,
        SelectionLevel::Commune => scope.commune.as_deref() == Some(e.commune_code.as_str()),
        SelectionLevel::District => {
            e.recorded_district_pre2025.is_some() && scope.district == e.recorded_district_pre2025
        }
        SelectionLevel::Province => {
            let producer = match era {
                Era::Current => Some(e.province_code.as_str()),
                Era::Pre2025 => e.place.province_pre2025.as_deref(),
            };
            producer.is_some() && producer == scope.province.as_deref()
        }
        SelectionLevel::Region => {
            let producer = match era {
                Era::Current => e.place.region_current,
                Era::Pre2025 => e.place.region_pre2025,
            };
            producer.is_some() && producer == scope.region
        }
    }
}

fn level_rank(level: SelectionLevel) -> u8 {
    match level {
        SelectionLevel::Commune | SelectionLevel::District => 0,
        SelectionLevel::Province => 1,
        SelectionLevel::Region => 2,
        SelectionLevel::National => 3,
    }
}

/// The month a round of `level` is organised in: the lower levels first, so that their
/// certificates can carry products up the same year. In 2025 the commune rounds (new on 1 July)
/// come in the second half and the rounds above them later.
fn organising_month(level: SelectionLevel, year: i64) -> u32 {
    match (level, year) {
        (SelectionLevel::District, _) => 2,
        (SelectionLevel::Commune, 2025) => 7,
        (SelectionLevel::Commune, _) => 2,
        (SelectionLevel::Province, 2025) => 9,
        (SelectionLevel::Province, _) => 5,
        (SelectionLevel::Region, 2025) => 10,
        (SelectionLevel::Region, _) => 7,
        (SelectionLevel::National, 2025) => 10,
        (SelectionLevel::National, _) => 8,
    }
}

fn issuer(level: SelectionLevel, year: i64) -> &'static str {
    match level {
        SelectionLevel::Region if year <= 2024 => "CTĐP",
        SelectionLevel::Region => "ĐMST",
        SelectionLevel::National => "BCT",
        _ => "UBND",
    }
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
    judges: &[i64],
    counts: Counts,
    first: FirstIds,
    policy: Policy,
    coverage: &Coverage,
) -> Certification {
    let mut out = Certification::default();
    let usable: Vec<&Establishment> = establishments
        .usable_in
        .values()
        .flatten()
        .map(|i| &establishments.info[*i])
        .collect();
    if usable.is_empty() {
        return out;
    }

    // Products.
    let mut made: Vec<Made<'_>> = Vec::with_capacity(counts.products);
    for n in 0..counts.products {
        let id = first.product + n as i64;
        let producer = *names::pick(rng, &usable);
        let craft = &CRAFTS[producer.craft];
        let name = clean_line(&names::product_name(rng, craft, &producer.place_name));
        let soon = producer.created_at.date() + Days::new(365);
        let created_at = if rng.gen_bool(0.7) {
            calendar::moment_between(rng, producer.created_at.date(), soon.min(AS_OF))
        } else {
            calendar::moment_between(rng, producer.created_at.date(), AS_OF)
        }
        .max(producer.created_at);
        let photos: Vec<serde_json::Value> = (1..=rng.gen_range(0..=3))
            .map(|k| {
                let url = format!("https://khuyencong.example.vn/anh/san-pham/{id}-{k}.jpg");
                let digest = Sha256::digest(url.as_bytes());
                let sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                serde_json::json!({"url": url, "sha256": sha256})
            })
            .collect();
        let description = rng.gen_bool(0.7).then(|| names::product_description(rng, craft));
        let standards = names::quality_standards(rng, craft.group);
        let awards = names::awards(rng, created_at.year().clamp(2015, AS_OF.year()));
        out.products.push(rows::Product {
            id,
            beneficiary_id: producer.id,
            search_key: search_key(&name),
            is_set: name.starts_with("Bộ "),
            name,
            product_group: craft.group.as_str().to_owned(),
            description,
            quality_standards_json: serde_json::to_string(&standards).unwrap_or_else(|_| "[]".into()),
            awards_json: serde_json::to_string(&awards).unwrap_or_else(|_| "[]".into()),
            photos_json: serde_json::to_string(&photos).unwrap_or_else(|_| "[]".into()),
            version: 1,
            created_at,
            updated_at: created_at,
        });
        made.push(Made {
            id,
            producer,
            created_at,
        });
    }
    let index = ScopeIndex::new(&made);
    let mut held: Vec<Held> = Vec::new();
    let mut held_by_product: Vec<Vec<usize>> = vec![Vec::new(); made.len()];
    let mut holders: BTreeMap<&'static str, BTreeSet<usize>> = BTreeMap::new();
    let mut sequences: BTreeMap<String, i64> = BTreeMap::new();
    let mut next_certificate = first.certificate;

    // Paper certificates recorded from before the registry: a sixth of the total first, so that
    // the first rounds find products holding them.
    let legacy_first = counts.certificates * 15 / 100;
    let mut attempts = 0;
    while out.certificates.len() < legacy_first && attempts < legacy_first * 20 {
        attempts += 1;
        legacy(
            rng,
            issued,
            &made,
            policy,
            &mut out.certificates,
            &mut held,
            &mut held_by_product,
            &mut holders,
            &mut next_certificate,
        );
    }

    // The rounds, in the order they were held.
    let first_year = 2021;
    let last_year = i64::from(AS_OF.year());
    let mut specs: Vec<(i64, SelectionLevel, usize)> = (0..counts.rounds)
        .filter(|_| coverage.rounds.is_empty())
        .map(|n| {
            let year = rng.gen_range(first_year..=last_year);
            let level = match rng.gen_range(0..100) {
                0..=64 => match year {
                    ..=2024 => SelectionLevel::District,
                    2025 if rng.gen_bool(0.5) => SelectionLevel::District,
                    _ => SelectionLevel::Commune,
                },
                65..=89 => SelectionLevel::Province,
                90..=96 => SelectionLevel::Region,
                _ => SelectionLevel::National,
            };
            (year, level, n)
        })
        .collect();
    specs.extend(
        coverage
            .rounds
            .iter()
            .enumerate()
            .map(|(n, spec)| (spec.year, spec.level, n)),
    );
    specs.sort_by_key(|(year, level, n)| (*year, level_rank(*level), *n));

    let round_budget = counts.certificates.saturating_sub(legacy_first);
    let mut issued_by_rounds = 0usize;
    let mut qualifying_seen = 0usize;
    let mut used_scopes: BTreeSet<(&'static str, i64, String)> = BTreeSet::new();
    let mut next_entry = first.entry;
    let rounds_total = specs.len();
    for (position, (year, level, n)) in specs.into_iter().enumerate() {
        let chosen_status = coverage.rounds.get(n).and_then(|spec| spec.status);
        let round_id = first.round + position as i64;
        let era = match level {
            SelectionLevel::Commune => Era::Current,
            SelectionLevel::District => Era::Pre2025,
            _ if year <= 2024 => Era::Pre2025,
            _ => Era::Current,
        };
        // A round that must recognise a product is held where one can enter: a product made
        // before the round opens and, above the lowest levels, holding a certificate of the level
        // below in the round's year.
        let entrants: Option<Vec<usize>> = coverage.recognise_every_round.then(|| {
            let opens = calendar::day(year as i32, organising_month(level, year), 1);
            (0..made.len())
                .filter(|p| made[*p].created_at.date() < opens)
                .filter(|p| {
                    level.levels_below().is_empty()
                        || held_by_product[*p].iter().map(|h| &held[*h]).any(|h| {
                            level.levels_below().contains(&h.level)
                                && h.issued_on < opens
                                && h.valid_until.year() >= year as i32
                        })
                })
                .collect()
        });
        let scope = choose_scope(
            rng,
            atlas,
            &made,
            entrants.as_deref().filter(|e| !e.is_empty()),
            level,
            era,
            year,
            &mut used_scopes,
        );
        let decided = calendar::in_month(rng, year as i32, organising_month(level, year));
        let dossiers_from = decided + Days::new(5);
        let dossiers_to = decided + Days::new(40);
        let scoring_from = decided + Days::new(45);
        let closed_on = decided + Days::new(rng.gen_range(55..=65));
        let recognised_on = closed_on + Days::new(rng.gen_range(7..=20));
        let mut status = if let Some(status) = chosen_status {
            status
        } else if year < last_year {
            if rng.gen_bool(0.95) {
                RoundStatus::Published
            } else {
                RoundStatus::Closed
            }
        } else {
            *names::weighted(
                rng,
                &[
                    (RoundStatus::Published, 50),
                    (RoundStatus::Closed, 15),
                    (RoundStatus::Scoring, 20),
                    (RoundStatus::Open, 15),
                ],
            )
        };
        // Nothing happens after the calendar's end.
        if status == RoundStatus::Published && recognised_on > AS_OF {
            status = RoundStatus::Closed;
        }
        if status == RoundStatus::Closed && closed_on > AS_OF {
            status = RoundStatus::Scoring;
        }
        if status == RoundStatus::Scoring && scoring_from > AS_OF {
            status = RoundStatus::Open;
        }
        let lower_level_round_not_held =
            level == SelectionLevel::Province && rng.gen_bool(if year == first_year { 0.3 } else { 0.08 });

        // The jury.
        let jury_size = rng.gen_range(3..=7).min(judges.len());
        let jury: Vec<i64> = {
            let mut chosen: Vec<i64> = judges.choose_multiple(rng, jury_size).copied().collect();
            chosen.sort_unstable();
            chosen
        };
        for user_id in &jury {
            out.judges.push(rows::RoundJudge {
                round_id,
                user_id: *user_id,
            });
        }

        // The entries: products in scope, entered while dossiers are received, each holding a
        // lower-level certificate on that day unless the level below was not held.
        let needs_basis = !level.levels_below().is_empty();
        let pool: Vec<usize> = if needs_basis && !lower_level_round_not_held {
            let mut pool: BTreeSet<usize> = BTreeSet::new();
            for below in level.levels_below() {
                if let Some(products) = holders.get(below.as_str()) {
                    pool.extend(
                        products
                            .iter()
                            .copied()
                            .filter(|p| inside(level, era, &scope, made[*p].producer)),
                    );
                }
            }
            pool.into_iter().collect()
        } else {
            scope_pool(&index, level, era, &scope, made.len())
        };
        let wanted = match level {
            SelectionLevel::Commune | SelectionLevel::District => rng.gen_range(4..=20),
            SelectionLevel::Province => rng.gen_range(6..=30),
            SelectionLevel::Region => rng.gen_range(8..=40),
            SelectionLevel::National => rng.gen_range(10..=50),
        };
        let mut order = pool;
        order.shuffle(rng);
        let mut round_entries: Vec<(rows::Entry, usize)> = Vec::new();
        for p in order {
            if round_entries.len() >= wanted {
                break;
            }
            let product = &made[p];
            if !inside(level, era, &scope, product.producer) {
                continue;
            }
            let entered_at = calendar::moment_between(rng, dossiers_from, dossiers_to.min(AS_OF));
            if product.created_at > entered_at || entered_at.date() > AS_OF {
                continue;
            }
            let day = entry_reference_day(year, entered_at.date());
            let holding = held_by_product[p]
                .iter()
                .map(|h| &held[*h])
                .filter(|h| {
                    level.levels_below().contains(&h.level) && h.issued_on <= day && day <= h.valid_until
                })
                .max_by_key(|h| (h.issued_on, h.index));
            let basis = match holding {
                Some(h) => Some(h.index),
                None if !needs_basis || lower_level_round_not_held => None,
                None => continue,
            };
            if let Some(h) = basis {
                let relied = &mut held[h].last_relied_on;
                *relied = Some(relied.map_or(day, |d| d.max(day)));
            }
            round_entries.push((
                rows::Entry {
                    id: next_entry,
                    round_id,
                    product_id: product.id,
                    beneficiary_id: product.producer.id,
                    basis_certificate_id: basis.map(|h| out.certificates[h].id),
                    note: rng
                        .gen_bool(0.1)
                        .then(|| names::pick(rng, names::ENTRY_NOTES).to_string()),
                    version: 1,
                    created_at: entered_at,
                    updated_at: entered_at,
                },
                p,
            ));
            next_entry += 1;
        }

        // The jury's scores.
        let scoring_until = closed_on.min(AS_OF);
        let mut totals: Vec<Vec<i64>> = Vec::with_capacity(round_entries.len());
        for (i, (entry, _)) in round_entries.iter().enumerate() {
            let mut quality: i64 = rng.gen_range(50..=95);
            // A round that must recognise a product has a strong first entry: its judges' totals
            // stay above the qualifying score whatever their spread.
            if coverage.recognise_every_round && i == 0 {
                quality = quality.max((policy.qualifying_score + 15).min(100));
            }
            let mut own = Vec::new();
            for judge in &jury {
                let scored = match status {
                    RoundStatus::Open => false,
                    RoundStatus::Scoring => rng.gen_bool(0.6),
                    _ => true,
                };
                if !scored {
                    continue;
                }
                let score = score(rng, entry.id, *judge, quality, scoring_from, scoring_until);
                own.push(score.total);
                out.scores.push(score);
            }
            totals.push(own);
        }
        let standing = standings(&totals, policy.qualifying_score);

        // The recognition decision: qualifying entries the council recognises, within what the
        // plan leaves for rounds.
        let mut round = rows::Round {
            id: round_id,
            level: level.as_str().to_owned(),
            year,
            era: era.as_str().to_owned(),
            title: clean_line(&scope.title),
            commune_code: scope.commune.clone(),
            district_code: scope.district.clone(),
            province_code: scope.province.clone(),
            region_code: scope.region.map(|r| r.as_str().to_owned()),
            owner_province_code: scope.owner.clone(),
            decision_number: Some(codes::decision(rng, issuer(level, year))),
            decision_date: Some(decided),
            lower_level_round_not_held,
            qualifying_score: policy.qualifying_score,
            status: status.as_str().to_owned(),
            recognition_decision_number: None,
            recognition_decision_date: None,
            published_at: None,
            version: 2,
            created_at: calendar::office_time(rng, decided),
            updated_at: calendar::office_time(rng, decided),
        };
        if matches!(
            status,
            RoundStatus::Scoring | RoundStatus::Closed | RoundStatus::Published
        ) {
            round.version += 1;
            round.updated_at = calendar::office_time(rng, scoring_from);
        }
        if matches!(status, RoundStatus::Closed | RoundStatus::Published) {
            round.version += 1;
            round.updated_at = calendar::office_time(rng, closed_on);
        }
        let qualifying: Vec<usize> = standing
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some_and(|s| s.qualifies))
            .map(|(i, _)| i)
            .collect();
        qualifying_seen += qualifying.len();
        if status == RoundStatus::Published {
            let published_at = calendar::office_time(rng, recognised_on);
            let decision = codes::decision(rng, issuer(level, year));
            // Recognise about as many as the budget allows over the rounds still to come.
            let rounds_left = (rounds_total - position) as f64;
            let expected = (qualifying_seen as f64 / (position + 1) as f64).max(1.0) * rounds_left;
            let left = round_budget.saturating_sub(issued_by_rounds) as f64;
            let share = (left / expected).clamp(0.0, 0.9);
            let first_qualifying = qualifying.first().copied();
            for i in qualifying {
                let forced = coverage.recognise_every_round && Some(i) == first_qualifying;
                if !forced && (issued_by_rounds >= round_budget || !rng.gen_bool(share)) {
                    continue;
                }
                let (entry, p) = &round_entries[i];
                let producer = made[*p].producer;
                let prefix = format!("{}-{year}-{}", level.as_str(), scope.number_code);
                let sequence = sequences.entry(prefix).or_insert(0);
                *sequence += 1;
                let region = producer
                    .place
                    .region_pre2025
                    .filter(|_| era == Era::Pre2025)
                    .or(producer.place.region_current.filter(|_| era == Era::Current))
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_else(|| producer.place.region_listed.clone());
                let until = valid_until(recognised_on, policy.validity_years);
                let index = out.certificates.len();
                out.certificates.push(rows::Certificate {
                    id: next_certificate,
                    number: certificate_number(level, year, &scope.number_code, *sequence),
                    level: level.as_str().to_owned(),
                    year,
                    era: era.as_str().to_owned(),
                    scope_code: scope.number_code.clone(),
                    round_id: Some(round_id),
                    entry_id: Some(entry.id),
                    product_id: made[*p].id,
                    beneficiary_id: producer.id,
                    province_code: producer.province_code.clone(),
                    region_code: region,
                    decision_number: decision.clone(),
                    issued_on: recognised_on,
                    valid_until: until,
                    legacy: false,
                    revoked_at: None,
                    revocation_reason: None,
                    revocation_decision_number: None,
                    created_at: published_at,
                });
                next_certificate += 1;
                issued_by_rounds += 1;
                held.push(Held {
                    index,
                    level,
                    issued_on: recognised_on,
                    valid_until: until,
                    last_relied_on: None,
                });
                held_by_product[*p].push(held.len() - 1);
                holders.entry(level.as_str()).or_default().insert(*p);
            }
            round.recognition_decision_number = Some(decision);
            round.recognition_decision_date = Some(recognised_on);
            round.published_at = Some(published_at);
            round.version += 1;
            round.updated_at = published_at;
        }
        out.rounds.push(round);
        out.entries.extend(round_entries.into_iter().map(|(e, _)| e));
    }

    // The rest of the certificates are paper ones recorded later.
    // A draw can miss (a producer whose place in the era is unknown): bounded retries.
    let mut attempts = 0;
    while out.certificates.len() < counts.certificates && attempts < counts.certificates * 20 {
        attempts += 1;
        legacy(
            rng,
            issued,
            &made,
            policy,
            &mut out.certificates,
            &mut held,
            &mut held_by_product,
            &mut holders,
            &mut next_certificate,
        );
    }

    // A few certificates are revoked, after the last entry that relied on them.
    for h in &held {
        if !rng.gen_bool(0.015) {
            continue;
        }
        let from =
            (h.issued_on + Days::new(30)).max(h.last_relied_on.map_or(h.issued_on, |d| d + Days::new(1)));
        let until = h.valid_until.min(AS_OF);
        if from > until {
            continue;
        }
        let certificate = &mut out.certificates[h.index];
        let on = calendar::between(rng, from, until);
        certificate.revoked_at = Some(calendar::office_time(rng, on).max(certificate.created_at));
        certificate.revocation_reason = Some(names::pick(rng, names::REVOCATION_REASONS).to_string());
        certificate.revocation_decision_number = Some(codes::decision(rng, "UBND"));
    }

    out.number_sequences = sequences
        .into_iter()
        .map(|(prefix, last_value)| rows::Sequence { prefix, last_value })
        .collect();
    out
}

/// One certificate recorded from paper: a district or provincial one mostly, issued in
/// 2016–2020, for a producer whose place in that era is known.
#[expect(
    clippy::too_many_arguments,
    reason = "the certificates and the indexes over them are updated together"
)]
fn legacy(
    rng: &mut StdRng,
    issued: &mut Issued,
    made: &[Made<'_>],
    policy: Policy,
    certificates: &mut Vec<rows::Certificate>,
    held: &mut Vec<Held>,
    held_by_product: &mut [Vec<usize>],
    holders: &mut BTreeMap<&'static str, BTreeSet<usize>>,
    next_id: &mut i64,
) {
    if made.is_empty() {
        return;
    }
    let p = rng.gen_range(0..made.len());
    let product = &made[p];
    let e = product.producer;
    let year: i64 = rng.gen_range(2016..=2020);
    let wanted = match rng.gen_range(0..100) {
        0..=54 => SelectionLevel::District,
        55..=89 => SelectionLevel::Province,
        90..=97 => SelectionLevel::Region,
        _ => SelectionLevel::National,
    };
    // Fall back to a level whose scope the producer's record tells.
    let (level, scope_code) = match (
        wanted,
        &e.recorded_district_pre2025,
        &e.place.province_pre2025,
        e.place.region_pre2025,
    ) {
        (SelectionLevel::District, Some(d), _, _) => (SelectionLevel::District, d.clone()),
        (SelectionLevel::Region, _, _, Some(r)) => (SelectionLevel::Region, region_scope(r).to_owned()),
        (SelectionLevel::National, _, _, _) => (SelectionLevel::National, "VN".to_owned()),
        (_, _, Some(province), _) => (SelectionLevel::Province, province.clone()),
        _ => return,
    };
    let month = rng.gen_range(6..=12);
    let issued_on = calendar::in_month(rng, year as i32, month);
    let recorded_from = product.created_at.date().max(issued_on);
    let created_at = calendar::moment_between(rng, recorded_from, AS_OF).max(product.created_at);
    let region = e
        .place
        .region_pre2025
        .map(|r| r.as_str().to_owned())
        .unwrap_or_else(|| e.place.region_listed.clone());
    let until = valid_until(issued_on, policy.validity_years);
    let index = certificates.len();
    certificates.push(rows::Certificate {
        id: *next_id,
        number: issued.legacy_certificate_number(rng, &scope_code, year),
        level: level.as_str().to_owned(),
        year,
        era: Era::Pre2025.as_str().to_owned(),
        scope_code,
        round_id: None,
        entry_id: None,
        product_id: product.id,
        beneficiary_id: e.id,
        province_code: e.province_code.clone(),
        region_code: region,
        decision_number: codes::decision(rng, issuer(level, year)),
        issued_on,
        valid_until: until,
        legacy: true,
        revoked_at: None,
        revocation_reason: None,
        revocation_decision_number: None,
        created_at,
    });
    *next_id += 1;
    held.push(Held {
        index,
        level,
        issued_on,
        valid_until: until,
        last_relied_on: None,
    });
    held_by_product[p].push(held.len() - 1);
    holders.entry(level.as_str()).or_default().insert(p);
}

/// The products a round without a certificate requirement draws from: those in its scope.
fn scope_pool(index: &ScopeIndex, level: SelectionLevel, era: Era, scope: &Scope, all: usize) -> Vec<usize> {
    let found = match level {
        SelectionLevel::Commune => scope.commune.as_ref().and_then(|c| index.commune.get(c)),
        SelectionLevel::District => scope.district.as_ref().and_then(|d| index.district.get(d)),
        SelectionLevel::Province => match era {
            Era::Current => scope
                .province
                .as_ref()
                .and_then(|c| index.province_current.get(c)),
            Era::Pre2025 => scope
                .province
                .as_ref()
                .and_then(|c| index.province_pre2025.get(c)),
        },
        SelectionLevel::Region => match era {
            Era::Current => scope.region.and_then(|r| index.region_current.get(r.as_str())),
            Era::Pre2025 => scope.region.and_then(|r| index.region_pre2025.get(r.as_str())),
        },
        SelectionLevel::National => return (0..all).collect(),
    };
    found.cloned().unwrap_or_default()
}

/// A scope taken from a producer's place in the round's era (so the round has candidates), not
/// used by another round of the same level and year when another can be found; the producer is
/// one of `entrants`' when given.
#[expect(
    clippy::too_many_arguments,
    reason = "the round's level, era and year, and where its producers may come from"
)]
fn choose_scope(
    rng: &mut StdRng,
    atlas: &Atlas<'_>,
    made: &[Made<'_>],
    entrants: Option<&[usize]>,
    level: SelectionLevel,
    era: Era,
    year: i64,
    used: &mut BTreeSet<(&'static str, i64, String)>,
) -> Scope {
    let mut candidate = None;
    for _ in 0..8 {
        let producer = match entrants {
            Some(products) => made[*names::pick(rng, products)].producer,
            None => made[rng.gen_range(0..made.len())].producer,
        };
        let Some(scope) = scope_of(atlas, level, era, year, producer) else {
            continue;
        };
        let key = (level.as_str(), year, scope.number_code.clone());
        let fresh = !used.contains(&key);
        candidate = Some(scope);
        if fresh {
            break;
        }
    }
    let scope = candidate.unwrap_or_else(|| fallback_scope(rng, atlas, level, era, year));
    used.insert((level.as_str(), year, scope.number_code.clone()));
    scope
}

fn scope_of(
    atlas: &Atlas<'_>,
    level: SelectionLevel,
    era: Era,
    year: i64,
    e: &Establishment,
) -> Option<Scope> {
    let empty = |number_code: String, title: String| Scope {
        commune: None,
        district: None,
        province: None,
        region: None,
        owner: None,
        number_code,
        title,
    };
    let title = |unit: &str| format!("Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu {unit} năm {year}");
    Some(match level {
        SelectionLevel::Commune => {
            let commune = atlas.commune(&e.commune_code);
            Scope {
                commune: Some(commune.code.clone()),
                owner: Some(commune.province_code.clone()),
                ..empty(
                    commune.code.clone(),
                    title(&names::lowercased_first(&commune.full_name)),
                )
            }
        }
        SelectionLevel::District => {
            let district = atlas.district(e.recorded_district_pre2025.as_deref()?);
            Scope {
                district: Some(district.code.clone()),
                owner: Some(district.successor_province_code.clone()),
                ..empty(
                    district.code.clone(),
                    title(&names::lowercased_first(&district.full_name)),
                )
            }
        }
        SelectionLevel::Province => match era {
            Era::Current => {
                let province = atlas.province(&e.province_code);
                Scope {
                    province: Some(province.code.clone()),
                    owner: Some(province.code.clone()),
                    ..empty(
                        province.code.clone(),
                        title(&format!(
                            "cấp tỉnh {}",
                            names::lowercased_first(&province.full_name)
                        )),
                    )
                }
            }
            Era::Pre2025 => {
                let province = atlas.province_pre2025(e.place.province_pre2025.as_deref()?);
                Scope {
                    province: Some(province.code.clone()),
                    owner: Some(province.successor_code.clone()),
                    ..empty(
                        province.code.clone(),
                        title(&format!(
                            "cấp tỉnh {}",
                            names::lowercased_first(&province.full_name)
                        )),
                    )
                }
            }
        },
        SelectionLevel::Region => {
            let region = match era {
                Era::Current => e.place.region_current?,
                Era::Pre2025 => e.place.region_pre2025?,
            };
            Scope {
                region: Some(region),
                ..empty(
                    region_scope(region).to_owned(),
                    title(&names::lowercased_first(
                        crate::domain::labels::Labeled::labels(region).0,
                    )),
                )
            }
        }
        SelectionLevel::National => empty("VN".to_owned(), title("cấp quốc gia")),
    })
}

/// A scope when no product gives one (a small plan): the first unit of the level in its era.
fn fallback_scope(rng: &mut StdRng, atlas: &Atlas<'_>, level: SelectionLevel, era: Era, year: i64) -> Scope {
    let reference = atlas.reference;
    let title = |unit: &str| format!("Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu {unit} năm {year}");
    let blank = |number_code: String, title: String| Scope {
        commune: None,
        district: None,
        province: None,
        region: None,
        owner: None,
        number_code,
        title,
    };
    match level {
        SelectionLevel::Commune => {
            let c = &reference.communes[rng.gen_range(0..reference.communes.len())];
            Scope {
                commune: Some(c.code.clone()),
                owner: Some(c.province_code.clone()),
                ..blank(c.code.clone(), title(&names::lowercased_first(&c.full_name)))
            }
        }
        SelectionLevel::District => {
            let d = &reference.districts[rng.gen_range(0..reference.districts.len())];
            Scope {
                district: Some(d.code.clone()),
                owner: Some(d.successor_province_code.clone()),
                ..blank(d.code.clone(), title(&names::lowercased_first(&d.full_name)))
            }
        }
        SelectionLevel::Province => match era {
            Era::Current => {
                let p = &reference.provinces[rng.gen_range(0..reference.provinces.len())];
                Scope {
                    province: Some(p.code.clone()),
                    owner: Some(p.code.clone()),
                    ..blank(p.code.clone(), title(&names::lowercased_first(&p.full_name)))
                }
            }
            Era::Pre2025 => {
                let p = &reference.provinces_pre2025[rng.gen_range(0..reference.provinces_pre2025.len())];
                Scope {
                    province: Some(p.code.clone()),
                    owner: Some(p.successor_code.clone()),
                    ..blank(p.code.clone(), title(&names::lowercased_first(&p.full_name)))
                }
            }
        },
        SelectionLevel::Region => {
            let region = *names::pick(rng, <Region as crate::domain::labels::Labeled>::ALL);
            Scope {
                region: Some(region),
                ..blank(
                    region_scope(region).to_owned(),
                    title(crate::domain::labels::Labeled::labels(region).0),
                )
            }
        }
        SelectionLevel::National => blank("VN".to_owned(), title("cấp quốc gia")),
    }
}

/// One judge's points: around the entry's quality, split over the criteria within their maxima.
fn score(
    rng: &mut StdRng,
    entry_id: i64,
    judge: i64,
    quality: i64,
    from: NaiveDate,
    until: NaiveDate,
) -> rows::Score {
    let total = (quality + rng.gen_range(-6..=6)).clamp(20, 100);
    let market = (total * MARKET_MAX / 100 + rng.gen_range(-2..=2)).clamp(0, MARKET_MAX);
    let cultural = (total * CULTURAL_AESTHETIC_MAX / 100).clamp(0, CULTURAL_AESTHETIC_MAX);
    let other = (total * OTHER_MAX / 100 + rng.gen_range(-1..=1)).clamp(0, OTHER_MAX);
    let economic = (total - market - cultural - other).clamp(0, ECONOMIC_TECHNICAL_SOCIAL_ENVIRONMENTAL_MAX);
    rows::Score {
        entry_id,
        judge_user_id: judge,
        market,
        economic_technical_social_environmental: economic,
        cultural_aesthetic: cultural,
        other,
        total: market + economic + cultural + other,
        updated_at: calendar::moment_between(rng, from, until),
    }
}

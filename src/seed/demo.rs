//! The demo data set (`khuyencong seed --demo`): a small registry in which every part of the API
//! has something to show. Its records come from the same generators as `--scale`; only the plan,
//! the places and the coverage knobs are the demo's own:
//!
//! - craft communes of four provinces, three of them merged on 1 July 2025 (two of which took a
//!   code that named another province before), with the units their records carried before;
//! - every legal form of establishment and every state of a project;
//! - selection rounds climbing from district (2021) through province, region and national level
//!   to the commune rounds held since the reform, each recognising at least one product;
//! - national programmes and a provincial one, with targets.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::calendar::AS_OF;
use super::certification::RoundSpec;
use super::places::{FormerUnit, Reference};
use super::{Coverage, Plan};
use crate::domain::certification::{RoundStatus, SelectionLevel};

/// Communes today, with the province code and the district name they had before the reform.
const COMMUNES: &[(&str, &str, &str)] = &[
    // Hà Nội: a province the reform left whole.
    ("00577", "01", "Gia Lâm"),   // Bát Tràng
    ("10030", "01", "Chương Mỹ"), // Phú Nghĩa
    // Bắc Ninh (24) = Bắc Giang (24 before) + Bắc Ninh (27 before).
    ("09292", "27", "Quế Võ"),   // Phù Lãng
    ("09370", "27", "Từ Sơn"),   // Tam Sơn
    ("07798", "24", "Việt Yên"), // Vân Hà
    // Quảng Trị (44) = Quảng Bình (44 before) + Quảng Trị (45 before).
    ("19249", "44", "Lệ Thủy"),    // Lệ Thủy
    ("19207", "44", "Quảng Ninh"), // Quảng Ninh
    ("19363", "45", "Vĩnh Linh"),  // Vĩnh Linh
    // Vĩnh Long (86) = Bến Tre (83) + Trà Vinh (84) + Vĩnh Long (86).
    ("29641", "86", "Mang Thít"),  // Cái Nhum
    ("28903", "83", "Mỏ Cày Nam"), // Mỏ Cày
];

/// How much the demo holds: enough for lists to page and figures to group, small enough to read.
pub fn plan() -> Plan {
    Plan {
        establishments: 48,
        projects: 30,
        products: 60,
        rounds: rounds().len(),
        certificates: 30,
        judges: 5,
        programmes: 3,
    }
}

/// The demo's places: the reference data narrowed to its communes (the whole of it when a newer
/// reference file has none of them).
pub fn places(full: &Reference) -> Reference {
    let present: Vec<&str> = COMMUNES
        .iter()
        .map(|(code, _, _)| *code)
        .filter(|code| full.communes.iter().any(|c| c.code == *code))
        .collect();
    if present.is_empty() {
        full.clone()
    } else {
        full.within_communes(&present)
    }
}

/// What the demo must show whatever the draws.
pub fn coverage(reference: &Reference) -> Coverage {
    Coverage {
        every_legal_form: true,
        every_project_status: true,
        rounds: rounds(),
        recognise_every_round: true,
        former_units: former_units(reference),
    }
}

/// The rounds, one level a year so that each finds certificates of the level below already
/// issued: district rounds, then province, region and national rounds of the old units, then the
/// commune rounds of the new ones and a province round on them; this year's commune round is
/// still being scored, for the demo jury to see.
fn rounds() -> Vec<RoundSpec> {
    use RoundStatus as S;
    use SelectionLevel as L;
    let this_year = i64::from(AS_OF.year());
    let spec = |years_ago: i64, level, status| RoundSpec {
        year: this_year - years_ago,
        level,
        status: Some(status),
    };
    vec![
        spec(5, L::District, S::Published),
        spec(5, L::District, S::Published),
        spec(4, L::Province, S::Published),
        spec(3, L::Region, S::Published),
        spec(2, L::National, S::Published),
        spec(1, L::Commune, S::Published),
        spec(1, L::Commune, S::Published),
        spec(0, L::Province, S::Published),
        spec(0, L::Commune, S::Scoring),
    ]
}

/// The demo communes' units before the reform, as the reference data names them.
fn former_units(reference: &Reference) -> BTreeMap<String, FormerUnit> {
    COMMUNES
        .iter()
        .filter(|(code, province, _)| {
            // Only a province that became the commune's own is a unit its records can carry.
            reference.communes.iter().any(|c| {
                c.code == *code
                    && reference
                        .provinces_pre2025
                        .iter()
                        .any(|p| p.code == *province && p.successor_code == c.province_code)
            })
        })
        .map(|(code, province, district)| {
            let district = reference
                .districts
                .iter()
                .find(|d| d.province_code == *province && d.name == *district && d.in_force_2025_06_30)
                .map(|d| d.code.clone());
            (
                (*code).to_owned(),
                FormerUnit {
                    province_pre2025: (*province).to_owned(),
                    district_pre2025: district,
                },
            )
        })
        .collect()
}

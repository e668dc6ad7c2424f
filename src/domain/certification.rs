//! The selection of typical rural industrial products (bình chọn sản phẩm công nghiệp nông thôn tiêu
//! biểu, TT 26/2014/TT-BCT as amended by TT 14/2018/TT-BCT and TT 38/2025/TT-BCT): the levels and
//! which one sits below which, the state of a round, the jury's criteria and their maxima, how an
//! entry's score and rank are reckoned, and how long a certificate holds. Pure rules.

use chrono::{Datelike, NaiveDate};

use crate::domain::labels::Labeled;
use crate::labeled_enum;

labeled_enum! {
    /// The product group a product competes in.
    pub enum ProductGroup as "product_group" {
        Handicraft = "handicraft": "Thủ công mỹ nghệ" / "Handicrafts",
        AgroFoodProcessing = "agro_food_processing":
            "Chế biến nông, lâm, thủy sản và thực phẩm" / "Agricultural, forestry, aquatic and food processing",
        MachineryTools = "machinery_tools":
            "Thiết bị, máy móc, dụng cụ, phụ tùng cơ khí" / "Machinery, equipment, tools and mechanical parts",
        Other = "other": "Sản phẩm khác" / "Other products",
    }
}

labeled_enum! {
    /// The level of a selection round and of the certificate it issues.
    pub enum SelectionLevel as "selection_level" {
        /// Since 1 July 2025, organised by the commune People's Committee.
        Commune = "commune": "Cấp xã" / "Commune level",
        /// Until 30 June 2025, organised by the district People's Committee (legacy records).
        District = "district": "Cấp huyện" / "District level",
        Province = "province": "Cấp tỉnh" / "Provincial level",
        /// Organised by the ministry's agency for one of the three regions.
        Region = "region": "Cấp khu vực" / "Regional level",
        National = "national": "Cấp quốc gia" / "National level",
    }
}

impl SelectionLevel {
    /// The levels whose certificate lets a product into a round of this level (none for the lowest).
    pub fn levels_below(self) -> &'static [SelectionLevel] {
        match self {
            SelectionLevel::Commune | SelectionLevel::District => &[],
            SelectionLevel::Province => &[SelectionLevel::Commune, SelectionLevel::District],
            SelectionLevel::Region => &[SelectionLevel::Province],
            SelectionLevel::National => &[SelectionLevel::Region],
        }
    }

    /// The level a certificate of this level lets a product enter.
    pub fn next(self) -> Option<SelectionLevel> {
        match self {
            SelectionLevel::Commune | SelectionLevel::District => Some(SelectionLevel::Province),
            SelectionLevel::Province => Some(SelectionLevel::Region),
            SelectionLevel::Region => Some(SelectionLevel::National),
            SelectionLevel::National => None,
        }
    }

    /// Organised by the ministry (its agency or the minister), not by a province or a commune.
    pub fn is_national_organiser(self) -> bool {
        matches!(self, SelectionLevel::Region | SelectionLevel::National)
    }

    /// The short form used in certificate numbers.
    pub fn number_prefix(self) -> &'static str {
        match self {
            SelectionLevel::Commune => "XA",
            SelectionLevel::District => "HUYEN",
            SelectionLevel::Province => "TINH",
            SelectionLevel::Region => "KV",
            SelectionLevel::National => "QG",
        }
    }
}

labeled_enum! {
    /// Where a selection round stands.
    pub enum RoundStatus as "selection_round_status" {
        /// Dossiers are received.
        Open = "open": "Đang nhận hồ sơ" / "Receiving dossiers",
        /// The jury scores the entries.
        Scoring = "scoring": "Đang chấm điểm" / "Jury scoring",
        /// Scores are final; the council decides which qualifying entries are recognised.
        Closed = "closed": "Đã kết thúc chấm điểm" / "Scoring closed",
        /// The recognition decision is issued, with its certificates.
        Published = "published": "Đã công bố kết quả" / "Results published",
    }
}

labeled_enum! {
    /// A step of a selection round (publication happens through the recognition decision).
    pub enum RoundAction as "selection_round_action" {
        StartScoring = "start_scoring": "Bắt đầu chấm điểm" / "Start scoring",
        Close = "close": "Kết thúc chấm điểm" / "Close scoring",
    }
}

impl RoundAction {
    /// The status a step starts from and the one it leads to.
    pub fn step(self) -> (RoundStatus, RoundStatus) {
        match self {
            RoundAction::StartScoring => (RoundStatus::Open, RoundStatus::Scoring),
            RoundAction::Close => (RoundStatus::Scoring, RoundStatus::Closed),
        }
    }

    pub fn allowed_from(status: RoundStatus) -> Vec<RoundAction> {
        RoundAction::ALL
            .iter()
            .copied()
            .filter(|a| a.step().0 == status)
            .collect()
    }
}

labeled_enum! {
    /// Whether a certificate holds today.
    pub enum CertificateStatus as "certificate_status" {
        Active = "active": "Còn hiệu lực" / "Valid",
        Expired = "expired": "Hết hiệu lực" / "Expired",
        Revoked = "revoked": "Đã thu hồi" / "Revoked",
    }
}

/// The jury's criteria and their maxima (total 100).
pub const MARKET_MAX: i64 = 40;
pub const ECONOMIC_TECHNICAL_SOCIAL_ENVIRONMENTAL_MAX: i64 = 40;
pub const CULTURAL_AESTHETIC_MAX: i64 = 10;
pub const OTHER_MAX: i64 = 10;

/// The four criteria by their wire names with their maxima.
pub const CRITERIA: [(&str, i64); 4] = [
    ("market", MARKET_MAX),
    (
        "economic_technical_social_environmental",
        ECONOMIC_TECHNICAL_SOCIAL_ENVIRONMENTAL_MAX,
    ),
    ("cultural_aesthetic", CULTURAL_AESTHETIC_MAX),
    ("other", OTHER_MAX),
];

/// The last day a certificate issued on `issued_on` holds: 31 December of the `validity_years`-th
/// year counting the issue year (*policy*; 3 by default, i.e. issue year + 2).
pub fn valid_until(issued_on: NaiveDate, validity_years: i32) -> NaiveDate {
    let last_year = issued_on.year() + validity_years.max(1) - 1;
    NaiveDate::from_ymd_opt(last_year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// The status of a certificate on `day`.
pub fn certificate_status(valid_until: NaiveDate, revoked: bool, day: NaiveDate) -> CertificateStatus {
    if revoked {
        CertificateStatus::Revoked
    } else if day > valid_until {
        CertificateStatus::Expired
    } else {
        CertificateStatus::Active
    }
}

/// The day on which an entry's lower-level certificate must hold: today for a round of this year or
/// later, the last day of the round's year for a round recorded after the fact.
pub fn entry_reference_day(round_year: i64, today: NaiveDate) -> NaiveDate {
    let end_of_round_year = i32::try_from(round_year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, 12, 31))
        .unwrap_or(today);
    today.min(end_of_round_year)
}

/// An entry's standing once judges have scored it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// The average of the judges' totals, to two decimals.
    pub average_total: f64,
    /// 1 for the best; equal averages share a rank (1, 2, 2, 4).
    pub rank: u32,
    pub qualifies: bool,
}

/// Ranks entries by the average of their judges' totals. `totals[i]` holds the totals the judges
/// gave entry `i`; entries nobody scored yet get no standing. An entry qualifies when its average
/// reaches `qualifying_score` (compared exactly, without rounding).
pub fn standings(totals: &[Vec<i64>], qualifying_score: i64) -> Vec<Option<Standing>> {
    // (sum, count) compared as fractions, so that 69.999… never rounds up to 70.
    let scored: Vec<Option<(i64, i64)>> = totals
        .iter()
        .map(|t| (!t.is_empty()).then(|| (t.iter().sum(), t.len() as i64)))
        .collect();
    scored
        .iter()
        .map(|own| {
            let (sum, count) = (*own)?;
            let better = scored
                .iter()
                .flatten()
                .filter(|(s, c)| i128::from(*s) * i128::from(count) > i128::from(sum) * i128::from(*c))
                .count();
            Some(Standing {
                average_total: ((sum as f64 / count as f64) * 100.0).round() / 100.0,
                rank: better as u32 + 1,
                qualifies: sum >= qualifying_score * count,
            })
        })
        .collect()
}

/// The readable number of a certificate: `TINH-2026-19-0007` (level, year, scope, sequence).
pub fn certificate_number(level: SelectionLevel, year: i64, scope: &str, sequence: i64) -> String {
    format!(
        "{}-{year}-{}-{sequence:04}",
        level.number_prefix(),
        scope.to_uppercase()
    )
}

/// The scope part of a regional certificate number.
pub fn region_scope(region: crate::domain::admin_units::Region) -> &'static str {
    use crate::domain::admin_units::Region;
    match region {
        Region::Bac => "BAC",
        Region::TrungTayNguyen => "TTN",
        Region::Nam => "NAM",
    }
}

/// A certificate number as typed: letters, digits and `.`, `-`, `_` (a `/` of a paper number is
/// written `-`), 1–60 characters.
pub fn is_certificate_number(number: &str) -> bool {
    (1..=60).contains(&number.len())
        && number.starts_with(|c: char| c.is_ascii_alphanumeric())
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_certificate_holds_to_the_end_of_the_issue_year_plus_two() {
        assert_eq!(valid_until(day(2026, 3, 15), 3), day(2028, 12, 31));
        assert_eq!(valid_until(day(2026, 12, 31), 3), day(2028, 12, 31));
        assert_eq!(
            certificate_status(day(2028, 12, 31), false, day(2028, 12, 31)),
            CertificateStatus::Active
        );
        assert_eq!(
            certificate_status(day(2028, 12, 31), false, day(2029, 1, 1)),
            CertificateStatus::Expired
        );
        assert_eq!(
            certificate_status(day(2028, 12, 31), true, day(2027, 1, 1)),
            CertificateStatus::Revoked
        );
    }

    #[test]
    fn the_level_below_is_the_one_whose_certificate_lets_a_product_in() {
        assert_eq!(
            SelectionLevel::Province.levels_below(),
            &[SelectionLevel::Commune, SelectionLevel::District]
        );
        assert_eq!(SelectionLevel::National.levels_below(), &[SelectionLevel::Region]);
        assert!(SelectionLevel::Commune.levels_below().is_empty());
        for level in SelectionLevel::ALL {
            if let Some(next) = level.next() {
                assert!(next.levels_below().contains(level));
            }
        }
    }

    #[test]
    fn standings_average_rank_with_ties_and_qualify_exactly() {
        let totals = vec![
            vec![80, 70, 75], // 75
            vec![],           // not scored
            vec![70, 69, 71], // 70: qualifies
            vec![90, 60],     // 75: shares first place
            vec![70, 70, 69], // 69.67: does not
        ];
        let s = standings(&totals, 70);
        assert_eq!(s[1], None);
        let s: Vec<Standing> = s.into_iter().flatten().collect();
        assert_eq!(s.iter().map(|x| x.rank).collect::<Vec<_>>(), vec![1, 3, 1, 4]);
        assert_eq!(
            s.iter().map(|x| x.qualifies).collect::<Vec<_>>(),
            vec![true, true, true, false]
        );
        assert_eq!(s[3].average_total, 69.67);
    }

    #[test]
    fn numbers_are_readable_and_checked() {
        assert_eq!(
            certificate_number(SelectionLevel::Province, 2026, "19", 7),
            "TINH-2026-19-0007"
        );
        assert_eq!(
            certificate_number(SelectionLevel::Region, 2026, "bac", 12),
            "KV-2026-BAC-0012"
        );
        assert!(is_certificate_number("TINH-2026-19-0007"));
        assert!(is_certificate_number("125-GCN-UBND"));
        assert!(!is_certificate_number("125/GCN"));
        assert!(!is_certificate_number(""));
        assert!(!is_certificate_number("-12"));
    }

    #[test]
    fn a_late_recorded_round_is_judged_at_the_end_of_its_year() {
        assert_eq!(entry_reference_day(2020, day(2026, 11, 22)), day(2020, 12, 31));
        assert_eq!(entry_reference_day(2026, day(2026, 11, 22)), day(2026, 11, 22));
        assert_eq!(entry_reference_day(2027, day(2026, 11, 22)), day(2026, 11, 22));
    }
}

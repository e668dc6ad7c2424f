//! Outcomes of support: how an establishment's figures after a project compare with the year
//! before it, summed up over many establishments as the programme's reviews quote them ("revenue
//! grew 1.12–1.36 times").

use chrono::{Datelike, NaiveDate};

/// The year whose figures a project is compared with: the year before it was planned to start
/// (the plan year's when no start date was recorded).
pub fn baseline_year(planned_start: Option<NaiveDate>, plan_year: i64) -> i64 {
    planned_start.map_or(plan_year, |d| i64::from(d.year())) - 1
}

/// After ÷ before, when both are known and the year before had something to grow from.
pub fn growth(before: Option<i64>, after: Option<i64>) -> Option<f64> {
    match (before, after) {
        (Some(before), Some(after)) if before > 0 => Some(after as f64 / before as f64),
        _ => None,
    }
}

/// Count, minimum, quartiles and maximum of some ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub count: usize,
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
}

/// The spread of `values`, or `None` without any. Quartiles interpolate linearly between the
/// two nearest values (Hyndman and Fan's type 7, as Excel's `QUARTILE.INC` and most statistics
/// packages by default), so that anyone can recompute them from the same figures.
pub fn spread(values: &[f64]) -> Option<Spread> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let quantile = |p: f64| {
        let position = p * (sorted.len() - 1) as f64;
        let below = position.floor() as usize;
        let above = position.ceil() as usize;
        sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
    };
    Some(Spread {
        count: sorted.len(),
        min: sorted[0],
        q1: quantile(0.25),
        median: quantile(0.5),
        q3: quantile(0.75),
        max: sorted[sorted.len() - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_between_neighbours() {
        let s = spread(&[1.3, 0.9, 1.3]).unwrap();
        assert_eq!((s.count, s.min, s.median, s.max), (3, 0.9, 1.3, 1.3));
        assert!((s.q1 - 1.1).abs() < 1e-12);
        assert!((s.q3 - 1.3).abs() < 1e-12);
        // 1, 2, 3, 4: positions 0.75, 1.5 and 2.25.
        let s = spread(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        let one = spread(&[1.5]).unwrap();
        assert_eq!(
            (one.min, one.q1, one.median, one.q3, one.max),
            (1.5, 1.5, 1.5, 1.5, 1.5)
        );
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn growth_needs_both_years_and_something_to_grow_from() {
        assert_eq!(growth(Some(1_000), Some(1_300)), Some(1.3));
        assert_eq!(growth(None, Some(1_300)), None);
        assert_eq!(growth(Some(1_000), None), None);
        assert_eq!(growth(Some(0), Some(5)), None);
    }

    #[test]
    fn the_baseline_is_the_year_before_the_planned_start() {
        assert_eq!(baseline_year(NaiveDate::from_ymd_opt(2024, 3, 1), 2025), 2023);
        assert_eq!(baseline_year(None, 2025), 2024);
    }
}

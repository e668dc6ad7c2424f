//! The seed's calendar. The generated history ends on a fixed day rather than today, so that the
//! same seed gives the same rows whatever day it runs; that day is in the past, so no decision or
//! payment is dated in the future (which the API refuses).

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};
use rand::Rng;

/// The last day of the generated history.
pub const AS_OF: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 30) {
    Some(day) => day,
    None => panic!("a valid date"),
};

/// The registry started taking records on this day; earlier events are recorded after the fact.
pub const REGISTRY_START: NaiveDate = match NaiveDate::from_ymd_opt(2019, 1, 2) {
    Some(day) => day,
    None => panic!("a valid date"),
};

/// The reform of administrative units took effect on this day.
pub const REFORM: NaiveDate = match NaiveDate::from_ymd_opt(2025, 7, 1) {
    Some(day) => day,
    None => panic!("a valid date"),
};

pub fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(AS_OF)
}

/// A day from `from` to `to`, both included (`from` when the range is empty).
pub fn between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    from + Days::new(rng.gen_range(0..=span) as u64)
}

/// `days` after `from`, at most `limit`.
pub fn after(from: NaiveDate, days: u64, limit: NaiveDate) -> NaiveDate {
    (from + Days::new(days)).min(limit)
}

/// A moment during office hours of `day` (UTC, as stored: 01:00–10:00 is 08:00–17:00 in Vietnam).
pub fn office_time(rng: &mut impl Rng, day: NaiveDate) -> NaiveDateTime {
    let seconds = rng.gen_range(3_600..36_000);
    day.and_time(NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap_or(NaiveTime::MIN))
}

/// The day within `year` of `month` and a random day of it (28 at most, valid in every month).
pub fn in_month(rng: &mut impl Rng, year: i32, month: u32) -> NaiveDate {
    day(year, month, rng.gen_range(1..=28))
}

pub fn year_of(day: NaiveDate) -> i64 {
    i64::from(day.year())
}

/// A moment during office hours of a day from `from` to `to`.
pub fn moment_between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDateTime {
    let day = between(rng, from, to);
    office_time(rng, day)
}

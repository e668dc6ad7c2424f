//! Figures for the dashboards and the year-end reviews (../shared/DOMAIN.md, "What people
//! report"): projects, money and outcome indicators ([`projects`]), plan versus actual
//! ([`progress`]), supported establishments' growth ([`outcomes`]), selection rounds and
//! certificates ([`certification`]). Province staff get their province's figures; the ministry,
//! auditors and administrators the whole country; anyone the national certification figures
//! ([`certification::public_certification_stats`]).

pub mod certification;
pub mod outcomes;
pub mod progress;
pub mod projects;
pub mod reports;
mod workbook;

use serde::{Deserialize, Deserializer};

use crate::api::activity_types::CODE_PATTERN;
use crate::auth::principal::Territory;
use crate::auth::{Principal, Role};
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;

/// A group's place in an answer: its keys in `group_by` order, each compared as a number (a
/// level's rank, a year) or a code.
pub(crate) type GroupOrder = Vec<(i64, String)>;

/// A comma-separated list of codes (`year,province`); a code named again is taken once.
pub(crate) fn comma_separated<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr + PartialEq,
{
    let text = String::deserialize(deserializer)?;
    let mut values = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let value = part
            .parse::<T>()
            .map_err(|_| serde::de::Error::custom(format!("unknown value `{part}`")))?;
        if !values.contains(&value) {
            values.push(value);
        }
    }
    Ok(values)
}

pub(crate) fn decode_optional<T: std::str::FromStr>(
    column: &str,
    value: Option<&str>,
) -> Result<Option<T>, ApiError> {
    value.map(|v| crate::models::decode(column, v)).transpose()
}

/// Plan years between 2000 and 2100 (a first year after the last counts nothing).
pub(crate) fn check_years(from: Option<i64>, to: Option<i64>) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (field, year) in [("query.year_from", from), ("query.year_to", to)] {
        if let Some(year) = year.filter(|y| !(2000..=2100).contains(y)) {
            errors.push(FieldError::new(
                field,
                "out_of_range",
                Text::new(
                    format!("Năm {year} nằm ngoài khoảng 2000–2100."),
                    format!("Year {year} is outside 2000–2100."),
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_query(errors))
    }
}

/// A code as activity types (and indicators) have them ([`CODE_PATTERN`]).
pub(crate) fn check_code(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    let Some(value) = value else { return Ok(()) };
    if regex_lite::Regex::new(CODE_PATTERN).is_ok_and(|re| re.is_match(value)) {
        return Ok(());
    }
    Err(ApiError::invalid_query(vec![FieldError::new(
        field,
        "invalid_code",
        Text::new(
            "Mã gồm chữ thường không dấu, chữ số và dấu gạch dưới (3–64 ký tự).",
            "A code has 3–64 lowercase ASCII letters, digits and underscores.",
        ),
    )]))
}

/// The province whose figures a caller gets: their own for province staff (naming another is a
/// 404, as for any record outside their territory), any or all for national roles.
pub(crate) fn province_in_scope(
    principal: &Principal,
    asked: Option<String>,
) -> Result<Option<String>, ApiError> {
    principal.require(&[Role::Admin, Role::Ministry, Role::Auditor, Role::Province])?;
    match principal.territory() {
        Territory::National => Ok(asked),
        Territory::Province(own) => match asked {
            Some(code) if code != own => Err(ApiError::not_found()),
            _ => Ok(Some(own)),
        },
        _ => Err(ApiError::forbidden()),
    }
}

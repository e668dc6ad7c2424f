//! Small checks shared by the resources' validation: cleaned text, required lengths, contact
//! fields, amounts and administrative units. Each returns field errors for a 422 that lists every
//! broken rule at once.

use crate::domain::beneficiaries::phone_key;
use crate::domain::projects::MAX_AMOUNT_VND;
use crate::domain::text::clean_line;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::models::admin_units::UnitLookup;

pub fn error(field: &str, code: &'static str, vi: impl Into<String>, en: impl Into<String>) -> FieldError {
    FieldError::new(field, code, Text::new(vi.into(), en.into()))
}

/// Cleans text (see [`clean_line`]) and turns blank text into "not given".
pub fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| clean_line(&v)).filter(|v| !v.is_empty())
}

/// A required text of `min..=max` characters.
pub fn length(errors: &mut Vec<FieldError>, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if !(min..=max).contains(&n) {
        errors.push(error(
            field,
            "invalid_length",
            format!("{field} có từ {min} đến {max} ký tự."),
            format!("{field} has {min} to {max} characters."),
        ));
    }
}

/// An optional text of at most `max` characters.
pub fn max_length(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>, max: usize) {
    if let Some(value) = value {
        length(errors, field, value, 1, max);
    }
}

pub fn phone(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>) {
    if value.is_some_and(|p| phone_key(p).is_none()) {
        errors.push(error(
            field,
            "invalid_phone",
            "Số điện thoại không hợp lệ.",
            "The phone number is not valid.",
        ));
    }
}

pub fn email(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>) {
    let valid = |e: &str| {
        e.split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.') && !e.contains(' '))
    };
    if value.is_some_and(|e| !valid(e)) {
        errors.push(error(
            field,
            "invalid_email",
            "Địa chỉ email không hợp lệ.",
            "The email address is not valid.",
        ));
    }
}

/// An amount in đồng: not negative, not beyond [`MAX_AMOUNT_VND`].
pub fn amount(errors: &mut Vec<FieldError>, field: &str, value: i64) {
    if !(0..=MAX_AMOUNT_VND).contains(&value) {
        errors.push(error(
            field,
            "out_of_range",
            format!("{field} là số đồng từ 0 đến {MAX_AMOUNT_VND}."),
            format!("{field} is an amount in đồng from 0 to {MAX_AMOUNT_VND}."),
        ));
    }
}

/// A year of the programme's records (2000–2100).
pub fn year(errors: &mut Vec<FieldError>, field: &str, value: i64) {
    if !(2000..=2100).contains(&value) {
        errors.push(error(
            field,
            "out_of_range",
            format!("{field} là năm từ 2000 đến 2100."),
            format!("{field} is a year from 2000 to 2100."),
        ));
    }
}

/// A current province code that exists.
pub fn current_province(
    units: &mut dyn UnitLookup,
    errors: &mut Vec<FieldError>,
    field: &str,
    code: &str,
) -> Result<bool, ApiError> {
    if units.has_province_2025(code)? {
        return Ok(true);
    }
    errors.push(error(
        field,
        "unknown_province",
        format!("Không có tỉnh, thành phố mã {code} (đơn vị hiện hành)."),
        format!("No current province has code {code}."),
    ));
    Ok(false)
}

/// A current commune that exists and lies in `province_code`.
pub fn commune_in_province(
    units: &mut dyn UnitLookup,
    errors: &mut Vec<FieldError>,
    field: &str,
    code: &str,
    province_code: &str,
) -> Result<(), ApiError> {
    match units.province_of_commune(code)? {
        None => errors.push(error(
            field,
            "unknown_commune",
            format!("Không có xã, phường mã {code} (đơn vị hiện hành)."),
            format!("No current commune has code {code}."),
        )),
        Some(commune_province) if commune_province != province_code => errors.push(error(
            field,
            "commune_not_in_province",
            format!("Xã, phường {code} thuộc tỉnh mã {commune_province}."),
            format!("Commune {code} belongs to province {commune_province}."),
        )),
        Some(_) => {}
    }
    Ok(())
}

/// A district of before the reform that existed and lay in the recorded pre-2025 province.
pub fn district_in_recorded_province(
    units: &mut dyn UnitLookup,
    errors: &mut Vec<FieldError>,
    field: &str,
    code: &str,
    recorded_province: Option<&str>,
) -> Result<(), ApiError> {
    match units.province_of_district(code)? {
        None => errors.push(error(
            field,
            "unknown_district",
            format!("Không có huyện mã {code} trước 01/07/2025."),
            format!("No district had code {code} before 1 July 2025."),
        )),
        Some(district_province) if recorded_province != Some(district_province.as_str()) => {
            errors.push(error(
                field,
                "district_not_in_province",
                format!("Huyện {code} thuộc tỉnh mã {district_province} (trước 2025)."),
                format!("District {code} belonged to province {district_province} (before 2025)."),
            ))
        }
        Some(_) => {}
    }
    Ok(())
}

/// 422 with every broken rule, or Ok.
pub fn ensure(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

//! Identifiers of establishments: the enterprise / tax code (mã số doanh nghiệp = mã số thuế), the
//! cooperative code and the household-business registration number, with their validation.

use crate::i18n::Text;
use crate::labeled_enum;

labeled_enum! {
    /// Which register an establishment's identifier comes from.
    pub enum IdentifierType as "identifier_type" {
        TaxCode = "tax_code": "Mã số doanh nghiệp / mã số thuế" / "Enterprise / tax code",
        CooperativeCode = "cooperative_code": "Mã số hợp tác xã" / "Cooperative code",
        HouseholdRegistration = "household_registration": "Số đăng ký hộ kinh doanh" / "Household-business registration number",
        None = "none": "Không có mã định danh" / "No identifier",
    }
}

/// Why an identifier is not valid, with the message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidIdentifier {
    pub code: &'static str,
    pub message: Text,
}

fn invalid(code: &'static str, vi: String, en: String) -> InvalidIdentifier {
    InvalidIdentifier {
        code,
        message: Text::new(vi, en),
    }
}

/// Weights of the tax-code check digit over the first nine digits (General Department of Taxation
/// scheme; the check digit is 10 − (Σ wᵢ·dᵢ mod 11), and a result of 10 is never issued).
const TAX_CODE_WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/// The check digit of the first nine digits, or `None` when no digit fits (such codes are not
/// issued).
pub fn tax_code_check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    let total: u32 = first_nine
        .iter()
        .zip(TAX_CODE_WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    let check = 10 - total % 11;
    (check < 10).then_some(check as u8)
}

/// Trims the value and removes inner spaces and dots people type, keeping the branch hyphen.
pub fn compact(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect()
}

/// A tax code: 10 digits with a valid check digit, optionally followed by `-` and a 3-digit branch
/// number (`0101234567-001`).
pub fn validate_tax_code(value: &str) -> Result<(), InvalidIdentifier> {
    let (main, branch) = match value.split_once('-') {
        Some((main, branch)) => (main, Some(branch)),
        None => (value, None),
    };
    let shape = || {
        invalid(
            "invalid_tax_code_format",
            format!(
                "Mã số thuế `{value}` phải gồm 10 chữ số, hoặc 10 chữ số, dấu `-` và 3 chữ số chi nhánh."
            ),
            format!("Tax code `{value}` must be 10 digits, or 10 digits, `-` and a 3-digit branch number."),
        )
    };
    if main.len() != 10 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return Err(shape());
    }
    if let Some(branch) = branch {
        if branch.len() != 3 || !branch.bytes().all(|b| b.is_ascii_digit()) {
            return Err(shape());
        }
        if branch == "000" {
            return Err(invalid(
                "invalid_tax_code_branch",
                format!("Số chi nhánh của mã số thuế `{value}` phải từ 001 đến 999."),
                format!("The branch number of tax code `{value}` must be from 001 to 999."),
            ));
        }
    }
    let digits: Vec<u8> = main.bytes().map(|b| b - b'0').collect();
    if digits[2..9].iter().all(|d| *d == 0) {
        return Err(invalid(
            "invalid_tax_code_sequence",
            format!("Mã số thuế `{value}` có số thứ tự 0000000, không được cấp."),
            format!("Tax code `{value}` has sequence number 0000000, which is never issued."),
        ));
    }
    let first_nine: [u8; 9] = digits[..9].try_into().expect("ten digits");
    match tax_code_check_digit(&first_nine) {
        Some(check) if check == digits[9] => Ok(()),
        _ => Err(invalid(
            "invalid_tax_code_check_digit",
            format!(
                "Mã số thuế `{value}` sai chữ số kiểm tra (chữ số thứ 10); hãy kiểm tra lại từng chữ số."
            ),
            format!("Tax code `{value}` has a wrong check digit (10th digit); check each digit."),
        )),
    }
}

/// A cooperative code: since the 2023 Law on Cooperatives a cooperative's code is its tax code,
/// so the same shape and check digit apply.
pub fn validate_cooperative_code(value: &str) -> Result<(), InvalidIdentifier> {
    validate_tax_code(value).map_err(|e| InvalidIdentifier {
        code: match e.code {
            "invalid_tax_code_format" => "invalid_cooperative_code_format",
            other => other,
        },
        message: e.message,
    })
}

/// A household-business registration number (số đăng ký hộ kinh doanh): the 2-digit province code,
/// a district letter, the type digit `8`, and a 6-digit sequence, e.g. `01A8001234`. Shape only:
/// there is no check digit.
pub fn validate_household_registration(value: &str) -> Result<(), InvalidIdentifier> {
    let bytes = value.as_bytes();
    let ok = bytes.len() == 10
        && bytes[..2].iter().all(u8::is_ascii_digit)
        && bytes[2].is_ascii_uppercase()
        && bytes[3] == b'8'
        && bytes[4..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "invalid_household_registration_format",
            format!(
                "Số đăng ký hộ kinh doanh `{value}` phải gồm 2 chữ số mã tỉnh, 1 chữ cái in hoa, chữ số 8 và 6 chữ số (ví dụ 01A8001234)."
            ),
            format!(
                "Household-business registration number `{value}` must be a 2-digit province code, an uppercase letter, the digit 8 and 6 digits (e.g. 01A8001234)."
            ),
        ))
    }
}

/// Validates `value` for `kind` (already compacted). `none` takes no value.
pub fn validate(kind: IdentifierType, value: Option<&str>) -> Result<(), InvalidIdentifier> {
    match (kind, value) {
        (IdentifierType::None, None) => Ok(()),
        (IdentifierType::None, Some(_)) => Err(invalid(
            "identifier_not_expected",
            "Loại định danh `none` không đi kèm giá trị.".into(),
            "Identifier type `none` takes no value.".into(),
        )),
        (_, None) => Err(invalid(
            "identifier_required",
            "Cần nhập giá trị mã định danh.".into(),
            "The identifier value is required.".into(),
        )),
        (IdentifierType::TaxCode, Some(v)) => validate_tax_code(v),
        (IdentifierType::CooperativeCode, Some(v)) => validate_cooperative_code(v),
        (IdentifierType::HouseholdRegistration, Some(v)) => validate_household_registration(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: [&str; 3] = ["0100109106", "0300588569", "0100233488"];

    #[test]
    fn known_tax_codes_are_valid() {
        for code in VALID {
            assert_eq!(validate_tax_code(code), Ok(()), "{code}");
        }
        assert_eq!(validate_tax_code("0100109106-001"), Ok(()));
    }

    #[test]
    fn every_single_digit_change_is_caught() {
        for code in VALID {
            for position in 0..10 {
                for replacement in b'0'..=b'9' {
                    let mut changed = code.as_bytes().to_vec();
                    if changed[position] == replacement {
                        continue;
                    }
                    changed[position] = replacement;
                    let changed = String::from_utf8(changed).unwrap();
                    assert!(
                        validate_tax_code(&changed).is_err(),
                        "{changed} (from {code}) passed"
                    );
                }
            }
        }
    }

    #[test]
    fn malformed_tax_codes_say_why() {
        assert_eq!(
            validate_tax_code("010010910").unwrap_err().code,
            "invalid_tax_code_format"
        );
        assert_eq!(
            validate_tax_code("01001091O6").unwrap_err().code,
            "invalid_tax_code_format"
        );
        assert_eq!(
            validate_tax_code("0100109106-01").unwrap_err().code,
            "invalid_tax_code_format"
        );
        assert_eq!(
            validate_tax_code("0100109106-000").unwrap_err().code,
            "invalid_tax_code_branch"
        );
        assert_eq!(
            validate_tax_code("0100109107").unwrap_err().code,
            "invalid_tax_code_check_digit"
        );
        assert!(validate_tax_code("0100000000").is_err());
    }

    #[test]
    fn remainder_zero_has_no_check_digit() {
        // A prefix whose weighted sum is a multiple of 11 would need check digit 10: no code
        // built on it is valid, whatever its last digit.
        let prefix = (0..100u8)
            .map(|n| [0, 1, 0, 0, 0, 0, 0, n / 10, n % 10])
            .find(|p| {
                p.iter()
                    .zip(TAX_CODE_WEIGHTS)
                    .map(|(d, w)| u32::from(*d) * w)
                    .sum::<u32>()
                    .is_multiple_of(11)
            })
            .expect("some prefix sums to a multiple of 11");
        assert_eq!(tax_code_check_digit(&prefix), None);
        let stem: String = prefix.iter().map(|d| char::from(b'0' + d)).collect();
        for last in 0..10 {
            assert!(validate_tax_code(&format!("{stem}{last}")).is_err());
        }
    }

    #[test]
    fn household_registration_shape() {
        assert!(validate_household_registration("01A8001234").is_ok());
        assert!(validate_household_registration("01a8001234").is_err());
        assert!(validate_household_registration("01A7001234").is_err());
        assert!(validate_household_registration("01A800123").is_err());
    }

    #[test]
    fn none_takes_no_value_and_others_need_one() {
        assert!(validate(IdentifierType::None, None).is_ok());
        assert_eq!(
            validate(IdentifierType::None, Some("x")).unwrap_err().code,
            "identifier_not_expected"
        );
        assert_eq!(
            validate(IdentifierType::TaxCode, None).unwrap_err().code,
            "identifier_required"
        );
        assert!(validate(IdentifierType::CooperativeCode, Some("0300588569")).is_ok());
    }
}

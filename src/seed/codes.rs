//! Codes and numbers that must be valid and unique: tax codes with their check digit,
//! household-business registration numbers, personal identification numbers, phone numbers, and
//! the numbering of decisions and payment documents.

use std::collections::HashSet;

use rand::Rng;

use crate::domain::identifiers::{self, tax_code_check_digit};

/// Hands out identifiers that were never handed out before in this run. Identifiers are unique in
/// the registry (the `beneficiaries_identifier` index), phone numbers are not but a repeated one
/// would make unrelated records look like duplicates.
#[derive(Debug, Default)]
pub struct Issued {
    taken: HashSet<String>,
}

impl Issued {
    /// Draws with `draw` until a value not taken yet comes up.
    fn fresh<R: Rng>(&mut self, rng: &mut R, mut draw: impl FnMut(&mut R) -> Option<String>) -> String {
        loop {
            if let Some(value) = draw(rng)
                && self.taken.insert(value.clone())
            {
                return value;
            }
        }
    }

    /// A tax code of the tax office `office` (its first two digits): seven digits of sequence and
    /// the check digit, optionally a branch number. Prefixes whose check digit would be 10 are
    /// never issued, so they are drawn again.
    pub fn tax_code(&mut self, rng: &mut impl Rng, office: u8, branch: bool) -> String {
        self.fresh(rng, |rng| {
            let mut digits = [0u8; 9];
            digits[0] = office / 10;
            digits[1] = office % 10;
            for d in &mut digits[2..] {
                *d = rng.gen_range(0..10);
            }
            if digits[2..].iter().all(|d| *d == 0) {
                return None;
            }
            let check = tax_code_check_digit(&digits)?;
            let mut code: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            code.push(char::from(b'0' + check));
            if branch {
                code.push_str(&format!("-{:03}", rng.gen_range(1..20)));
            }
            debug_assert!(identifiers::validate_tax_code(&code).is_ok(), "{code}");
            Some(code)
        })
    }

    /// A household-business registration number: the province code as it was when the household
    /// registered, the district letter, the type digit 8 and a six-digit sequence.
    pub fn household_registration(
        &mut self,
        rng: &mut impl Rng,
        province_pre2025: &str,
        district_letter: char,
    ) -> String {
        self.fresh(rng, |rng| {
            Some(format!(
                "{province_pre2025}{district_letter}8{:06}",
                rng.gen_range(1..1_000_000)
            ))
        })
    }

    /// A 12-digit personal identification number: birth province, century and sex, year of birth,
    /// and six random digits.
    pub fn national_id(
        &mut self,
        rng: &mut impl Rng,
        birth_province: &str,
        woman: bool,
        birth_year: i32,
    ) -> String {
        let century_sex = match (birth_year >= 2000, woman) {
            (false, false) => 0,
            (false, true) => 1,
            (true, false) => 2,
            (true, true) => 3,
        };
        self.fresh(rng, |rng| {
            Some(format!(
                "0{birth_province}{century_sex}{:02}{:06}",
                birth_year % 100,
                rng.gen_range(0..1_000_000)
            ))
        })
    }

    /// A mobile number as people write it ("0912 345 678").
    pub fn mobile(&mut self, rng: &mut impl Rng) -> String {
        const NETWORKS: &[&str] = &[
            "32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79", "81", "82", "83",
            "84", "85", "86", "88", "89", "90", "91", "93", "94", "96", "97", "98",
        ];
        self.fresh(rng, |rng| {
            let network = NETWORKS[rng.gen_range(0..NETWORKS.len())];
            let n: u32 = rng.gen_range(0..10_000_000);
            Some(format!(
                "0{network}{} {:03} {:03}",
                n / 1_000_000,
                (n / 1000) % 1000,
                n % 1000
            ))
        })
    }

    /// A landline of an office in the province (`area` is its 3-digit area code).
    pub fn landline(&mut self, rng: &mut impl Rng, area: &str) -> String {
        self.fresh(rng, |rng| {
            Some(format!(
                "0{area} {:04} {:03}",
                rng.gen_range(3000..4000),
                rng.gen_range(0..1000)
            ))
        })
    }

    /// A certificate number recorded from paper before the registry (`015-GCN-271-2018`).
    pub fn legacy_certificate_number(&mut self, rng: &mut impl Rng, scope: &str, year: i64) -> String {
        self.fresh(rng, |rng| {
            Some(format!("{:03}-GCN-{scope}-{year}", rng.gen_range(1..1000)))
        })
    }
}

/// The tax office prefix of a current province: the tax administration numbers its offices in
/// its own order, so this maps the province code onto 01–99 without claiming to be that order.
pub fn tax_office(province_code: &str) -> u8 {
    let code: u8 = province_code.parse().unwrap_or(1);
    match code {
        1 => 1,
        79 => 3,
        31 => 2,
        48 => 4,
        other => 10 + other % 90,
    }
}

/// The telephone area code of a province (two-digit codes were widened to three in 2017).
pub fn area_code(province_code: &str) -> String {
    let code: u32 = province_code.parse().unwrap_or(24);
    format!("2{:02}", code % 100)
}

/// A decision number: `125/QĐ-UBND`.
pub fn decision(rng: &mut impl Rng, issuer: &str) -> String {
    format!("{}/QĐ-{issuer}", rng.gen_range(12..3000))
}

/// A payment document number: `UNC-2024-0457`.
pub fn document(rng: &mut impl Rng, kind: &str, year: i32) -> String {
    format!("{kind}-{year}-{:04}", rng.gen_range(1..9999))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::domain::beneficiaries::phone_key;
    use crate::domain::identifiers::validate_household_registration;

    #[test]
    fn drawn_codes_pass_the_registrys_checks_and_never_repeat() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut issued = Issued::default();
        let mut seen = HashSet::new();
        for n in 0..2_000 {
            let tax = issued.tax_code(&mut rng, tax_office("19"), n % 10 == 0);
            assert_eq!(identifiers::validate_tax_code(&tax), Ok(()), "{tax}");
            let household = issued.household_registration(&mut rng, "27", 'C');
            assert!(validate_household_registration(&household).is_ok(), "{household}");
            let id = issued.national_id(&mut rng, "27", n % 2 == 0, 1980);
            assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()), "{id}");
            let mobile = issued.mobile(&mut rng);
            assert_eq!(phone_key(&mobile).map(|k| k.len()), Some(10), "{mobile}");
            for value in [tax, household, id, mobile] {
                assert!(seen.insert(value.clone()), "{value} drawn twice");
            }
        }
    }
}

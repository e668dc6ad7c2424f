//! Establishments (cơ sở công nghiệp nông thôn), their personal data and yearly figures.
//!
//! Each record is built as the API builds it: the editable [`Fields`] are normalised and turned
//! into the stored row by the API's own `Fields::to_row`, so that search keys, duplicate keys and
//! phone keys are exactly what a record created through `POST /beneficiaries` would carry.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDateTime};
use rand::Rng;
use rand::rngs::StdRng;

use super::Coverage;
use super::calendar::{self, AS_OF, REGISTRY_START};
use super::codes::{self, Issued};
use super::names::{self, CRAFTS};
use super::places::{Atlas, Place};
use super::rows;
use crate::api::beneficiaries::fields::Fields;
use crate::domain::beneficiaries::{BeneficiaryStatus, LegalForm, SizeClass};
use crate::domain::identifiers::IdentifierType;

/// What the other generators need to know of an establishment.
#[derive(Debug, Clone)]
pub struct Establishment {
    pub id: i64,
    pub name: String,
    pub legal_form: LegalForm,
    /// Index into [`CRAFTS`].
    pub craft: usize,
    /// The village or brand its products are known by.
    pub place_name: String,
    pub province_code: String,
    pub commune_code: String,
    pub recorded_province_pre2025: Option<String>,
    pub recorded_district_pre2025: Option<String>,
    pub place: Place,
    pub created_at: NaiveDateTime,
    /// Active and not merged away: may be named by projects and make products.
    pub usable: bool,
    pub employees: i64,
}

/// The generated establishments and what hangs off them.
#[derive(Debug, Default)]
pub struct Establishments {
    pub rows: Vec<rows::Beneficiary>,
    pub personal: Vec<rows::PersonalData>,
    pub figures: Vec<rows::AnnualFigures>,
    pub info: Vec<Establishment>,
    /// Usable establishments of each current province, by position in `info`.
    pub usable_in: BTreeMap<String, Vec<usize>>,
}

/// Current provinces of the northern uplands and the Central Highlands, where many
/// establishments belong to ethnic minorities. A weighting hint only: a code missing from the
/// reference data changes nothing.
const UPLAND_PROVINCES: &[&str] = &["04", "08", "11", "12", "14", "15", "19", "20"];
const HIGHLAND_PROVINCES: &[&str] = &["52", "66", "68"];

const LEGAL_FORMS: &[(LegalForm, u32)] = &[
    (LegalForm::HouseholdBusiness, 45),
    (LegalForm::Enterprise, 22),
    (LegalForm::Cooperative, 15),
    (LegalForm::CooperativeGroup, 6),
    (LegalForm::Artisan, 10),
    (LegalForm::CooperativeUnion, 2),
];

pub fn generate(
    rng: &mut StdRng,
    atlas: &Atlas<'_>,
    issued: &mut Issued,
    count: usize,
    first_id: i64,
    first_figures_id: i64,
    coverage: &Coverage,
) -> Establishments {
    let communes = &atlas.reference.communes;
    let mut out = Establishments::default();
    if communes.is_empty() {
        return out;
    }
    let mut figures_id = first_figures_id;
    for i in 0..count {
        let id = first_id + i as i64;
        let commune = &communes[rng.gen_range(0..communes.len())];
        let province = atlas.province(&commune.province_code);
        let woman = rng.gen_bool(0.32);
        let minority_share = if UPLAND_PROVINCES.contains(&province.code.as_str()) {
            0.45
        } else if HIGHLAND_PROVINCES.contains(&province.code.as_str()) {
            0.3
        } else {
            0.03
        };
        let ethnic = rng.gen_bool(minority_share);
        let owner = if ethnic {
            names::minority_person(rng, woman, HIGHLAND_PROVINCES.contains(&province.code.as_str()))
        } else {
            names::person(rng, woman)
        };
        // A data set that must show every legal form gives them to its first establishments in turn.
        let forced_form = coverage
            .every_legal_form
            .then(|| LEGAL_FORMS.get(i).map(|(form, _)| *form))
            .flatten();
        let legal_form = match forced_form {
            Some(form) => form,
            None => *names::weighted(rng, LEGAL_FORMS),
        };
        let craft_index = names::craft(rng);
        let craft = &CRAFTS[craft_index];
        let place_name = names::place_name(rng, craft, &commune.name).to_owned();

        // Establishments founded before the reform mostly carry the units they were registered in.
        let founded_before_reform = rng.gen_bool(0.85);
        let founding_year: i64 = if founded_before_reform {
            if rng.gen_bool(0.7) {
                rng.gen_range(2000..=2024)
            } else {
                rng.gen_range(1965..2000)
            }
        } else {
            rng.gen_range(2025..=i64::from(AS_OF.year()))
        };
        let predecessors = atlas
            .predecessors_of
            .get(province.code.as_str())
            .cloned()
            .unwrap_or_default();
        // Where the commune lay before the reform is known for some communes: their records
        // carry that province and district rather than one drawn from the merged ones.
        let former = coverage.former_units.get(&commune.code);
        let recorded_province = match former {
            Some(unit) => founded_before_reform.then(|| unit.province_pre2025.clone()),
            None => (founded_before_reform && !predecessors.is_empty() && rng.gen_bool(0.9)).then(|| {
                atlas.reference.provinces_pre2025[*names::pick(rng, &predecessors)]
                    .code
                    .clone()
            }),
        };
        let recorded_district = match former {
            Some(unit) => recorded_province
                .as_ref()
                .and_then(|_| unit.district_pre2025.clone()),
            None => recorded_province.as_deref().and_then(|code| {
                let districts = atlas.districts_of.get(code)?;
                rng.gen_bool(0.9).then(|| {
                    atlas.reference.districts[*names::pick(rng, districts)]
                        .code
                        .clone()
                })
            }),
        };
        // The province code printed in a household registration is the one of its registration.
        let registration_province = recorded_province
            .clone()
            .or_else(|| {
                predecessors
                    .first()
                    .map(|i| atlas.reference.provinces_pre2025[*i].code.clone())
            })
            .unwrap_or_else(|| province.code.clone());
        let district_letter = recorded_district
            .as_deref()
            .and_then(|d| d.parse::<u32>().ok())
            .map(|n| char::from(b'A' + (n % 26) as u8))
            .unwrap_or('A');

        let (identifier_type, identifier_value) = identifier(
            rng,
            issued,
            legal_form,
            &province.code,
            &registration_province,
            district_letter,
        );
        let employees: i64 = match legal_form {
            LegalForm::HouseholdBusiness => rng.gen_range(2..=15),
            LegalForm::CooperativeGroup => rng.gen_range(5..=30),
            LegalForm::Cooperative => rng.gen_range(10..=120),
            LegalForm::CooperativeUnion => rng.gen_range(30..=300),
            LegalForm::Enterprise => rng.gen_range(8..=250),
            LegalForm::Artisan => rng.gen_range(1..=10),
        };
        // Nghị định 80/2021/NĐ-CP, manufacturing: micro up to 10 workers, small up to 100,
        // medium up to 200.
        let size_class =
            matches!(legal_form, LegalForm::Enterprise | LegalForm::Cooperative).then(|| match employees {
                0..=10 => SizeClass::Micro,
                11..=100 => SizeClass::Small,
                101..=200 => SizeClass::Medium,
                _ => SizeClass::Large,
            });
        let in_craft_village = rng.gen_bool(
            if craft.group == crate::domain::certification::ProductGroup::Handicraft {
                0.5
            } else {
                0.25
            },
        );
        let representative = rng.gen_bool(0.92).then(|| owner.clone());
        let representative_phone = representative
            .as_ref()
            .filter(|_| rng.gen_bool(0.7))
            .map(|_| issued.mobile(rng));
        let birth_year = rng.gen_range(1955..=2000);
        let representative_national_id = representative.as_ref().filter(|_| rng.gen_bool(0.5)).map(|_| {
            let birth_province = recorded_province.as_deref().unwrap_or(&registration_province);
            issued.national_id(rng, birth_province, woman, birth_year)
        });
        let household_owner_name =
            (legal_form == LegalForm::HouseholdBusiness && rng.gen_bool(0.6)).then(|| owner.clone());
        let formal = matches!(
            legal_form,
            LegalForm::Enterprise | LegalForm::Cooperative | LegalForm::CooperativeUnion
        );
        let email = (formal && rng.gen_bool(0.5)).then(|| {
            format!(
                "{}{}@gmail.com",
                names::slug(craft.name),
                names::slug(&place_name)
            )
        });
        let website = (legal_form == LegalForm::Enterprise && rng.gen_bool(0.2)).then(|| {
            format!(
                "https://{}{}.vn",
                names::slug(craft.name),
                names::slug(&place_name)
            )
        });

        let mut status = if rng.gen_bool(0.035) {
            BeneficiaryStatus::Inactive
        } else {
            BeneficiaryStatus::Active
        };
        let mut fields = Fields {
            name: names::establishment_name(rng, legal_form.as_str(), craft, &place_name, &owner),
            legal_form,
            identifier_type,
            identifier_value,
            representative_name: representative,
            representative_phone,
            representative_national_id,
            household_owner_name,
            address_line: Some(names::address(
                rng,
                &province.region,
                commune.unit_type == "phuong",
            )),
            province_code: province.code.clone(),
            commune_code: commune.code.clone(),
            recorded_province_code_pre2025: recorded_province.clone(),
            recorded_district_code_pre2025: recorded_district.clone(),
            main_sector_vsic: rng.gen_bool(0.9).then(|| craft.vsic.to_owned()),
            size_class,
            employees: rng.gen_bool(0.85).then_some(employees),
            founding_year: rng.gen_bool(0.9).then_some(founding_year),
            in_craft_village,
            craft_village_name: in_craft_village.then(|| names::craft_village_name(craft, &place_name)),
            women_owned: woman && rng.gen_bool(0.9),
            ethnic_minority_owned: ethnic,
            disadvantaged_area: rng.gen_bool(if ethnic { 0.6 } else { 0.1 }),
            phone: rng.gen_bool(0.8).then(|| issued.mobile(rng)),
            email,
            website,
            status,
        };

        // About one record in a hundred was entered twice and later merged into the first one:
        // same name and commune, its own identifier, pointing at the survivor.
        let mut merged_into = None;
        let mut copied_from = None;
        if forced_form.is_none()
            && rng.gen_bool(0.01)
            && let Some(candidates) = out.usable_in.get(province.code.as_str())
            && !candidates.is_empty()
        {
            let survivor = &out.info[*names::pick(rng, candidates)];
            fields.name = survivor.name.clone();
            fields.legal_form = survivor.legal_form;
            fields.commune_code = survivor.commune_code.clone();
            fields.recorded_province_code_pre2025 = survivor.recorded_province_pre2025.clone();
            fields.recorded_district_code_pre2025 = survivor.recorded_district_pre2025.clone();
            let (kind, value) = identifier(
                rng,
                issued,
                survivor.legal_form,
                &province.code,
                &registration_province,
                district_letter,
            );
            fields.identifier_type = kind;
            fields.identifier_value = value;
            if fields.legal_form != LegalForm::HouseholdBusiness {
                fields.household_owner_name = None;
            }
            if fields.size_class.is_some()
                && !matches!(fields.legal_form, LegalForm::Enterprise | LegalForm::Cooperative)
            {
                fields.size_class = None;
            }
            status = BeneficiaryStatus::Merged;
            fields.status = status;
            merged_into = Some(survivor.id);
            copied_from = Some((survivor.craft, survivor.place_name.clone(), survivor.created_at));
        }
        let fields = fields.normalized();

        let created_at = match copied_from {
            Some((_, _, survivor_created)) => {
                calendar::moment_between(rng, survivor_created.date(), AS_OF - Days::new(1))
            }
            None => {
                let earliest = if founding_year <= 2019 {
                    REGISTRY_START
                } else {
                    calendar::day(founding_year as i32, 1, 2).max(REGISTRY_START)
                };
                // Most establishments were entered when the registry opened.
                let latest = if earliest == REGISTRY_START && rng.gen_bool(0.6) {
                    calendar::day(2020, 12, 31)
                } else {
                    AS_OF - Days::new(7)
                };
                calendar::moment_between(rng, earliest, latest)
            }
        };
        let edited = rng.gen_bool(0.3) || merged_into.is_some();
        let updated_at = if edited {
            calendar::moment_between(rng, created_at.date() + Days::new(1), AS_OF).max(created_at)
        } else {
            created_at
        };
        let version = if edited { rng.gen_range(2..=4) } else { 1 };
        let mut row = fields.to_row(id, version, created_at, merged_into);
        row.updated_at = updated_at;
        let mut personal = fields.to_personal(id);
        personal.updated_at = created_at;
        if !personal.is_empty() {
            out.personal.push(personal.into());
        }

        if status != BeneficiaryStatus::Merged && rng.gen_bool(0.55) {
            figures_id = annual_figures(
                rng,
                &mut out.figures,
                figures_id,
                id,
                founding_year,
                employees,
                legal_form,
            );
        }

        let (craft_index, place_name) = match copied_from {
            Some((craft, place, _)) => (craft, place),
            None => (craft_index, place_name),
        };
        let usable = status == BeneficiaryStatus::Active;
        let info = Establishment {
            id,
            name: row.name.clone(),
            legal_form: fields.legal_form,
            craft: craft_index,
            place_name,
            province_code: row.province_code.clone(),
            commune_code: fields.commune_code.clone(),
            recorded_province_pre2025: row.recorded_province_code_pre2025.clone(),
            recorded_district_pre2025: row.recorded_district_code_pre2025.clone(),
            place: atlas.place(&row.province_code, row.recorded_province_code_pre2025.as_deref()),
            created_at,
            usable,
            employees,
        };
        if usable {
            out.usable_in
                .entry(info.province_code.clone())
                .or_default()
                .push(out.info.len());
        }
        out.info.push(info);
        out.rows.push(row.into());
    }
    out
}

/// The identifier an establishment of `form` registers with (the API's allowed pairs).
fn identifier(
    rng: &mut StdRng,
    issued: &mut Issued,
    form: LegalForm,
    province_code: &str,
    registration_province: &str,
    district_letter: char,
) -> (IdentifierType, Option<String>) {
    let office = codes::tax_office(province_code);
    let tax = |rng: &mut StdRng, issued: &mut Issued, branch: bool| {
        (
            IdentifierType::TaxCode,
            Some(issued.tax_code(rng, office, branch)),
        )
    };
    match form {
        LegalForm::Enterprise => {
            let branch = rng.gen_bool(0.05);
            tax(rng, issued, branch)
        }
        LegalForm::Cooperative | LegalForm::CooperativeUnion => {
            if rng.gen_bool(0.8) {
                (
                    IdentifierType::CooperativeCode,
                    Some(issued.tax_code(rng, office, false)),
                )
            } else {
                tax(rng, issued, false)
            }
        }
        LegalForm::HouseholdBusiness => {
            if rng.gen_bool(0.8) {
                (
                    IdentifierType::HouseholdRegistration,
                    Some(issued.household_registration(rng, registration_province, district_letter)),
                )
            } else {
                tax(rng, issued, false)
            }
        }
        LegalForm::CooperativeGroup => {
            if rng.gen_bool(0.7) {
                (IdentifierType::None, None)
            } else {
                tax(rng, issued, false)
            }
        }
        LegalForm::Artisan => match rng.gen_range(0..20) {
            0..=9 => (IdentifierType::None, None),
            10..=16 => (
                IdentifierType::HouseholdRegistration,
                Some(issued.household_registration(rng, registration_province, district_letter)),
            ),
            _ => tax(rng, issued, false),
        },
    }
}

/// One to three consecutive years of figures ending in 2024 or 2025, growing year on year.
fn annual_figures(
    rng: &mut StdRng,
    out: &mut Vec<rows::AnnualFigures>,
    mut next_id: i64,
    beneficiary_id: i64,
    founding_year: i64,
    employees: i64,
    form: LegalForm,
) -> i64 {
    let last_year: i64 = if rng.gen_bool(0.7) { 2025 } else { 2024 };
    let years = rng.gen_range(1..=3i64);
    let first_year = (last_year - years + 1).max(founding_year).max(2021);
    if first_year > last_year {
        return next_id;
    }
    // Revenue per worker and year, in đồng.
    let per_worker: i64 = match form {
        LegalForm::Enterprise | LegalForm::CooperativeUnion => rng.gen_range(250..=900) * 1_000_000,
        LegalForm::Cooperative => rng.gen_range(150..=500) * 1_000_000,
        _ => rng.gen_range(80..=300) * 1_000_000,
    };
    let mut revenue = per_worker * employees.max(1);
    let mut staff = employees.max(1);
    let monthly_income: i64 = rng.gen_range(45..=120) * 100_000;
    for year in first_year..=last_year {
        let month = rng.gen_range(3..=6);
        let filed = calendar::in_month(rng, year as i32 + 1, month).min(AS_OF);
        let at = calendar::office_time(rng, filed);
        out.push(rows::AnnualFigures {
            id: next_id,
            beneficiary_id,
            year,
            revenue_vnd: Some(revenue / 1_000_000 * 1_000_000),
            employees: Some(staff),
            average_income_vnd: rng
                .gen_bool(0.8)
                .then_some(monthly_income + (year - first_year) * 300_000),
            total_assets_vnd: rng
                .gen_bool(0.6)
                .then(|| revenue / 1_000_000 * rng.gen_range(400_000..=1_500_000)),
            version: 1,
            created_at: at,
            updated_at: at,
        });
        next_id += 1;
        revenue = revenue * rng.gen_range(100..=118) / 100;
        staff += rng.gen_range(0..=2);
    }
    next_id
}

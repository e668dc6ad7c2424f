//! The editable state of an establishment, its validation and the row it becomes. Create starts
//! from the request; PATCH starts from the stored record and applies the changes; both are checked
//! by the same [`validate`], so a rule can never be bypassed by editing instead of creating.

use crate::api::checks::{self, clean, error};
use crate::db::DbConn;
use crate::domain::beneficiaries::{
    BeneficiaryStatus, LegalForm, MAX_EMPLOYEES, SizeClass, check_bound, check_year, name_key, phone_key,
};
use crate::domain::identifiers::{self, IdentifierType};
use crate::domain::search::search_key;
use crate::domain::text::clean_line;
use crate::error::{ApiError, FieldError};
use crate::models::admin_units::UnitLookup;
use crate::models::beneficiaries::{BeneficiaryRow, PersonalDataRow};
use crate::models::{decode, now};

/// Everything a client may set on an establishment.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    pub name: String,
    pub legal_form: LegalForm,
    pub identifier_type: IdentifierType,
    pub identifier_value: Option<String>,
    pub representative_name: Option<String>,
    pub representative_phone: Option<String>,
    pub representative_national_id: Option<String>,
    pub household_owner_name: Option<String>,
    pub address_line: Option<String>,
    pub province_code: String,
    pub commune_code: String,
    pub recorded_province_code_pre2025: Option<String>,
    pub recorded_district_code_pre2025: Option<String>,
    pub main_sector_vsic: Option<String>,
    pub size_class: Option<SizeClass>,
    pub employees: Option<i64>,
    pub founding_year: Option<i64>,
    pub in_craft_village: bool,
    pub craft_village_name: Option<String>,
    pub women_owned: bool,
    pub ethnic_minority_owned: bool,
    pub disadvantaged_area: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub status: BeneficiaryStatus,
}

impl Fields {
    /// The state stored in `row` and its personal data.
    pub fn from_row(row: &BeneficiaryRow, personal: &PersonalDataRow) -> Result<Fields, ApiError> {
        Ok(Fields {
            name: row.name.clone(),
            legal_form: decode("beneficiaries.legal_form", &row.legal_form)?,
            identifier_type: decode("beneficiaries.identifier_type", &row.identifier_type)?,
            identifier_value: row.identifier_value.clone(),
            representative_name: row.representative_name.clone(),
            representative_phone: personal.representative_phone.clone(),
            representative_national_id: personal.representative_national_id.clone(),
            household_owner_name: personal.household_owner_name.clone(),
            address_line: row.address_line.clone(),
            province_code: row.province_code.clone(),
            commune_code: row.commune_code.clone().unwrap_or_default(),
            recorded_province_code_pre2025: row.recorded_province_code_pre2025.clone(),
            recorded_district_code_pre2025: row.recorded_district_code_pre2025.clone(),
            main_sector_vsic: row.main_sector_vsic.clone(),
            size_class: row
                .size_class
                .as_deref()
                .map(|s| decode("beneficiaries.size_class", s))
                .transpose()?,
            employees: row.employees,
            founding_year: row.founding_year,
            in_craft_village: row.in_craft_village,
            craft_village_name: row.craft_village_name.clone(),
            women_owned: row.women_owned,
            ethnic_minority_owned: row.ethnic_minority_owned,
            disadvantaged_area: row.disadvantaged_area,
            phone: row.phone.clone(),
            email: row.email.clone(),
            website: row.website.clone(),
            status: decode("beneficiaries.status", &row.status)?,
        })
    }

    /// Normalises what people type: trims text, compacts identifiers.
    pub fn normalized(mut self) -> Fields {
        self.name = clean_line(&self.name);
        self.identifier_value = clean(self.identifier_value).map(|v| identifiers::compact(&v));
        for field in [
            &mut self.representative_name,
            &mut self.representative_phone,
            &mut self.representative_national_id,
            &mut self.household_owner_name,
            &mut self.address_line,
            &mut self.recorded_province_code_pre2025,
            &mut self.recorded_district_code_pre2025,
            &mut self.main_sector_vsic,
            &mut self.craft_village_name,
            &mut self.phone,
            &mut self.email,
            &mut self.website,
        ] {
            *field = clean(field.take());
        }
        self.province_code = self.province_code.trim().to_owned();
        self.commune_code = self.commune_code.trim().to_owned();
        self
    }

    /// The row to store, with the derived search and duplicate keys.
    pub fn to_row(
        &self,
        id: i64,
        version: i64,
        created_at: chrono::NaiveDateTime,
        merged_into_id: Option<i64>,
    ) -> BeneficiaryRow {
        let searchable = [
            Some(self.name.as_str()),
            self.identifier_value.as_deref(),
            self.representative_name.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" | ");
        BeneficiaryRow {
            id,
            name: self.name.clone(),
            legal_form: self.legal_form.as_str().to_owned(),
            identifier_type: self.identifier_type.as_str().to_owned(),
            identifier_value: self.identifier_value.clone(),
            representative_name: self.representative_name.clone(),
            address_line: self.address_line.clone(),
            province_code: self.province_code.clone(),
            commune_code: Some(self.commune_code.clone()),
            recorded_province_code_pre2025: self.recorded_province_code_pre2025.clone(),
            recorded_district_code_pre2025: self.recorded_district_code_pre2025.clone(),
            main_sector_vsic: self.main_sector_vsic.clone(),
            size_class: self.size_class.map(|s| s.as_str().to_owned()),
            employees: self.employees,
            founding_year: self.founding_year,
            in_craft_village: self.in_craft_village,
            craft_village_name: self.craft_village_name.clone(),
            women_owned: self.women_owned,
            ethnic_minority_owned: self.ethnic_minority_owned,
            disadvantaged_area: self.disadvantaged_area,
            phone: self.phone.clone(),
            email: self.email.clone(),
            website: self.website.clone(),
            status: self.status.as_str().to_owned(),
            merged_into_id,
            search_key: search_key(&searchable),
            name_key: name_key(&self.name),
            phone_key: self.phone.as_deref().and_then(phone_key),
            representative_phone_key: self.representative_phone.as_deref().and_then(phone_key),
            version,
            created_at,
            updated_at: now(),
        }
    }
}

impl Fields {
    /// The personal data to store beside the record `beneficiary_id`.
    pub fn to_personal(&self, beneficiary_id: i64) -> PersonalDataRow {
        PersonalDataRow {
            beneficiary_id,
            representative_phone: self.representative_phone.clone(),
            representative_national_id: self.representative_national_id.clone(),
            household_owner_name: self.household_owner_name.clone(),
            updated_at: now(),
        }
    }
}

/// Which identifier registers fit a legal form (enterprises have a tax code; cooperative groups
/// may have none).
fn allowed_identifiers(form: LegalForm) -> &'static [IdentifierType] {
    use IdentifierType as I;
    match form {
        LegalForm::Enterprise => &[I::TaxCode],
        LegalForm::Cooperative | LegalForm::CooperativeUnion => &[I::CooperativeCode, I::TaxCode],
        LegalForm::HouseholdBusiness => &[I::HouseholdRegistration, I::TaxCode],
        LegalForm::CooperativeGroup => &[I::None, I::TaxCode],
        LegalForm::Artisan => &[I::None, I::TaxCode, I::HouseholdRegistration],
    }
}

/// VSIC 2018 (Quyết định 27/2018/QĐ-TTg): a section letter A–U, or a 2- to 5-digit code.
fn is_vsic(code: &str) -> bool {
    let bytes = code.as_bytes();
    (bytes.len() == 1 && (b'A'..=b'U').contains(&bytes[0]))
        || ((2..=5).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_digit))
}

/// Every rule of an establishment's state; an empty list means valid. Units are looked up in
/// `units`: the database for one record, a [`crate::models::admin_units::UnitBook`] for a file.
pub fn validate(units: &mut dyn UnitLookup, fields: &Fields) -> Result<Vec<FieldError>, ApiError> {
    let mut errors = Vec::new();
    let length = fields.name.chars().count();
    if !(2..=300).contains(&length) {
        errors.push(error(
            "name",
            "invalid_length",
            "Tên có từ 2 đến 300 ký tự.",
            "The name has 2 to 300 characters.",
        ));
    }
    if !allowed_identifiers(fields.legal_form).contains(&fields.identifier_type) {
        let allowed: Vec<&str> = allowed_identifiers(fields.legal_form)
            .iter()
            .map(|i| i.as_str())
            .collect();
        errors.push(error(
            "identifier_type",
            "identifier_type_not_allowed",
            format!(
                "Loại hình {} dùng mã định danh: {}.",
                fields.legal_form,
                allowed.join(", ")
            ),
            format!(
                "Legal form {} uses identifier type: {}.",
                fields.legal_form,
                allowed.join(", ")
            ),
        ));
    } else if let Err(invalid) =
        identifiers::validate(fields.identifier_type, fields.identifier_value.as_deref())
    {
        errors.push(FieldError::new("identifier_value", invalid.code, invalid.message));
    }
    if fields.household_owner_name.is_some() && fields.legal_form != LegalForm::HouseholdBusiness {
        errors.push(error(
            "household_owner_name",
            "not_allowed_for_legal_form",
            "Chỉ hộ kinh doanh có chủ hộ.",
            "Only a household business has a household owner.",
        ));
    }
    if let Some(id) = &fields.representative_national_id
        && !((id.len() == 12 || id.len() == 9) && id.bytes().all(|b| b.is_ascii_digit()))
    {
        errors.push(error(
            "representative_national_id",
            "invalid_national_id",
            "Số định danh cá nhân / CCCD gồm 12 chữ số (CMND cũ: 9 chữ số).",
            "A personal identification number has 12 digits (old identity cards: 9).",
        ));
    }
    check_units(units, fields, &mut errors)?;
    if let Some(code) = &fields.main_sector_vsic
        && !is_vsic(code)
    {
        errors.push(error(
            "main_sector_vsic",
            "invalid_vsic_code",
            "Ngành chính là mã VSIC 2018: một chữ cái A–U hoặc 2–5 chữ số (ví dụ 1629).",
            "The main sector is a VSIC 2018 code: a letter A–U or 2–5 digits (e.g. 1629).",
        ));
    }
    if let Some(out) = check_bound("employees", fields.employees, MAX_EMPLOYEES) {
        errors.push(FieldError::new(out.field, "out_of_range", out.message));
    }
    let this_year = i64::from(chrono::Datelike::year(&chrono::Utc::now()));
    if let Some(year) = fields.founding_year
        && let Some(out) = check_year("founding_year", year, this_year)
    {
        errors.push(FieldError::new(out.field, "out_of_range", out.message));
    }
    match (fields.in_craft_village, &fields.craft_village_name) {
        (true, None) => errors.push(error(
            "craft_village_name",
            "required_for_craft_village",
            "Cần ghi tên làng nghề.",
            "Name the craft village.",
        )),
        (false, Some(_)) => errors.push(error(
            "craft_village_name",
            "not_in_craft_village",
            "Chỉ ghi tên làng nghề khi cơ sở thuộc làng nghề.",
            "A craft village name goes with in_craft_village = true.",
        )),
        _ => {}
    }
    checks::phone(&mut errors, "phone", fields.phone.as_deref());
    checks::phone(
        &mut errors,
        "representative_phone",
        fields.representative_phone.as_deref(),
    );
    checks::email(&mut errors, "email", fields.email.as_deref());
    if let Some(site) = &fields.website
        && !(site.starts_with("https://") || site.starts_with("http://"))
    {
        errors.push(error(
            "website",
            "invalid_url",
            "Trang web bắt đầu bằng https:// hoặc http://.",
            "The website starts with https:// or http://.",
        ));
    }
    Ok(errors)
}

/// Current units must exist and nest; the recorded pre-2025 units must exist and nest.
fn check_units(
    units: &mut dyn UnitLookup,
    fields: &Fields,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    checks::current_province(units, errors, "province_code", &fields.province_code)?;
    checks::commune_in_province(
        units,
        errors,
        "commune_code",
        &fields.commune_code,
        &fields.province_code,
    )?;
    if let Some(code) = &fields.recorded_province_code_pre2025
        && !units.has_province_pre2025(code)?
    {
        errors.push(error(
            "recorded_province_code_pre2025",
            "unknown_province",
            format!("Không có tỉnh mã {code} trước 01/07/2025."),
            format!("No province had code {code} before 1 July 2025."),
        ));
    }
    if let Some(code) = &fields.recorded_district_code_pre2025 {
        checks::district_in_recorded_province(
            units,
            errors,
            "recorded_district_code_pre2025",
            code,
            fields.recorded_province_code_pre2025.as_deref(),
        )?;
    }
    Ok(())
}

/// 422 with every broken rule, or Ok.
pub fn ensure_valid(conn: &mut DbConn, fields: &Fields) -> Result<(), ApiError> {
    let errors = validate(conn, fields)?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

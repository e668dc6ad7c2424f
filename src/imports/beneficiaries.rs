//! Importing establishments: each row becomes the [`Fields`] of `POST /api/v1/beneficiaries` and
//! is checked by the same [`validate`]; identifiers must be free in the registry and appear once
//! in the file; province staff import only their province's rows. The valid rows are written by
//! binary `COPY` on PostgreSQL and multi-row `INSERT`s on SQLite, inside the caller's transaction.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::columns::{BENEFICIARIES, Cell, Column};
use super::report::{Findings, Problem};
use super::sheet::{Row, Sheet};
use crate::api::beneficiaries::fields::{Fields, validate};
use crate::api::checks::error;
use crate::auth::principal::Territory;
use crate::db::DbConn;
use crate::db::schema::{beneficiaries, beneficiary_personal_data};
use crate::domain::beneficiaries::BeneficiaryStatus;
use crate::error::{ApiError, FieldError};
use crate::models::admin_units::UnitBook;
use crate::models::now;
use crate::seed::rows;

/// Rows per `COPY` (PostgreSQL) and the largest multi-row `INSERT` SQLite's parameter limit allows.
const COPY_ROWS: usize = 10_000;
const SQLITE_ROWS: usize = 32_000 / 33;
/// Identifiers looked up in the registry per query.
const LOOKUP_CHUNK: usize = 500;

/// A checked file: what was found, and the rows ready to write when nothing was wrong.
pub struct Checked {
    pub findings: Findings,
    pub records: Vec<Fields>,
}

/// Checks every row of `sheet`; `done` is told how many rows have been checked so far.
pub fn check(
    conn: &mut DbConn,
    sheet: &Sheet,
    territory: &Territory,
    done: &dyn Fn(u64),
) -> Result<Checked, ApiError> {
    let mut units = UnitBook::load(conn)?;
    let mut problems: Vec<Problem> = Vec::new();
    let mut records: Vec<(u32, Fields)> = Vec::with_capacity(sheet.rows.len());
    let mut invalid_rows = std::collections::BTreeSet::new();
    let mut first_row_of: HashMap<(&'static str, String), u32> = HashMap::new();
    for (index, row) in sheet.rows.iter().enumerate() {
        let (fields, mut errors) = parse(sheet, row);
        errors.extend(validate(&mut units, &fields)?);
        if !matches!(territory, Territory::National) && !covers(territory, &fields.province_code) {
            errors.push(error(
                "province_code",
                "outside_territory",
                "Cán bộ cấp tỉnh chỉ nhập cơ sở trong tỉnh của mình.",
                "Province staff import establishments of their own province only.",
            ));
        }
        if let Some(value) = &fields.identifier_value {
            let key = (fields.identifier_type.as_str(), value.clone());
            match first_row_of.get(&key) {
                Some(first) => errors.push(error(
                    "identifier_value",
                    "duplicate_in_file",
                    format!("Mã định danh {value} đã có ở dòng {first} của tệp."),
                    format!("Identifier {value} is already on row {first} of the file."),
                )),
                None => {
                    first_row_of.insert(key, row.number);
                }
            }
        }
        if !errors.is_empty() {
            invalid_rows.insert(row.number);
        }
        problems.extend(errors.into_iter().map(|e| Problem::of_field(row.number, e)));
        records.push((row.number, fields));
        if index % 1_000 == 999 {
            done(index as u64 + 1);
        }
    }
    for (number, problem) in held_in_registry(conn, &records, territory)? {
        invalid_rows.insert(number);
        problems.push(problem);
    }
    problems.sort_by_key(|p| p.row);
    done(sheet.rows.len() as u64);
    let rows_read = sheet.rows.len() as u64;
    Ok(Checked {
        findings: Findings {
            rows_read,
            rows_valid: rows_read - invalid_rows.len() as u64,
            problems_total: problems.len() as u64,
            problems,
        },
        records: records.into_iter().map(|(_, fields)| fields).collect(),
    })
}

fn covers(territory: &Territory, province_code: &str) -> bool {
    match territory {
        Territory::National => true,
        Territory::Province(own) => own == province_code,
        Territory::Commune(_) | Territory::OwnOnly => false,
    }
}

/// Rows whose identifier the registry already holds. A record outside the importer's territory
/// is not named (as in the API).
fn held_in_registry(
    conn: &mut DbConn,
    records: &[(u32, Fields)],
    territory: &Territory,
) -> Result<Vec<(u32, Problem)>, ApiError> {
    let wanted: Vec<&(u32, Fields)> = records
        .iter()
        .filter(|(_, f)| f.identifier_value.is_some())
        .collect();
    let mut held = Vec::new();
    for chunk in wanted.chunks(LOOKUP_CHUNK) {
        let values: Vec<&str> = chunk
            .iter()
            .filter_map(|(_, f)| f.identifier_value.as_deref())
            .collect();
        let found: Vec<(i64, String, Option<String>, String)> = beneficiaries::table
            .filter(beneficiaries::identifier_value.eq_any(&values))
            .select((
                beneficiaries::id,
                beneficiaries::identifier_type,
                beneficiaries::identifier_value,
                beneficiaries::province_code,
            ))
            .load(conn)?;
        for (number, fields) in chunk {
            let existing = found.iter().find(|(_, kind, value, _)| {
                kind == fields.identifier_type.as_str()
                    && value.as_deref() == fields.identifier_value.as_deref()
            });
            if let Some((id, _, value, province)) = existing {
                let value = value.as_deref().unwrap_or_default();
                let problem = if covers(territory, province) {
                    error(
                        "identifier_value",
                        "duplicate_identifier",
                        format!("Đã có cơ sở mang mã {value} (id {id})."),
                        format!("An establishment with identifier {value} exists (id {id})."),
                    )
                } else {
                    error(
                        "identifier_value",
                        "duplicate_identifier",
                        "Mã định danh này đã được đăng ký trong sổ.",
                        "This identifier is already registered.",
                    )
                };
                held.push((*number, Problem::of_field(*number, problem)));
            }
        }
    }
    Ok(held)
}

/// The row as the fields of a new establishment; cells that are not of their column's kind are
/// errors (the field keeps its default so that the other rules still run).
fn parse(sheet: &Sheet, row: &Row) -> (Fields, Vec<FieldError>) {
    let mut errors = Vec::new();
    let text = |code: &str| row.get(sheet, code).map(str::to_owned);
    let mut code = |column: &str| -> Option<&'static str> {
        let value = row.get(sheet, column)?;
        let spec = column_spec(column);
        let Cell::Code(values) = spec.cell else {
            return None;
        };
        let values = values();
        match values.iter().find(|(code, label)| {
            code.eq_ignore_ascii_case(value) || label.to_lowercase() == value.to_lowercase()
        }) {
            Some((code, _)) => Some(code),
            None => {
                let codes: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
                errors.push(error(
                    column,
                    "invalid_value",
                    format!("\"{value}\" không phải một trong: {}.", codes.join(", ")),
                    format!("\"{value}\" is not one of: {}.", codes.join(", ")),
                ));
                None
            }
        }
    };
    let legal_form = code("legal_form").and_then(|c| c.parse().ok());
    let identifier_type = code("identifier_type").and_then(|c| c.parse().ok());
    let size_class = code("size_class").and_then(|c| c.parse().ok());
    let mut integer = |column: &str| -> Option<i64> {
        let value = row.get(sheet, column)?;
        match value.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(error(
                    column,
                    "invalid_value",
                    format!("\"{value}\" không phải số nguyên."),
                    format!("\"{value}\" is not a whole number."),
                ));
                None
            }
        }
    };
    let employees = integer("employees");
    let founding_year = integer("founding_year");
    let mut boolean = |column: &str| -> bool {
        let Some(value) = row.get(sheet, column) else {
            return false;
        };
        match value.to_lowercase().as_str() {
            "true" | "1" | "x" | "có" | "co" | "yes" => true,
            "false" | "0" | "không" | "khong" | "no" => false,
            _ => {
                errors.push(error(
                    column,
                    "invalid_value",
                    format!("\"{value}\" không phải true/false (có/không)."),
                    format!("\"{value}\" is not true/false."),
                ));
                false
            }
        }
    };
    let in_craft_village = boolean("in_craft_village");
    let women_owned = boolean("women_owned");
    let ethnic_minority_owned = boolean("ethnic_minority_owned");
    let disadvantaged_area = boolean("disadvantaged_area");
    for (column, value) in [
        ("legal_form", legal_form.is_some()),
        ("identifier_type", identifier_type.is_some()),
    ] {
        if !value && row.get(sheet, column).is_none() {
            errors.push(required(column));
        }
    }
    for column in ["name", "province_code", "commune_code"] {
        if row.get(sheet, column).is_none() {
            errors.push(required(column));
        }
    }
    let fields = Fields {
        name: text("name").unwrap_or_default(),
        legal_form: legal_form.unwrap_or(crate::domain::beneficiaries::LegalForm::Enterprise),
        identifier_type: identifier_type.unwrap_or(crate::domain::identifiers::IdentifierType::TaxCode),
        identifier_value: text("identifier_value"),
        representative_name: text("representative_name"),
        representative_phone: text("representative_phone"),
        representative_national_id: text("representative_national_id"),
        household_owner_name: text("household_owner_name"),
        address_line: text("address_line"),
        province_code: text("province_code").unwrap_or_default(),
        commune_code: text("commune_code").unwrap_or_default(),
        recorded_province_code_pre2025: text("recorded_province_code_pre2025"),
        recorded_district_code_pre2025: text("recorded_district_code_pre2025"),
        main_sector_vsic: text("main_sector_vsic"),
        size_class,
        employees,
        founding_year,
        in_craft_village,
        craft_village_name: text("craft_village_name"),
        women_owned,
        ethnic_minority_owned,
        disadvantaged_area,
        phone: text("phone"),
        email: text("email"),
        website: text("website"),
        status: BeneficiaryStatus::Active,
    }
    .normalized();
    (fields, errors)
}

fn column_spec(code: &str) -> &'static Column {
    BENEFICIARIES
        .iter()
        .find(|c| c.code == code)
        .expect("a column of the establishment template")
}

fn required(column: &str) -> FieldError {
    error(
        column,
        "required",
        format!("Cột {column} bắt buộc có giá trị."),
        format!("Column {column} must have a value."),
    )
}

#[derive(QueryableByName)]
struct NextId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// `count` new establishment ids. PostgreSQL takes them from the table's sequence (so records
/// created through the API meanwhile keep theirs); SQLite has one writer, which is this
/// transaction, and continues after the largest id it ever gave.
fn allocate_ids(conn: &mut DbConn, count: usize) -> Result<Vec<i64>, ApiError> {
    match conn {
        DbConn::Pg(c) => Ok(diesel::sql_query(
            "SELECT nextval(pg_get_serial_sequence('beneficiaries', 'id')) AS id FROM generate_series(1, $1)",
        )
        .bind::<BigInt, _>(count as i64)
        .load::<NextId>(c)?
        .into_iter()
        .map(|n| n.id)
        .collect()),
        DbConn::Sqlite(c) => {
            let last = diesel::sql_query(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'beneficiaries'), 0), \
                 COALESCE((SELECT MAX(id) FROM beneficiaries), 0)) AS id",
            )
            .get_result::<NextId>(c)?
            .id;
            Ok((last + 1..=last + count as i64).collect())
        }
    }
}

/// Writes the establishments and their personal data; their ids, in the file's order.
pub fn write(conn: &mut DbConn, records: &[Fields], done: &dyn Fn(u64)) -> Result<Vec<i64>, ApiError> {
    let ids = allocate_ids(conn, records.len())?;
    let created_at = now();
    let establishments: Vec<rows::Beneficiary> = records
        .iter()
        .zip(&ids)
        .map(|(fields, id)| fields.to_row(*id, 1, created_at, None).into())
        .collect();
    let personal: Vec<rows::PersonalData> = records
        .iter()
        .zip(&ids)
        .map(|(fields, id)| fields.to_personal(*id))
        .filter(|p| !p.is_empty())
        .map(Into::into)
        .collect();
    let mut written = 0u64;
    match conn {
        DbConn::Pg(c) => {
            for chunk in establishments.chunks(COPY_ROWS) {
                diesel::copy_from(beneficiaries::table)
                    .from_insertable(chunk)
                    .execute(c)?;
                written += chunk.len() as u64;
                done(written);
            }
            for chunk in personal.chunks(COPY_ROWS) {
                diesel::copy_from(beneficiary_personal_data::table)
                    .from_insertable(chunk)
                    .execute(c)?;
            }
        }
        DbConn::Sqlite(c) => {
            for chunk in establishments.chunks(SQLITE_ROWS) {
                diesel::insert_into(beneficiaries::table)
                    .values(chunk)
                    .execute(c)?;
                written += chunk.len() as u64;
                done(written);
            }
            for chunk in personal.chunks(SQLITE_ROWS) {
                diesel::insert_into(beneficiary_personal_data::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok(ids)
}

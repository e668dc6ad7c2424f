//! Importing establishments: each row becomes the [`Fields`] of `POST /api/v1/beneficiaries` and
//! is checked by the same [`validate`]; identifiers must be free in the registry and appear once
//! in the file; province staff import only their province's rows. The valid rows are written by
//! binary `COPY` on PostgreSQL and multi-row `INSERT`s on SQLite, inside the caller's transaction.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::cells::{Cells, FirstRows};
use super::columns::BENEFICIARIES;
use super::report::{Findings, Problem};
use super::sheet::{Row, Sheet};
use crate::api::beneficiaries::fields::{Fields, validate};
use crate::api::checks::error;
use crate::auth::{Owner, Principal};
use crate::db::DbConn;
use crate::db::schema::{beneficiaries, beneficiary_personal_data};
use crate::domain::beneficiaries::{BeneficiaryStatus, LegalForm};
use crate::domain::identifiers::IdentifierType;
use crate::error::ApiError;
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
    principal: &Principal,
    done: &dyn Fn(u64),
) -> Result<Checked, ApiError> {
    let mut units = UnitBook::load(conn)?;
    let mut problems: Vec<Problem> = Vec::new();
    let mut records: Vec<(u32, Fields)> = Vec::with_capacity(sheet.rows.len());
    let mut invalid_rows = std::collections::BTreeSet::new();
    let mut first_rows = FirstRows::default();
    for (index, row) in sheet.rows.iter().enumerate() {
        let (fields, mut cells) = parse(sheet, row);
        cells.add_checks(validate(&mut units, &fields)?);
        let mut errors = cells.errors;
        if !principal.sees(owner_of(&fields)) {
            errors.push(error(
                "province_code",
                "outside_territory",
                "Cán bộ cấp tỉnh chỉ nhập cơ sở trong tỉnh của mình.",
                "Province staff import establishments of their own province only.",
            ));
        }
        if let Some(value) = &fields.identifier_value {
            let key = (fields.identifier_type.as_str(), value.clone());
            let what = ("Mã định danh", "Identifier");
            errors.extend(first_rows.see(key, row.number, "identifier_value", what, value));
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
    for (number, problem) in held_in_registry(conn, &records, principal)? {
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

/// Where an establishment of `fields` would lie, for the importer's territory.
fn owner_of(fields: &Fields) -> Owner<'_> {
    Owner {
        province_code: Some(&fields.province_code),
        commune_code: Some(&fields.commune_code),
    }
}

/// A record holding an identifier, and where it lies.
#[derive(Queryable, Selectable)]
#[diesel(table_name = beneficiaries)]
struct Holder {
    id: i64,
    identifier_type: String,
    identifier_value: Option<String>,
    province_code: String,
    commune_code: Option<String>,
}

/// Rows whose identifier the registry already holds. A record outside the importer's territory
/// is not named (as in the API).
fn held_in_registry(
    conn: &mut DbConn,
    records: &[(u32, Fields)],
    principal: &Principal,
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
        let found: Vec<Holder> = beneficiaries::table
            .filter(beneficiaries::identifier_value.eq_any(&values))
            .select(Holder::as_select())
            .load(conn)?;
        for (number, fields) in chunk {
            let existing = found.iter().find(|h| {
                h.identifier_type == fields.identifier_type.as_str()
                    && h.identifier_value.as_deref() == fields.identifier_value.as_deref()
            });
            if let Some(holder) = existing {
                let (id, value) = (holder.id, holder.identifier_value.as_deref().unwrap_or_default());
                let problem = if principal.sees(Owner {
                    province_code: Some(&holder.province_code),
                    commune_code: holder.commune_code.as_deref(),
                }) {
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
/// errors (the field keeps a default so that the other rules still run).
fn parse<'a>(sheet: &'a Sheet, row: &'a Row) -> (Fields, Cells<'a>) {
    let mut cells = Cells::new(sheet, row, BENEFICIARIES);
    cells.require_all();
    let fields = Fields {
        name: cells.text("name").unwrap_or_default(),
        legal_form: cells.code("legal_form").unwrap_or(LegalForm::Enterprise),
        identifier_type: cells.code("identifier_type").unwrap_or(IdentifierType::TaxCode),
        identifier_value: cells.text("identifier_value"),
        representative_name: cells.text("representative_name"),
        representative_phone: cells.text("representative_phone"),
        representative_national_id: cells.text("representative_national_id"),
        household_owner_name: cells.text("household_owner_name"),
        address_line: cells.text("address_line"),
        province_code: cells.text("province_code").unwrap_or_default(),
        commune_code: cells.text("commune_code").unwrap_or_default(),
        recorded_province_code_pre2025: cells.text("recorded_province_code_pre2025"),
        recorded_district_code_pre2025: cells.text("recorded_district_code_pre2025"),
        main_sector_vsic: cells.text("main_sector_vsic"),
        size_class: cells.code("size_class"),
        employees: cells.integer("employees"),
        founding_year: cells.integer("founding_year"),
        in_craft_village: cells.boolean("in_craft_village"),
        craft_village_name: cells.text("craft_village_name"),
        women_owned: cells.boolean("women_owned"),
        ethnic_minority_owned: cells.boolean("ethnic_minority_owned"),
        disadvantaged_area: cells.boolean("disadvantaged_area"),
        phone: cells.text("phone"),
        email: cells.text("email"),
        website: cells.text("website"),
        status: BeneficiaryStatus::Active,
    }
    .normalized();
    (fields, cells)
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

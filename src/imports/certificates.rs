//! Importing certificates of earlier selection rounds (legacy certificates): their original
//! numbers, the level and year of the round, the recognition decision, and the commune, district or
//! province codes of their time. Each row is checked as `POST /api/v1/certificates` checks a legacy
//! certificate ([`legacy_row`]). The product is named by its producer's identifier and its name:
//! a product the producer already has is reused, another is registered with the certificate (as
//! `POST /api/v1/products` would, same checks).

use std::collections::HashMap;

use diesel::prelude::*;

use super::Importer;
use super::cells::{Cells, FirstRows};
use super::columns::{Cell, Column, codes, column};
use super::report::{Findings, Problem};
use super::sheet::{Row, Sheet};
use crate::api::beneficiaries::owner;
use crate::api::certification::certificates::{LegacyCertificateRequest, legacy_row};
use crate::api::certification::products::{
    Fields as ProductFields, apply as apply_product, new_row as new_product_row,
};
use crate::api::checks::error;
use crate::db::DbConn;
use crate::db::schema::{beneficiaries, products};
use crate::domain::admin_units::{Era, Region};
use crate::domain::certification::{ProductGroup, SelectionLevel};
use crate::domain::search::search_key;
use crate::error::{ApiError, FieldError};
use crate::models::beneficiaries::BeneficiaryRow;
use crate::models::certification::{self as model, CertificateRow, ProductRow};
use crate::models::now;

pub const COLUMNS: &[Column] = &[
    column(
        "number",
        "Số giấy chứng nhận",
        true,
        Cell::Text,
        "125-QD-UBND-2019-07",
        "Số gốc; viết dấu / thành -.",
    ),
    column(
        "level",
        "Cấp bình chọn",
        true,
        Cell::Code(codes::<SelectionLevel>),
        "province",
        "",
    ),
    column("year", "Năm bình chọn", true, Cell::Integer, "2019", ""),
    column(
        "decision_number",
        "Số quyết định công nhận",
        true,
        Cell::Text,
        "125/QĐ-UBND",
        "",
    ),
    column(
        "issued_on",
        "Ngày cấp",
        true,
        Cell::Date,
        "2019-08-15",
        "Trong năm bình chọn hoặc năm sau.",
    ),
    column(
        "era",
        "Thời kỳ của mã địa bàn",
        false,
        Cell::Code(codes::<Era>),
        "pre2025",
        "Mặc định: pre2025 với giấy cấp trước 01/07/2025.",
    ),
    column(
        "commune_code",
        "Mã xã (cấp xã)",
        false,
        Cell::Text,
        "",
        "Bình chọn cấp xã: mã xã của thời kỳ trên.",
    ),
    column(
        "district_code",
        "Mã huyện (cấp huyện)",
        false,
        Cell::Text,
        "",
        "Bình chọn cấp huyện: mã huyện trước 2025.",
    ),
    column(
        "province_code",
        "Mã tỉnh (cấp tỉnh)",
        false,
        Cell::Text,
        "01",
        "Bình chọn cấp tỉnh: mã tỉnh của thời kỳ trên.",
    ),
    column(
        "region_code",
        "Khu vực (cấp khu vực)",
        false,
        Cell::Code(codes::<Region>),
        "",
        "",
    ),
    column(
        "beneficiary_identifier",
        "Mã định danh cơ sở sản xuất",
        true,
        Cell::Text,
        "0100109106",
        "Mã số thuế, mã HTX hoặc số đăng ký hộ kinh doanh của cơ sở đã có trong sổ.",
    ),
    column(
        "product_name",
        "Tên sản phẩm",
        true,
        Cell::Text,
        "Bộ bàn ghế mây tre đan",
        "Sản phẩm chưa có của cơ sở được đăng ký cùng giấy chứng nhận.",
    ),
    column(
        "product_group",
        "Nhóm sản phẩm",
        true,
        Cell::Code(codes::<ProductGroup>),
        "handicraft",
        "",
    ),
];

/// A certificate checked and ready to write, with its product (new ones have id 0).
#[derive(Debug, Clone)]
pub struct Record {
    pub certificate: CertificateRow,
    pub product: ProductRow,
}

pub struct Checked {
    pub findings: Findings,
    pub records: Vec<Record>,
}

/// What a row says, as the API would take it.
struct Parsed {
    request: LegacyCertificateRequest,
    product_name: Option<String>,
    product_group: Option<ProductGroup>,
}

fn parse(cells: &mut Cells) -> Option<Parsed> {
    cells.require_all();
    let level = cells.code::<SelectionLevel>("level");
    let era = cells.code::<Era>("era");
    let region_code = cells.code::<Region>("region_code");
    let product_group = cells.code::<ProductGroup>("product_group");
    let year = cells.integer("year");
    let issued_on = cells.date("issued_on");
    Some(Parsed {
        request: LegacyCertificateRequest {
            number: cells.text("number")?,
            level: level?,
            year: year?,
            product_id: 0,
            decision_number: cells.text("decision_number")?,
            issued_on: issued_on?,
            era,
            commune_code: cells.text("commune_code"),
            district_code: cells.text("district_code"),
            province_code: cells.text("province_code"),
            region_code,
        },
        product_name: cells.text("product_name"),
        product_group,
    })
}

/// The establishment an identifier names, if the importer may see it.
fn producer(
    conn: &mut DbConn,
    importer: &Importer,
    identifier: &str,
) -> Result<Option<BeneficiaryRow>, ApiError> {
    let compact = crate::domain::identifiers::compact(identifier);
    let found: Option<BeneficiaryRow> = beneficiaries::table
        .filter(beneficiaries::identifier_value.eq(&compact))
        .select(BeneficiaryRow::as_select())
        .first(conn)
        .optional()?;
    Ok(found.filter(|b| importer.principal.sees(owner(b))))
}

/// The producer's product of that name (case, accents and spacing ignored), or a new one.
fn product(
    conn: &mut DbConn,
    producer: &BeneficiaryRow,
    name: &str,
    group: ProductGroup,
) -> Result<Result<ProductRow, Vec<FieldError>>, ApiError> {
    let key = search_key(name);
    let existing: Vec<ProductRow> = products::table
        .filter(products::beneficiary_id.eq(producer.id))
        .select(ProductRow::as_select())
        .load(conn)?;
    if let Some(found) = existing.into_iter().find(|p| search_key(&p.name) == key) {
        return Ok(Ok(found));
    }
    let mut row = new_product_row(producer.id, now());
    let fields = ProductFields {
        name: name.to_owned(),
        product_group: group,
        is_set: false,
        description: None,
        quality_standards: Vec::new(),
        awards: Vec::new(),
        photos: Vec::new(),
    };
    match apply_product(&mut row, fields) {
        Ok(()) => Ok(Ok(row)),
        Err(refused) if refused.status.is_client_error() => Ok(Err(refused
            .errors
            .iter()
            .map(|e| FieldError::new(format!("product_{}", e.field), e.code, e.message.clone()))
            .collect())),
        Err(failed) => Err(failed),
    }
}

/// A refusal of the legacy-certificate checks as the row's problems (a database failure stays an
/// error). The API's `product_id` is the file's producer and product.
fn refusal_problems(refused: ApiError) -> Result<Vec<FieldError>, ApiError> {
    if !refused.status.is_client_error() {
        return Err(refused);
    }
    let column = |field: &str| match field {
        "product_id" => "beneficiary_identifier".to_owned(),
        other => other.to_owned(),
    };
    if refused.errors.is_empty() {
        let field = match refused.code {
            "duplicate_number" => "number",
            _ => "level",
        };
        return Ok(vec![FieldError::new(field, refused.code, refused.detail.clone())]);
    }
    Ok(refused
        .errors
        .iter()
        .map(|e| FieldError::new(column(&e.field), e.code, e.message.clone()))
        .collect())
}

pub fn check(
    conn: &mut DbConn,
    sheet: &Sheet,
    importer: &Importer,
    done: &dyn Fn(u64),
) -> Result<Checked, ApiError> {
    let mut problems = Vec::new();
    let mut records = Vec::new();
    let mut invalid = 0u64;
    let mut first_rows = FirstRows::default();
    for (index, row) in sheet.rows.iter().enumerate() {
        let mut errors = Vec::new();
        let record = check_row(conn, sheet, row, importer, &mut errors)?;
        if let Some(number) = row.get(sheet, "number") {
            let what = ("Số giấy chứng nhận", "Certificate number");
            errors.extend(first_rows.see(number.to_owned(), row.number, "number", what, number));
        }
        match record {
            Some(record) if errors.is_empty() => records.push(record),
            _ => invalid += 1,
        }
        problems.extend(errors.into_iter().map(|e| Problem::of_field(row.number, e)));
        done(index as u64 + 1);
    }
    let rows_read = sheet.rows.len() as u64;
    Ok(Checked {
        findings: Findings {
            rows_read,
            rows_valid: rows_read - invalid,
            problems_total: problems.len() as u64,
            problems,
        },
        records,
    })
}

fn check_row(
    conn: &mut DbConn,
    sheet: &Sheet,
    row: &Row,
    importer: &Importer,
    errors: &mut Vec<FieldError>,
) -> Result<Option<Record>, ApiError> {
    let mut cells = Cells::new(sheet, row, COLUMNS);
    let parsed = parse(&mut cells);
    errors.append(&mut cells.errors);
    let producer = match row.get(sheet, "beneficiary_identifier") {
        Some(identifier) => {
            let found = producer(conn, importer, identifier)?;
            if found.is_none() {
                errors.push(error(
                    "beneficiary_identifier",
                    "unknown_beneficiary",
                    format!("Không có cơ sở mang mã {identifier} (trong phạm vi của bạn)."),
                    format!("No establishment has identifier {identifier} (within your territory)."),
                ));
            }
            found
        }
        None => None,
    };
    let (Some(parsed), Some(producer)) = (parsed, producer) else {
        return Ok(None);
    };
    let (Some(name), Some(group)) = (parsed.product_name.as_deref(), parsed.product_group) else {
        return Ok(None);
    };
    let product = match product(conn, &producer, name, group)? {
        Ok(product) => product,
        Err(problems) => {
            errors.extend(problems);
            return Ok(None);
        }
    };
    let mut request = parsed.request;
    request.product_id = product.id;
    match legacy_row(
        conn,
        &importer.principal,
        &request,
        Some(&producer),
        importer.certificate_validity_years,
    ) {
        Ok(certificate) => Ok(Some(Record { certificate, product })),
        Err(refused) => {
            errors.extend(refusal_problems(refused)?);
            Ok(None)
        }
    }
}

/// Writes the new products and the certificates; the certificates' ids.
pub fn write(
    conn: &mut DbConn,
    _importer: &Importer,
    records: &[Record],
    done: &dyn Fn(u64),
) -> Result<Vec<i64>, ApiError> {
    // Several rows may name the same new product: it is registered once.
    let mut created: HashMap<(i64, String), i64> = HashMap::new();
    let mut ids = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let product_id = if record.product.id != 0 {
            record.product.id
        } else {
            let key = (record.product.beneficiary_id, search_key(&record.product.name));
            match created.get(&key) {
                Some(id) => *id,
                None => {
                    let id = model::insert_product(conn, &record.product)?.id;
                    created.insert(key, id);
                    id
                }
            }
        };
        let certificate = CertificateRow {
            product_id,
            ..record.certificate.clone()
        };
        ids.push(model::insert_certificate(conn, &certificate)?.id);
        done(index as u64 + 1);
    }
    Ok(ids)
}

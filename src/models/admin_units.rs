//! Administrative units: the reference files shipped in the binary, their loading, and the lookups
//! every other resource uses to check a code.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::db::DbConn;
use crate::db::schema::{
    communes_2025, districts_pre2025, provinces_2025, provinces_pre2025, reference_data_versions,
};
use crate::domain::search::search_key;
use crate::each_backend;
use crate::error::ApiError;

const PROVINCES_2025: &str = include_str!("../../data/admin-units/provinces_2025.csv");
const PROVINCES_PRE2025: &str = include_str!("../../data/admin-units/provinces_pre2025.csv");
const COMMUNES_2025: &str = include_str!("../../data/admin-units/communes_2025.csv");
const DISTRICTS_PRE2025: &str = include_str!("../../data/admin-units/districts_pre2025.csv");

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = provinces_2025)]
pub struct Province2025 {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub unit_type: String,
    pub name_en: String,
    pub region: String,
    pub region_mixed: bool,
    pub search_key: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = provinces_pre2025)]
pub struct ProvincePre2025 {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub unit_type: String,
    pub name_en: String,
    pub region: String,
    pub successor_code: String,
    pub search_key: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = communes_2025)]
pub struct Commune {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub unit_type: String,
    pub province_code: String,
    pub name_en: String,
    pub search_key: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = districts_pre2025)]
pub struct District {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub unit_type: String,
    pub province_code: String,
    pub successor_province_code: String,
    pub name_en: String,
    pub in_force_2025_06_30: bool,
    pub search_key: String,
}

/// CSV rows as the reference files spell them.
mod csv_rows {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Province2025 {
        pub code: String,
        pub name: String,
        pub full_name: String,
        #[serde(rename = "type")]
        pub unit_type: String,
        pub name_en: String,
        pub region: String,
        pub region_mixed: bool,
    }

    #[derive(Deserialize)]
    pub struct ProvincePre2025 {
        pub code: String,
        pub name: String,
        pub full_name: String,
        #[serde(rename = "type")]
        pub unit_type: String,
        pub name_en: String,
        pub region: String,
        pub successor_code: String,
    }

    #[derive(Deserialize)]
    pub struct Commune {
        pub code: String,
        pub name: String,
        pub full_name: String,
        #[serde(rename = "type")]
        pub unit_type: String,
        pub province_code: String,
        pub name_en: String,
    }

    #[derive(Deserialize)]
    pub struct District {
        pub code: String,
        pub name: String,
        pub full_name: String,
        #[serde(rename = "type")]
        pub unit_type: String,
        pub province_code: String,
        pub successor_province_code: String,
        pub name_en: String,
        pub in_force_2025_06_30: bool,
    }
}

fn parse_csv<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> Result<Vec<T>, ApiError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| ApiError::internal(format!("reference file {name} is malformed: {e}")))
}

/// Rows per multi-row INSERT: far below SQLite's bound-parameter limit with 9 columns.
const CHUNK: usize = 400;

/// Inserts a reference table's rows, or upserts them when the table already has data (a newer
/// file). Rows that disappear from a file are kept: records may still point at them.
macro_rules! upsert_all {
    ($conn:expr, $table:ident, $rows:expr) => {{
        let rows = $rows;
        let empty = $table::table.count().get_result::<i64>($conn)? == 0;
        each_backend!($conn, |c| {
            if empty {
                for chunk in rows.chunks(CHUNK) {
                    diesel::insert_into($table::table).values(chunk).execute(c)?;
                }
            } else {
                for row in &rows {
                    diesel::insert_into($table::table)
                        .values(row)
                        .on_conflict($table::code)
                        .do_update()
                        .set(row)
                        .execute(c)?;
                }
            }
        });
    }};
}

/// Loads each reference file whose checksum differs from the one recorded, in one transaction.
pub fn load_reference_data(conn: &mut DbConn) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        if let Some(text) = changed(conn, "provinces_2025", PROVINCES_2025)? {
            let rows: Vec<Province2025> = parse_csv::<csv_rows::Province2025>("provinces_2025", text)?
                .into_iter()
                .map(|r| Province2025 {
                    search_key: search_key(&r.name),
                    code: r.code,
                    name: r.name,
                    full_name: r.full_name,
                    unit_type: r.unit_type,
                    name_en: r.name_en,
                    region: r.region,
                    region_mixed: r.region_mixed,
                })
                .collect();
            upsert_all!(conn, provinces_2025, rows);
        }
        if let Some(text) = changed(conn, "provinces_pre2025", PROVINCES_PRE2025)? {
            let rows: Vec<ProvincePre2025> =
                parse_csv::<csv_rows::ProvincePre2025>("provinces_pre2025", text)?
                    .into_iter()
                    .map(|r| ProvincePre2025 {
                        search_key: search_key(&r.name),
                        code: r.code,
                        name: r.name,
                        full_name: r.full_name,
                        unit_type: r.unit_type,
                        name_en: r.name_en,
                        region: r.region,
                        successor_code: r.successor_code,
                    })
                    .collect();
            upsert_all!(conn, provinces_pre2025, rows);
        }
        if let Some(text) = changed(conn, "communes_2025", COMMUNES_2025)? {
            let rows: Vec<Commune> = parse_csv::<csv_rows::Commune>("communes_2025", text)?
                .into_iter()
                .map(|r| Commune {
                    search_key: search_key(&r.name),
                    code: r.code,
                    name: r.name,
                    full_name: r.full_name,
                    unit_type: r.unit_type,
                    province_code: r.province_code,
                    name_en: r.name_en,
                })
                .collect();
            upsert_all!(conn, communes_2025, rows);
        }
        if let Some(text) = changed(conn, "districts_pre2025", DISTRICTS_PRE2025)? {
            let rows: Vec<District> = parse_csv::<csv_rows::District>("districts_pre2025", text)?
                .into_iter()
                .map(|r| District {
                    search_key: search_key(&r.name),
                    code: r.code,
                    name: r.name,
                    full_name: r.full_name,
                    unit_type: r.unit_type,
                    province_code: r.province_code,
                    successor_province_code: r.successor_province_code,
                    name_en: r.name_en,
                    in_force_2025_06_30: r.in_force_2025_06_30,
                })
                .collect();
            upsert_all!(conn, districts_pre2025, rows);
        }
        Ok(())
    })
}

/// The file's text if its checksum is not the one recorded (and records the new one).
fn changed<'t>(conn: &mut DbConn, name: &str, text: &'t str) -> Result<Option<&'t str>, ApiError> {
    let checksum = format!("{:x}", Sha256::digest(text.as_bytes()));
    let recorded: Option<String> = reference_data_versions::table
        .find(name)
        .select(reference_data_versions::checksum)
        .first(conn)
        .optional()?;
    if recorded.as_deref() == Some(checksum.as_str()) {
        return Ok(None);
    }
    diesel::delete(reference_data_versions::table.find(name)).execute(conn)?;
    diesel::insert_into(reference_data_versions::table)
        .values((
            reference_data_versions::name.eq(name),
            reference_data_versions::checksum.eq(&checksum),
            reference_data_versions::loaded_at.eq(super::now()),
        ))
        .execute(conn)?;
    tracing::info!(file = name, "reference data loaded");
    Ok(Some(text))
}

pub fn find_province_2025(conn: &mut DbConn, code: &str) -> Result<Option<Province2025>, ApiError> {
    Ok(provinces_2025::table
        .find(code)
        .select(Province2025::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_province_pre2025(conn: &mut DbConn, code: &str) -> Result<Option<ProvincePre2025>, ApiError> {
    Ok(provinces_pre2025::table
        .find(code)
        .select(ProvincePre2025::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_commune(conn: &mut DbConn, code: &str) -> Result<Option<Commune>, ApiError> {
    Ok(communes_2025::table
        .find(code)
        .select(Commune::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_district(conn: &mut DbConn, code: &str) -> Result<Option<District>, ApiError> {
    Ok(districts_pre2025::table
        .find(code)
        .select(District::as_select())
        .first(conn)
        .optional()?)
}

pub fn provinces_2025(conn: &mut DbConn) -> Result<Vec<Province2025>, ApiError> {
    Ok(provinces_2025::table
        .order(provinces_2025::code)
        .select(Province2025::as_select())
        .load(conn)?)
}

pub fn provinces_pre2025(conn: &mut DbConn) -> Result<Vec<ProvincePre2025>, ApiError> {
    Ok(provinces_pre2025::table
        .order(provinces_pre2025::code)
        .select(ProvincePre2025::as_select())
        .load(conn)?)
}

/// Old provinces grouped under the current province that succeeded them.
pub fn predecessors_by_successor(
    conn: &mut DbConn,
) -> Result<HashMap<String, Vec<ProvincePre2025>>, ApiError> {
    let mut map: HashMap<String, Vec<ProvincePre2025>> = HashMap::new();
    for old in provinces_pre2025(conn)? {
        map.entry(old.successor_code.clone()).or_default().push(old);
    }
    Ok(map)
}

/// Filters of the commune and district lists.
#[derive(Debug, Default)]
pub struct UnitFilter {
    pub province_code: Option<String>,
    /// A `LIKE` pattern over the search key.
    pub name_pattern: Option<String>,
}

pub fn communes(
    conn: &mut DbConn,
    filter: &UnitFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Commune>, ApiError> {
    let mut query = filtered_communes(filter);
    if let Some(after) = after {
        query = query.filter(communes_2025::code.gt(after.to_owned()));
    }
    Ok(query
        .order(communes_2025::code)
        .limit(limit)
        .select(Commune::as_select())
        .load(conn)?)
}

pub fn count_communes(conn: &mut DbConn, filter: &UnitFilter) -> Result<i64, ApiError> {
    Ok(filtered_communes(filter).count().get_result(conn)?)
}

fn filtered_communes(filter: &UnitFilter) -> communes_2025::BoxedQuery<'static, crate::db::DbBackend> {
    let mut query = communes_2025::table.into_boxed();
    if let Some(province) = &filter.province_code {
        query = query.filter(communes_2025::province_code.eq(province.clone()));
    }
    if let Some(pattern) = &filter.name_pattern {
        query = query.filter(communes_2025::search_key.like(pattern.clone()).escape('\\'));
    }
    query
}

pub fn districts(
    conn: &mut DbConn,
    filter: &UnitFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<District>, ApiError> {
    let mut query = filtered_districts(filter);
    if let Some(after) = after {
        query = query.filter(districts_pre2025::code.gt(after.to_owned()));
    }
    Ok(query
        .order(districts_pre2025::code)
        .limit(limit)
        .select(District::as_select())
        .load(conn)?)
}

pub fn count_districts(conn: &mut DbConn, filter: &UnitFilter) -> Result<i64, ApiError> {
    Ok(filtered_districts(filter).count().get_result(conn)?)
}

fn filtered_districts(filter: &UnitFilter) -> districts_pre2025::BoxedQuery<'static, crate::db::DbBackend> {
    let mut query = districts_pre2025::table.into_boxed();
    if let Some(province) = &filter.province_code {
        query = query.filter(districts_pre2025::province_code.eq(province.clone()));
    }
    if let Some(pattern) = &filter.name_pattern {
        query = query.filter(districts_pre2025::search_key.like(pattern.clone()).escape('\\'));
    }
    query
}

/// Where validation looks administrative units up: the database for a single record, a
/// [`UnitBook`] loaded once for a file of thousands of rows (one query per row would make an
/// import of 100,000 establishments wait on 300,000 round trips).
pub trait UnitLookup {
    fn has_province_2025(&mut self, code: &str) -> Result<bool, ApiError>;
    fn has_province_pre2025(&mut self, code: &str) -> Result<bool, ApiError>;
    /// The current province of a current commune.
    fn province_of_commune(&mut self, code: &str) -> Result<Option<String>, ApiError>;
    /// The pre-2025 province of a pre-2025 district.
    fn province_of_district(&mut self, code: &str) -> Result<Option<String>, ApiError>;
}

impl UnitLookup for DbConn {
    fn has_province_2025(&mut self, code: &str) -> Result<bool, ApiError> {
        Ok(find_province_2025(self, code)?.is_some())
    }

    fn has_province_pre2025(&mut self, code: &str) -> Result<bool, ApiError> {
        Ok(find_province_pre2025(self, code)?.is_some())
    }

    fn province_of_commune(&mut self, code: &str) -> Result<Option<String>, ApiError> {
        Ok(find_commune(self, code)?.map(|c| c.province_code))
    }

    fn province_of_district(&mut self, code: &str) -> Result<Option<String>, ApiError> {
        Ok(find_district(self, code)?.map(|d| d.province_code))
    }
}

/// Every unit code of both eras, held in memory (a few thousand short strings).
#[derive(Debug, Clone, Default)]
pub struct UnitBook {
    provinces_2025: std::collections::HashSet<String>,
    provinces_pre2025: std::collections::HashSet<String>,
    communes: HashMap<String, String>,
    districts: HashMap<String, String>,
}

impl UnitBook {
    pub fn load(conn: &mut DbConn) -> Result<UnitBook, ApiError> {
        Ok(UnitBook {
            provinces_2025: provinces_2025::table
                .select(provinces_2025::code)
                .load::<String>(conn)?
                .into_iter()
                .collect(),
            provinces_pre2025: provinces_pre2025::table
                .select(provinces_pre2025::code)
                .load::<String>(conn)?
                .into_iter()
                .collect(),
            communes: communes_2025::table
                .select((communes_2025::code, communes_2025::province_code))
                .load::<(String, String)>(conn)?
                .into_iter()
                .collect(),
            districts: districts_pre2025::table
                .select((districts_pre2025::code, districts_pre2025::province_code))
                .load::<(String, String)>(conn)?
                .into_iter()
                .collect(),
        })
    }
}

impl UnitLookup for UnitBook {
    fn has_province_2025(&mut self, code: &str) -> Result<bool, ApiError> {
        Ok(self.provinces_2025.contains(code))
    }

    fn has_province_pre2025(&mut self, code: &str) -> Result<bool, ApiError> {
        Ok(self.provinces_pre2025.contains(code))
    }

    fn province_of_commune(&mut self, code: &str) -> Result<Option<String>, ApiError> {
        Ok(self.communes.get(code).cloned())
    }

    fn province_of_district(&mut self, code: &str) -> Result<Option<String>, ApiError> {
        Ok(self.districts.get(code).cloned())
    }
}

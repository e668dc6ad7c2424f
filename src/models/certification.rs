//! Products, selection rounds with their judges, entries and scores, and certificates.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::principal::Territory;
use crate::db::schema::{
    beneficiaries, certificate_number_sequences, certificates, products, selection_entries,
    selection_round_judges, selection_rounds, selection_scores, users,
};
use crate::db::{DbBackend, DbConn};
use crate::error::ApiError;
use crate::models::beneficiaries::BeneficiaryRow;
use crate::models::search::{Searched, TextSearch};

// ---------------------------------------------------------------------------------------------
// Products

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
pub struct ProductRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub beneficiary_id: i64,
    pub name: String,
    pub product_group: String,
    pub is_set: bool,
    pub description: Option<String>,
    pub quality_standards_json: String,
    pub awards_json: String,
    pub photos_json: String,
    pub search_key: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find_product(conn: &mut DbConn, id: i64) -> Result<Option<ProductRow>, ApiError> {
    Ok(products::table
        .find(id)
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_product(conn: &mut DbConn, row: &ProductRow) -> Result<ProductRow, ApiError> {
    Ok(diesel::insert_into(products::table)
        .values(row)
        .returning(products::all_columns)
        .get_result(conn)?)
}

/// Writes `row` if the product is still at `expected_version` (the caller bumps it).
pub fn update_product(
    conn: &mut DbConn,
    row: &ProductRow,
    expected_version: i64,
) -> Result<Option<ProductRow>, ApiError> {
    let target = products::table.filter(
        products::id
            .eq(row.id)
            .and(products::version.eq(expected_version)),
    );
    Ok(diesel::update(target)
        .set(row)
        .returning(products::all_columns)
        .get_result(conn)
        .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct ProductFilter {
    pub beneficiary_id: Option<i64>,
    pub province_code: Option<String>,
    pub product_group: Option<String>,
    /// Words matched anywhere in the product's or its producer's search key.
    pub search: Option<TextSearch>,
}

fn products_filtered(
    filter: &ProductFilter,
    territory: &Territory,
) -> products::BoxedQuery<'static, DbBackend> {
    let mut query = products::table.into_boxed();
    query = match territory {
        Territory::National => query,
        Territory::Province(code) => query.filter(
            products::beneficiary_id.eq_any(
                beneficiaries::table
                    .filter(beneficiaries::province_code.eq(code.clone()))
                    .select(beneficiaries::id),
            ),
        ),
        Territory::Commune(code) => query.filter(
            products::beneficiary_id.eq_any(
                beneficiaries::table
                    .filter(beneficiaries::commune_code.eq(code.clone()))
                    .select(beneficiaries::id),
            ),
        ),
        Territory::OwnOnly => query.filter(products::id.eq(-1)),
    };
    if let Some(v) = filter.beneficiary_id {
        query = query.filter(products::beneficiary_id.eq(v));
    }
    if let Some(v) = &filter.province_code {
        query = query.filter(
            products::beneficiary_id.eq_any(
                beneficiaries::table
                    .select(beneficiaries::id)
                    .filter(beneficiaries::province_code.eq(v.clone())),
            ),
        );
    }
    if let Some(v) = &filter.product_group {
        query = query.filter(products::product_group.eq(v.clone()));
    }
    if let Some(search) = &filter.search {
        query = query.filter(
            search
                .matches(Searched::Products)
                .or(search.references("products.beneficiary_id", Searched::Beneficiaries)),
        );
    }
    query
}

pub fn list_products(
    conn: &mut DbConn,
    filter: &ProductFilter,
    territory: &Territory,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ProductRow>, ApiError> {
    let mut query = products_filtered(filter, territory);
    if let Some(after) = after {
        query = query.filter(products::id.gt(after));
    }
    Ok(query
        .order(products::id)
        .limit(limit)
        .select(ProductRow::as_select())
        .load(conn)?)
}

pub fn count_products(
    conn: &mut DbConn,
    filter: &ProductFilter,
    territory: &Territory,
) -> Result<i64, ApiError> {
    Ok(products_filtered(filter, territory).count().get_result(conn)?)
}

/// The products and producers a page of records names, read in two queries rather than two per
/// record.
#[derive(Debug, Default)]
pub struct ProductIndex {
    products: HashMap<i64, ProductRow>,
    producers: HashMap<i64, BeneficiaryRow>,
}

impl ProductIndex {
    /// Loads `product_ids` and their producers, and the producers in `producer_ids` (a record may
    /// name the producer it had when it was made).
    pub fn load(
        conn: &mut DbConn,
        product_ids: &[i64],
        producer_ids: &[i64],
    ) -> Result<ProductIndex, ApiError> {
        let products: HashMap<i64, ProductRow> = products::table
            .filter(products::id.eq_any(product_ids.to_vec()))
            .select(ProductRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut wanted: Vec<i64> = producer_ids.to_vec();
        wanted.extend(products.values().map(|p| p.beneficiary_id));
        wanted.sort_unstable();
        wanted.dedup();
        let producers = beneficiaries::table
            .filter(beneficiaries::id.eq_any(wanted))
            .select(BeneficiaryRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|b| (b.id, b))
            .collect();
        Ok(ProductIndex { products, producers })
    }

    pub fn product(&self, id: i64) -> Result<&ProductRow, ApiError> {
        self.products
            .get(&id)
            .ok_or_else(|| ApiError::internal(format!("product {id} missing")))
    }

    pub fn producer(&self, id: i64) -> Result<&BeneficiaryRow, ApiError> {
        self.producers
            .get(&id)
            .ok_or_else(|| ApiError::internal(format!("establishment {id} missing")))
    }
}

// ---------------------------------------------------------------------------------------------
// Selection rounds

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = selection_rounds, treat_none_as_null = true)]
pub struct RoundRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub level: String,
    pub year: i64,
    pub era: String,
    pub title: String,
    pub commune_code: Option<String>,
    pub district_code: Option<String>,
    pub province_code: Option<String>,
    pub region_code: Option<String>,
    pub owner_province_code: Option<String>,
    pub decision_number: Option<String>,
    pub decision_date: Option<NaiveDate>,
    pub lower_level_round_not_held: bool,
    pub qualifying_score: i64,
    pub status: String,
    pub recognition_decision_number: Option<String>,
    pub recognition_decision_date: Option<NaiveDate>,
    pub published_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find_round(conn: &mut DbConn, id: i64) -> Result<Option<RoundRow>, ApiError> {
    Ok(selection_rounds::table
        .find(id)
        .select(RoundRow::as_select())
        .first(conn)
        .optional()?)
}

/// Reads a round for a change; on PostgreSQL the row stays locked until the transaction ends, so
/// that entries, scores and steps of one round are taken one after the other.
pub fn lock_round(conn: &mut DbConn, id: i64) -> Result<Option<RoundRow>, ApiError> {
    Ok(match conn {
        DbConn::Pg(c) => selection_rounds::table
            .find(id)
            .select(RoundRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        DbConn::Sqlite(c) => selection_rounds::table
            .find(id)
            .select(RoundRow::as_select())
            .first(c)
            .optional()?,
    })
}

pub fn insert_round(conn: &mut DbConn, row: &RoundRow) -> Result<RoundRow, ApiError> {
    Ok(diesel::insert_into(selection_rounds::table)
        .values(row)
        .returning(selection_rounds::all_columns)
        .get_result(conn)?)
}

pub fn update_round(
    conn: &mut DbConn,
    row: &RoundRow,
    expected_version: i64,
) -> Result<Option<RoundRow>, ApiError> {
    let target = selection_rounds::table.filter(
        selection_rounds::id
            .eq(row.id)
            .and(selection_rounds::version.eq(expected_version)),
    );
    Ok(diesel::update(target)
        .set(row)
        .returning(selection_rounds::all_columns)
        .get_result(conn)
        .optional()?)
}

#[derive(Debug, Clone)]
pub struct RoundFilter {
    pub level: Option<String>,
    pub year: Option<i64>,
    pub status: Option<String>,
    /// The current province a round belongs to.
    pub province_code: Option<String>,
    pub region_code: Option<String>,
    /// The rounds the caller sees (see `api::certification::sees_round`).
    pub territory: Territory,
    pub user_id: i64,
}

fn rounds_filtered(filter: &RoundFilter) -> selection_rounds::BoxedQuery<'static, DbBackend> {
    let mut query = selection_rounds::table.into_boxed();
    let judged = selection_round_judges::table
        .filter(selection_round_judges::user_id.eq(filter.user_id))
        .select(selection_round_judges::round_id);
    query = match &filter.territory {
        Territory::National => query,
        Territory::Province(code) => query.filter(
            selection_rounds::owner_province_code
                .is_null()
                .or(selection_rounds::owner_province_code.eq(code.clone()))
                .or(selection_rounds::id.eq_any(judged)),
        ),
        Territory::Commune(code) => query.filter(
            selection_rounds::owner_province_code
                .is_null()
                .or(selection_rounds::commune_code.eq(code.clone()))
                .or(selection_rounds::id.eq_any(judged)),
        ),
        Territory::OwnOnly => query.filter(selection_rounds::id.eq_any(judged)),
    };
    if let Some(v) = &filter.level {
        query = query.filter(selection_rounds::level.eq(v.clone()));
    }
    if let Some(v) = filter.year {
        query = query.filter(selection_rounds::year.eq(v));
    }
    if let Some(v) = &filter.status {
        query = query.filter(selection_rounds::status.eq(v.clone()));
    }
    if let Some(v) = &filter.province_code {
        query = query.filter(selection_rounds::owner_province_code.eq(v.clone()));
    }
    if let Some(v) = &filter.region_code {
        query = query.filter(selection_rounds::region_code.eq(v.clone()));
    }
    query
}

pub fn list_rounds(
    conn: &mut DbConn,
    filter: &RoundFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<RoundRow>, ApiError> {
    let mut query = rounds_filtered(filter);
    if let Some(after) = after {
        query = query.filter(selection_rounds::id.gt(after));
    }
    Ok(query
        .order(selection_rounds::id)
        .limit(limit)
        .select(RoundRow::as_select())
        .load(conn)?)
}

pub fn count_rounds(conn: &mut DbConn, filter: &RoundFilter) -> Result<i64, ApiError> {
    Ok(rounds_filtered(filter).count().get_result(conn)?)
}

/// A member of a round's jury.
#[derive(Debug, Clone, Queryable)]
pub struct JudgeRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
}

pub fn judges(conn: &mut DbConn, round_id: i64) -> Result<Vec<JudgeRow>, ApiError> {
    Ok(selection_round_judges::table
        .inner_join(users::table)
        .filter(selection_round_judges::round_id.eq(round_id))
        .order(users::id)
        .select((
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::active,
        ))
        .load(conn)?)
}

pub fn is_judge(conn: &mut DbConn, round_id: i64, user_id: i64) -> Result<bool, ApiError> {
    Ok(diesel::select(diesel::dsl::exists(
        selection_round_judges::table.filter(
            selection_round_judges::round_id
                .eq(round_id)
                .and(selection_round_judges::user_id.eq(user_id)),
        ),
    ))
    .get_result(conn)?)
}

pub fn replace_judges(conn: &mut DbConn, round_id: i64, user_ids: &[i64]) -> Result<(), ApiError> {
    diesel::delete(selection_round_judges::table.filter(selection_round_judges::round_id.eq(round_id)))
        .execute(conn)?;
    for user_id in user_ids {
        diesel::insert_into(selection_round_judges::table)
            .values((
                selection_round_judges::round_id.eq(round_id),
                selection_round_judges::user_id.eq(*user_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The judges of a round who have scored at least one of its entries.
pub fn judges_with_scores(conn: &mut DbConn, round_id: i64) -> Result<Vec<i64>, ApiError> {
    Ok(selection_scores::table
        .inner_join(selection_entries::table)
        .filter(selection_entries::round_id.eq(round_id))
        .select(selection_scores::judge_user_id)
        .distinct()
        .load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Entries and scores

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = selection_entries, treat_none_as_null = true)]
pub struct EntryRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub round_id: i64,
    pub product_id: i64,
    pub beneficiary_id: i64,
    pub basis_certificate_id: Option<i64>,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find_entry(conn: &mut DbConn, round_id: i64, id: i64) -> Result<Option<EntryRow>, ApiError> {
    Ok(selection_entries::table
        .filter(
            selection_entries::id
                .eq(id)
                .and(selection_entries::round_id.eq(round_id)),
        )
        .select(EntryRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn entry_of_product(
    conn: &mut DbConn,
    round_id: i64,
    product_id: i64,
) -> Result<Option<EntryRow>, ApiError> {
    Ok(selection_entries::table
        .filter(
            selection_entries::round_id
                .eq(round_id)
                .and(selection_entries::product_id.eq(product_id)),
        )
        .select(EntryRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_entry(conn: &mut DbConn, row: &EntryRow) -> Result<EntryRow, ApiError> {
    Ok(diesel::insert_into(selection_entries::table)
        .values(row)
        .returning(selection_entries::all_columns)
        .get_result(conn)?)
}

pub fn update_entry(
    conn: &mut DbConn,
    row: &EntryRow,
    expected_version: i64,
) -> Result<Option<EntryRow>, ApiError> {
    let target = selection_entries::table.filter(
        selection_entries::id
            .eq(row.id)
            .and(selection_entries::version.eq(expected_version)),
    );
    Ok(diesel::update(target)
        .set(row)
        .returning(selection_entries::all_columns)
        .get_result(conn)
        .optional()?)
}

pub fn delete_entry(conn: &mut DbConn, id: i64) -> Result<(), ApiError> {
    diesel::delete(selection_scores::table.filter(selection_scores::entry_id.eq(id))).execute(conn)?;
    diesel::delete(selection_entries::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn entries(conn: &mut DbConn, round_id: i64) -> Result<Vec<EntryRow>, ApiError> {
    Ok(selection_entries::table
        .filter(selection_entries::round_id.eq(round_id))
        .order(selection_entries::id)
        .select(EntryRow::as_select())
        .load(conn)?)
}

/// The products already entered in a round.
pub fn entered_products(conn: &mut DbConn, round_id: i64) -> Result<Vec<i64>, ApiError> {
    Ok(selection_entries::table
        .filter(selection_entries::round_id.eq(round_id))
        .select(selection_entries::product_id)
        .load(conn)?)
}

/// How many of these certificates some entry relies on (nominations to the next level).
pub fn entries_based_on(conn: &mut DbConn, certificate_ids: &[i64]) -> Result<i64, ApiError> {
    if certificate_ids.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Option<i64>> = certificate_ids.iter().copied().map(Some).collect();
    Ok(selection_entries::table
        .filter(selection_entries::basis_certificate_id.eq_any(ids))
        .select(selection_entries::product_id)
        .distinct()
        .load::<i64>(conn)?
        .len() as i64)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = selection_scores)]
pub struct ScoreRow {
    pub entry_id: i64,
    pub judge_user_id: i64,
    pub market: i64,
    pub economic_technical_social_environmental: i64,
    pub cultural_aesthetic: i64,
    pub other: i64,
    pub total: i64,
    pub updated_at: NaiveDateTime,
}

pub fn find_score(conn: &mut DbConn, entry_id: i64, judge: i64) -> Result<Option<ScoreRow>, ApiError> {
    Ok(selection_scores::table
        .find((entry_id, judge))
        .select(ScoreRow::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces one judge's score of one entry.
pub fn put_score(conn: &mut DbConn, row: &ScoreRow) -> Result<(), ApiError> {
    diesel::delete(selection_scores::table.find((row.entry_id, row.judge_user_id))).execute(conn)?;
    diesel::insert_into(selection_scores::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn round_scores(conn: &mut DbConn, round_id: i64) -> Result<Vec<ScoreRow>, ApiError> {
    Ok(selection_scores::table
        .inner_join(selection_entries::table)
        .filter(selection_entries::round_id.eq(round_id))
        .order((selection_scores::entry_id, selection_scores::judge_user_id))
        .select(ScoreRow::as_select())
        .load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Certificates

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = certificates)]
pub struct CertificateRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub number: String,
    pub level: String,
    pub year: i64,
    pub era: String,
    pub scope_code: String,
    pub round_id: Option<i64>,
    pub entry_id: Option<i64>,
    pub product_id: i64,
    pub beneficiary_id: i64,
    pub province_code: String,
    pub region_code: String,
    pub decision_number: String,
    pub issued_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub legacy: bool,
    pub revoked_at: Option<NaiveDateTime>,
    pub revocation_reason: Option<String>,
    pub revocation_decision_number: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn find_certificate(conn: &mut DbConn, id: i64) -> Result<Option<CertificateRow>, ApiError> {
    Ok(certificates::table
        .find(id)
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_certificate_by_number(
    conn: &mut DbConn,
    number: &str,
) -> Result<Option<CertificateRow>, ApiError> {
    Ok(certificates::table
        .filter(certificates::number.eq(number))
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_certificate(conn: &mut DbConn, row: &CertificateRow) -> Result<CertificateRow, ApiError> {
    Ok(diesel::insert_into(certificates::table)
        .values(row)
        .returning(certificates::all_columns)
        .get_result(conn)?)
}

/// Marks a certificate revoked unless it already is; `None` when it was.
pub fn revoke(
    conn: &mut DbConn,
    id: i64,
    reason: &str,
    decision_number: &str,
    at: NaiveDateTime,
) -> Result<Option<CertificateRow>, ApiError> {
    let target = certificates::table.filter(certificates::id.eq(id).and(certificates::revoked_at.is_null()));
    Ok(diesel::update(target)
        .set((
            certificates::revoked_at.eq(Some(at)),
            certificates::revocation_reason.eq(Some(reason)),
            certificates::revocation_decision_number.eq(Some(decision_number)),
        ))
        .returning(certificates::all_columns)
        .get_result(conn)
        .optional()?)
}

/// The next sequence number of a certificate-number prefix, counted in the database so that two
/// recognitions never draw the same number.
pub fn next_certificate_number(conn: &mut DbConn, prefix: &str) -> Result<i64, ApiError> {
    use certificate_number_sequences as s;
    let insert = diesel::insert_into(s::table)
        .values((s::prefix.eq(prefix), s::last_value.eq(1i64)))
        .on_conflict(s::prefix)
        .do_update()
        .set(s::last_value.eq(s::last_value + 1i64))
        .returning(s::last_value);
    Ok(crate::each_backend!(conn, |c| insert.get_result::<i64>(c))?)
}

/// The certificates of a product at some levels that hold on `day` (issued by then, not expired,
/// not revoked), the latest first.
pub fn holding_certificates(
    conn: &mut DbConn,
    product_id: i64,
    levels: &[&str],
    day: NaiveDate,
) -> Result<Vec<CertificateRow>, ApiError> {
    Ok(certificates::table
        .filter(certificates::product_id.eq(product_id))
        .filter(certificates::level.eq_any(levels.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>()))
        .filter(certificates::issued_on.le(day))
        .filter(certificates::valid_until.ge(day))
        .filter(certificates::revoked_at.is_null())
        .order((certificates::issued_on.desc(), certificates::id.desc()))
        .select(CertificateRow::as_select())
        .load(conn)?)
}

/// Every certificate of a product at some levels, whatever its state, the latest first.
pub fn product_certificates(
    conn: &mut DbConn,
    product_id: i64,
    levels: &[&str],
) -> Result<Vec<CertificateRow>, ApiError> {
    Ok(certificates::table
        .filter(certificates::product_id.eq(product_id))
        .filter(certificates::level.eq_any(levels.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>()))
        .order((certificates::issued_on.desc(), certificates::id.desc()))
        .select(CertificateRow::as_select())
        .load(conn)?)
}

/// All certificates at some levels holding on `day`, by product (candidates for nomination).
pub fn holding_at_levels(
    conn: &mut DbConn,
    levels: &[&str],
    day: NaiveDate,
) -> Result<Vec<CertificateRow>, ApiError> {
    Ok(certificates::table
        .filter(certificates::level.eq_any(levels.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>()))
        .filter(certificates::issued_on.le(day))
        .filter(certificates::valid_until.ge(day))
        .filter(certificates::revoked_at.is_null())
        .order((certificates::product_id, certificates::issued_on.desc()))
        .select(CertificateRow::as_select())
        .load(conn)?)
}

pub fn round_certificates(conn: &mut DbConn, round_id: i64) -> Result<Vec<CertificateRow>, ApiError> {
    Ok(certificates::table
        .filter(certificates::round_id.eq(round_id))
        .order(certificates::id)
        .select(CertificateRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone)]
pub struct CertificateFilter {
    pub level: Option<String>,
    pub year: Option<i64>,
    pub province_code: Option<String>,
    pub region_code: Option<String>,
    pub product_group: Option<String>,
    pub product_id: Option<i64>,
    pub round_id: Option<i64>,
    /// `active`, `expired` or `revoked`, judged on `today`.
    pub status: Option<String>,
    pub today: Option<NaiveDate>,
    /// Words matched in the number, the product's and the producer's search keys.
    pub search: Option<TextSearch>,
    /// The certificates the caller sees: those of its province's or commune's producers.
    pub territory: Territory,
}

impl Default for CertificateFilter {
    fn default() -> CertificateFilter {
        CertificateFilter {
            level: None,
            year: None,
            province_code: None,
            region_code: None,
            product_group: None,
            product_id: None,
            round_id: None,
            status: None,
            today: None,
            search: None,
            territory: Territory::National,
        }
    }
}

fn certificates_filtered(filter: &CertificateFilter) -> certificates::BoxedQuery<'static, DbBackend> {
    let mut query = certificates::table.into_boxed();
    query = match &filter.territory {
        Territory::National => query,
        Territory::Province(code) => query.filter(certificates::province_code.eq(code.clone())),
        Territory::Commune(code) => query.filter(
            certificates::beneficiary_id.eq_any(
                beneficiaries::table
                    .filter(beneficiaries::commune_code.eq(code.clone()))
                    .select(beneficiaries::id),
            ),
        ),
        Territory::OwnOnly => query.filter(certificates::id.eq(-1)),
    };
    if let Some(v) = &filter.level {
        query = query.filter(certificates::level.eq(v.clone()));
    }
    if let Some(v) = filter.year {
        query = query.filter(certificates::year.eq(v));
    }
    if let Some(v) = &filter.province_code {
        query = query.filter(certificates::province_code.eq(v.clone()));
    }
    if let Some(v) = &filter.region_code {
        query = query.filter(certificates::region_code.eq(v.clone()));
    }
    if let Some(v) = filter.product_id {
        query = query.filter(certificates::product_id.eq(v));
    }
    if let Some(v) = filter.round_id {
        query = query.filter(certificates::round_id.eq(v));
    }
    if let Some(v) = &filter.product_group {
        query = query.filter(
            certificates::product_id.eq_any(
                products::table
                    .select(products::id)
                    .filter(products::product_group.eq(v.clone())),
            ),
        );
    }
    if let (Some(status), Some(today)) = (&filter.status, filter.today) {
        query = match status.as_str() {
            "revoked" => query.filter(certificates::revoked_at.is_not_null()),
            "expired" => query
                .filter(certificates::revoked_at.is_null())
                .filter(certificates::valid_until.lt(today)),
            _ => query
                .filter(certificates::revoked_at.is_null())
                .filter(certificates::valid_until.ge(today)),
        };
    }
    if let Some(search) = &filter.search {
        query = query.filter(
            certificates::number
                .like(search.pattern().to_uppercase())
                .escape('\\')
                .or(search.references("certificates.product_id", Searched::Products))
                .or(search.references("certificates.beneficiary_id", Searched::Beneficiaries)),
        );
    }
    query
}

pub fn list_certificates(
    conn: &mut DbConn,
    filter: &CertificateFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CertificateRow>, ApiError> {
    let mut query = certificates_filtered(filter);
    if let Some(after) = after {
        query = query.filter(certificates::id.gt(after));
    }
    Ok(query
        .order(certificates::id)
        .limit(limit)
        .select(CertificateRow::as_select())
        .load(conn)?)
}

pub fn count_certificates(conn: &mut DbConn, filter: &CertificateFilter) -> Result<i64, ApiError> {
    Ok(certificates_filtered(filter).count().get_result(conn)?)
}

/// The public catalogue: products holding at least one active certificate matching the filter,
/// with those certificates, products in id order.
pub fn catalogue(
    conn: &mut DbConn,
    filter: &CertificateFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<(ProductRow, Vec<CertificateRow>)>, ApiError> {
    let mut ids = certificates_filtered(filter)
        .select(certificates::product_id)
        .distinct();
    if let Some(after) = after {
        ids = ids.filter(certificates::product_id.gt(after));
    }
    let ids: Vec<i64> = ids.order(certificates::product_id).limit(limit).load(conn)?;
    let rows = products::table
        .filter(products::id.eq_any(ids.clone()))
        .order(products::id)
        .select(ProductRow::as_select())
        .load(conn)?;
    let mut holding = certificates_filtered(filter)
        .filter(certificates::product_id.eq_any(ids))
        .order((certificates::product_id, certificates::id))
        .select(CertificateRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|product| {
            let (own, rest): (Vec<_>, Vec<_>) = holding.drain(..).partition(|c| c.product_id == product.id);
            holding = rest;
            (product, own)
        })
        .collect())
}

pub fn count_catalogue(conn: &mut DbConn, filter: &CertificateFilter) -> Result<i64, ApiError> {
    Ok(certificates_filtered(filter)
        .select(certificates::product_id)
        .distinct()
        .load::<i64>(conn)?
        .len() as i64)
}

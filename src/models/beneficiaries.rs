//! Establishments (cơ sở công nghiệp nông thôn) and their yearly figures.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::principal::Territory;
use crate::db::schema::{beneficiaries, beneficiary_annual_figures, beneficiary_personal_data};
use crate::db::{DbBackend, DbConn};
use crate::error::ApiError;
use crate::models::search::{Searched, TextSearch};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = beneficiaries, treat_none_as_null = true)]
pub struct BeneficiaryRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub name: String,
    pub legal_form: String,
    pub identifier_type: String,
    pub identifier_value: Option<String>,
    pub representative_name: Option<String>,
    pub address_line: Option<String>,
    pub province_code: String,
    pub commune_code: Option<String>,
    pub recorded_province_code_pre2025: Option<String>,
    pub recorded_district_code_pre2025: Option<String>,
    pub main_sector_vsic: Option<String>,
    pub size_class: Option<String>,
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
    pub status: String,
    pub merged_into_id: Option<i64>,
    pub search_key: String,
    pub name_key: String,
    pub phone_key: Option<String>,
    pub representative_phone_key: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<BeneficiaryRow>, ApiError> {
    Ok(beneficiaries::table
        .find(id)
        .select(BeneficiaryRow::as_select())
        .first(conn)
        .optional()?)
}

/// Personal data of an establishment (stored apart from the record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = beneficiary_personal_data)]
pub struct PersonalDataRow {
    pub beneficiary_id: i64,
    pub representative_phone: Option<String>,
    pub representative_national_id: Option<String>,
    pub household_owner_name: Option<String>,
    pub updated_at: NaiveDateTime,
}

impl PersonalDataRow {
    pub fn is_empty(&self) -> bool {
        self.representative_phone.is_none()
            && self.representative_national_id.is_none()
            && self.household_owner_name.is_none()
    }
}

pub fn find_personal_data(
    conn: &mut DbConn,
    beneficiary_id: i64,
) -> Result<Option<PersonalDataRow>, ApiError> {
    Ok(beneficiary_personal_data::table
        .find(beneficiary_id)
        .select(PersonalDataRow::as_select())
        .first(conn)
        .optional()?)
}

/// A record with its personal data, in one statement: the read of a single establishment. The
/// caller decides whether the personal data may be shown.
pub fn find_with_personal_data(
    conn: &mut DbConn,
    id: i64,
) -> Result<Option<(BeneficiaryRow, Option<PersonalDataRow>)>, ApiError> {
    Ok(beneficiaries::table
        .left_join(beneficiary_personal_data::table)
        .filter(beneficiaries::id.eq(id))
        .select((
            BeneficiaryRow::as_select(),
            Option::<PersonalDataRow>::as_select(),
        ))
        .first(conn)
        .optional()?)
}

/// Replaces the personal data of an establishment (none stored when every field is empty).
pub fn save_personal_data(conn: &mut DbConn, data: &PersonalDataRow) -> Result<(), ApiError> {
    diesel::delete(beneficiary_personal_data::table.find(data.beneficiary_id)).execute(conn)?;
    if !data.is_empty() {
        diesel::insert_into(beneficiary_personal_data::table)
            .values(data)
            .execute(conn)?;
    }
    Ok(())
}

pub fn find_by_identifier(
    conn: &mut DbConn,
    kind: &str,
    value: &str,
) -> Result<Option<BeneficiaryRow>, ApiError> {
    Ok(beneficiaries::table
        .filter(
            beneficiaries::identifier_type
                .eq(kind)
                .and(beneficiaries::identifier_value.eq(value)),
        )
        .select(BeneficiaryRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, row: &BeneficiaryRow) -> Result<BeneficiaryRow, ApiError> {
    Ok(diesel::insert_into(beneficiaries::table)
        .values(row)
        .returning(beneficiaries::all_columns)
        .get_result(conn)?)
}

/// Writes `row` over the record if it is still at `expected_version`; `None` if someone else
/// changed it in between. The version is taken from `row` (the caller bumps it).
pub fn update(
    conn: &mut DbConn,
    row: &BeneficiaryRow,
    expected_version: i64,
) -> Result<Option<BeneficiaryRow>, ApiError> {
    let target = beneficiaries::table.filter(
        beneficiaries::id
            .eq(row.id)
            .and(beneficiaries::version.eq(expected_version)),
    );
    Ok(diesel::update(target)
        .set(row)
        .returning(beneficiaries::all_columns)
        .get_result(conn)
        .optional()?)
}

/// Which province code the list filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProvinceEra {
    #[default]
    Current,
    /// The province recorded before the 2025 reform.
    RecordedPre2025,
}

/// Filters of the establishment list.
#[derive(Debug, Clone, Default)]
pub struct BeneficiaryFilter {
    pub province_code: Option<String>,
    pub province_era: ProvinceEra,
    pub commune_code: Option<String>,
    pub legal_form: Option<String>,
    pub status: Option<String>,
    pub in_craft_village: Option<bool>,
    pub women_owned: Option<bool>,
    pub ethnic_minority_owned: Option<bool>,
    pub disadvantaged_area: Option<bool>,
    /// Words matched anywhere in the search key.
    pub search: Option<TextSearch>,
}

/// The first ten characters of an establishment's identifier: a tax code without its branch
/// number, or a whole household-business registration number. Written out in full, as the
/// expression of the `beneficiaries_identifier_root` index is, so that both databases use the
/// index, and without bound values, so that the statement stays prepared.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId, diesel::expression::ValidGrouping)]
struct IdentifierRoot;

impl diesel::Expression for IdentifierRoot {
    type SqlType = diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

impl<QS> diesel::AppearsOnTable<QS> for IdentifierRoot {}

impl<QS> diesel::SelectableExpression<QS> for IdentifierRoot {}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for IdentifierRoot {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("substr(beneficiaries.identifier_value, 1, 10)");
        Ok(())
    }
}

/// The length of a tax code without its branch number, and of a household registration number.
const IDENTIFIER_ROOT_LEN: usize = 10;

/// Establishments with their personal data beside them (none stored: `NULL`s), as the list reads
/// them: one statement per page.
type WithPersonalData = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::LeftJoin<beneficiaries::table, beneficiary_personal_data::table>,
    DbBackend,
>;

/// Restricts a query to what a territory sees.
fn in_territory<Q>(query: Q, territory: &Territory) -> Q
where
    Q: diesel::query_dsl::methods::FilterDsl<
            diesel::dsl::Eq<beneficiaries::province_code, String>,
            Output = Q,
        > + diesel::query_dsl::methods::FilterDsl<
            diesel::dsl::Eq<beneficiaries::commune_code, String>,
            Output = Q,
        > + diesel::query_dsl::methods::FilterDsl<diesel::dsl::Eq<beneficiaries::id, i64>, Output = Q>,
{
    match territory {
        Territory::National => query,
        Territory::Province(code) => query.filter(beneficiaries::province_code.eq(code.clone())),
        Territory::Commune(code) => query.filter(beneficiaries::commune_code.eq(code.clone())),
        Territory::OwnOnly => query.filter(beneficiaries::id.eq(-1)),
    }
}

fn filtered(
    conn: &mut DbConn,
    filter: &BeneficiaryFilter,
    territory: &Territory,
) -> Result<WithPersonalData, ApiError> {
    let mut query = in_territory(
        beneficiaries::table
            .left_join(beneficiary_personal_data::table)
            .into_boxed(),
        territory,
    );
    if let Some(code) = &filter.province_code {
        query = match filter.province_era {
            ProvinceEra::Current => query.filter(beneficiaries::province_code.eq(code.clone())),
            ProvinceEra::RecordedPre2025 => {
                query.filter(beneficiaries::recorded_province_code_pre2025.eq(code.clone()))
            }
        };
    }
    if let Some(v) = &filter.commune_code {
        query = query.filter(beneficiaries::commune_code.eq(v.clone()));
    }
    if let Some(v) = &filter.legal_form {
        query = query.filter(beneficiaries::legal_form.eq(v.clone()));
    }
    if let Some(v) = &filter.status {
        query = query.filter(beneficiaries::status.eq(v.clone()));
    }
    if let Some(v) = filter.in_craft_village {
        query = query.filter(beneficiaries::in_craft_village.eq(v));
    }
    if let Some(v) = filter.women_owned {
        query = query.filter(beneficiaries::women_owned.eq(v));
    }
    if let Some(v) = filter.ethnic_minority_owned {
        query = query.filter(beneficiaries::ethnic_minority_owned.eq(v));
    }
    if let Some(v) = filter.disadvantaged_area {
        query = query.filter(beneficiaries::disadvantaged_area.eq(v));
    }
    if let Some(search) = &filter.search {
        query = match search.identifier() {
            // The holder of the identifier and, for a 10-digit tax code, its branches: one
            // equality on the identifier's first ten characters (an index), and for a branch
            // code the whole value too.
            Some(identifier) => {
                let root = &identifier[..IDENTIFIER_ROOT_LEN.min(identifier.len())];
                let query = query.filter(IdentifierRoot.eq(root.to_owned()).assume_not_null());
                if identifier.len() > IDENTIFIER_ROOT_LEN {
                    query.filter(beneficiaries::identifier_value.eq(identifier.to_owned()))
                } else {
                    query
                }
            }
            None => query.filter(search.matching(conn, Searched::Beneficiaries)?),
        };
    }
    Ok(query)
}

/// A page of establishments, each with its stored personal data; the caller decides whom to show
/// it to.
pub fn list(
    conn: &mut DbConn,
    filter: &BeneficiaryFilter,
    territory: &Territory,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<(BeneficiaryRow, Option<PersonalDataRow>)>, ApiError> {
    let mut query = filtered(conn, filter, territory)?;
    if let Some(after) = after {
        query = query.filter(beneficiaries::id.gt(after));
    }
    Ok(query
        .order(beneficiaries::id)
        .limit(limit)
        .select((
            BeneficiaryRow::as_select(),
            Option::<PersonalDataRow>::as_select(),
        ))
        .load(conn)?)
}

pub fn count(conn: &mut DbConn, filter: &BeneficiaryFilter, territory: &Territory) -> Result<i64, ApiError> {
    Ok(filtered(conn, filter, territory)?.count().get_result(conn)?)
}

/// Records that are probably the same establishment as `record`: the same normalised name in the
/// same commune, or a shared phone number. Merged records and the record itself are left out.
pub fn possible_duplicates(
    conn: &mut DbConn,
    record: &BeneficiaryRow,
    territory: &Territory,
    with_personal_phones: bool,
    limit: i64,
) -> Result<Vec<BeneficiaryRow>, ApiError> {
    let mut phones: Vec<String> = record.phone_key.iter().cloned().collect();
    if with_personal_phones {
        phones.extend(record.representative_phone_key.iter().cloned());
    }
    let same_name = beneficiaries::name_key.eq(record.name_key.clone()).and(
        beneficiaries::commune_code
            .eq(record.commune_code.clone())
            .assume_not_null(),
    );
    let mut query = in_territory(beneficiaries::table.into_boxed(), territory)
        .filter(beneficiaries::id.ne(record.id))
        .filter(beneficiaries::status.ne("merged"));
    // A representative's phone is personal data: it is compared only for callers who may read it,
    // or a match would disclose it.
    query = if with_personal_phones {
        query.filter(
            same_name.or(beneficiaries::phone_key
                .eq_any(phones.clone())
                .or(beneficiaries::representative_phone_key.eq_any(phones))
                .assume_not_null()),
        )
    } else {
        query.filter(same_name.or(beneficiaries::phone_key.eq_any(phones).assume_not_null()))
    };
    Ok(query
        .order(beneficiaries::id)
        .limit(limit)
        .select(BeneficiaryRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = beneficiary_annual_figures)]
pub struct AnnualFigures {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub beneficiary_id: i64,
    pub year: i64,
    pub revenue_vnd: Option<i64>,
    pub employees: Option<i64>,
    pub average_income_vnd: Option<i64>,
    pub total_assets_vnd: Option<i64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn annual_figures(conn: &mut DbConn, beneficiary_id: i64) -> Result<Vec<AnnualFigures>, ApiError> {
    Ok(beneficiary_annual_figures::table
        .filter(beneficiary_annual_figures::beneficiary_id.eq(beneficiary_id))
        .order(beneficiary_annual_figures::year)
        .select(AnnualFigures::as_select())
        .load(conn)?)
}

pub fn find_annual_figures(
    conn: &mut DbConn,
    beneficiary_id: i64,
    year: i64,
) -> Result<Option<AnnualFigures>, ApiError> {
    Ok(beneficiary_annual_figures::table
        .filter(
            beneficiary_annual_figures::beneficiary_id
                .eq(beneficiary_id)
                .and(beneficiary_annual_figures::year.eq(year)),
        )
        .select(AnnualFigures::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_annual_figures(conn: &mut DbConn, figures: &AnnualFigures) -> Result<AnnualFigures, ApiError> {
    Ok(diesel::insert_into(beneficiary_annual_figures::table)
        .values(figures)
        .returning(beneficiary_annual_figures::all_columns)
        .get_result(conn)?)
}

/// Replaces the figures of a year if they are still at `expected_version`.
pub fn update_annual_figures(
    conn: &mut DbConn,
    figures: &AnnualFigures,
    expected_version: i64,
) -> Result<Option<AnnualFigures>, ApiError> {
    use beneficiary_annual_figures as t;
    Ok(
        diesel::update(t::table.filter(t::id.eq(figures.id).and(t::version.eq(expected_version))))
            .set((
                t::revenue_vnd.eq(figures.revenue_vnd),
                t::employees.eq(figures.employees),
                t::average_income_vnd.eq(figures.average_income_vnd),
                t::total_assets_vnd.eq(figures.total_assets_vnd),
                t::version.eq(expected_version + 1),
                t::updated_at.eq(figures.updated_at),
            ))
            .returning(t::all_columns)
            .get_result(conn)
            .optional()?,
    )
}

/// Re-attaches yearly figures to another establishment (merging and its reversal).
pub fn move_annual_figures(conn: &mut DbConn, ids: &[i64], to_beneficiary: i64) -> Result<usize, ApiError> {
    use beneficiary_annual_figures as t;
    Ok(diesel::update(t::table.filter(t::id.eq_any(ids.to_vec())))
        .set((
            t::beneficiary_id.eq(to_beneficiary),
            t::updated_at.eq(super::now()),
        ))
        .execute(conn)?)
}

//! User accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::principal::Territory;
use crate::db::schema::{refresh_tokens, users};
use crate::db::{DbBackend, DbConn};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    /// Access tokens signed for an earlier generation are refused.
    pub token_generation: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Fields an update may change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<String>,
    pub province_code: Option<Option<String>>,
    pub commune_code: Option<Option<String>>,
    pub active: Option<bool>,
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<User>, ApiError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> Result<Option<User>, ApiError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, new: &NewUser) -> Result<User, ApiError> {
    Ok(diesel::insert_into(users::table)
        .values(new)
        .returning(users::all_columns)
        .get_result(conn)?)
}

/// Applies `changes` if the row is still at `expected_version`; `None` when someone else changed
/// it in between.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i64,
    changes: &UserChanges,
) -> Result<Option<User>, ApiError> {
    let target = users::table.filter(users::id.eq(id).and(users::version.eq(expected_version)));
    Ok(diesel::update(target)
        .set((
            changes,
            users::version.eq(expected_version + 1),
            users::updated_at.eq(super::now()),
        ))
        .returning(users::all_columns)
        .get_result(conn)
        .optional()?)
}

/// The account behind an access token, and whether the token's session (refresh-token family) has
/// been signed out; one statement, since it runs on every authenticated request.
pub fn find_signed_in(
    conn: &mut DbConn,
    id: i64,
    session_id: Option<&str>,
) -> Result<Option<(User, bool)>, ApiError> {
    let Some(session_id) = session_id else {
        return Ok(find(conn, id)?.map(|user| (user, false)));
    };
    let signed_out = diesel::dsl::exists(
        refresh_tokens::table.filter(
            refresh_tokens::family_id
                .eq(session_id.to_owned())
                .and(refresh_tokens::user_id.eq(id))
                .and(refresh_tokens::revoked_at.is_not_null()),
        ),
    );
    Ok(users::table
        .find(id)
        .select((User::as_select(), signed_out))
        .first(conn)
        .optional()?)
}

/// Moves the account's token generation on: every access token signed before is refused.
pub fn advance_token_generation(conn: &mut DbConn, id: i64) -> Result<(), ApiError> {
    diesel::update(users::table.find(id))
        .set(users::token_generation.eq(users::token_generation + 1))
        .execute(conn)?;
    Ok(())
}

pub fn record_login(conn: &mut DbConn, id: i64) -> Result<(), ApiError> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(super::now()))
        .execute(conn)?;
    Ok(())
}

/// Filters of the user list.
#[derive(Debug, Default)]
pub struct UserFilter {
    pub role: Option<String>,
    pub province_code: Option<String>,
    pub active: Option<bool>,
}

fn filtered(
    filter: &UserFilter,
    territory: &Territory,
    self_id: i64,
) -> users::BoxedQuery<'static, DbBackend> {
    let mut query = users::table.into_boxed();
    query = match territory {
        Territory::National => query,
        Territory::Province(code) => query.filter(users::province_code.eq(code.clone())),
        Territory::Commune(code) => query.filter(users::commune_code.eq(code.clone())),
        Territory::OwnOnly => query.filter(users::id.eq(self_id)),
    };
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(role.clone()));
    }
    if let Some(province) = &filter.province_code {
        query = query.filter(users::province_code.eq(province.clone()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    filter: &UserFilter,
    territory: &Territory,
    self_id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<User>, ApiError> {
    let mut query = filtered(filter, territory, self_id);
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    Ok(query
        .order(users::id)
        .limit(limit)
        .select(User::as_select())
        .load(conn)?)
}

pub fn count(
    conn: &mut DbConn,
    filter: &UserFilter,
    territory: &Territory,
    self_id: i64,
) -> Result<i64, ApiError> {
    Ok(filtered(filter, territory, self_id).count().get_result(conn)?)
}

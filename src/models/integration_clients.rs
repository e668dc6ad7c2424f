//! Integration clients' credentials. The account itself (client id = username, name, province
//! restriction, active flag, version) is a `users` row of role `integration`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{integration_clients, users};
use crate::error::ApiError;
use crate::models::users::User;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = integration_clients)]
pub struct ClientRow {
    pub user_id: i64,
    /// Space-separated, in the canonical order of `crate::auth::scopes::Scope`.
    pub scopes: String,
    pub contact: Option<String>,
    pub secret_hash: String,
    pub previous_secret_hash: Option<String>,
    pub previous_secret_valid_until: Option<NaiveDateTime>,
    pub secret_rotated_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

/// Fields an update may change; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = integration_clients)]
pub struct ClientChanges {
    pub scopes: Option<String>,
    pub contact: Option<Option<String>>,
}

pub fn insert(conn: &mut DbConn, row: &ClientRow) -> Result<(), ApiError> {
    diesel::insert_into(integration_clients::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A client with its account.
pub fn find(conn: &mut DbConn, user_id: i64) -> Result<Option<(User, ClientRow)>, ApiError> {
    Ok(users::table
        .inner_join(integration_clients::table)
        .filter(users::id.eq(user_id))
        .select((User::as_select(), ClientRow::as_select()))
        .first(conn)
        .optional()?)
}

/// A client by its client id (the account's username).
pub fn find_by_client_id(conn: &mut DbConn, client_id: &str) -> Result<Option<(User, ClientRow)>, ApiError> {
    Ok(users::table
        .inner_join(integration_clients::table)
        .filter(users::username.eq(client_id))
        .select((User::as_select(), ClientRow::as_select()))
        .first(conn)
        .optional()?)
}

/// Every client, oldest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<(User, ClientRow)>, ApiError> {
    Ok(users::table
        .inner_join(integration_clients::table)
        .order(users::id)
        .select((User::as_select(), ClientRow::as_select()))
        .load(conn)?)
}

/// The scopes a client holds now, read with its account on each checked token.
pub fn granted_scopes(conn: &mut DbConn, user_id: i64) -> Result<Option<String>, ApiError> {
    Ok(integration_clients::table
        .find(user_id)
        .select(integration_clients::scopes)
        .first(conn)
        .optional()?)
}

pub fn update(conn: &mut DbConn, user_id: i64, changes: &ClientChanges) -> Result<(), ApiError> {
    if changes.scopes.is_none() && changes.contact.is_none() {
        return Ok(());
    }
    diesel::update(integration_clients::table.find(user_id))
        .set(changes)
        .execute(conn)?;
    Ok(())
}

/// Replaces the secret; the one it replaces keeps working until `previous_valid_until`.
pub fn rotate_secret(
    conn: &mut DbConn,
    user_id: i64,
    new_hash: &str,
    previous_hash: &str,
    previous_valid_until: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(integration_clients::table.find(user_id))
        .set((
            integration_clients::secret_hash.eq(new_hash),
            integration_clients::previous_secret_hash.eq(Some(previous_hash)),
            integration_clients::previous_secret_valid_until.eq(Some(previous_valid_until)),
            integration_clients::secret_rotated_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn touch(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> Result<(), ApiError> {
    diesel::update(integration_clients::table.find(user_id))
        .set(integration_clients::last_used_at.eq(Some(now)))
        .execute(conn)?;
    Ok(())
}

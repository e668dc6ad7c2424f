//! Refresh tokens: one family per login, rotated on every use. A token presented after it was
//! rotated means it was copied; the whole family is revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::refresh_tokens;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: i64,
    pub user_id: i64,
    pub family_id: String,
    pub token_hash: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut DbConn,
    user_id: i64,
    family_id: &str,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::issued_at.eq(super::now()),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_by_hash(conn: &mut DbConn, token_hash: &str) -> Result<Option<RefreshToken>, ApiError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token as used; `false` if it was already used or revoked (a concurrent rotation).
pub fn mark_rotated(conn: &mut DbConn, id: i64) -> Result<bool, ApiError> {
    let updated = diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::id
                .eq(id)
                .and(refresh_tokens::rotated_at.is_null())
                .and(refresh_tokens::revoked_at.is_null()),
        ),
    )
    .set(refresh_tokens::rotated_at.eq(super::now()))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn revoke_family(conn: &mut DbConn, family_id: &str) -> Result<usize, ApiError> {
    Ok(diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::family_id
                .eq(family_id)
                .and(refresh_tokens::revoked_at.is_null()),
        ),
    )
    .set(refresh_tokens::revoked_at.eq(super::now()))
    .execute(conn)?)
}

/// Signs the user out everywhere (after deactivation or a password reset).
pub fn revoke_all_for_user(conn: &mut DbConn, user_id: i64) -> Result<usize, ApiError> {
    Ok(diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::user_id
                .eq(user_id)
                .and(refresh_tokens::revoked_at.is_null()),
        ),
    )
    .set(refresh_tokens::revoked_at.eq(super::now()))
    .execute(conn)?)
}

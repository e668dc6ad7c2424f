//! Idempotency keys: the claim a request takes on its key before it runs, and the answer kept
//! for its retries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::idempotency_keys as keys;
use crate::error::ApiError;

const RUNNING: &str = "running";
const DONE: &str = "done";

/// The kept answer of a finished request.
#[derive(Debug, Clone)]
pub struct KeptAnswer {
    pub status: u16,
    /// `[name, value]` pairs, as JSON.
    pub headers: String,
    pub body: String,
}

/// What claiming a key found.
#[derive(Debug)]
pub enum Claim {
    /// The key is this request's: run it, then [`finish`] or [`release`].
    Claimed,
    /// A request with this key is still running.
    Running,
    /// The key was used for another request (method, path, query or body differ).
    OtherRequest,
    /// The request ran already: answer what it answered.
    Answered(KeptAnswer),
}

#[derive(Debug, Queryable)]
struct Row {
    fingerprint: String,
    state: String,
    status: Option<i32>,
    headers: Option<String>,
    body: Option<String>,
}

/// Claims `key` for `caller`'s request, or says who holds it. A claim older than `since` is
/// expired: it is dropped, with the caller's other expired keys. Call inside a transaction of its
/// own, committed before the request runs.
pub fn claim(
    conn: &mut DbConn,
    caller: &str,
    key: &str,
    fingerprint: &str,
    now: NaiveDateTime,
    since: NaiveDateTime,
) -> Result<Claim, ApiError> {
    diesel::delete(keys::table.filter(keys::caller.eq(caller).and(keys::created_at.lt(since))))
        .execute(conn)?;
    let insert = diesel::insert_into(keys::table)
        .values((
            keys::caller.eq(caller),
            keys::idempotency_key.eq(key),
            keys::fingerprint.eq(fingerprint),
            keys::state.eq(RUNNING),
            keys::created_at.eq(now),
        ))
        .on_conflict((keys::caller, keys::idempotency_key))
        .do_nothing();
    let inserted = crate::each_backend!(conn, |c| insert.execute(c))?;
    if inserted == 1 {
        return Ok(Claim::Claimed);
    }
    let row: Row = keys::table
        .find((caller, key))
        .select((
            keys::fingerprint,
            keys::state,
            keys::status,
            keys::headers,
            keys::body,
        ))
        .first(conn)?;
    Ok(if row.fingerprint != fingerprint {
        Claim::OtherRequest
    } else if row.state == DONE {
        Claim::Answered(KeptAnswer {
            status: row.status.and_then(|s| u16::try_from(s).ok()).unwrap_or(500),
            headers: row.headers.unwrap_or_default(),
            body: row.body.unwrap_or_default(),
        })
    } else {
        Claim::Running
    })
}

/// Keeps the answer of the request holding the claim.
pub fn finish(conn: &mut DbConn, caller: &str, key: &str, answer: &KeptAnswer) -> Result<(), ApiError> {
    diesel::update(keys::table.find((caller, key)))
        .set((
            keys::state.eq(DONE),
            keys::status.eq(Some(i32::from(answer.status))),
            keys::headers.eq(Some(&answer.headers)),
            keys::body.eq(Some(&answer.body)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives the key back (the request failed on the server's side): a retry runs again.
pub fn release(conn: &mut DbConn, caller: &str, key: &str) -> Result<(), ApiError> {
    diesel::delete(keys::table.find((caller, key))).execute(conn)?;
    Ok(())
}

//! Signed-in callers kept in memory for a few seconds, so that an authenticated read costs one
//! database round trip (the record) instead of two (the account, then the record).
//!
//! What a cached entry may not hide:
//! - on this instance, a change to an account (deactivation, role or territory, password, signing
//!   out, "sign out everywhere") is seen by the very next request: the handler that commits it calls
//!   [`SignedIn::forget`];
//! - on another instance sharing the database, it is seen within `PRINCIPAL_CACHE_SECS` (5 s by
//!   default), the time an entry lives. `0` turns the cache off and reads the account on every
//!   request.
//!
//! A request that was reading an account while it changed must not put the old state back after
//! `forget`: every `forget` moves an epoch on, and a lookup only stores what it read if the epoch did
//! not move meanwhile.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;

use super::principal::Principal;

/// An access token's identity: whom it names, which session, which token generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    pub user_id: i64,
    pub session_id: Option<String>,
    pub generation: i64,
    /// An integration client's token scopes: two tokens of one client may carry different ones.
    pub scopes: Option<String>,
}

pub struct SignedIn {
    cache: Option<Cache<SessionKey, Principal>>,
    epoch: AtomicU64,
}

/// Enough for every account a busy instance serves at once; the least recently used go first.
const CAPACITY: u64 = 50_000;

impl SignedIn {
    pub fn new(ttl: Duration) -> SignedIn {
        let cache = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build()
        });
        SignedIn {
            cache,
            epoch: AtomicU64::new(0),
        }
    }

    /// The principal of a session checked within the last few seconds.
    pub fn get(&self, key: &SessionKey) -> Option<Principal> {
        self.cache.as_ref()?.get(key)
    }

    /// Where the account changes stand now; pass it back to [`SignedIn::remember`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Keeps a principal read from the database when the epoch taken before reading is still
    /// current (no account changed meanwhile).
    pub fn remember(&self, key: SessionKey, principal: Principal, read_at_epoch: u64) {
        let Some(cache) = &self.cache else { return };
        if self.epoch() == read_at_epoch {
            cache.insert(key, principal);
            // An account change that landed between the check and the insert forgot before the
            // entry existed: drop it again rather than serve the old state.
            if self.epoch() != read_at_epoch {
                cache.invalidate_all();
            }
        }
    }

    /// Drops every cached session of an account (call after the change committed).
    pub fn forget(&self, user_id: i64) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(cache) = &self.cache
            && cache
                .invalidate_entries_if(move |key, _| key.user_id == user_id)
                .is_err()
        {
            cache.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn key(user_id: i64) -> SessionKey {
        SessionKey {
            user_id,
            session_id: Some("s".into()),
            generation: 0,
            scopes: None,
        }
    }

    fn principal(user_id: i64) -> Principal {
        Principal {
            user_id,
            username: format!("u{user_id}"),
            role: Role::Ministry,
            province_code: None,
            commune_code: None,
            scopes: None,
        }
    }

    #[test]
    fn forgetting_an_account_drops_its_sessions_only() {
        let signed_in = SignedIn::new(Duration::from_secs(60));
        let epoch = signed_in.epoch();
        signed_in.remember(key(1), principal(1), epoch);
        signed_in.remember(key(2), principal(2), epoch);
        assert!(signed_in.get(&key(1)).is_some());
        signed_in.forget(1);
        assert!(signed_in.get(&key(1)).is_none());
        assert_eq!(signed_in.get(&key(2)).unwrap().user_id, 2);
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let signed_in = SignedIn::new(Duration::from_secs(60));
        let before = signed_in.epoch();
        signed_in.forget(7);
        signed_in.remember(key(7), principal(7), before);
        assert!(signed_in.get(&key(7)).is_none());
    }

    #[test]
    fn a_zero_lifetime_keeps_nothing() {
        let signed_in = SignedIn::new(Duration::ZERO);
        signed_in.remember(key(1), principal(1), signed_in.epoch());
        assert!(signed_in.get(&key(1)).is_none());
    }
}

//! Login attempts are limited per username and per client address (governor's GCRA), so that
//! neither one account nor one address can be used to guess passwords quickly.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimit;
use crate::error::ApiError;

/// Keys kept before idle ones are dropped.
const MAX_TRACKED_KEYS: usize = 100_000;

pub struct LoginLimiter {
    by_username: DefaultKeyedRateLimiter<String>,
    by_client: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

fn quota(limit: RateLimit) -> Quota {
    let attempts = NonZeroU32::new(limit.attempts).unwrap_or(NonZeroU32::MIN);
    let period = limit.per / attempts.get();
    Quota::with_period(period.max(std::time::Duration::from_millis(1)))
        .unwrap_or_else(|| Quota::per_second(attempts))
        .allow_burst(attempts)
}

impl LoginLimiter {
    pub fn new(per_username: RateLimit, per_client: RateLimit) -> LoginLimiter {
        LoginLimiter {
            by_username: RateLimiter::keyed(quota(per_username)),
            by_client: RateLimiter::keyed(quota(per_client)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt; `429` with the wait when either key is over its limit.
    pub fn check(&self, username: &str, client: &str) -> Result<(), ApiError> {
        for (limiter, key) in [
            (&self.by_client, client.to_owned()),
            (&self.by_username, username.to_lowercase()),
        ] {
            if limiter.len() > MAX_TRACKED_KEYS {
                limiter.retain_recent();
            }
            if let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(self.clock.now());
                return Err(ApiError::too_many_requests(wait.as_secs().max(1)));
            }
        }
        Ok(())
    }
}

/// What the public endpoints tell a client about its allowance (the `RateLimit-*` headers of
/// draft-ietf-httpapi-ratelimit-headers).
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the full allowance is back.
    pub reset_secs: u64,
}

impl Allowance {
    pub fn headers(self) -> [(&'static str, String); 3] {
        [
            ("RateLimit-Limit", self.limit.to_string()),
            ("RateLimit-Remaining", self.remaining.to_string()),
            ("RateLimit-Reset", self.reset_secs.to_string()),
        ]
    }
}

/// Requests to the public endpoints (no sign-in) are limited per client address; the same
/// allowance per minute limits each integration client's requests, keyed by its account.
pub struct PublicLimiter {
    by_client: RateLimiter<
        String,
        governor::state::keyed::DefaultKeyedStateStore<String>,
        DefaultClock,
        governor::middleware::StateInformationMiddleware,
    >,
    per_minute: u32,
    clock: DefaultClock,
}

impl PublicLimiter {
    pub fn new(per_minute: u32) -> PublicLimiter {
        let limit = RateLimit {
            attempts: per_minute,
            per: std::time::Duration::from_secs(60),
        };
        PublicLimiter {
            by_client: RateLimiter::keyed(quota(limit)).with_middleware(),
            per_minute: per_minute.max(1),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request; `429` with the wait when the client is over its allowance.
    pub fn check(&self, client: &str) -> Result<Allowance, ApiError> {
        if self.by_client.len() > MAX_TRACKED_KEYS {
            self.by_client.retain_recent();
        }
        match self.by_client.check_key(&client.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let per_request = 60.0 / f64::from(self.per_minute);
                Ok(Allowance {
                    limit: self.per_minute,
                    remaining,
                    reset_secs: (f64::from(self.per_minute - remaining.min(self.per_minute)) * per_request)
                        .ceil() as u64,
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(ApiError::too_many_requests(wait.as_secs().max(1)))
            }
        }
    }
}

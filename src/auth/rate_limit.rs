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

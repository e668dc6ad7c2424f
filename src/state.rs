//! What every handler shares: configuration, the database, token keys and the rate limiters.

use std::sync::Arc;

use crate::api::certification::answers::PublicAnswers;
use crate::auth::rate_limit::{LoginLimiter, PublicLimiter};
use crate::auth::signed_in::SignedIn;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub tokens: Arc<TokenService>,
    pub login_limiter: Arc<LoginLimiter>,
    pub public_limiter: Arc<PublicLimiter>,
    /// Each integration client's allowance, keyed by its account id.
    pub client_limiter: Arc<PublicLimiter>,
    /// Sessions checked in the last few seconds (see [`crate::auth::signed_in`]).
    pub signed_in: Arc<SignedIn>,
    /// Public certificate answers kept in memory (see [`crate::api::certification::answers`]).
    pub public_answers: Arc<PublicAnswers>,
}

impl AppState {
    pub fn new(config: Config, db: Db) -> AppState {
        AppState {
            tokens: Arc::new(TokenService::new(&config)),
            login_limiter: Arc::new(LoginLimiter::new(
                config.login_limit_per_username,
                config.login_limit_per_client,
            )),
            public_limiter: Arc::new(PublicLimiter::new(config.public_requests_per_minute)),
            client_limiter: Arc::new(PublicLimiter::new(config.client_requests_per_minute)),
            signed_in: Arc::new(SignedIn::new(config.principal_cache_ttl)),
            public_answers: Arc::new(PublicAnswers::new(config.public_cache_ttl)),
            config: Arc::new(config),
            db,
        }
    }
}

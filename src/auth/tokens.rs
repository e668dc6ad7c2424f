//! Access tokens (HS256 JWT, algorithm pinned, `exp`/`nbf`/`iss`/`aud` checked) and refresh tokens
//! (random, stored only as a SHA-256 hash).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::scopes::Scopes;
use crate::config::Config;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::users::User;

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub jti: String,
    pub role: String,
    /// The session (refresh-token family) the token was issued in; signing out ends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The user's token generation when the token was signed (see `users.token_generation`).
    #[serde(default, rename = "gen")]
    pub generation: i64,
    /// An integration client's scopes, space-separated (RFC 9068 §2.2.3); absent for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// What a valid access token says about its bearer; the principal extractor checks it against the
/// account as stored now.
#[derive(Debug, Clone)]
pub struct VerifiedAccess {
    pub user_id: i64,
    pub session_id: Option<String>,
    pub generation: i64,
    /// Granted to an integration client's token; `None` for a person's.
    pub scopes: Option<Scopes>,
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl TokenService {
    pub fn new(config: &Config) -> TokenService {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        TokenService {
            encoding: EncodingKey::from_secret(&config.jwt_signing_key),
            decoding: DecodingKey::from_secret(&config.jwt_signing_key),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            access_ttl: config.access_token_ttl,
            refresh_ttl: config.refresh_token_ttl,
        }
    }

    /// Signs an access token for `user` in the session `session_id`.
    pub fn issue_access(&self, user: &User, session_id: Option<&str>) -> Result<String, ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = AccessClaims {
            sub: user.id.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.access_ttl.as_secs(),
            nbf: now,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            role: user.role.clone(),
            sid: session_id.map(str::to_owned),
            generation: user.token_generation,
            scope: None,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))
    }

    /// Signs an access token for the integration client `user`, carrying `scopes`.
    pub fn issue_client_access(&self, user: &User, scopes: &Scopes) -> Result<String, ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = AccessClaims {
            sub: user.id.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.access_ttl.as_secs(),
            nbf: now,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            role: user.role.clone(),
            sid: None,
            generation: user.token_generation,
            scope: Some(scopes.to_string()),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))
    }

    /// The claims of a valid access token.
    pub fn verify_access(&self, token: &str) -> Result<VerifiedAccess, ApiError> {
        let data = decode::<AccessClaims>(token, &self.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthenticated(
                    "token_expired",
                    Text::new("Mã truy cập đã hết hạn.", "The access token has expired."),
                ),
                _ => invalid_token(),
            }
        })?;
        Ok(VerifiedAccess {
            user_id: data.claims.sub.parse().map_err(|_| invalid_token())?,
            session_id: data.claims.sid,
            generation: data.claims.generation,
            scopes: data
                .claims
                .scope
                .as_deref()
                .map(|s| Scopes::parse(s).map_err(|_| invalid_token()))
                .transpose()?,
        })
    }
}

pub fn invalid_token() -> ApiError {
    ApiError::unauthenticated(
        "invalid_token",
        Text::new("Mã truy cập không hợp lệ.", "The access token is not valid."),
    )
}

/// A new refresh token: the value for the client and the hash to store.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

pub fn hash_refresh_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

//! Sign-in: password login, refresh-token rotation with reuse detection, logout and the current
//! user. Every session change is audited.

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, etag};
use crate::auth::accounts::UserView;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::auth::{Principal, passwords};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::{refresh_tokens, users};
use crate::openapi::{
    BadRequest, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized, Unavailable, UnsupportedMediaType,
};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "tinh01.canbo", max_length = 64)]
    pub username: String,
    #[schema(format = Password, max_length = 256)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// As issued: 1–128 characters of unpadded base64url.
    #[schema(pattern = r"^[A-Za-z0-9_-]{1,128}$")]
    #[serde(deserialize_with = "refresh_token_shape")]
    pub refresh_token: String,
}

/// A refresh token has the shape the registry issues (unpadded base64url), or the request is
/// malformed (400) rather than a wrong token (401).
fn refresh_token_shape<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let token = String::deserialize(deserializer)?;
    let fits = (1..=128).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fits {
        Ok(token)
    } else {
        Err(serde::de::Error::custom(
            "a refresh token is 1-128 characters of unpadded base64url",
        ))
    }
}

/// Tokens of a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// Single-use token for `POST /api/v1/auth/refresh`; each use returns a new one.
    pub refresh_token: String,
}

const SESSION: &str = "session";

fn invalid_credentials() -> ApiError {
    ApiError::unauthenticated(
        "invalid_credentials",
        Text::new(
            "Tên đăng nhập hoặc mật khẩu không đúng.",
            "Wrong username or password.",
        ),
    )
}

fn invalid_refresh_token() -> ApiError {
    ApiError::unauthenticated(
        "invalid_refresh_token",
        Text::new(
            "Mã làm mới không hợp lệ, đã hết hạn hoặc đã bị thu hồi; hãy đăng nhập lại.",
            "The refresh token is invalid, expired or revoked; sign in again.",
        ),
    )
}

/// Tokens must not be cached by intermediaries (RFC 6749 §5.1).
fn token_response(tokens: TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(tokens)
}

/// The address used for rate limiting: the peer, or the first `X-Forwarded-For` hop when the
/// deployment says a trusted proxy sets it.
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned());
        if let Some(address) = forwarded.filter(|a| !a.is_empty()) {
            return address;
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Starts or continues a refresh-token family and signs an access token.
fn issue_session(
    conn: &mut DbConn,
    state: &AppState,
    user: &users::User,
    family_id: &str,
) -> Result<TokenResponse, ApiError> {
    let (refresh_token, refresh_hash) = new_refresh_token();
    let expires_at = crate::models::now()
        + chrono::Duration::from_std(state.tokens.refresh_ttl)
            .map_err(|e| ApiError::internal(format!("refresh lifetime: {e}")))?;
    refresh_tokens::insert(conn, user.id, family_id, &refresh_hash, expires_at)?;
    Ok(TokenResponse {
        access_token: state.tokens.issue_access(user, Some(family_id))?,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl.as_secs(),
        refresh_token,
    })
}

fn session_event(user: &users::User, action: &'static str, family_id: &str) -> Change<'static> {
    Change {
        entity_type: SESSION,
        entity_id: user.id.to_string(),
        action,
        before: None,
        after: Some(serde_json::json!({ "family_id": family_id })),
        province_code: None,
    }
}

/// Sign in with username and password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse, description = "Signed in: an access token and a refresh token"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    context: RequestContext,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let username = body.username.trim().to_lowercase();
    state
        .login_limiter
        .check(&username, &client_address(&req, state.config.trust_forwarded_for))?;

    let lookup = username.clone();
    let user = state
        .db
        .read(move |conn| users::find_by_username(conn, &lookup))
        .await?;
    // Argon2 is deliberately slow: verify off the async executor.
    let password = body.password;
    let (user, password_ok) = web::block(move || match user {
        Some(user) => {
            let ok = passwords::verify(&password, &user.password_hash);
            (Some(user), ok)
        }
        None => {
            passwords::verify_against_dummy(&password);
            (None, false)
        }
    })
    .await
    .map_err(|e| ApiError::internal(format!("password check: {e}")))?;

    let user = match user {
        Some(user) if password_ok => user,
        _ => {
            tracing::warn!(username = %username, "login failed");
            return Err(invalid_credentials());
        }
    };
    if !user.active {
        return Err(ApiError::unauthenticated(
            "account_inactive",
            Text::new("Tài khoản đã bị vô hiệu hóa.", "The account is deactivated."),
        ));
    }
    let state = state.into_inner();
    let tokens = state
        .db
        .clone()
        .write(move |conn| {
            let family_id = uuid::Uuid::new_v4().to_string();
            let tokens = issue_session(conn, &state, &user, &family_id)?;
            users::record_login(conn, user.id)?;
            let actor = Actor::user(user.id, &user.username, &context);
            audit::record(conn, &actor, session_event(&user, "login", &family_id))?;
            Ok(tokens)
        })
        .await?;
    Ok(token_response(tokens))
}

enum RefreshOutcome {
    Rotated(TokenResponse),
    Rejected,
    /// A rotated token came back: the family (a session of this user) is revoked, and that
    /// revocation must commit.
    ReuseDetected {
        user_id: i64,
    },
}

/// Exchange a refresh token for new tokens; the presented token is used up.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse, description = "A new access token and the next refresh token"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    context: RequestContext,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let state = state.into_inner();
    let signed_in = state.signed_in.clone();
    let presented = hash_refresh_token(body.refresh_token.trim());
    let outcome = state
        .db
        .clone()
        .write(move |conn| {
            let Some(token) = refresh_tokens::find_by_hash(conn, &presented)? else {
                return Ok(RefreshOutcome::Rejected);
            };
            let user = users::find(conn, token.user_id)?.ok_or_else(ApiError::not_found)?;
            if token.revoked_at.is_some() {
                return Ok(RefreshOutcome::Rejected);
            }
            if token.rotated_at.is_some() || !refresh_tokens::mark_rotated(conn, token.id)? {
                refresh_tokens::revoke_family(conn, &token.family_id)?;
                let actor = Actor::user(user.id, &user.username, &context);
                audit::record(conn, &actor, session_event(&user, "refresh_token_reuse", &token.family_id))?;
                tracing::warn!(user_id = user.id, family = %token.family_id, "refresh token reuse; session revoked");
                return Ok(RefreshOutcome::ReuseDetected { user_id: user.id });
            }
            if token.expires_at <= crate::models::now() || !user.active {
                return Ok(RefreshOutcome::Rejected);
            }
            let tokens = issue_session(conn, &state, &user, &token.family_id)?;
            let actor = Actor::user(user.id, &user.username, &context);
            audit::record(conn, &actor, session_event(&user, "refresh", &token.family_id))?;
            Ok(RefreshOutcome::Rotated(tokens))
        })
        .await?;
    match outcome {
        RefreshOutcome::Rotated(tokens) => Ok(token_response(tokens)),
        RefreshOutcome::ReuseDetected { user_id } => {
            signed_in.forget(user_id);
            Err(invalid_refresh_token())
        }
        RefreshOutcome::Rejected => Err(invalid_refresh_token()),
    }
}

/// Sign out: revokes the session the refresh token belongs to.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out (also when the token was already revoked)"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    principal: Principal,
    context: RequestContext,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = hash_refresh_token(body.refresh_token.trim());
    let user_id = principal.user_id;
    state
        .db
        .write(move |conn| {
            // Someone else's token is ignored rather than reported, to reveal nothing about it.
            let token = refresh_tokens::find_by_hash(conn, &presented)?
                .filter(|t| t.user_id == principal.user_id && t.revoked_at.is_none());
            if let Some(token) = token {
                refresh_tokens::revoke_family(conn, &token.family_id)?;
                let user = users::find(conn, principal.user_id)?.ok_or_else(ApiError::not_found)?;
                audit::record(
                    conn,
                    &Actor::new(&principal, &context),
                    session_event(&user, "logout", &token.family_id),
                )?;
            }
            Ok(())
        })
        .await?;
    state.signed_in.forget(user_id);
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView, description = "The signed-in user", headers(("ETag" = String, description = "Version of the record"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, ApiError> {
    let user = state
        .db
        .read(move |conn| users::find(conn, principal.user_id)?.ok_or_else(ApiError::not_found))
        .await?;
    let view = UserView::try_from(user)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

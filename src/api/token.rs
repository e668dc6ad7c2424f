//! The token endpoint for integration clients: the client credentials grant of RFC 6749 §4.4.
//! A client authenticates with HTTP Basic (RFC 6749 §2.3.1) or with `client_id` and
//! `client_secret` in the form, and gets a short-lived access token carrying its scopes. Errors
//! are problem+json objects that also carry RFC 6749 §5.2's `error` and `error_description`, so
//! that OAuth client libraries read them as they expect.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::client_address;
use super::integration_clients::hash_secret;
use crate::auth::Role;
use crate::auth::scopes::Scopes;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::audit::{self, Actor, Change};
use crate::models::{integration_clients, now};
use crate::openapi::{
    BadRequest, PayloadTooLarge, TooManyRequests, Unauthorized, Unavailable, UnsupportedMediaType,
};
use crate::state::AppState;

/// The largest form the endpoint reads.
const FORM_LIMIT_BYTES: usize = 4096;

/// The grant an integration client asks for.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
pub enum GrantType {
    #[serde(rename = "client_credentials")]
    ClientCredentials,
}

/// A token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientTokenRequest {
    pub grant_type: GrantType,
    /// Space-separated scopes to put in the token, each one granted to the client; all of them when
    /// absent.
    #[schema(example = "projects:read stats:read", max_length = 512)]
    pub scope: Option<String>,
    /// With `client_secret`, when the client does not authenticate with HTTP Basic.
    #[schema(example = "ic-3f9a1c0b7d2e", max_length = 64)]
    pub client_id: Option<String>,
    #[schema(format = Password, max_length = 256)]
    pub client_secret: Option<String>,
}

/// An access token for an integration client.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientTokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds; ask for a new one when it ends (there is no
    /// refresh token in this grant).
    pub expires_in: u64,
    /// The scopes the token carries, space-separated.
    #[schema(example = "projects:read stats:read")]
    pub scope: String,
}

/// An RFC 6749 §5.2 error as a problem object.
fn oauth_error(status: StatusCode, error: &'static str, detail: Text) -> ApiError {
    let description = detail.en.clone();
    let mut problem = ApiError::new(status, error, detail)
        .with_extension("error", error)
        .with_extension("error_description", description);
    if status == StatusCode::UNAUTHORIZED {
        problem.www_authenticate = Some("Basic realm=\"khuyencong\"".to_owned());
    }
    problem
}

fn invalid_request(en: &str, vi: &str) -> ApiError {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Text::new(vi.to_owned(), en.to_owned()),
    )
}

fn invalid_client() -> ApiError {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        Text::new(
            "Mã ứng dụng hoặc khóa bí mật không đúng, hoặc ứng dụng đã bị vô hiệu hóa.",
            "Unknown client, wrong secret, or a deactivated client.",
        ),
    )
}

/// The client's id and secret, from `Authorization: Basic` or from the form (not both).
fn credentials(req: &HttpRequest, form: &ClientTokenRequest) -> Result<(String, String), ApiError> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, value) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| value.trim().to_owned())
        });
    match (basic, &form.client_id, &form.client_secret) {
        (Some(encoded), None, None) => {
            let decoded = STANDARD
                .decode(encoded)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(invalid_client)?;
            let (id, secret) = decoded.split_once(':').ok_or_else(invalid_client)?;
            // RFC 6749 §2.3.1: both are form-encoded before they are joined.
            let unescape = |s: &str| {
                form_urlencoded::parse(format!("v={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((unescape(id), unescape(secret)))
        }
        (None, Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
        (Some(_), _, _) => Err(invalid_request(
            "Authenticate the client one way: HTTP Basic or client_id and client_secret in the form.",
            "Chỉ xác thực ứng dụng một cách: HTTP Basic hoặc client_id và client_secret trong biểu mẫu.",
        )),
        (None, _, _) => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            Text::new(
                "Thiếu thông tin xác thực ứng dụng (HTTP Basic hoặc client_id và client_secret).",
                "Client authentication is missing (HTTP Basic, or client_id and client_secret).",
            ),
        )),
    }
}

/// Reads the form; a parameter given twice is a malformed request, an unknown one is ignored.
fn read_form(req: &HttpRequest, body: &[u8]) -> Result<ClientTokenRequest, ApiError> {
    let form_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(ApiError::unsupported_media_type());
    }
    if body.len() > FORM_LIMIT_BYTES {
        return Err(ApiError::payload_too_large(FORM_LIMIT_BYTES));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut form = ClientTokenRequest {
        grant_type: GrantType::ClientCredentials,
        scope: None,
        client_id: None,
        client_secret: None,
    };
    let mut grant = None;
    for (name, value) in form_urlencoded::parse(body) {
        let known = matches!(
            name.as_ref(),
            "grant_type" | "scope" | "client_id" | "client_secret"
        );
        if known && !seen.insert(name.to_string()) {
            return Err(invalid_request(
                &format!("The parameter `{name}` is given more than once."),
                &format!("Tham số `{name}` xuất hiện nhiều lần."),
            ));
        }
        let value = value.into_owned();
        match name.as_ref() {
            "grant_type" => grant = Some(value),
            "scope" => form.scope = Some(value),
            "client_id" => form.client_id = Some(value),
            "client_secret" => form.client_secret = Some(value),
            // RFC 6749 §3.2: unrecognized parameters are ignored.
            _ => {}
        }
    }
    match grant.as_deref() {
        Some("client_credentials") => Ok(form),
        Some(_) => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            Text::new(
                "Chỉ hỗ trợ grant_type=client_credentials; người dùng đăng nhập qua /api/v1/auth/login.",
                "Only grant_type=client_credentials is supported; people sign in at /api/v1/auth/login.",
            ),
        )),
        None => Err(invalid_request("grant_type is required.", "Thiếu grant_type.")),
    }
}

/// The scopes a token request names, if it names any.
fn asked_scopes(scope: Option<String>) -> Result<Option<Scopes>, ApiError> {
    scope
        .as_deref()
        .map(|s| {
            Scopes::parse(s).map_err(|unknown| {
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    Text::new(
                        format!("Không có phạm vi `{unknown}`."),
                        format!("There is no scope `{unknown}`."),
                    ),
                )
            })
        })
        .transpose()
}

/// Get an access token for an integration client (client credentials, RFC 6749 §4.4).
///
/// Authenticate the client with `Authorization: Basic base64(client_id:client_secret)` or with
/// `client_id` and `client_secret` in the form. The token lives `ACCESS_TOKEN_TTL_SECS` (15
/// minutes by default) and carries the scopes asked for in `scope`, or all the client holds.
/// Attempts are limited per client id and per address like sign-in (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body(content = ClientTokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = ClientTokenResponse, description = "An access token", headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    ),
)]
#[post("/auth/token")]
pub async fn client_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    context: RequestContext,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let form = read_form(&req, &body)?;
    let (client_id, secret) = credentials(&req, &form)?;
    if client_id.is_empty() || client_id.len() > 64 || secret.len() > 256 {
        return Err(invalid_client());
    }
    state.login_limiter.check(
        &client_id,
        &client_address(&req, state.config.trust_forwarded_for),
    )?;
    let asked = form.scope;
    let presented = hash_secret(&secret);
    let state = state.into_inner();
    let tokens = state.tokens.clone();
    let (token, scopes) = state
        .db
        .write(move |conn| {
            let Some((user, client)) = integration_clients::find_by_client_id(conn, &client_id)? else {
                return Err(invalid_client());
            };
            let timestamp = now();
            // Comparing hashes of 256-bit random secrets: equal prefixes tell an attacker nothing.
            let current = presented == client.secret_hash;
            let previous = client.previous_secret_hash.as_deref() == Some(presented.as_str())
                && client
                    .previous_secret_valid_until
                    .is_some_and(|until| until > timestamp);
            if !(current || previous) || !user.active || user.role != Role::Integration.as_str() {
                return Err(invalid_client());
            }
            // Scopes are judged once the client is known: an unknown client learns nothing else.
            let asked = asked_scopes(asked)?;
            let granted = Scopes::parse(&client.scopes).unwrap_or_default();
            let scopes = match asked {
                Some(asked) if !asked.is_subset(&granted) => {
                    return Err(oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        Text::new(
                            "Ứng dụng không được cấp một số phạm vi đã yêu cầu.",
                            "The client was not granted some of the scopes asked for.",
                        ),
                    ));
                }
                Some(asked) if !asked.is_empty() => asked,
                _ => granted,
            };
            let token = tokens.issue_client_access(&user, &scopes)?;
            integration_clients::touch(conn, user.id, timestamp)?;
            let actor = Actor::user(user.id, &user.username, &context);
            audit::record(
                conn,
                &actor,
                Change {
                    entity_type: "integration_client",
                    entity_id: user.id.to_string(),
                    action: "token_issued",
                    before: None,
                    after: Some(serde_json::json!({
                        "scope": scopes.to_string(),
                        "secret": if current { "current" } else { "previous" },
                    })),
                    province_code: user.province_code.as_deref(),
                },
            )?;
            Ok((token, scopes))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(ClientTokenResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: state.tokens.access_ttl.as_secs(),
            scope: scopes.to_string(),
        }))
}

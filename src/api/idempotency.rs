//! `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) on the POSTs that create records
//! or move money and state: a client that did not hear the answer retries with the same key and
//! gets the first answer again, not a second effect.
//!
//! - The key is the caller's (the account behind the access token): two callers may use one key.
//! - Before the request runs, its key is claimed in a transaction of its own. A retry while it runs
//!   is refused with 409 (`Retry-After: 1`); a request with another method, path, query or body
//!   under a used key is refused with 422.
//! - A successful answer (status, headers, body) is kept for 24 hours and replayed for retries.
//!   An answer with an error gives the key back: every change is one transaction, so a refused or
//!   failed request changed nothing, and its retry runs again.
//! - The POSTs of sign-in and of integration clients are left out: their answers hold secrets,
//!   which are not kept.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::extract::{BodyLimits, read_body};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::models::idempotency_keys::{self as keys, Claim, KeptAnswer};
use crate::models::now;
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// How a key may be written: an RFC 8941 string (quoted) or the same characters bare, 1–255 of them.
pub const KEY_PATTERN: &str = r#"^("[A-Za-z0-9._:+/=~-]{1,255}"|[A-Za-z0-9._:+/=~-]{1,255})$"#;
/// How long an answer is kept.
const KEPT_HOURS: i64 = 24;

/// Whether a POST to `path` (a path or its documented template) takes a key. Answers that hold a
/// secret (tokens, client secrets, a new webhook's signing secret) are not kept, so those take none.
/// Imports take none either: a file is applied once by its SHA-256 (a retry is answered 409 with
/// the import that applied it), and its body may be far larger than the keys' body limit.
pub fn applies(path: &str) -> bool {
    path.starts_with("/api/v1/")
        && !path.starts_with("/api/v1/auth/")
        && !path.starts_with("/api/v1/integration-clients")
        && !path.starts_with("/api/v1/public/")
        && path.trim_end_matches('/') != "/api/v1/webhooks"
        && !path.starts_with("/api/v1/imports")
}

/// The key itself, without the quotes of its structured-field form.
fn parse_key(value: &HeaderValue) -> Result<String, ApiError> {
    let text = value.to_str().unwrap_or_default();
    // Quoted on both sides or on neither.
    let bare = match text.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"').unwrap_or(text),
        None => text,
    };
    let fits = (1..=255).contains(&bare.len())
        && bare
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:+/=~-".contains(&b));
    if fits {
        Ok(bare.to_owned())
    } else {
        Err(ApiError::bad_request(
            "invalid_idempotency_key",
            Text::new(
                "Idempotency-Key phải gồm 1 đến 255 ký tự chữ, số hoặc ._:+/=~- (có thể trong ngoặc kép).",
                "Idempotency-Key must be 1 to 255 letters, digits or ._:+/=~- (optionally in double quotes).",
            ),
        ))
    }
}

fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [req.method().as_str(), req.path(), req.query_string()] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.update(body);
    format!("{:x}", hash.finalize())
}

fn in_use() -> ApiError {
    let mut error = ApiError::conflict(
        "idempotency_key_in_use",
        Text::new(
            "Một yêu cầu với Idempotency-Key này đang được xử lý; hãy thử lại sau.",
            "A request with this Idempotency-Key is still being processed; retry later.",
        ),
    );
    error.retry_after = Some(1);
    error
}

fn other_request() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        Text::new(
            "Idempotency-Key này đã dùng cho một yêu cầu khác (phương thức, đường dẫn hoặc nội dung khác).",
            "This Idempotency-Key was used for another request (a different method, path or body).",
        ),
    )
}

fn replay(kept: KeptAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    let headers: Vec<(String, String)> = serde_json::from_str(&kept.headers).unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(&value)) {
            response.append_header((name, value));
        }
    }
    response.body(kept.body)
}

/// Middleware: see the module's documentation.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    // Only a POST that carries a key, to a path that takes one, from a caller with a valid token
    // (otherwise the handler answers 401) is handled here; every other request runs as it is,
    // without the token being checked twice.
    let header = req.headers().get(HEADER).cloned();
    let (Some(header), true) = (
        header,
        req.method() == actix_web::http::Method::POST && applies(req.path()),
    ) else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let caller = state.as_ref().and_then(|state| {
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .trim()
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))?
            .1
            .trim();
        state.tokens.verify_access(token).ok()
    });
    let (Some(state), Some(caller)) = (state, caller) else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let refuse = |req: ServiceRequest, error: ApiError| Ok(req.error_response(error).map_into_right_body());
    let key = match parse_key(&header) {
        Ok(key) => key,
        Err(error) => return refuse(req, error),
    };
    let limits = req.app_data::<BodyLimits>().copied().unwrap_or_default();
    let mut payload = req.take_payload();
    let body = match read_body(&mut payload, limits).await {
        Ok(body) => body.freeze(),
        Err(error) => return refuse(req, error),
    };
    let print = fingerprint(&req, &body);
    req.set_payload(Payload::from(body));
    let caller = format!("user:{}", caller.user_id);
    let (claim_caller, claim_key) = (caller.clone(), key.clone());
    let claim = state
        .db
        .write(move |conn| {
            let now = now();
            let since = now - chrono::Duration::hours(KEPT_HOURS);
            keys::claim(conn, &claim_caller, &claim_key, &print, now, since)
        })
        .await;
    match claim {
        Ok(Claim::Claimed) => {}
        Ok(Claim::Running) => return refuse(req, in_use()),
        Ok(Claim::OtherRequest) => return refuse(req, other_request()),
        Ok(Claim::Answered(kept)) => {
            let (request, _) = req.into_parts();
            return Ok(ServiceResponse::new(request, replay(kept)).map_into_right_body());
        }
        Err(error) => return refuse(req, error),
    }

    let give_back = |state: web::Data<AppState>, caller: String, key: String| async move {
        if let Err(error) = state
            .db
            .write(move |conn| keys::release(conn, &caller, &key))
            .await
        {
            tracing::warn!(code = error.code, "an idempotency key could not be given back");
        }
    };
    let response = match next.call(req).await {
        Ok(response) => response,
        Err(error) => {
            give_back(state, caller, key).await;
            return Err(error);
        }
    };
    let status = response.status();
    if response.response().error().is_some() || !status.is_success() {
        give_back(state, caller, key).await;
        return Ok(response.map_into_left_body());
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            give_back(state, caller, key).await;
            return Ok(ServiceResponse::new(
                request,
                ApiError::internal("the answer could not be read").render(crate::i18n::Lang::En, None),
            )
            .map_into_right_body());
        }
    };
    let headers: Vec<(String, String)> = head
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    let kept = KeptAnswer {
        status: status.as_u16(),
        headers: serde_json::to_string(&headers).unwrap_or_default(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    if let Err(error) = state
        .db
        .write(move |conn| keys::finish(conn, &caller, &key, &kept))
        .await
    {
        // The change is made; only its replay is lost. The claim stays, so a retry is refused
        // (409) rather than run twice.
        tracing::error!(code = error.code, "an idempotent answer could not be kept");
    }
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(request, response).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented pattern and the parser agree: a fuzzer reading the document sends only keys
    /// the server takes.
    #[test]
    fn the_parser_takes_exactly_what_the_pattern_allows() {
        let pattern = regex_lite::Regex::new(KEY_PATTERN).unwrap();
        let long = "a".repeat(255);
        let too_long = "a".repeat(256);
        let quoted_long = format!("\"{long}\"");
        for sample in [
            "abc",
            "\"abc\"",
            "\"abc",
            "abc\"",
            "\"\"",
            "\"",
            "",
            "a b",
            "8e03978e-40d5-43e8-bc93-6894a57f9324",
            "YWJj+/=",
            long.as_str(),
            too_long.as_str(),
            quoted_long.as_str(),
            "\"a\"b\"",
        ] {
            let parsed = parse_key(&HeaderValue::from_str(sample).unwrap());
            assert_eq!(parsed.is_ok(), pattern.is_match(sample), "{sample:?}");
        }
        assert_eq!(parse_key(&HeaderValue::from_static("\"abc\"")).unwrap(), "abc");
    }
}

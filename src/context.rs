//! What every request carries through the registry: its id (`X-Request-Id`, echoed when the client
//! sent a sane one), its language, a tracing span, and the rendering of errors as problem+json in
//! that language with that id.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::{Ready, ready};
use tracing::Instrument;

use crate::auth::rate_limit::Allowance;
use crate::error::ApiError;
use crate::i18n::Lang;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Facts about the current request that handlers pass on (to audit events, to messages).
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub lang: Lang,
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(RequestContext {
            request_id: req
                .extensions()
                .get::<RequestId>()
                .map(|id| id.0.clone())
                .unwrap_or_default(),
            lang: request_lang(req.headers()),
        }))
    }
}

fn request_lang(headers: &header::HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// A client-supplied id is kept only if it is short and printable, so it cannot forge log lines.
fn client_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| value.to_owned())
}

/// The middleware: wraps the whole application.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = client_request_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let lang = request_lang(req.headers());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
    );
    let outcome = next.call(req).instrument(span.clone()).await;

    let mut response = match outcome {
        Ok(response) => match response.response().error().map(as_api_error) {
            Some(error) => {
                let request = response.request().clone();
                ServiceResponse::new(request, error.render(lang, Some(&request_id)))
            }
            None => response.map_into_boxed_body(),
        },
        Err(error) => {
            // No request to attach a response to: hand actix the rendered response with the error.
            let mut rendered = as_api_error(&error).render(lang, Some(&request_id));
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                rendered.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            span.in_scope(|| tracing::warn!(error = %error, "request failed in middleware"));
            return Err(actix_web::error::InternalError::from_response(error, rendered).into());
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    // An integration client's allowance, counted when its token was checked.
    let allowance = response.request().extensions().get::<Allowance>().copied();
    if let Some(allowance) = allowance {
        for (name, value) in allowance.headers() {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(&value)) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request served"
        );
    });
    Ok(response)
}

/// Errors raised by actix itself (rather than by the registry's extractors) get the same shape.
fn as_api_error(error: &actix_web::Error) -> ApiError {
    if let Some(api_error) = error.as_error::<ApiError>() {
        return api_error.clone();
    }
    let status = error.as_response_error().status_code();
    let mut api_error = match status.as_u16() {
        404 => ApiError::not_found(),
        // Raised outside the JSON reader, where the limit in force is not known: say so without a number.
        413 => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            crate::i18n::Text::new("Nội dung yêu cầu quá lớn.", "The request body is too large."),
        ),
        415 => ApiError::unsupported_media_type(),
        400..=499 => ApiError::bad_request(
            "bad_request",
            crate::i18n::Text::new(
                format!("Yêu cầu không hợp lệ: {error}"),
                format!("Bad request: {error}"),
            ),
        ),
        _ => ApiError::internal(error.to_string()),
    };
    api_error.status = status;
    api_error
}

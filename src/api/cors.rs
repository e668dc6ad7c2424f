//! Cross-origin access for browser frontends (provincial centres' web applications on their own
//! origins). Only the origins in `CORS_ALLOWED_ORIGINS` get CORS headers; with none configured,
//! browsers on other origins cannot read any answer. Requests from other origins are still served
//! (non-browser clients send `Origin` too); the browser is what withholds the answer.

use actix_cors::Cors;
use actix_web::http::header::{self, HeaderName};

use crate::context::REQUEST_ID_HEADER;

/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE_SECS: usize = 600;

/// The CORS middleware for `origins`.
pub fn middleware(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::ACCEPT_LANGUAGE,
            HeaderName::from_static("idempotency-key"),
            REQUEST_ID_HEADER,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            REQUEST_ID_HEADER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
        ])
        .max_age(PREFLIGHT_MAX_AGE_SECS);
    origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}

//! Input hygiene at the door: control characters in the path or the query string are refused with
//! a 400 before routing, for every route alike (JSON bodies get the same check in
//! [`crate::api::extract::ApiJson`]). They have no legitimate use there, and PostgreSQL text cannot
//! hold NUL, so letting one through would turn a typo into a server error.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use percent_encoding::percent_decode_str;

use super::extract::check_text;
use crate::error::ApiError;

/// The first problem with the request's path or query string, if any.
fn check_request(req: &ServiceRequest) -> Result<(), ApiError> {
    let path = percent_decode_str(req.path()).decode_utf8_lossy();
    check_text(&path, false, "path")?;
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        // A bad name is reported as the query itself, so the name is never echoed.
        check_text(&name, false, "query")?;
        check_text(&value, false, &format!("query.{name}"))?;
    }
    Ok(())
}

/// Middleware: 400 `control_character` for a path or query parameter holding a control character.
pub async fn reject_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Err(error) = check_request(&req) {
        return Ok(req.error_response(error).map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

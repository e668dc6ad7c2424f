//! Input checks at the door, one pass over the path and the query string before any handler runs,
//! for every route alike:
//! - control characters are refused (400 `control_character`): they have no legitimate use in a
//!   path or a filter, and PostgreSQL text cannot hold NUL (JSON bodies get the same check in
//!   [`crate::api::extract::ApiJson`]);
//! - a query parameter the matched operation does not declare in the OpenAPI document is refused,
//!   so a misspelt filter is never silently ignored (400 `invalid_query`);
//! - a query or path parameter outside the limits the document states for it is refused
//!   (400 `invalid_query` / `invalid_path`), so the document and the server cannot disagree.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use percent_encoding::percent_decode_str;

use super::extract::check_text;
use crate::auth::scopes;
use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::openapi::{ParameterProblem, RouteTable};

fn parameter_error(field: String, problem: &ParameterProblem) -> FieldError {
    let (code, vi, en) = match problem {
        ParameterProblem::TooLong(max) => (
            "too_long",
            format!("Tối đa {max} ký tự."),
            format!("At most {max} characters."),
        ),
        ParameterProblem::TooShort(min) => (
            "too_short",
            format!("Ít nhất {min} ký tự."),
            format!("At least {min} characters."),
        ),
        ParameterProblem::PatternMismatch => (
            "invalid_format",
            "Giá trị không đúng định dạng đã mô tả trong tài liệu API.".to_owned(),
            "The value does not have the format the API document describes.".to_owned(),
        ),
        ParameterProblem::OutOfRange => (
            "out_of_range",
            "Giá trị nằm ngoài khoảng cho phép.".to_owned(),
            "The value is outside the allowed range.".to_owned(),
        ),
    };
    FieldError::new(field, code, Text::new(vi, en))
}

/// The first problem with the request's path or query string, if any.
fn check_request(req: &ServiceRequest, routes: Option<&RouteTable>) -> Result<(), ApiError> {
    let (method, path) = (req.method().as_str(), req.path());
    let segments: Vec<String> = path
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    for segment in &segments {
        check_text(segment, false, "path")?;
    }
    if let Some(routes) = routes
        && let Err((name, problem)) = routes.check_path(method, path, &segments)
    {
        return Err(ApiError::bad_request(
            "invalid_path",
            Text::new("Tham số đường dẫn không hợp lệ.", "Invalid path parameter."),
        )
        .with_errors(vec![parameter_error(format!("path.{name}"), &problem)]));
    }
    if req.query_string().is_empty() {
        return Ok(());
    }
    // `None` for a request no documented operation serves: left to the router (404 or 405).
    let declared = routes.and_then(|r| r.query_parameters(method, path));
    let mut errors = Vec::new();
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        // A bad name is reported as the query itself, so the name is never echoed.
        check_text(&name, false, "query")?;
        check_text(&value, false, &format!("query.{name}"))?;
        let (Some(routes), Some(declared)) = (routes, declared.as_ref()) else {
            continue;
        };
        if !declared.contains(&name.as_ref()) {
            errors.push(FieldError::new(
                format!("query.{name}"),
                "unknown_field",
                Text::new(
                    format!("Tham số `{name}` không được hỗ trợ."),
                    format!("Parameter `{name}` is not supported."),
                ),
            ));
        } else if let Err(problem) = routes.check_query(method, path, &name, &value) {
            errors.push(parameter_error(format!("query.{name}"), &problem));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_query(errors))
    }
}

/// Middleware: the checks of this module, answered as problem+json 400s.
pub async fn check_input(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let routes = req.app_data::<web::Data<RouteTable>>().map(|r| r.get_ref());
    if let Err(error) = check_request(&req, routes) {
        return Ok(req.error_response(error).map_into_right_body());
    }
    // Which scope an integration client needs here, for the principal extractor to check; only
    // a request with credentials can be a client's.
    let signed = req.headers().contains_key(actix_web::http::header::AUTHORIZATION);
    if signed && let Some(template) = routes.and_then(|r| r.template(req.method().as_str(), req.path())) {
        let access = scopes::access(req.method().as_str(), &template);
        req.extensions_mut().insert(access);
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

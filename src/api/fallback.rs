//! Requests the routes do not describe: 405 with `Allow` when the path exists under another method,
//! otherwise 404; query parameters no operation declares, and parameters outside their documented
//! limits, rejected before any handler runs.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use percent_encoding::percent_decode_str;

use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::openapi::{ParameterProblem, RouteTable};

pub async fn unmatched(req: HttpRequest, routes: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    Err(match routes.methods_for(req.path()) {
        Some(methods) => ApiError::method_not_allowed(methods.join(", ")),
        None => ApiError::not_found(),
    })
}

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

/// Every problem with the query string and path parameters of a documented operation.
fn check(req: &ServiceRequest, routes: &RouteTable) -> Result<(), ApiError> {
    let (method, path) = (req.method().as_str(), req.path());
    let segments: Vec<String> = path
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    if let Err((name, problem)) = routes.check_path(method, path, &segments) {
        return Err(ApiError::bad_request(
            "invalid_path",
            Text::new("Tham số đường dẫn không hợp lệ.", "Invalid path parameter."),
        )
        .with_errors(vec![parameter_error(format!("path.{name}"), &problem)]));
    }
    if req.query_string().is_empty() {
        return Ok(());
    }
    let Some(declared) = routes.query_parameters(method, path) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
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
        Err(ApiError::bad_request(
            "invalid_query",
            Text::new("Tham số truy vấn không hợp lệ.", "Invalid query parameters."),
        )
        .with_errors(errors))
    }
}

/// Middleware: 400 for a query parameter the matched operation does not declare in the OpenAPI
/// document (so a misspelt filter is never silently ignored), and for a query or path parameter
/// outside the limits the document states for it.
pub async fn reject_undeclared_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(routes) = req.app_data::<web::Data<RouteTable>>()
        && let Err(error) = check(&req, routes)
    {
        return Ok(req.error_response(error).map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

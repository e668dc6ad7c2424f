//! Requests the routes do not describe: 405 with `Allow` when the path exists under another method,
//! otherwise 404; and query parameters no operation declares, rejected before any handler runs.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, FieldError};
use crate::i18n::Text;
use crate::openapi::RouteTable;

pub async fn unmatched(req: HttpRequest, routes: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    Err(match routes.methods_for(req.path()) {
        Some(methods) => ApiError::method_not_allowed(methods.join(", ")),
        None => ApiError::not_found(),
    })
}

/// Middleware: 400 for a query parameter the matched operation does not declare in the OpenAPI
/// document, so a misspelt filter is never silently ignored.
pub async fn reject_undeclared_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !req.query_string().is_empty()
        && let Some(routes) = req.app_data::<web::Data<RouteTable>>()
        && let Some(declared) = routes.query_parameters(req.method().as_str(), req.path())
    {
        let unknown: Vec<FieldError> = form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(name, _)| name.into_owned())
            .filter(|name| !declared.iter().any(|d| d == name))
            .map(|name| {
                FieldError::new(
                    format!("query.{name}"),
                    "unknown_field",
                    Text::new(
                        format!("Tham số `{name}` không được hỗ trợ."),
                        format!("Parameter `{name}` is not supported."),
                    ),
                )
            })
            .collect();
        if !unknown.is_empty() {
            let error = ApiError::bad_request(
                "invalid_query",
                Text::new("Tham số truy vấn không hợp lệ.", "Invalid query parameters."),
            )
            .with_errors(unknown);
            return Ok(req.error_response(error).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

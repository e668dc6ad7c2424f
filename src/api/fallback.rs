//! Requests that match no route: 405 with `Allow` when the path exists under another method,
//! otherwise 404.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::openapi::RouteTable;

pub async fn unmatched(req: HttpRequest, routes: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    Err(match routes.methods_for(req.path()) {
        Some(methods) => ApiError::method_not_allowed(methods.join(", ")),
        None => ApiError::not_found(),
    })
}

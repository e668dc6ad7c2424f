//! Requests the routes do not describe: 405 with `Allow` when the path exists under another method,
//! otherwise 404. (Undeclared query parameters are refused earlier, in [`super::guard`].)

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::openapi::RouteTable;

pub async fn unmatched(req: HttpRequest, routes: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    Err(match routes.methods_for(req.path()) {
        Some(methods) => ApiError::method_not_allowed(methods.join(", ")),
        None => ApiError::not_found(),
    })
}

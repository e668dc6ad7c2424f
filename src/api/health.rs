//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok` (alive) or `ready` (alive and the database answers).
    pub status: &'static str,
}

/// Liveness: the process serves HTTP.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, body = Status, description = "The process serves HTTP"), (status = 400, response = crate::openapi::BadRequest)),
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Readiness: the database answers a query now.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = Status, description = "The database answers"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::Unavailable),
    ),
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.db.is_ready().await {
        Ok(HttpResponse::Ok().json(Status { status: "ready" }))
    } else {
        Err(ApiError::unavailable())
    }
}

//! The khuyến công registry: the national registry of Vietnam's industrial-promotion programme.
//!
//! [`build_app`] assembles the HTTP application; `main.rs` serves it and the integration tests drive
//! the very same application.

pub mod api;
pub mod auth;
pub mod config;
pub mod context;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod imports;
pub mod instruments;
pub mod memory;
pub mod models;
pub mod openapi;
pub mod pagination;
pub mod seed;
pub mod state;
pub mod telemetry;
pub mod webhooks;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, DefaultHeaders, from_fn};
use actix_web::{App, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::extract::{BodyLimits, path_error};
use crate::openapi::{ApiDoc, RouteTable};
use crate::state::AppState;

/// The router and the OpenAPI document, built from one list of routes.
fn routes() -> (
    App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api::configure)
        .split_for_parts()
}

/// The OpenAPI document the code describes (`khuyencong openapi`, `GET /api/openapi.json`).
pub fn openapi_document() -> serde_json::Value {
    openapi::finish(routes().1)
}

/// The document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut json =
        serde_json::to_string_pretty(&openapi_document()).expect("the OpenAPI document serializes");
    json.push('\n');
    json
}

async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// The complete application: routes, API docs, error rendering and request context.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, document) = routes();
    let document = openapi::finish(document);
    let route_table = RouteTable::from_document(&document);
    app.app_data(web::Data::new(state.clone()))
        .app_data(web::Data::new(route_table))
        .app_data(BodyLimits {
            max_bytes: state.config.body_limit_bytes,
            read_timeout: state.config.body_read_timeout,
        })
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(SwaggerUi::new("/docs/{_:.*}").external_url_unchecked("/api/openapi.json", document))
        .route("/docs", web::get().to(docs_redirect))
        .default_service(web::to(api::fallback::unmatched))
        .wrap(from_fn(api::idempotency::middleware))
        .wrap(from_fn(api::guard::check_input))
        .wrap(from_fn(context::middleware))
        // Only when metrics are served: matching the route pattern costs every request.
        .wrap(Condition::new(
            state.config.metrics_addr.is_some(),
            from_fn(instruments::middleware),
        ))
        // Outside the request context, so that it answers preflights itself and adds its headers
        // to every answer, problem documents included.
        .wrap(api::cors::middleware(&state.config.cors_allowed_origins))
        // Outermost, so that error responses rendered by the context middleware get them too.
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("Referrer-Policy", "no-referrer")),
        )
}

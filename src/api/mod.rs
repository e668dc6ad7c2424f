//! HTTP resources, one module each. Handlers are thin: parse, authorize, call the model inside one
//! transaction, render. Routes are registered once, here, and the OpenAPI paths come from the same
//! registrations.

pub mod admin_units;
pub mod audit_events;
pub mod auth;
pub mod beneficiaries;
pub mod cors;
pub mod extract;
pub mod fallback;
pub mod guard;
pub mod health;
pub mod reference;
pub mod users;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Every route of the API.
pub fn configure(config: &mut ServiceConfig) {
    config.service(health::healthz).service(health::readyz).service(
        scope::scope("/api/v1")
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::me)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(users::revoke_sessions)
            .service(audit_events::list_audit_events)
            .service(admin_units::list_provinces)
            .service(admin_units::get_province)
            .service(admin_units::list_communes)
            .service(admin_units::list_districts)
            .service(reference::list_enums)
            .configure(beneficiaries::configure),
    );
}

//! HTTP resources, one module each. Handlers are thin: parse, authorize, call the model inside one
//! transaction, render. Routes are registered once, here, and the OpenAPI paths come from the same
//! registrations.

pub mod activity_types;
pub mod admin_units;
pub mod audit_events;
pub mod auth;
pub mod beneficiaries;
pub mod certification;
pub mod checks;
pub mod cors;
pub mod csv_export;
pub mod events;
pub mod extract;
pub mod fallback;
pub mod guard;
pub mod health;
pub mod idempotency;
pub mod imports;
pub mod integration_clients;
pub mod organizations;
pub mod programmes;
pub mod projects;
pub mod reference;
pub mod stats;
pub mod support_caps;
pub mod token;
pub mod users;
pub mod webhooks;

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
            .service(token::client_token)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(users::revoke_sessions)
            .service(integration_clients::list_clients)
            .service(integration_clients::create_client)
            .service(integration_clients::get_client)
            .service(integration_clients::update_client)
            .service(integration_clients::rotate_secret)
            .service(audit_events::list_audit_events)
            .service(events::list_events)
            .service(imports::get_template)
            .service(imports::list_imports)
            .service(imports::create_import)
            .service(imports::get_import)
            .service(webhooks::list_webhooks)
            .service(webhooks::create_webhook)
            .service(webhooks::get_webhook)
            .service(webhooks::update_webhook)
            .service(webhooks::delete_webhook)
            .service(webhooks::list_deliveries)
            .service(webhooks::retry_delivery)
            .service(admin_units::list_provinces)
            .service(admin_units::get_province)
            .service(admin_units::list_communes)
            .service(admin_units::list_districts)
            .service(reference::list_enums)
            .service(activity_types::list_activity_types)
            .service(activity_types::create_activity_type)
            .service(activity_types::update_activity_type)
            .configure(beneficiaries::configure)
            .service(organizations::list_organizations)
            .service(organizations::create_organization)
            .service(organizations::get_organization)
            .service(organizations::update_organization)
            .configure(projects::configure)
            .service(support_caps::list_support_caps)
            .service(support_caps::create_support_cap)
            .service(support_caps::get_support_cap)
            .service(programmes::list_programmes)
            .service(programmes::create_programme)
            .service(programmes::get_programme)
            .service(programmes::get_targets)
            .service(programmes::put_targets)
            .service(stats::progress::programme_progress)
            .service(stats::reports::province_year_report)
            .service(stats::reports::national_year_report)
            .service(stats::projects::project_stats)
            .service(stats::projects::indicator_stats)
            .service(stats::outcomes::outcome_stats)
            .service(stats::certification::certification_stats)
            .service(stats::certification::public_certification_stats)
            .configure(certification::configure),
    );
}

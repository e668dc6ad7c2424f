//! Liveness and readiness: `/readyz` follows the database without a restart.

use khuyencong::db::Db;
use khuyencong::state::AppState;

use crate::support::{Proxy, TestApp, TestDatabase, config, is_postgres};

#[actix_web::test]
async fn healthz_answers() {
    let app = TestApp::new();
    let response = app.get("/healthz").send().await;
    response.assert_status(200);
    assert_eq!(response.body["status"], "ok");
}

async fn readyz(state: &AppState) -> u16 {
    let app = actix_web::test::init_service(khuyencong::build_app(state.clone())).await;
    let request = actix_web::test::TestRequest::get().uri("/readyz").to_request();
    actix_web::test::call_service(&app, request)
        .await
        .status()
        .as_u16()
}

#[actix_web::test]
async fn readyz_follows_the_database_without_restart() {
    let database = TestDatabase::create();
    if is_postgres() {
        let (proxy, proxied) = Proxy::in_front_of(&database.url);
        let config = config(&proxied, &[("DB_POOL_TIMEOUT_SECS", "1")]);
        let db = Db::open(&config.database_url, &config.db_settings(), false).unwrap();
        let state = AppState::new(config, db);

        assert_eq!(readyz(&state).await, 503, "unreachable at start");
        proxy.restore();
        assert_eq!(readyz(&state).await, 200, "back without a restart");
        proxy.cut();
        assert_eq!(readyz(&state).await, 503, "live connections dropped");
        proxy.restore();
        assert_eq!(readyz(&state).await, 200, "recovered again");
    } else {
        // For the embedded database, "unreachable" is a file whose directory is missing.
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not-yet").join("registry.sqlite3");
        let config = config(missing.to_str().unwrap(), &[("DB_POOL_TIMEOUT_SECS", "1")]);
        let db = Db::open(&config.database_url, &config.db_settings(), false).unwrap();
        let state = AppState::new(config, db);
        assert_eq!(readyz(&state).await, 503);
        std::fs::create_dir_all(missing.parent().unwrap()).unwrap();
        assert_eq!(readyz(&state).await, 200);
    }
}

#[actix_web::test]
async fn unavailable_database_is_a_503_problem_not_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone").join("registry.sqlite3");
    let config = config(missing.to_str().unwrap(), &[("DB_POOL_TIMEOUT_SECS", "1")]);
    let db = Db::open(&config.database_url, &config.db_settings(), false).unwrap();
    let state = AppState::new(config, db);
    let app = actix_web::test::init_service(khuyencong::build_app(state)).await;
    let request = actix_web::test::TestRequest::get()
        .uri("/readyz")
        .insert_header(("Accept-Language", "en"))
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "5");
    let body: serde_json::Value = actix_web::test::read_body_json(response).await;
    assert_eq!(body["code"], "database_unavailable");
}

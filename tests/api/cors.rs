//! Cross-origin access: only the origins in `CORS_ALLOWED_ORIGINS` get CORS headers, preflights
//! are answered with the methods and headers the API uses.

use actix_web::http::Method;

use crate::support::TestApp;

const FRONTEND: &str = "https://khuyencong.hanoi.gov.vn";

fn app() -> TestApp {
    TestApp::with_config(&[(
        "CORS_ALLOWED_ORIGINS",
        "https://khuyencong.hanoi.gov.vn,http://localhost:5173",
    )])
}

#[actix_web::test]
async fn an_allowed_origin_reads_answers_and_their_headers() {
    let app = app();
    let (_, token) = app.admin();
    let response = app
        .get("/api/v1/me")
        .bearer(&token)
        .header("Origin", FRONTEND)
        .send()
        .await;
    response.assert_status(200);
    assert_eq!(response.header("access-control-allow-origin"), Some(FRONTEND));
    let exposed = response
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in ["etag", "location", "retry-after", "x-request-id"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    assert!(
        response
            .header("vary")
            .unwrap()
            .to_ascii_lowercase()
            .contains("origin")
    );
    // Problem documents carry them too, so the frontend can read the error.
    let problem = app.get("/api/v1/me").header("Origin", FRONTEND).send().await;
    problem.assert_problem(401, "missing_credentials");
    assert_eq!(problem.header("access-control-allow-origin"), Some(FRONTEND));
}

#[actix_web::test]
async fn another_origin_gets_no_cors_headers() {
    for app in [app(), TestApp::new()] {
        let response = app
            .get("/api/v1/admin-units/provinces?limit=1")
            .header("Origin", "https://evil.example")
            .send()
            .await;
        // Served (curl and servers send Origin too) but unreadable by a browser on that origin.
        response.assert_status(200);
        assert_eq!(response.header("access-control-allow-origin"), None);
    }
}

#[actix_web::test]
async fn preflight_lists_methods_and_headers_for_allowed_origins_only() {
    let app = app();
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/api/v1/beneficiaries/7")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "PATCH")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, if-match, idempotency-key",
            )
    };
    let allowed = preflight("http://localhost:5173").send().await;
    assert!((200..300).contains(&allowed.status), "{}", allowed.status);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let methods = allowed.header("access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "authorization",
        "content-type",
        "if-match",
        "idempotency-key",
        "accept-language",
    ] {
        assert!(headers.contains(name), "{name} not allowed: {headers}");
    }
    assert_eq!(allowed.header("access-control-max-age"), Some("600"));

    let refused = preflight("https://evil.example").send().await;
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(refused.header("access-control-allow-methods"), None);
}

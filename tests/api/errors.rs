//! Every kind of bad request gets a problem+json body with the right 4xx, in the asked language,
//! with the request id.

use serde_json::json;

use crate::support::TestApp;

#[actix_web::test]
async fn unknown_route_is_404_problem() {
    let app = TestApp::new();
    let response = app.get("/api/v1/no-such-thing").send().await;
    response.assert_problem(404, "not_found");
    assert_eq!(response.body["title"], "Không tìm thấy");
}

#[actix_web::test]
async fn wrong_method_is_405_with_allow() {
    let app = TestApp::new();
    let response = app
        .request(actix_web::http::Method::DELETE, "/api/v1/users/7")
        .send()
        .await;
    response.assert_problem(405, "method_not_allowed");
    assert_eq!(response.header("allow"), Some("GET, PATCH"));
    let response = app.request(actix_web::http::Method::PUT, "/readyz").send().await;
    response.assert_problem(405, "method_not_allowed");
    assert_eq!(response.header("allow"), Some("GET"));
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = TestApp::new();
    let response = app
        .post("/api/v1/auth/login")
        .raw("application/json", r#"{"username": "a", "password": "#)
        .send()
        .await;
    response.assert_problem(400, "malformed_json");
}

#[actix_web::test]
async fn wrong_json_type_names_the_field() {
    let app = TestApp::new();
    let response = app
        .post("/api/v1/auth/login")
        .json(json!({"username": 42, "password": "x"}))
        .send()
        .await;
    response.assert_problem(400, "invalid_body");
    assert_eq!(
        response.field_errors(),
        vec![("body.username".to_owned(), "invalid_type".to_owned())]
    );
}

#[actix_web::test]
async fn unknown_and_missing_json_fields_are_rejected() {
    let app = TestApp::new();
    let response = app
        .post("/api/v1/auth/login")
        .json(json!({"username": "a", "password": "b", "remember_me": true}))
        .send()
        .await;
    response.assert_problem(400, "invalid_body");
    assert_eq!(
        response.field_errors(),
        vec![("body.remember_me".to_owned(), "unknown_field".to_owned())]
    );

    let response = app
        .post("/api/v1/auth/login")
        .json(json!({"username": "a"}))
        .send()
        .await;
    response.assert_problem(400, "invalid_body");
    assert_eq!(
        response.field_errors(),
        vec![("body.password".to_owned(), "missing_field".to_owned())]
    );
}

#[actix_web::test]
async fn unknown_query_parameter_is_rejected() {
    let app = TestApp::new();
    let response = app
        .get("/api/v1/admin-units/communes?provinc_code=01")
        .send()
        .await;
    response.assert_problem(400, "invalid_query");
    assert_eq!(
        response.field_errors(),
        vec![("query.provinc_code".to_owned(), "unknown_field".to_owned())]
    );

    let response = app.get("/api/v1/admin-units/communes?limit=many").send().await;
    response.assert_problem(400, "invalid_query");
    assert_eq!(response.field_errors()[0].0, "query.limit");

    let response = app.get("/api/v1/admin-units/communes?limit=501").send().await;
    response.assert_problem(400, "invalid_query");

    let response = app.get("/api/v1/admin-units/provinces?era=1990").send().await;
    response.assert_problem(400, "invalid_query");

    // A cursor outside the documented alphabet is refused by its pattern, one that decodes to
    // nothing of ours by the list.
    let response = app
        .get("/api/v1/admin-units/communes?cursor=garbage!")
        .send()
        .await;
    response.assert_problem(400, "invalid_query");
    assert_eq!(
        response.field_errors()[0],
        ("query.cursor".to_owned(), "invalid_format".to_owned())
    );
    let response = app
        .get("/api/v1/admin-units/communes?cursor=Z2FyYmFnZQ")
        .send()
        .await;
    response.assert_problem(400, "invalid_cursor");
}

#[actix_web::test]
async fn undeclared_query_parameter_is_rejected_on_every_route() {
    let app = TestApp::new();
    let (_, token) = app.admin();
    for path in [
        "/api/v1/reference/enums?lang=en",
        "/healthz?verbose=1",
        "/api/v1/me?expand=all",
    ] {
        let response = app.get(path).bearer(&token).send().await;
        response.assert_problem(400, "invalid_query");
        assert!(
            response.field_errors()[0].0.starts_with("query."),
            "{path}: {}",
            response.text
        );
    }
    // Declared parameters pass.
    app.get("/api/v1/admin-units/provinces/01?era=current")
        .send()
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn body_over_the_limit_is_413() {
    let app = TestApp::with_config(&[("BODY_LIMIT_BYTES", "256")]);
    let big = json!({"username": "a".repeat(300), "password": "b"});
    let response = app.post("/api/v1/auth/login").json(big).send().await;
    response.assert_problem(413, "payload_too_large");
    assert_eq!(response.body["limit_bytes"], 256);
}

#[actix_web::test]
async fn wrong_content_type_is_415() {
    let app = TestApp::new();
    let response = app
        .post("/api/v1/auth/login")
        .raw("text/plain", "username=a&password=b")
        .send()
        .await;
    response.assert_problem(415, "unsupported_media_type");
    let response = app.post("/api/v1/auth/login").send().await;
    response.assert_problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn bad_path_parameter_is_400() {
    let app = TestApp::new();
    let (_, token) = app.admin();
    let response = app.get("/api/v1/users/abc").bearer(&token).send().await;
    response.assert_problem(400, "invalid_path");
}

#[actix_web::test]
async fn english_messages_on_request() {
    let app = TestApp::new();
    let response = app
        .get("/api/v1/users")
        .header("Accept-Language", "en-GB,en;q=0.9")
        .send()
        .await;
    response.assert_problem(401, "missing_credentials");
    assert_eq!(response.body["title"], "Unauthenticated");
    assert!(
        response.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Authentication required")
    );
    assert_eq!(response.header("content-language"), Some("en"));

    let response = app.get("/api/v1/users").send().await;
    assert_eq!(response.body["title"], "Chưa xác thực");
    assert_eq!(response.header("content-language"), Some("vi"));
}

#[actix_web::test]
async fn request_id_is_echoed_or_generated() {
    let app = TestApp::new();
    let response = app
        .get("/api/v1/nowhere")
        .header("X-Request-Id", "client-42.a")
        .send()
        .await;
    assert_eq!(response.header("x-request-id"), Some("client-42.a"));
    assert_eq!(response.body["request_id"], "client-42.a");

    // A value that could forge log lines is replaced, not echoed.
    let response = app
        .get("/healthz")
        .header("X-Request-Id", "bad id\twith spaces")
        .send()
        .await;
    let generated = response.header("x-request-id").unwrap();
    assert_ne!(generated, "bad id\twith spaces");
    assert!(uuid::Uuid::parse_str(generated).is_ok());
}

#[actix_web::test]
async fn security_headers_are_on_errors_too() {
    let app = TestApp::new();
    let response = app.get("/api/v1/nowhere").send().await;
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
}

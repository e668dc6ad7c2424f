//! Bad input of every kind gets a problem+json 4xx, never a 500: control characters in paths, query
//! parameters, cursors and JSON strings; timestamps outside what the databases hold; a body that
//! never arrives; and arbitrary strings in every query parameter of every list endpoint.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::test::{self, TestRequest};
use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

use khuyencong::auth::Role;

use crate::support::{TestApp, answer};

fn encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[actix_web::test]
async fn control_characters_are_refused_in_every_kind_of_input() {
    let app = TestApp::new();
    let (admin, token) = app.admin();
    let nul_cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("[\"a\\u0000\",1]");

    // Query parameters and paths, public and signed in, NUL and other C0/C1 controls.
    for (path, field) in [
        ("/api/v1/admin-units/communes?q=%00".to_owned(), "query.q"),
        (
            "/api/v1/admin-units/communes?province_code=0%001".to_owned(),
            "query.province_code",
        ),
        (
            "/api/v1/admin-units/provinces?q=H%C3%A0%1BN%E1%BB%99i".to_owned(),
            "query.q",
        ),
        ("/api/v1/admin-units/provinces/%00".to_owned(), "path"),
        ("/api/v1/admin-units/provinces/01%0A".to_owned(), "path"),
        ("/api/v1/beneficiaries?q=g%C3%B4m%C2%85".to_owned(), "query.q"),
        (
            "/api/v1/beneficiaries?commune_code=%7F".to_owned(),
            "query.commune_code",
        ),
        (
            "/api/v1/audit-events?entity_id=1%00".to_owned(),
            "query.entity_id",
        ),
        (
            "/api/v1/users?province_code=%00".to_owned(),
            "query.province_code",
        ),
        ("/api/v1/beneficiaries?%00=1".to_owned(), "query"),
    ] {
        let response = app.get(&path).bearer(&token).send().await;
        response.assert_problem(400, "control_character");
        assert_eq!(response.field_errors()[0].0, field, "{path}");
    }
    app.get(&format!("/api/v1/beneficiaries?cursor={nul_cursor}"))
        .bearer(&token)
        .send()
        .await
        .assert_problem(400, "invalid_cursor");

    // JSON strings, anonymous and signed in, at the top level and nested.
    let login = app
        .post("/api/v1/auth/login")
        .json(json!({"username": "\u{0}", "password": "x"}))
        .send()
        .await;
    login.assert_problem(400, "control_character");
    assert_eq!(login.field_errors()[0].0, "body.username");
    for body in [
        json!({"name": "Gốm\u{0}", "legal_form": "cooperative_group", "identifier_type": "none", "province_code": "01", "commune_code": "00004"}),
        json!({"name": "Gốm", "legal_form": "cooperative_group", "identifier_type": "none", "province_code": "01\u{1}", "commune_code": "00004"}),
        json!({"name": "Gốm", "representative_name": "Nguyễn\u{9b}Văn", "legal_form": "cooperative_group", "identifier_type": "none", "province_code": "01", "commune_code": "00004"}),
    ] {
        app.post("/api/v1/beneficiaries")
            .bearer(&token)
            .json(body)
            .send()
            .await
            .assert_problem(400, "control_character");
    }
    app.patch(&format!("/api/v1/users/{}", admin.id))
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"display_name": "Quản\u{0}trị"}))
        .send()
        .await
        .assert_problem(400, "control_character");
    // Line breaks and tabs remain fine inside body strings (they are validated as values).
    let multiline = app
        .post("/api/v1/beneficiaries")
        .bearer(&token)
        .json(json!({"name": "Gốm", "address_line": "Thôn 1\nXã Bát Tràng", "legal_form": "cooperative_group", "identifier_type": "none", "province_code": "01", "commune_code": "00004"}))
        .send()
        .await;
    assert_ne!(multiline.status, 500, "{}", multiline.text);
    assert_ne!(multiline.body["code"], "control_character", "{}", multiline.text);
}

#[actix_web::test]
async fn malformed_tokens_and_entity_tags_are_400_not_guesses() {
    let app = TestApp::new();
    let (admin, token) = app.admin();
    // A refresh token the registry could never have issued is a malformed request.
    for path in ["/api/v1/auth/refresh", "/api/v1/auth/logout"] {
        let response = app
            .post(path)
            .bearer(&token)
            .json(json!({"refresh_token": "not a token!"}))
            .send()
            .await;
        response.assert_problem(400, "invalid_body");
        assert_eq!(response.field_errors()[0].0, "body.refresh_token");
    }
    // An entity tag is quoted; a bare number or a list is not one. Well-formed tags are compared
    // with the version (this account is at version 1).
    let malformed = ["1", "\"1", "\"1\", \"2\"", "*", "\"-1\""].map(|tag| (tag, 400, "invalid_if_match"));
    let stale = ["\"7\"", "W/\"7\""].map(|tag| (tag, 412, "version_mismatch"));
    for (if_match, status, code) in malformed.into_iter().chain(stale) {
        app.patch(&format!("/api/v1/users/{}", admin.id))
            .bearer(&token)
            .header("If-Match", if_match)
            .json(json!({"display_name": "Quản trị"}))
            .send()
            .await
            .assert_problem(status, code);
    }
}

/// No string the registry takes is longer than the document's limit, in any body field.
#[actix_web::test]
async fn strings_over_the_documented_limit_are_400() {
    let app = TestApp::new();
    let (_, token) = app.admin();
    let limit = khuyencong::openapi::limits::TEXT_MAX_CHARS;
    let at_limit = "ă".repeat(limit);
    let response = app
        .post("/api/v1/beneficiaries")
        .bearer(&token)
        .json(
            json!({"name": "Gốm", "address_line": format!("{at_limit}x"), "legal_form": "cooperative_group",
            "identifier_type": "none", "province_code": "01", "commune_code": "00004"}),
        )
        .send()
        .await;
    response.assert_problem(400, "text_too_long");
    assert_eq!(
        response.field_errors()[0],
        ("body.address_line".to_owned(), "too_long".to_owned())
    );
    let fits = app
        .post("/api/v1/beneficiaries")
        .bearer(&token)
        .json(
            json!({"name": "Gốm", "address_line": at_limit, "legal_form": "cooperative_group",
            "identifier_type": "none", "province_code": "01", "commune_code": "00004"}),
        )
        .send()
        .await;
    fits.assert_status(201);
}

#[actix_web::test]
async fn timestamps_outside_four_digit_years_are_400() {
    let app = TestApp::new();
    let (_, token) = app.admin();
    for bad in [
        "-262143-01-01T00:00:00Z",
        "+262142-12-31T23:59:59Z",
        "10000-01-01T00:00:00Z",
        "2025-13-01T00:00:00Z",
    ] {
        let response = app
            .get(&format!("/api/v1/audit-events?from={}", encoded(bad)))
            .bearer(&token)
            .send()
            .await;
        response.assert_problem(400, "invalid_query");
        assert_eq!(response.field_errors()[0].0, "query.from", "{bad}");
    }
    for fine in [
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2025-07-01T07:00:00+07:00",
    ] {
        app.get(&format!("/api/v1/audit-events?to={}", encoded(fine)))
            .bearer(&token)
            .send()
            .await
            .assert_status(200);
    }
}

/// A client that announces a body and sends only part of it is answered 408 once the body-read
/// timeout has passed, instead of holding a request forever. Needs a real server and a raw socket.
#[actix_web::test]
async fn a_body_shorter_than_its_content_length_times_out() {
    let app = TestApp::with_config(&[("BODY_READ_TIMEOUT_SECS", "1")]);
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || khuyencong::build_app(state.clone()))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let (elapsed, response) = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let started = Instant::now();
        stream
            .write_all(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: registry\r\nContent-Type: application/json\r\n\
                  Content-Length: 100\r\nAccept-Language: en\r\n\r\n{\"username\": ",
            )
            .unwrap();
        let mut response = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buffer[..n]);
            if response.windows(12).any(|w| w == b"body_timeout") {
                break;
            }
        }
        (started.elapsed(), String::from_utf8_lossy(&response).into_owned())
    })
    .await
    .unwrap();
    handle.stop(false).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("application/problem+json"), "{response}");
    assert!(response.contains("\"code\":\"body_timeout\""), "{response}");
    assert!(elapsed < Duration::from_secs(4), "answered after {elapsed:?}");
}

/// Every GET operation's query parameters, with the path parameters filled in, from the document.
fn query_targets() -> Vec<(String, String)> {
    let document = serde_json::to_value(khuyencong::openapi_document()).unwrap();
    let mut targets = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(parameters) = item["get"]["parameters"].as_array() else {
            continue;
        };
        let path = path.replace("{code}", "01").replace("{id}", "1");
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            targets.push((path.clone(), parameter["name"].as_str().unwrap().to_owned()));
        }
    }
    assert!(
        targets.len() >= 30,
        "only {} query parameters found",
        targets.len()
    );
    targets
}

fn acceptable(status: u16, content_type: &str) -> bool {
    (200..300).contains(&status)
        || ((400..500).contains(&status) && content_type == "application/problem+json")
}

/// Arbitrary strings (any Unicode, control characters included) in every query parameter of every
/// GET endpoint: a 2xx, or a problem+json 4xx, never anything else. A fixed sweep of awkward values
/// reaches every parameter; the property test explores beyond it.
#[test]
fn arbitrary_query_values_never_cause_a_server_error() {
    let system = actix_web::rt::System::new();
    let app = TestApp::new();
    let (_, token) = app.admin();
    let service = system.block_on(test::init_service(khuyencong::build_app(app.state.clone())));
    let targets = query_targets();
    let send = |path: &str, name: &str, value: &str| {
        let request = TestRequest::get()
            .uri(&format!("{path}?{}={}", encoded(name), encoded(value)))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request();
        system.block_on(answer(&service, request))
    };

    let awkward = [
        "",
        " ",
        "\0",
        "%",
        "%%",
        "_",
        "\\",
        "'",
        "\"",
        "' OR 1=1 --",
        "-1",
        "0",
        "1e309",
        "NaN",
        "99999999999999999999999",
        "-9223372036854775809",
        "true",
        "null",
        "[]",
        "{}",
        "\u{85}",
        "\u{200b}",
        "\u{feff}",
        "🎉",
        "Đ",
        "-262143-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "pre2025",
        "current",
        "01",
    ];
    let long = "ă".repeat(8_000);
    for (path, name) in &targets {
        for value in awkward.iter().copied().chain([long.as_str()]) {
            let (status, content_type) = send(path, name, value);
            assert!(
                acceptable(status, &content_type),
                "GET {path}?{name}={value:?}: {status} {content_type}"
            );
        }
    }

    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..targets.len(), any::<String>());
    runner
        .run(&strategy, |(index, value)| {
            let (path, name) = &targets[index];
            let (status, content_type) = send(path, name, &value);
            if acceptable(status, &content_type) {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "GET {path}?{name}={value:?}: {status} {content_type}"
                )))
            }
        })
        .unwrap();
}

#[actix_web::test]
async fn role_checks_still_come_after_input_checks() {
    // The input filter runs before authentication, so a probe learns nothing about tokens from it.
    let app = TestApp::new();
    let token = app.token_for(&app.user("kiem.toan", Role::Auditor).insert());
    app.get("/api/v1/users?role=%00")
        .bearer(&token)
        .send()
        .await
        .assert_problem(400, "control_character");
    app.get("/api/v1/users?role=%00")
        .send()
        .await
        .assert_problem(400, "control_character");
}

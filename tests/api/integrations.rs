//! Integration clients: service accounts with scopes, the client credentials grant, secret
//! rotation with a grace period, deactivation that applies at once, and every operation held to
//! the scope the OpenAPI document names for it.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use khuyencong::auth::Role;
use khuyencong::seed::{self, Options};

use crate::support::{Resp, TestApp};

const FORM: &str = "application/x-www-form-urlencoded";

/// A registry holding a few hundred establishments and projects.
fn registry(overrides: &[(&str, &str)]) -> TestApp {
    let app = TestApp::with_config(overrides);
    seed::run(&app.state.db, &Options::new(0.2, 11)).expect("seed");
    app
}

async fn create_client(app: &TestApp, admin: &str, body: Value) -> Resp {
    app.post("/api/v1/integration-clients")
        .bearer(admin)
        .json(body)
        .send()
        .await
}

/// The client id and secret of a client just created.
fn credentials(created: &Resp) -> (String, String) {
    created.assert_status(201);
    (
        created.body["client_id"].as_str().unwrap().to_owned(),
        created.body["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn token_request(app: &TestApp, id: &str, secret: &str, scope: Option<&str>) -> Resp {
    let basic = STANDARD.encode(format!("{id}:{secret}"));
    let mut form = "grant_type=client_credentials".to_owned();
    if let Some(scope) = scope {
        form.push_str(&format!("&scope={}", scope.replace(' ', "+")));
    }
    app.post("/api/v1/auth/token")
        .header("Authorization", &format!("Basic {basic}"))
        .raw(FORM, form)
        .send()
        .await
}

async fn token(app: &TestApp, id: &str, secret: &str) -> String {
    let answer = token_request(app, id, secret, None).await;
    answer.assert_status(200);
    answer.body["access_token"].as_str().unwrap().to_owned()
}

/// A client made by `admin` from `body`: its account id and a token of it.
pub async fn client_with_token(app: &TestApp, admin: &str, body: Value) -> (i64, String) {
    let created = create_client(app, admin, body).await;
    let (id, secret) = credentials(&created);
    (
        created.body["id"].as_i64().unwrap(),
        token(app, &id, &secret).await,
    )
}

/// Every item of a list, page after page.
async fn every_item(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let page_path = match &cursor {
            Some(c) => format!("{path}{separator}limit=500&cursor={c}"),
            None => format!("{path}{separator}limit=500"),
        };
        let page = app.get(&page_path).bearer(token).send().await;
        page.assert_status(200);
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

#[actix_web::test]
async fn a_client_reads_what_its_scopes_name_in_its_province_and_nothing_else() {
    let app = registry(&[]);
    let (_, admin) = app.admin();
    let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
    let projects = every_item(&app, &ministry, "/api/v1/projects").await;
    let province = projects[0]["province_code"].as_str().unwrap().to_owned();
    let elsewhere = projects
        .iter()
        .find(|p| p["province_code"] != province.as_str())
        .expect("a project of another province");

    let created = create_client(
        &app,
        &admin,
        json!({"name": "Cổng dịch vụ công tỉnh", "scopes": ["projects:read", "beneficiaries:read"],
               "province_code": province, "contact": "Phòng CNTT"}),
    )
    .await;
    assert_eq!(created.header("cache-control"), Some("no-store"));
    assert_eq!(
        created.body["scopes"],
        json!(["beneficiaries:read", "projects:read"])
    );
    let (id, secret) = credentials(&created);

    let answer = token_request(&app, &id, &secret, None).await;
    answer.assert_status(200);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["scope"], "beneficiaries:read projects:read");
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let client = answer.body["access_token"].as_str().unwrap().to_owned();

    // Reads: the client's province, as its staff see it.
    let seen = every_item(&app, &client, "/api/v1/projects").await;
    let expected = projects
        .iter()
        .filter(|p| p["province_code"] == province.as_str())
        .count();
    assert_eq!(seen.len(), expected);
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|p| p["province_code"] == province.as_str()));
    app.get(&format!("/api/v1/projects/{}", elsewhere["id"]))
        .bearer(&client)
        .send()
        .await
        .assert_problem(404, "not_found");

    // Writes, figures and people's operations: refused, the missing scope named.
    let refused = app
        .post("/api/v1/projects")
        .bearer(&client)
        .json(json!({}))
        .send()
        .await;
    refused.assert_problem(403, "insufficient_scope");
    assert_eq!(refused.body["scope"], "projects:write");
    assert_eq!(
        refused.header("www-authenticate"),
        Some("Bearer error=\"insufficient_scope\", scope=\"projects:write\"")
    );
    let figures = app.get("/api/v1/stats/projects").bearer(&client).send().await;
    figures.assert_problem(403, "insufficient_scope");
    assert_eq!(figures.body["scope"], "stats:read");
    app.get("/api/v1/users")
        .bearer(&client)
        .send()
        .await
        .assert_problem(403, "not_for_integration_clients");
    app.get("/api/v1/audit-events")
        .bearer(&client)
        .send()
        .await
        .assert_problem(403, "not_for_integration_clients");

    // Personal data: only with `personal_data:read`.
    let path = format!("/api/v1/beneficiaries?province_code={province}");
    let with_personal = |items: &[Value]| items.iter().filter(|b| b["personal_data"].is_object()).count();
    let by_staff = every_item(&app, &ministry, &path).await;
    assert!(
        with_personal(&by_staff) > 0,
        "the seeded province holds personal data"
    );
    let by_client = every_item(&app, &client, &path).await;
    assert_eq!(by_client.len(), by_staff.len());
    assert_eq!(with_personal(&by_client), 0);
    let (trusted_id, trusted_secret) = credentials(
        &create_client(
            &app,
            &admin,
            json!({"name": "Kho dữ liệu", "scopes": ["beneficiaries:read", "personal_data:read"], "province_code": province}),
        )
        .await,
    );
    let trusted = token(&app, &trusted_id, &trusted_secret).await;
    assert_eq!(
        with_personal(&every_item(&app, &trusted, &path).await),
        with_personal(&by_staff)
    );

    // A token may carry fewer scopes than the client holds, never more.
    let narrow = token_request(&app, &id, &secret, Some("projects:read")).await;
    narrow.assert_status(200);
    let narrow = narrow.body["access_token"].as_str().unwrap().to_owned();
    app.get(&path)
        .bearer(&narrow)
        .send()
        .await
        .assert_problem(403, "insufficient_scope");
    let wider = token_request(&app, &id, &secret, Some("projects:read stats:read")).await;
    wider.assert_problem(400, "invalid_scope");
    assert_eq!(wider.body["error"], "invalid_scope");
    token_request(&app, &id, &secret, Some("everything"))
        .await
        .assert_problem(400, "invalid_scope");

    // Wrong secrets and unknown clients look alike.
    let wrong = token_request(&app, &id, "not-the-secret", None).await;
    wrong.assert_problem(401, "invalid_client");
    assert_eq!(wrong.body["error"], "invalid_client");
    assert!(
        wrong
            .header("www-authenticate")
            .is_some_and(|c| c.starts_with("Basic"))
    );
    token_request(&app, "ic-000000000000", &secret, None)
        .await
        .assert_problem(401, "invalid_client");

    // The form may carry the credentials instead of HTTP Basic.
    app.post("/api/v1/auth/token")
        .raw(
            FORM,
            format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"),
        )
        .send()
        .await
        .assert_status(200);
    app.post("/api/v1/auth/token")
        .raw(
            FORM,
            format!("grant_type=password&client_id={id}&client_secret={secret}"),
        )
        .send()
        .await
        .assert_problem(400, "unsupported_grant_type");
    app.post("/api/v1/auth/token")
        .json(json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");

    // Every token is audited, in the client's name; its last use is shown.
    let shown = app
        .get(&format!("/api/v1/integration-clients/{}", created.body["id"]))
        .bearer(&admin)
        .send()
        .await;
    shown.assert_status(200);
    assert!(shown.body["last_used_at"].is_string());
    assert!(shown.body.get("client_secret").is_none());
    let events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=integration_client&entity_id={}",
            created.body["id"]
        ))
        .bearer(&admin)
        .send()
        .await;
    events.assert_status(200);
    let actions: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"created"));
    assert!(actions.contains(&"token_issued"));
}

#[actix_web::test]
async fn a_province_client_writes_as_that_province_and_a_national_one_may_not_write() {
    let app = TestApp::new();
    let (_, admin) = app.admin();
    app.post("/api/v1/integration-clients")
        .bearer(&admin)
        .json(json!({"name": "Toàn quốc", "scopes": ["beneficiaries:write"]}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let (id, secret) = credentials(
        &create_client(
            &app,
            &admin,
            json!({"name": "Cổng Hà Nội", "scopes": ["beneficiaries:read", "beneficiaries:write"], "province_code": "01"}),
        )
        .await,
    );
    let client = token(&app, &id, &secret).await;
    let establishment = |province: &str, commune: &str| {
        json!({"name": "Hợp tác xã mây tre đan Phú Vinh", "legal_form": "cooperative_group",
               "identifier_type": "none", "province_code": province, "commune_code": commune})
    };
    let created = app
        .post("/api/v1/beneficiaries")
        .bearer(&client)
        .json(establishment("01", "00004"))
        .send()
        .await;
    created.assert_status(201);
    // Another province's record is not this client's to write.
    let outside = app
        .post("/api/v1/beneficiaries")
        .bearer(&client)
        .json(establishment("46", "19753"))
        .send()
        .await;
    assert!(outside.status == 403 || outside.status == 422, "{}", outside.text);
    let events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=beneficiary&entity_id={}",
            created.body["id"]
        ))
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(events.body["items"][0]["actor_username"], id.as_str());
}

#[actix_web::test]
async fn a_rotated_secret_works_for_its_grace_period_and_then_stops() {
    let app = TestApp::with_config(&[("CLIENT_SECRET_GRACE_SECS", "1")]);
    let (_, admin) = app.admin();
    let created = create_client(
        &app,
        &admin,
        json!({"name": "Kế toán", "scopes": ["projects:read"], "province_code": "01"}),
    )
    .await;
    let (id, old) = credentials(&created);
    let rotated = app
        .post(&format!(
            "/api/v1/integration-clients/{}/secret",
            created.body["id"]
        ))
        .bearer(&admin)
        .send()
        .await;
    rotated.assert_status(200);
    assert_eq!(rotated.header("cache-control"), Some("no-store"));
    let new = rotated.body["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    token_request(&app, &id, &old, None).await.assert_status(200);
    token_request(&app, &id, &new, None).await.assert_status(200);
    actix_web::rt::time::sleep(Duration::from_millis(1300)).await;
    token_request(&app, &id, &old, None)
        .await
        .assert_problem(401, "invalid_client");
    token_request(&app, &id, &new, None).await.assert_status(200);
}

#[actix_web::test]
async fn a_deactivated_client_is_refused_at_once() {
    let app = TestApp::new();
    let (_, admin) = app.admin();
    let created = create_client(
        &app,
        &admin,
        json!({"name": "Sàn thương mại", "scopes": ["projects:read"], "province_code": "01"}),
    )
    .await;
    let (id, secret) = credentials(&created);
    let client = token(&app, &id, &secret).await;
    app.get("/api/v1/projects")
        .bearer(&client)
        .send()
        .await
        .assert_status(200);
    app.patch(&format!("/api/v1/integration-clients/{}", created.body["id"]))
        .bearer(&admin)
        .header("If-Match", &format!("\"{}\"", created.body["version"]))
        .json(json!({"active": false}))
        .send()
        .await
        .assert_status(200);
    app.get("/api/v1/projects")
        .bearer(&client)
        .send()
        .await
        .assert_problem(401, "invalid_token");
    token_request(&app, &id, &secret, None)
        .await
        .assert_problem(401, "invalid_client");
}

#[actix_web::test]
async fn integration_accounts_are_made_and_changed_only_as_clients() {
    let app = TestApp::new();
    let (_, admin) = app.admin();
    let created = app
        .post("/api/v1/users")
        .bearer(&admin)
        .json(json!({"username": "may.khach", "display_name": "Máy khách", "password": "Mật-khẩu-rất-khó-đoán-2026",
                     "role": "integration"}))
        .send()
        .await;
    created.assert_problem(422, "validation_failed");
    assert!(
        created
            .field_errors()
            .contains(&("role".to_owned(), "integration_client".to_owned()))
    );
    let client = create_client(&app, &admin, json!({"name": "Cổng", "scopes": ["stats:read"]})).await;
    client.assert_status(201);
    let changed = app
        .patch(&format!("/api/v1/users/{}", client.body["id"]))
        .bearer(&admin)
        .header("If-Match", "\"1\"")
        .json(json!({"password": "Mật-khẩu-rất-khó-đoán-2026"}))
        .send()
        .await;
    changed.assert_problem(422, "validation_failed");
    // It cannot sign in with a password either.
    app.post("/api/v1/auth/login")
        .json(json!({"username": client.body["client_id"], "password": "!integration-client"}))
        .send()
        .await
        .assert_problem(401, "invalid_credentials");
}

/// What an integration client needs for `method path`, as the served document says.
fn documented_scopes(document: &Value, method: &str, path: &str) -> Vec<String> {
    let security = &document["paths"][path][method]["security"];
    security[0]["bearer"]
        .as_array()
        .unwrap_or_else(|| panic!("{method} {path} has no bearer security: {security}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_document_names_the_scope_each_operation_needs() {
    let app = TestApp::new();
    let document = app.get("/api/openapi.json").send().await.body.clone();
    assert_eq!(
        documented_scopes(&document, "get", "/api/v1/projects"),
        ["projects:read"]
    );
    assert_eq!(
        documented_scopes(&document, "post", "/api/v1/projects/{id}/disbursements"),
        ["projects:write"]
    );
    assert_eq!(
        documented_scopes(&document, "get", "/api/v1/beneficiaries/{id}"),
        ["beneficiaries:read"]
    );
    assert_eq!(
        documented_scopes(&document, "get", "/api/v1/stats/certification"),
        ["stats:read"]
    );
    assert_eq!(
        documented_scopes(&document, "get", "/api/v1/certificates"),
        ["certificates:read"]
    );
    // Operations no scope opens say so, and every signed-in operation documents the 403.
    assert!(documented_scopes(&document, "get", "/api/v1/users").is_empty());
    assert!(
        document["paths"]["/api/v1/users"]["get"]["description"]
            .as_str()
            .unwrap()
            .ends_with("Not open to integration clients.")
    );
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["security"].is_array() {
                assert!(
                    operation["responses"]["403"].is_object(),
                    "{method} {path} does not document 403"
                );
            }
        }
    }
    // The challenges a client may meet are described where they are sent.
    for response in ["Forbidden", "Unauthorized"] {
        assert!(
            document["components"]["responses"][response]["headers"]["WWW-Authenticate"].is_object(),
            "{response} does not describe WWW-Authenticate"
        );
    }
    // The token endpoint takes a form, and needs no token.
    let token = &document["paths"]["/api/v1/auth/token"]["post"];
    assert!(token["requestBody"]["content"][FORM].is_object());
    assert!(token["security"].is_null());
}

#[actix_web::test]
async fn a_client_spends_its_request_budget_and_then_waits() {
    let app = TestApp::with_config(&[("CLIENT_REQUESTS_PER_MINUTE", "3")]);
    let (_, admin) = app.admin();
    let (id, secret) = credentials(
        &create_client(
            &app,
            &admin,
            json!({"name": "Kho dữ liệu", "scopes": ["projects:read"]}),
        )
        .await,
    );
    let client = token(&app, &id, &secret).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let answer = app.get("/api/v1/projects").bearer(&client).send().await;
        answer.assert_status(200);
        assert_eq!(answer.header("ratelimit-limit"), Some("3"));
        remaining.push(answer.header("ratelimit-remaining").unwrap().to_owned());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let refused = app.get("/api/v1/projects").bearer(&client).send().await;
    refused.assert_problem(429, "rate_limited");
    assert!(
        refused
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().unwrap() >= 1)
    );
    // People are not counted against it.
    let person = app.get("/api/v1/projects").bearer(&admin).send().await;
    person.assert_status(200);
    assert!(person.header("ratelimit-limit").is_none());
}

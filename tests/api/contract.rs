//! Real responses of the main endpoints validated against the schemas the document declares for
//! them (status, content type and body), so that a drift between what goes over the wire and what
//! clients are generated from fails `cargo test`, not only the CI contract step.

use std::sync::OnceLock;

use serde_json::{Value, json};

use khuyencong::auth::Role;

use crate::support::{Resp, TestApp};

pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(khuyencong::openapi_document)
}

/// Asserts that `response` is what the document says `method path` answers with its status.
#[track_caller]
pub fn assert_documented(method: &str, path: &str, response: &Resp) {
    let operation = &document()["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is not documented");
    let status = response.status.to_string();
    let mut declared = &operation["responses"][&status];
    assert!(
        declared.is_object(),
        "{method} {path} answered {status}, which it does not document: {}",
        response.text
    );
    if let Some(reference) = declared["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/responses/");
        declared = &document()["components"]["responses"][name];
    }
    let Some(content) = declared["content"].as_object() else {
        assert!(
            response.text.is_empty(),
            "{method} {path} {status} has no documented body"
        );
        return;
    };
    let content_type = response.header("content-type").unwrap_or_default();
    let schema = &content
        .get(content_type)
        .unwrap_or_else(|| panic!("{method} {path} {status}: content type {content_type} is not documented"))
        ["schema"];
    let errors = schema_errors(schema, &response.body);
    assert!(
        errors.is_empty(),
        "{method} {path} {status} does not match its schema:\n{}\nbody: {}",
        errors.join("\n"),
        response.text
    );
}

/// How `value` departs from `schema`, a schema of the document.
fn schema_errors(schema: &Value, value: &Value) -> Vec<String> {
    let mut root = json!({"$schema": "https://json-schema.org/draft/2020-12/schema"});
    root["components"] = document()["components"].clone();
    for (key, part) in schema.as_object().expect("a schema object") {
        root[key] = part.clone();
    }
    let validator = jsonschema::validator_for(&root).expect("the documented schema compiles");
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Client generators and documentation viewers show the example answers as they are: each must be
/// an answer its schema allows.
#[test]
fn every_example_answer_matches_its_schema() {
    let mut checked = Vec::new();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(responses) = operation["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses {
                for (content_type, content) in response["content"].as_object().into_iter().flatten() {
                    let Some(example) = content.get("example") else {
                        continue;
                    };
                    let errors = schema_errors(&content["schema"], example);
                    assert!(
                        errors.is_empty(),
                        "the example of {method} {path} {status} {content_type} does not match its schema:\n{}",
                        errors.join("\n")
                    );
                    checked.push(operation["operationId"].as_str().unwrap().to_owned());
                }
            }
        }
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "certification_stats",
            "indicator_stats",
            "national_year_report",
            "outcome_stats",
            "programme_progress",
            "project_stats",
            "province_year_report",
            "public_certification_stats",
        ]
    );
}

#[actix_web::test]
async fn responses_of_the_main_endpoints_match_their_schemas() {
    let app = TestApp::new();
    let (admin, token) = app.admin();
    let province = app.user("hn.canbo", Role::Province).province("01").insert();

    let login = app
        .post("/api/v1/auth/login")
        .json(json!({"username": "quantri", "password": crate::support::PASSWORD}))
        .send()
        .await;
    assert_documented("post", "/api/v1/auth/login", &login);
    let me = app.get("/api/v1/me").bearer(&token).send().await;
    assert_documented("get", "/api/v1/me", &me);
    assert_eq!(me.body["role"], "admin");

    for path in ["/api/v1/users", "/api/v1/audit-events", "/api/v1/beneficiaries"] {
        let list = app
            .get(&format!("{path}?include_total=true"))
            .bearer(&token)
            .send()
            .await;
        assert_documented("get", path, &list);
    }
    let user = app
        .get(&format!("/api/v1/users/{}", province.id))
        .bearer(&token)
        .send()
        .await;
    assert_documented("get", "/api/v1/users/{id}", &user);
    assert_eq!(user.body["role"], "province");

    let created = app
        .post("/api/v1/beneficiaries")
        .bearer(&token)
        .json(json!({
            "name": "Hợp tác xã Gốm Bát Tràng",
            "legal_form": "cooperative",
            "identifier_type": "cooperative_code",
            "identifier_value": "0100109106",
            "province_code": "01",
            "commune_code": "00004",
            "representative_phone": "0912 345 678",
            "size_class": "small",
            "in_craft_village": true,
            "craft_village_name": "Làng gốm Bát Tràng",
        }))
        .send()
        .await;
    assert_documented("post", "/api/v1/beneficiaries", &created);
    let id = created.body["id"].as_i64().expect("an id");
    let one = app
        .get(&format!("/api/v1/beneficiaries/{id}"))
        .bearer(&token)
        .send()
        .await;
    assert_documented("get", "/api/v1/beneficiaries/{id}", &one);
    assert_eq!(one.body["legal_form"], "cooperative");
    let figures = app
        .request(
            actix_web::http::Method::PUT,
            &format!("/api/v1/beneficiaries/{id}/annual-figures/2024"),
        )
        .bearer(&token)
        .json(json!({"revenue_vnd": 2_500_000_000i64, "employees": 12}))
        .send()
        .await;
    assert_documented(
        "put",
        "/api/v1/beneficiaries/{id}/annual-figures/{year}",
        &figures,
    );
    let listed = app
        .get(&format!("/api/v1/beneficiaries/{id}/annual-figures"))
        .bearer(&token)
        .send()
        .await;
    assert_documented("get", "/api/v1/beneficiaries/{id}/annual-figures", &listed);
    let duplicates = app
        .get(&format!("/api/v1/beneficiaries/{id}/possible-duplicates"))
        .bearer(&token)
        .send()
        .await;
    assert_documented(
        "get",
        "/api/v1/beneficiaries/{id}/possible-duplicates",
        &duplicates,
    );

    for (path, document_path) in [
        (
            "/api/v1/admin-units/provinces?era=pre2025&limit=5",
            "/api/v1/admin-units/provinces",
        ),
        (
            "/api/v1/admin-units/provinces/46?era=current",
            "/api/v1/admin-units/provinces/{code}",
        ),
        (
            "/api/v1/admin-units/provinces/44?era=pre2025",
            "/api/v1/admin-units/provinces/{code}",
        ),
        (
            "/api/v1/admin-units/communes?province_code=01&limit=5",
            "/api/v1/admin-units/communes",
        ),
        (
            "/api/v1/admin-units/districts?province_code=44&limit=5",
            "/api/v1/admin-units/districts",
        ),
        ("/api/v1/reference/enums", "/api/v1/reference/enums"),
        ("/healthz", "/healthz"),
        ("/readyz", "/readyz"),
    ] {
        let response = app.get(path).send().await;
        response.assert_status(200);
        assert_documented("get", document_path, &response);
    }

    // Problems are documented too.
    let missing = app
        .get("/api/v1/beneficiaries/999999")
        .bearer(&token)
        .send()
        .await;
    assert_documented("get", "/api/v1/beneficiaries/{id}", &missing);
    let invalid = app
        .post("/api/v1/users")
        .bearer(&token)
        .json(json!({"username": "x", "display_name": "", "password": "short", "role": "province"}))
        .send()
        .await;
    assert_documented("post", "/api/v1/users", &invalid);
    let unauthenticated = app.get("/api/v1/users").send().await;
    assert_documented("get", "/api/v1/users", &unauthenticated);
    let stale = app
        .patch(&format!("/api/v1/users/{}", admin.id))
        .bearer(&token)
        .header("If-Match", "\"41\"")
        .json(json!({"display_name": "Quản trị"}))
        .send()
        .await;
    assert_documented("patch", "/api/v1/users/{id}", &stale);
}

/// The check above is only worth something if a wrong document fails it: an enumeration
/// documented in the wrong case is caught.
#[test]
fn a_wrongly_cased_enumeration_would_be_caught() {
    let mut schema = document()["components"]["schemas"]["Role"].clone();
    let upper: Vec<Value> = schema["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| Value::from(code.as_str().unwrap().to_uppercase()))
        .collect();
    schema["enum"] = Value::from(upper);
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&json!("admin")));
    let documented = jsonschema::validator_for(&document()["components"]["schemas"]["Role"]).unwrap();
    assert!(documented.is_valid(&json!("admin")));
}

//! The committed OpenAPI document matches the code; the served document and docs page work; every
//! operation documents its errors.

use crate::support::TestApp;

#[test]
fn committed_openapi_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .expect("openapi/openapi.json is committed");
    let generated = khuyencong::openapi_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[actix_web::test]
async fn served_document_equals_the_committed_one() {
    let app = TestApp::new();
    let response = app.get("/api/openapi.json").send().await;
    response.assert_status(200);
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(response.body, committed);
}

#[actix_web::test]
async fn docs_page_renders_from_bundled_assets() {
    let app = TestApp::new();
    let redirect = app.get("/docs").send().await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("/docs/"));
    let page = app.get("/docs/").send().await;
    page.assert_status(200);
    assert!(
        page.text.contains("swagger-ui"),
        "{}",
        &page.text[..page.text.len().min(300)]
    );
    let script = app.get("/docs/swagger-ui-bundle.js").send().await;
    script.assert_status(200);
    assert!(script.text.len() > 100_000);
    let initializer = app.get("/docs/swagger-initializer.js").send().await;
    assert!(initializer.text.contains("/api/openapi.json"));
}

#[test]
fn every_operation_has_summary_tag_and_error_responses() {
    let document = serde_json::to_value(khuyencong::openapi_document()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 14);
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no summary"
            );
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name} has no tag"
            );
            let responses = operation["responses"].as_object().unwrap();
            let errors: Vec<&String> = responses
                .keys()
                .filter(|s| s.starts_with('4') || s.starts_with('5'))
                .collect();
            assert!(
                responses.contains_key("400"),
                "{name} does not document 400 (unknown query parameters)"
            );
            for status in errors {
                assert!(
                    responses[status]["$ref"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("#/components/responses/")),
                    "{name} {status}"
                );
            }
            let secured = operation.get("security").is_some();
            let public = path.starts_with("/api/v1/admin-units")
                || path.starts_with("/api/v1/reference")
                || path.starts_with("/api/v1/public/")
                || [
                    "/healthz",
                    "/readyz",
                    "/api/v1/auth/login",
                    "/api/v1/auth/refresh",
                    "/api/v1/auth/token",
                ]
                .contains(&path.as_str());
            assert_eq!(secured, !public, "{name}: security scheme");
            if secured {
                assert!(responses.contains_key("401"), "{name} documents no 401");
            }
        }
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[actix_web::test]
async fn reference_enums_have_both_labels() {
    let app = TestApp::new();
    let response = app.get("/api/v1/reference/enums").send().await;
    response.assert_status(200);
    let roles = response.body["role"].as_array().unwrap();
    let codes: Vec<&str> = roles.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        vec![
            "admin",
            "ministry",
            "province",
            "commune",
            "auditor",
            "judge",
            "integration"
        ]
    );
    for (name, values) in response.body.as_object().unwrap() {
        for value in values.as_array().unwrap() {
            assert!(
                value["label_vi"].as_str().is_some_and(|l| !l.is_empty()),
                "{name}"
            );
            assert!(
                value["label_en"].as_str().is_some_and(|l| !l.is_empty()),
                "{name}"
            );
        }
    }
    assert_eq!(response.body["region"].as_array().unwrap().len(), 3);
    assert_eq!(response.body["admin_unit_era"][1]["code"], "pre2025");
}

/// Links lead somewhere: every link names an operation of the document, and every parameter it
/// fills is a parameter of that operation.
#[test]
fn links_name_real_operations_and_their_parameters() {
    let document = khuyencong::openapi_document();
    let mut operations = std::collections::HashMap::new();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation["operationId"].as_str() {
                operations.insert(id.to_owned(), operation.clone());
            }
        }
    }
    let mut count = 0;
    for operation in operations.values() {
        for response in operation["responses"].as_object().unwrap().values() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                count += 1;
                let target = link["operationId"].as_str().unwrap();
                let target = operations
                    .get(target)
                    .unwrap_or_else(|| panic!("link {name} names no operation {target}"));
                for parameter in link["parameters"].as_object().unwrap().keys() {
                    let (location, parameter) = parameter.split_once('.').unwrap_or(("path", parameter));
                    assert!(
                        target["parameters"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|p| p["name"] == parameter && p["in"] == location),
                        "link {name} fills {location}.{parameter}, which {} does not take",
                        target["operationId"]
                    );
                }
            }
        }
    }
    assert!(count >= 10, "only {count} links");
    let created = &operations["create_beneficiary"]["responses"]["201"]["links"];
    assert_eq!(
        created["GetBeneficiary"]["parameters"]["id"],
        "$response.body#/id"
    );
}

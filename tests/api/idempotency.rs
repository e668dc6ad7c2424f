//! `Idempotency-Key`: a retry gets the first answer and makes no second change; the key with
//! another request is refused; a retry while the first runs is refused; a refused request gives its
//! key back; concurrent requests with one key have exactly one effect.

use actix_web::test;
use serde_json::{Value, json};

use khuyencong::auth::Role;

use crate::support::{TestApp, answer};

fn establishment(name: &str) -> Value {
    json!({"name": name, "legal_form": "cooperative_group", "identifier_type": "none",
           "province_code": "01", "commune_code": "00004"})
}

/// How many establishments carry `name`.
async fn count_named(app: &TestApp, token: &str, name: &str) -> usize {
    let page = app
        .get(&format!(
            "/api/v1/beneficiaries?q={}&limit=500",
            form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        ))
        .bearer(token)
        .send()
        .await;
    page.assert_status(200);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["name"] == name)
        .count()
}

#[actix_web::test]
async fn a_retry_gets_the_first_answer_and_makes_no_second_change() {
    let app = TestApp::new();
    let token = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
    let name = "Hợp tác xã gốm Chu Đậu";
    let send = |body: Value, key: &'static str| {
        app.post("/api/v1/beneficiaries")
            .bearer(&token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let first = send(establishment(name), "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"").await;
    first.assert_status(201);
    // The same key bare or quoted is one key.
    let retry = send(establishment(name), "8e03978e-40d5-43e8-bc93-6894a57f9324").await;
    retry.assert_status(201);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.header("etag"), first.header("etag"));
    assert_eq!(count_named(&app, &token, name).await, 1);

    // The same key for another request.
    send(
        establishment("Hợp tác xã gốm Phù Lãng"),
        "8e03978e-40d5-43e8-bc93-6894a57f9324",
    )
    .await
    .assert_problem(422, "idempotency_key_reused");

    // Keys are the caller's own: another account's same key is a new request.
    let colleague = app.token_for(&app.user("bo.ct2", Role::Ministry).insert());
    app.post("/api/v1/beneficiaries")
        .bearer(&colleague)
        .header("Idempotency-Key", "8e03978e-40d5-43e8-bc93-6894a57f9324")
        .json(establishment(name))
        .send()
        .await
        .assert_status(201);
    assert_eq!(count_named(&app, &token, name).await, 2);

    // A refused request changed nothing and gives its key back.
    let mut invalid = establishment("Hợp tác xã mây tre Phú Vinh");
    invalid["province_code"] = json!("99");
    send(invalid, "phu-vinh-1").await.assert_status(422);
    send(establishment("Hợp tác xã mây tre Phú Vinh"), "phu-vinh-1")
        .await
        .assert_status(201);

    send(establishment(name), "không hợp lệ")
        .await
        .assert_problem(400, "invalid_idempotency_key");
}

#[actix_web::test]
async fn concurrent_requests_with_one_key_have_exactly_one_effect() {
    let app = TestApp::new();
    let token = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
    let name = "Cơ sở sơn mài Tương Bình Hiệp";
    let service = test::init_service(khuyencong::build_app(app.state.clone())).await;
    let request = || {
        test::TestRequest::post()
            .uri("/api/v1/beneficiaries")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Idempotency-Key", "tuong-binh-hiep"))
            .set_json(establishment(name))
            .to_request()
    };
    let answers = futures_util::future::join_all((0..8).map(|_| answer(&service, request()))).await;
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert!(statuses.contains(&201), "{statuses:?}");
    assert_eq!(count_named(&app, &token, name).await, 1);
    // Once the first has answered, a retry gets its answer.
    assert_eq!(answer(&service, request()).await.0, 201);
    assert_eq!(count_named(&app, &token, name).await, 1);
}

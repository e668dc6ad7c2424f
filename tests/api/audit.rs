//! The audit log: written in the same transaction as the change, readable by admins and auditors,
//! filtered and paginated.

use serde_json::json;

use khuyencong::auth::Role;
use khuyencong::auth::accounts::{self, NewAccount};
use khuyencong::error::ApiError;
use khuyencong::models::audit::{self, Actor, AuditFilter};
use khuyencong::models::users;

use crate::support::{PASSWORD, TestApp};

fn account(username: &str) -> NewAccount {
    NewAccount {
        username: username.into(),
        display_name: "Rollback".into(),
        password: PASSWORD.into(),
        role: Role::Auditor,
        province_code: None,
        commune_code: None,
    }
}

#[actix_web::test]
async fn audit_event_commits_and_rolls_back_with_the_change() {
    let app = TestApp::new();
    let filter = AuditFilter {
        entity_type: Some("user".into()),
        ..Default::default()
    };

    let failed: Result<(), ApiError> = app.state.db.write_blocking(|conn| {
        accounts::create(conn, &Actor::command_line(), account("se.huy"))?;
        // The change and its event are written; a later step fails, so both must disappear.
        assert_eq!(audit::count(conn, &filter)?, 1);
        Err(ApiError::internal("a later step failed"))
    });
    assert!(failed.is_err());
    app.with_conn(|conn| {
        assert!(users::find_by_username(conn, "se.huy").unwrap().is_none());
        assert_eq!(audit::count(conn, &filter).unwrap(), 0);
    });

    app.state
        .db
        .write_blocking(|conn| accounts::create(conn, &Actor::command_line(), account("se.con")).map(|_| ()))
        .unwrap();
    app.with_conn(|conn| {
        assert!(users::find_by_username(conn, "se.con").unwrap().is_some());
        let events = audit::list(conn, &filter, None, 10).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].action, "create");
        assert_eq!(events[0].actor_username.as_deref(), Some("command-line"));
    });
}

#[actix_web::test]
async fn a_rejected_request_leaves_no_audit_event() {
    let app = TestApp::new();
    let (_, token) = app.admin();
    let before = app
        .get("/api/v1/audit-events?include_total=true")
        .bearer(&token)
        .send()
        .await
        .body["total"]
        .clone();
    app.post("/api/v1/users")
        .bearer(&token)
        .json(json!({"username": "yeu", "display_name": "Y", "password": "12345678901", "role": "auditor"}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let after = app
        .get("/api/v1/audit-events?include_total=true")
        .bearer(&token)
        .send()
        .await
        .body["total"]
        .clone();
    assert_eq!(before, after);
}

#[actix_web::test]
async fn audit_log_is_for_admins_and_auditors_with_filters_and_pages() {
    let app = TestApp::new();
    let (admin, admin_token) = app.admin();
    for i in 0..5 {
        app.post("/api/v1/users")
            .bearer(&admin_token)
            .json(json!({"username": format!("tinh.{i}"), "display_name": "T", "password": PASSWORD, "role": "province", "province_code": if i < 3 { "01" } else { "46" }}))
            .send()
            .await
            .assert_status(201);
    }
    let province_user = app.user("hn.xem", Role::Province).province("01").insert();
    app.get("/api/v1/audit-events")
        .bearer(&app.token_for(&province_user))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/audit-events")
        .send()
        .await
        .assert_problem(401, "missing_credentials");

    let auditor = app.user("kiem.toan", Role::Auditor).insert();
    let auditor_token = app.token_for(&auditor);
    let by_actor = app
        .get(&format!(
            "/api/v1/audit-events?actor_id={}&entity_type=user&limit=2&include_total=true",
            admin.id
        ))
        .bearer(&auditor_token)
        .send()
        .await;
    by_actor.assert_status(200);
    assert_eq!(by_actor.body["total"], 5);
    let first_page: Vec<i64> = by_actor.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(first_page.len(), 2);
    assert!(first_page[0] > first_page[1]);
    let cursor = by_actor.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!(
            "/api/v1/audit-events?actor_id={}&entity_type=user&limit=2&cursor={cursor}",
            admin.id
        ))
        .bearer(&auditor_token)
        .send()
        .await;
    let second_page: Vec<i64> = second.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(second_page.len(), 2);
    assert!(second_page[0] < first_page[1]);

    let hue = app
        .get("/api/v1/audit-events?province_code=46&include_total=true")
        .bearer(&auditor_token)
        .send()
        .await;
    assert_eq!(hue.body["total"], 2);

    let future = app
        .get("/api/v1/audit-events?from=2999-01-01T00:00:00Z")
        .bearer(&auditor_token)
        .send()
        .await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    let past = app
        .get("/api/v1/audit-events?to=2000-01-01T00:00:00Z&include_total=true")
        .bearer(&auditor_token)
        .send()
        .await;
    assert_eq!(past.body["total"], 0);
    let everything = app
        .get("/api/v1/audit-events?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z&include_total=true")
        .bearer(&auditor_token)
        .send()
        .await;
    assert!(everything.body["total"].as_i64().unwrap() >= 5);
    app.get("/api/v1/audit-events?from=yesterday")
        .bearer(&auditor_token)
        .send()
        .await
        .assert_problem(400, "invalid_query");
}

//! User management: admin-only writes, territorial visibility (404 outside it), validation,
//! optimistic concurrency and audit of every change.

use serde_json::json;

use khuyencong::auth::Role;

use crate::support::{PASSWORD, TestApp};

#[actix_web::test]
async fn province_user_sees_only_their_province() {
    let app = TestApp::new();
    let hanoi = app.user("hn.canbo", Role::Province).province("01").insert();
    let hanoi_colleague = app.user("hn.dongnghiep", Role::Province).province("01").insert();
    let hue = app.user("hue.canbo", Role::Province).province("46").insert();
    let ministry = app.user("bo.congthuong", Role::Ministry).insert();
    let token = app.token_for(&hanoi);

    app.get(&format!("/api/v1/users/{}", hanoi_colleague.id))
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    app.get(&format!("/api/v1/users/{}", hue.id))
        .bearer(&token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/users/{}", ministry.id))
        .bearer(&token)
        .send()
        .await
        .assert_problem(404, "not_found");
    // Indistinguishable from an id that does not exist.
    app.get("/api/v1/users/999999")
        .bearer(&token)
        .send()
        .await
        .assert_problem(404, "not_found");

    let list = app
        .get("/api/v1/users?include_total=true")
        .bearer(&token)
        .send()
        .await;
    list.assert_status(200);
    let mut names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["hn.canbo", "hn.dongnghiep"]);
    assert_eq!(list.body["total"], 2);
    // Asking for another province's users gives nothing rather than an error that confirms them.
    let other = app
        .get("/api/v1/users?province_code=46")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(other.body["items"].as_array().unwrap().len(), 0);

    // National roles see everyone.
    let national = app
        .get("/api/v1/users?include_total=true")
        .bearer(&app.token_for(&ministry))
        .send()
        .await;
    assert_eq!(national.body["total"], 4);
}

#[actix_web::test]
async fn commune_and_judge_users_see_less() {
    let app = TestApp::new();
    let commune = app.user("xa.badinh", Role::Commune).commune("00004").insert();
    assert_eq!(
        commune.province_code.as_deref(),
        Some("01"),
        "a commune user's province comes from the commune"
    );
    let neighbour = app.user("xa.ngocha", Role::Commune).commune("00008").insert();
    let judge = app.user("giam.khao", Role::Judge).insert();
    let token = app.token_for(&commune);
    app.get(&format!("/api/v1/users/{}", neighbour.id))
        .bearer(&token)
        .send()
        .await
        .assert_problem(404, "not_found");
    let judge_list = app
        .get("/api/v1/users")
        .bearer(&app.token_for(&judge))
        .send()
        .await;
    let ids: Vec<i64> = judge_list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![judge.id]);
}

#[actix_web::test]
async fn only_admins_manage_users() {
    let app = TestApp::new();
    let hanoi = app.user("hn.canbo", Role::Province).province("01").insert();
    let colleague = app.user("hn.dongnghiep", Role::Province).province("01").insert();
    let hue = app.user("hue.canbo", Role::Province).province("46").insert();
    let token = app.token_for(&hanoi);
    let body = json!({"username": "moi", "display_name": "Mới", "password": PASSWORD, "role": "province", "province_code": "01"});
    app.post("/api/v1/users")
        .bearer(&token)
        .json(body)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.patch(&format!("/api/v1/users/{}", colleague.id))
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"display_name": "x"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    // The role decides before the missing precondition does.
    app.patch(&format!("/api/v1/users/{}", colleague.id))
        .bearer(&token)
        .json(json!({"display_name": "x"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let auditor = app.user("kiem.toan", Role::Auditor).insert();
    app.patch(&format!("/api/v1/users/{}", hue.id))
        .bearer(&app.token_for(&auditor))
        .header("If-Match", "\"1\"")
        .json(json!({"active": false}))
        .send()
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn admin_creates_users_with_validation() {
    let app = TestApp::new();
    let (_, token) = app.admin();
    let created = app
        .post("/api/v1/users")
        .bearer(&token)
        .json(json!({"username": "Hue.TrungTam", "display_name": "Trung tâm Khuyến công Huế", "password": PASSWORD, "role": "province", "province_code": "46"}))
        .send()
        .await;
    created.assert_status(201);
    assert_eq!(created.body["username"], "hue.trungtam");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/users/{}", created.body["id"]).as_str())
    );
    assert!(created.body.get("password").is_none() && created.body.get("password_hash").is_none());

    let duplicate = app
        .post("/api/v1/users")
        .bearer(&token)
        .json(json!({"username": "hue.trungtam", "display_name": "Khác", "password": PASSWORD, "role": "ministry"}))
        .send()
        .await;
    duplicate.assert_problem(409, "username_taken");

    let weak = app
        .post("/api/v1/users")
        .bearer(&token)
        .json(
            json!({"username": "yeu", "display_name": "Yếu", "password": "password123", "role": "ministry"}),
        )
        .send()
        .await;
    weak.assert_problem(422, "validation_failed");
    assert_eq!(
        weak.field_errors(),
        vec![("password".to_owned(), "weak_password".to_owned())]
    );

    let cases = [
        (
            json!({"role": "province"}),
            ("province_code", "required_for_role"),
        ),
        (
            json!({"role": "province", "province_code": "45"}),
            ("province_code", "unknown_province"),
        ),
        (
            json!({"role": "ministry", "province_code": "01"}),
            ("province_code", "not_allowed_for_role"),
        ),
        (json!({"role": "commune"}), ("commune_code", "required_for_role")),
        (
            json!({"role": "commune", "commune_code": "00004", "province_code": "46"}),
            ("province_code", "commune_not_in_province"),
        ),
        (
            json!({"role": "commune", "commune_code": "99999"}),
            ("commune_code", "unknown_commune"),
        ),
    ];
    for (i, (fields, expected)) in cases.into_iter().enumerate() {
        let mut body = json!({"username": format!("case{i}"), "display_name": "Thử", "password": PASSWORD});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = app
            .post("/api/v1/users")
            .bearer(&token)
            .json(body.clone())
            .send()
            .await;
        response.assert_problem(422, "validation_failed");
        assert_eq!(
            response.field_errors(),
            vec![(expected.0.to_owned(), expected.1.to_owned())],
            "body: {body}"
        );
    }

    let bad_username = app
        .post("/api/v1/users")
        .bearer(&token)
        .json(json!({"username": "có dấu", "display_name": "X", "password": PASSWORD, "role": "auditor"}))
        .send()
        .await;
    assert_eq!(
        bad_username.field_errors(),
        vec![("username".to_owned(), "invalid_username".to_owned())]
    );
    // Spaces are refused, not trimmed: the documented pattern has none.
    let padded = app
        .post("/api/v1/users")
        .bearer(&token)
        .json(json!({"username": " thua.khoang ", "display_name": "X", "password": PASSWORD, "role": "auditor"}))
        .send()
        .await;
    assert_eq!(
        padded.field_errors(),
        vec![("username".to_owned(), "invalid_username".to_owned())]
    );
    let bad_role = app
        .post("/api/v1/users")
        .bearer(&token)
        .json(json!({"username": "vaitro", "display_name": "X", "password": PASSWORD, "role": "superuser"}))
        .send()
        .await;
    bad_role.assert_problem(400, "invalid_body");
}

#[actix_web::test]
async fn patch_requires_current_if_match() {
    let app = TestApp::new();
    let (_, token) = app.admin();
    let user = app.user("hn.canbo", Role::Province).province("01").insert();
    let path = format!("/api/v1/users/{}", user.id);

    app.patch(&path)
        .bearer(&token)
        .json(json!({"display_name": "Lan"}))
        .send()
        .await
        .assert_problem(428, "if_match_required");
    app.patch(&path)
        .bearer(&token)
        .header("If-Match", "yesterday")
        .json(json!({"display_name": "Lan"}))
        .send()
        .await
        .assert_problem(400, "invalid_if_match");

    let updated = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"display_name": "Nguyễn Thị Lan"}))
        .send()
        .await;
    updated.assert_status(200);
    assert_eq!(updated.body["display_name"], "Nguyễn Thị Lan");
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag"), Some("\"2\""));

    let stale = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"display_name": "Cũ"}))
        .send()
        .await;
    stale.assert_problem(412, "version_mismatch");
    assert_eq!(stale.body["current_version"], 2);
    let current = app.get(&path).bearer(&token).send().await;
    assert_eq!(
        current.body["display_name"], "Nguyễn Thị Lan",
        "a stale update changes nothing"
    );

    // Move to another province, then to a national role (the province is dropped with it).
    let moved = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"2\"")
        .json(json!({"province_code": "46"}))
        .send()
        .await;
    assert_eq!(moved.body["province_code"], "46");
    let promoted = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"3\"")
        .json(json!({"role": "ministry"}))
        .send()
        .await;
    promoted.assert_status(200);
    assert_eq!(promoted.body["role"], "ministry");
    assert_eq!(promoted.body["province_code"], serde_json::Value::Null);
    let invalid = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"4\"")
        .json(json!({"role": "province"}))
        .send()
        .await;
    assert_eq!(
        invalid.field_errors(),
        vec![("province_code".to_owned(), "required_for_role".to_owned())]
    );
}

#[actix_web::test]
async fn admin_cannot_lock_themselves_out() {
    let app = TestApp::new();
    let (admin, token) = app.admin();
    let path = format!("/api/v1/users/{}", admin.id);
    let response = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"active": false}))
        .send()
        .await;
    assert_eq!(
        response.field_errors(),
        vec![("active".to_owned(), "cannot_lock_out_self".to_owned())]
    );
    let response = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"role": "auditor"}))
        .send()
        .await;
    assert_eq!(
        response.field_errors(),
        vec![("role".to_owned(), "cannot_lock_out_self".to_owned())]
    );
}

#[actix_web::test]
async fn user_changes_are_audited_with_before_and_after() {
    let app = TestApp::new();
    let (admin, token) = app.admin();
    let created = app
        .post("/api/v1/users")
        .bearer(&token)
        .header("X-Request-Id", "create-user-1")
        .json(json!({"username": "kt.nhanuoc", "display_name": "Kiểm toán", "password": PASSWORD, "role": "auditor"}))
        .send()
        .await;
    let id = created.body["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/users/{id}"))
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"display_name": "Kiểm toán Nhà nước"}))
        .send()
        .await
        .assert_status(200);

    let events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=user&entity_id={id}&include_total=true"
        ))
        .bearer(&token)
        .send()
        .await;
    events.assert_status(200);
    assert_eq!(events.body["total"], 2);
    let items = events.body["items"].as_array().unwrap();
    // Newest first.
    assert_eq!(items[0]["action"], "update");
    assert_eq!(items[0]["before"]["display_name"], "Kiểm toán");
    assert_eq!(items[0]["after"]["display_name"], "Kiểm toán Nhà nước");
    assert_eq!(items[1]["action"], "create");
    assert_eq!(items[1]["before"], serde_json::Value::Null);
    assert_eq!(items[1]["after"]["username"], "kt.nhanuoc");
    assert_eq!(items[1]["request_id"], "create-user-1");
    assert_eq!(items[1]["actor_user_id"], admin.id);
    assert_eq!(items[1]["actor_username"], "quantri");
    assert!(
        !events.text.contains("argon2"),
        "password hashes never reach the audit log"
    );
}

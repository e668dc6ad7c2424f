//! Finding projects (era, years, search, order, pages), deleting drafts, and the records projects
//! rest on: implementing units, activity types, versioned support caps, programmes and targets.

use serde_json::{Value, json};

use khuyencong::auth::Role;

use crate::contract::assert_documented;
use crate::projects::{World, budget};

fn codes(response: &crate::support::Resp) -> Vec<String> {
    response.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", response.text))
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn projects_are_found_by_era_year_search_and_order_across_pages() {
    let w = World::new().await;
    let ministry = w.app.token_for(&w.app.user("bo.ct2", Role::Ministry).insert());
    let unit = w
        .app
        .post("/api/v1/organizations")
        .bearer(&ministry)
        .json(json!({"name": "Cục Đổi mới sáng tạo, Chuyển đổi xanh và Khuyến công", "kind": "ministry_agency"}))
        .send()
        .await;
    unit.assert_status(201);
    assert_documented("post", "/api/v1/organizations", &unit);
    let agency = unit.body["id"].as_i64().unwrap();
    let old = |code: &str, recorded: &str, year: i64, title: &str| {
        json!({
            "code": code,
            "title": title,
            "activity_type": "machinery_application",
            "funding_source": "national",
            "plan_year": year,
            "recorded_province_code_pre2025": recorded,
            "implementing_unit_id": agency,
        })
    };
    // A 2024 project of the former Quảng Bình (44): its current province is today's Quảng Trị (44).
    let quang_binh = w
        .create(
            &ministry,
            old(
                "KCQG-2024-QB-01",
                "44",
                2024,
                "Máy móc chế biến nước mắm Quảng Bình",
            ),
        )
        .await;
    quang_binh.assert_status(201);
    assert_eq!(quang_binh.body["province_code"], "44");
    assert_eq!(quang_binh.body["recorded_province_code_pre2025"], "44");
    // A 2023 project of the former Quảng Trị (45), also today's Quảng Trị.
    w.create(
        &ministry,
        old("KCQG-2023-QT-01", "45", 2023, "Hỗ trợ máy sản xuất hồ tiêu"),
    )
    .await
    .assert_status(201);
    // The old units belong to projects of 2025 and earlier, and must lead to the province given.
    let late = w
        .create(&ministry, old("KCQG-2026-QB-01", "44", 2026, "Đề án năm 2026"))
        .await;
    late.assert_problem(422, "validation_failed");
    assert!(late.field_errors().contains(&(
        "recorded_province_code_pre2025".into(),
        "not_before_reform".into()
    )));
    let mut mismatch = old("KCQG-2024-QB-02", "44", 2024, "Sai tỉnh kế thừa");
    mismatch["province_code"] = json!("46");
    let mismatch = w.create(&ministry, mismatch).await;
    assert!(mismatch.field_errors().contains(&(
        "recorded_province_code_pre2025".into(),
        "successor_mismatch".into()
    )));
    // Codes are unique.
    w.create(&ministry, old("KCQG-2024-QB-01", "44", 2024, "Trùng mã đề án"))
        .await
        .assert_problem(409, "duplicate_code");
    for _ in 0..3 {
        w.create(&w.province, w.project("vocational_training", "local"))
            .await
            .assert_status(201);
    }

    let list = |query: &str| {
        let w = &w;
        let query = query.to_owned();
        async move {
            w.app
                .get(&format!("/api/v1/projects?{query}"))
                .bearer(&w.auditor)
                .send()
                .await
        }
    };
    let pre = list("era=pre2025&province_code=44").await;
    pre.assert_status(200);
    assert_documented("get", "/api/v1/projects", &pre);
    assert_eq!(codes(&pre), vec!["KCQG-2024-QB-01"]);
    assert_eq!(
        codes(&list("province_code=44").await),
        vec!["KCQG-2024-QB-01", "KCQG-2023-QT-01"]
    );
    assert_eq!(
        codes(&list("province_code=44&year_to=2023").await),
        vec!["KCQG-2023-QT-01"]
    );
    assert_eq!(
        codes(&list("q=may%20moc%20che%20bien").await),
        vec!["KCQG-2024-QB-01"]
    );
    assert_eq!(codes(&list("q=kcdp-2026").await).len(), 3);
    assert_eq!(
        codes(&list("funding_source=local&status=draft&year_from=2026").await).len(),
        3
    );
    assert_eq!(
        codes(&list(&format!("beneficiary_id={}", w.establishments[0])).await).len(),
        3
    );
    assert_eq!(
        codes(&list(&format!("implementing_unit_id={agency}")).await).len(),
        2
    );
    assert_eq!(codes(&list("activity_type=trade_fair").await).len(), 0);

    // Pages in plan-year order, newest first, follow each other without gaps or repeats.
    let mut seen = Vec::new();
    let mut query = "sort=-plan_year&limit=2&include_total=true".to_owned();
    loop {
        let page = list(&query).await;
        page.assert_status(200);
        assert_eq!(page.body["total"], 5);
        seen.extend(codes(&page));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => query = format!("sort=-plan_year&limit=2&include_total=true&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            "KCDP-2026-19-0003",
            "KCDP-2026-19-0002",
            "KCDP-2026-19-0001",
            "KCQG-2024-QB-01",
            "KCQG-2023-QT-01"
        ]
    );
    let by_code = list("sort=code&limit=1").await;
    assert_eq!(codes(&by_code), vec!["KCDP-2026-19-0001"]);

    // Province staff see their own province only.
    let mine = w
        .app
        .get("/api/v1/projects?include_total=true")
        .bearer(&w.province)
        .send()
        .await;
    assert_eq!(mine.body["total"], 3);
    let theirs = w
        .app
        .get("/api/v1/projects?include_total=true")
        .bearer(&w.other_province)
        .send()
        .await;
    assert_eq!(theirs.body["total"], 0);
    // And record projects only there.
    let mut elsewhere = w.project("vocational_training", "local");
    elsewhere["province_code"] = json!("01");
    elsewhere["commune_code"] = Value::Null;
    elsewhere["beneficiaries"] = json!([]);
    w.create(&w.province, elsewhere)
        .await
        .assert_problem(403, "outside_territory");
}

#[actix_web::test]
async fn only_drafts_are_deleted_and_the_audit_keeps_them() {
    let w = World::new().await;
    let id = w
        .project_with_budget(w.project("trade_fair", "local"), budget(0, 10_000_000, 0))
        .await;
    let path = format!("/api/v1/projects/{id}");
    w.app
        .delete(&path)
        .bearer(&w.province)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .assert_problem(412, "version_mismatch");
    w.app
        .delete(&path)
        .bearer(&w.auditor)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .assert_problem(403, "forbidden");
    let etag = w.etag(id).await;
    let deleted = w
        .app
        .delete(&path)
        .bearer(&w.province)
        .header("If-Match", &etag)
        .send()
        .await;
    deleted.assert_status(204);
    w.app
        .get(&path)
        .bearer(&w.province)
        .send()
        .await
        .assert_problem(404, "not_found");
    let audit = w
        .app
        .get(&format!(
            "/api/v1/audit-events?entity_type=project&entity_id={id}&action=delete"
        ))
        .bearer(&w.auditor)
        .send()
        .await;
    assert_eq!(
        audit.body["items"][0]["before"]["title"],
        "Hỗ trợ ứng dụng máy sấy miến dong tiên tiến"
    );
}

#[actix_web::test]
async fn implementing_units_are_kept_by_their_province() {
    let w = World::new().await;
    let body =
        json!({"name": "Sở Công Thương Hà Nội", "kind": "provincial_department", "province_code": "01"});
    w.app
        .post("/api/v1/organizations")
        .bearer(&w.province)
        .json(body.clone())
        .send()
        .await
        .assert_problem(403, "outside_territory");
    let created = w
        .app
        .post("/api/v1/organizations")
        .bearer(&w.other_province)
        .json(body)
        .send()
        .await;
    created.assert_status(201);
    let id = created.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/organizations/{id}");
    let changed = w
        .app
        .patch(&path)
        .bearer(&w.other_province)
        .header("If-Match", "\"1\"")
        .json(json!({"contact_name": "Nguyễn Văn An", "email": "kc@hanoi.gov.vn"}))
        .send()
        .await;
    changed.assert_status(200);
    assert_documented("patch", "/api/v1/organizations/{id}", &changed);
    assert_eq!(changed.body["version"], 2);
    w.app
        .patch(&path)
        .bearer(&w.province)
        .header("If-Match", "\"2\"")
        .json(json!({"active": false}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let bad = w
        .app
        .patch(&path)
        .bearer(&w.ministry)
        .header("If-Match", "\"2\"")
        .json(json!({"province_code": null, "email": "not-an-email"}))
        .send()
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(
        bad.field_errors(),
        vec![
            ("email".into(), "invalid_email".into()),
            ("province_code".into(), "required".into())
        ]
    );
    let listed = w
        .app
        .get("/api/v1/organizations?province_code=01&include_total=true")
        .bearer(&w.auditor)
        .send()
        .await;
    assert_documented("get", "/api/v1/organizations", &listed);
    assert_eq!(listed.body["total"], 1);
}

#[actix_web::test]
async fn admins_add_activity_types_that_the_reference_lists_at_once() {
    let w = World::new().await;
    let (_, admin) = w.app.admin();
    let body =
        json!({"code": "circular_economy", "name_vi": "Kinh tế tuần hoàn", "name_en": "Circular economy"});
    w.app
        .post("/api/v1/activity-types")
        .bearer(&w.ministry)
        .json(body.clone())
        .send()
        .await
        .assert_problem(403, "forbidden");
    let created = w
        .app
        .post("/api/v1/activity-types")
        .bearer(&admin)
        .json(body.clone())
        .send()
        .await;
    created.assert_status(201);
    assert_documented("post", "/api/v1/activity-types", &created);
    w.app
        .post("/api/v1/activity-types")
        .bearer(&admin)
        .json(body)
        .send()
        .await
        .assert_problem(409, "duplicate_code");
    let enums = w.app.get("/api/v1/reference/enums").send().await;
    let types = enums.body["activity_type"].as_array().unwrap();
    assert_eq!(types.len(), 23);
    assert!(
        types
            .iter()
            .any(|t| t["code"] == "circular_economy" && t["label_vi"] == "Kinh tế tuần hoàn")
    );
    assert!(types.iter().any(|t| t["code"] == "demonstration_model"));
    // A project can use it at once; a deactivated type leaves the reference and new projects.
    w.create(&w.province, w.project("circular_economy", "local"))
        .await
        .assert_status(201);
    w.app
        .patch("/api/v1/activity-types/circular_economy")
        .bearer(&admin)
        .header("If-Match", "\"1\"")
        .json(json!({"active": false}))
        .send()
        .await
        .assert_status(200);
    let enums = w.app.get("/api/v1/reference/enums").send().await;
    assert_eq!(enums.body["activity_type"].as_array().unwrap().len(), 22);
    let refused = w
        .create(&w.province, w.project("circular_economy", "local"))
        .await;
    assert!(
        refused
            .field_errors()
            .contains(&("activity_type".into(), "inactive_activity_type".into()))
    );
}

#[actix_web::test]
async fn support_caps_are_versioned_by_date_and_kept_by_who_sets_them() {
    let w = World::new().await;
    let seeded = w
        .app
        .get("/api/v1/support-caps?valid_on=2026-01-01&funding_source=national")
        .bearer(&w.auditor)
        .send()
        .await;
    seeded.assert_status(200);
    assert_documented("get", "/api/v1/support-caps", &seeded);
    assert_eq!(seeded.body["items"].as_array().unwrap().len(), 3);
    let demo = seeded.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["activity_type"] == "demonstration_model")
        .unwrap()
        .clone();
    assert_eq!(demo["max_share_percent"], 30);
    assert_eq!(demo["max_amount_vnd"], 1_000_000_000);

    let new_cap = json!({
        "legal_basis": "Thông tư 99/2027/TT-BTC",
        "funding_source": "national",
        "activity_type": "demonstration_model",
        "max_share_percent": 40,
        "max_amount_vnd": 1_500_000_000,
        "valid_from": "2027-01-01",
    });
    w.app
        .post("/api/v1/support-caps")
        .bearer(&w.province)
        .json(new_cap.clone())
        .send()
        .await
        .assert_problem(403, "forbidden");
    let created = w
        .app
        .post("/api/v1/support-caps")
        .bearer(&w.ministry)
        .json(new_cap.clone())
        .send()
        .await;
    created.assert_status(201);
    assert_documented("post", "/api/v1/support-caps", &created);
    let old = w
        .app
        .get(&format!("/api/v1/support-caps/{}", demo["id"]))
        .bearer(&w.auditor)
        .send()
        .await;
    assert_eq!(old.body["valid_to"], "2026-12-31");
    let in_2027 = w
        .app
        .get("/api/v1/support-caps?valid_on=2027-06-01&activity_type=demonstration_model")
        .bearer(&w.auditor)
        .send()
        .await;
    assert_eq!(in_2027.body["items"][0]["legal_basis"], "Thông tư 99/2027/TT-BTC");
    w.app
        .post("/api/v1/support-caps")
        .bearer(&w.ministry)
        .json(new_cap)
        .send()
        .await
        .assert_problem(409, "cap_period_overlap");

    // A province sets its local caps, which then bind its local-fund projects.
    let local = json!({
        "legal_basis": "Nghị quyết 12/2026/NQ-HĐND tỉnh Thái Nguyên",
        "funding_source": "local",
        "activity_type": "vocational_training",
        "province_code": "19",
        "max_amount_vnd": 80_000_000,
        "valid_from": "2026-01-01",
    });
    let mut elsewhere = local.clone();
    elsewhere["province_code"] = json!("01");
    w.app
        .post("/api/v1/support-caps")
        .bearer(&w.province)
        .json(elsewhere)
        .send()
        .await
        .assert_problem(403, "outside_territory");
    w.app
        .post("/api/v1/support-caps")
        .bearer(&w.province)
        .json(local)
        .send()
        .await
        .assert_status(201);
    let id = w
        .project_with_budget(
            w.project("vocational_training", "local"),
            budget(0, 90_000_000, 0),
        )
        .await;
    let refused = w.step(&w.province, id, "submit", json!({})).await;
    refused.assert_problem(422, "support_cap_exceeded");
    assert_eq!(
        refused.body["legal_basis"],
        "Nghị quyết 12/2026/NQ-HĐND tỉnh Thái Nguyên"
    );
}

#[actix_web::test]
async fn programmes_hold_targets_per_province_and_activity_type() {
    let w = World::new().await;
    let created = w
        .app
        .post("/api/v1/programmes")
        .bearer(&w.ministry)
        .json(json!({
            "code": "2021-2025",
            "name": "Chương trình khuyến công quốc gia giai đoạn 2021-2025",
            "level": "national",
            "start_year": 2021,
            "end_year": 2025,
            "legal_basis": "Quyết định 1881/QĐ-TTg",
        }))
        .send()
        .await;
    created.assert_status(201);
    assert_documented("post", "/api/v1/programmes", &created);
    let id = created.body["id"].as_i64().unwrap();
    let targets = format!("/api/v1/programmes/{id}/targets");
    let put = w
        .app
        .put(&targets)
        .bearer(&w.ministry)
        .header("If-Match", "\"1\"")
        .json(json!({"items": [
            {"province_code": "19", "activity_type": "demonstration_model", "target_count": 12, "target_amount_vnd": 6_000_000_000_i64},
            {"province_code": "19", "activity_type": "machinery_application", "target_count": 100, "target_amount_vnd": 30_000_000_000_i64},
            {"province_code": "01", "activity_type": "vocational_training", "target_count": 300},
        ]}))
        .send()
        .await;
    put.assert_status(200);
    assert_documented("put", "/api/v1/programmes/{id}/targets", &put);
    assert_eq!(put.body["total_amount_vnd"], 36_000_000_000_i64);
    assert_eq!(put.header("etag"), Some("\"2\""));
    // Province staff change their own province's lines; the others stay.
    let mine = w
        .app
        .put(&targets)
        .bearer(&w.province)
        .header("If-Match", "\"2\"")
        .json(json!({"items": [
            {"province_code": "19", "activity_type": "machinery_application", "target_count": 90, "target_amount_vnd": 27_000_000_000_i64},
        ]}))
        .send()
        .await;
    mine.assert_status(200);
    let read = w.app.get(&targets).bearer(&w.auditor).send().await;
    assert_documented("get", "/api/v1/programmes/{id}/targets", &read);
    let lines: Vec<(String, String, i64)> = read.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["province_code"].as_str().unwrap().to_owned(),
                t["activity_type"].as_str().unwrap().to_owned(),
                t["target_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("01".into(), "vocational_training".into(), 300),
            ("19".into(), "machinery_application".into(), 90)
        ]
    );
    w.app
        .put(&targets)
        .bearer(&w.province)
        .header("If-Match", "\"3\"")
        .json(json!({"items": [{"province_code": "01", "activity_type": "trade_fair", "target_count": 1}]}))
        .send()
        .await
        .assert_problem(403, "outside_territory");
    let invalid = w
        .app
        .put(&targets)
        .bearer(&w.ministry)
        .header("If-Match", "\"3\"")
        .json(json!({"items": [
            {"province_code": "99", "activity_type": "weaving", "target_count": 1},
        ]}))
        .send()
        .await;
    assert_eq!(
        invalid.field_errors(),
        vec![
            ("items[0].province_code".into(), "unknown_province".into()),
            ("items[0].activity_type".into(), "unknown_activity_type".into())
        ]
    );
    let listed = w
        .app
        .get("/api/v1/programmes?year=2023")
        .bearer(&w.province)
        .send()
        .await;
    assert_documented("get", "/api/v1/programmes", &listed);
    assert_eq!(listed.body["items"][0]["code"], "2021-2025");
}

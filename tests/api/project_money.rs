//! A project's money: budget versions, adjustments by decision, money movements and their
//! invariants, including under concurrency.

use serde_json::json;

use crate::contract::assert_documented;
use crate::projects::{World, budget, decision};

pub fn movement(kind: &str, source: &str, amount: i64) -> serde_json::Value {
    json!({
        "kind": kind,
        "source": source,
        "amount_vnd": amount,
        "date": "2026-04-10",
        "document_number": "UNC-2026-0457",
    })
}

async fn pay(w: &World, id: i64, body: serde_json::Value) -> crate::support::Resp {
    w.app
        .post(&format!("/api/v1/projects/{id}/disbursements"))
        .bearer(&w.province)
        .json(body)
        .send()
        .await
}

#[actix_web::test]
async fn money_never_exceeds_the_approved_lines_nor_the_advance_share_and_stops_at_settlement() {
    let w = World::new().await;
    let id = w
        .project_with_budget(
            w.project("machinery_application", "national"),
            budget(200_000_000, 0, 300_000_000),
        )
        .await;
    // No money moves before approval.
    pay(&w, id, movement("advance", "national", 1))
        .await
        .assert_problem(409, "money_not_allowed");
    w.approve(id, true).await;

    // Advances before acceptance: at most 70% of the state support.
    let advance = pay(&w, id, movement("advance", "national", 140_000_000)).await;
    advance.assert_status(201);
    assert_documented("post", "/api/v1/projects/{id}/disbursements", &advance);
    assert_eq!(advance.body["money"]["advance_share"], 0.7);
    let too_much = pay(&w, id, movement("advance", "national", 1)).await;
    too_much.assert_problem(422, "advance_share_exceeded");
    assert_eq!(too_much.body["limit_vnd"], 140_000_000);
    // Settlement payments only after acceptance.
    pay(&w, id, movement("settlement", "national", 1))
        .await
        .assert_problem(422, "validation_failed");
    w.step(&w.province, id, "start", json!({}))
        .await
        .assert_status(200);
    pay(&w, id, movement("payment", "national", 50_000_000))
        .await
        .assert_status(201);
    // The approved national line is 200,000,000: 190,000,000 moved, 10,000,001 more is too much.
    let over = pay(&w, id, movement("payment", "national", 10_000_001)).await;
    over.assert_problem(422, "exceeds_approved_amount");
    assert_eq!(over.body["approved_vnd"], 200_000_000);
    assert_eq!(over.body["would_be_vnd"], 200_000_001);
    // No local money was approved at all.
    pay(&w, id, movement("payment", "local", 1))
        .await
        .assert_problem(422, "exceeds_approved_amount");
    pay(&w, id, movement("refund", "national", 190_000_001))
        .await
        .assert_problem(422, "refund_exceeds_paid");
    pay(&w, id, movement("refund", "national", 5_000_000))
        .await
        .assert_status(201);
    // Counterpart money is the establishment's own and is recorded as it comes.
    pay(&w, id, movement("payment", "counterpart", 300_000_000))
        .await
        .assert_status(201);

    w.step(&w.province, id, "accept", decision("BB-21"))
        .await
        .assert_status(200);
    pay(&w, id, movement("advance", "national", 1))
        .await
        .assert_problem(422, "validation_failed");
    pay(&w, id, movement("settlement", "national", 15_000_000))
        .await
        .assert_status(201);
    let project = w
        .app
        .get(&format!("/api/v1/projects/{id}"))
        .bearer(&w.auditor)
        .send()
        .await;
    assert_documented("get", "/api/v1/projects/{id}", &project);
    let money = &project.body["money"];
    assert_eq!(money["approved"]["national_vnd"], 200_000_000);
    assert_eq!(money["total_cost_vnd"], 500_000_000);
    assert_eq!(money["state_support_vnd"], 200_000_000);
    assert_eq!(money["disbursed"]["national_vnd"], 200_000_000);
    assert_eq!(money["remaining"]["national_vnd"], 0);
    assert_eq!(money["disbursement_rate"], 1.0);
    assert_eq!(money["state_advances_vnd"], 140_000_000);

    w.step(&w.province, id, "settle", decision("QT-21"))
        .await
        .assert_status(200);
    pay(&w, id, movement("refund", "national", 1))
        .await
        .assert_problem(409, "project_settled");
    let list = w
        .app
        .get(&format!("/api/v1/projects/{id}/disbursements?include_total=true"))
        .bearer(&w.auditor)
        .send()
        .await;
    list.assert_status(200);
    assert_documented("get", "/api/v1/projects/{id}/disbursements", &list);
    assert_eq!(list.body["total"], 5);
    assert_eq!(list.body["items"][0]["kind"], "advance");
    // Others cannot record money on it.
    w.app
        .post(&format!("/api/v1/projects/{id}/disbursements"))
        .bearer(&w.other_province)
        .json(movement("payment", "national", 1))
        .send()
        .await
        .assert_problem(404, "not_found");
}

/// Twenty payments at once against a line with room for ten: exactly ten pass, and the money
/// moved equals the approved amount.
#[actix_web::test]
async fn parallel_disbursements_never_together_exceed_the_budget() {
    let w = World::new().await;
    let id = w
        .project_with_budget(w.project("trade_fair", "national"), budget(100_000_000, 0, 0))
        .await;
    w.approve(id, true).await;
    w.step(&w.province, id, "start", json!({}))
        .await
        .assert_status(200);
    let service = actix_web::test::init_service(khuyencong::build_app(w.app.state.clone())).await;
    let requests = (0..20).map(|_| {
        let request = actix_web::test::TestRequest::post()
            .uri(&format!("/api/v1/projects/{id}/disbursements"))
            .insert_header(("Authorization", format!("Bearer {}", w.province)))
            .set_json(movement("payment", "national", 10_000_000))
            .to_request();
        actix_web::test::call_service(&service, request)
    });
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 10, "{statuses:?}");
    assert!(statuses.iter().all(|s| [201, 422].contains(s)), "{statuses:?}");
    let project = w
        .app
        .get(&format!("/api/v1/projects/{id}"))
        .bearer(&w.ministry)
        .send()
        .await;
    assert_eq!(project.body["money"]["disbursed"]["national_vnd"], 100_000_000);
}

#[actix_web::test]
async fn adjustments_keep_every_budget_version_and_appear_in_the_history() {
    let w = World::new().await;
    let id = w
        .project_with_budget(
            w.project("vocational_training", "local"),
            budget(0, 100_000_000, 0),
        )
        .await;
    // The draft budget may be set again and again; each is a version.
    w.set_budget(&w.province, id, budget(0, 120_000_000, 10_000_000))
        .await
        .assert_status(200);
    let adjust = |token: String, body: serde_json::Value| {
        let w = &w;
        async move {
            let etag = w.etag(id).await;
            w.app
                .post(&format!("/api/v1/projects/{id}/adjustments"))
                .bearer(&token)
                .header("If-Match", &etag)
                .json(body)
                .send()
                .await
        }
    };
    let adjustment = |local: i64| {
        json!({
            "national": 0, "local": local, "counterpart": 10_000_000, "other": 0,
            "decision_number": "310/QĐ-SCT", "decision_date": "2026-06-01",
            "reason": "Bổ sung một lớp đào tạo", "planned_end": "2026-12-31",
        })
    };
    adjust(w.province.clone(), adjustment(150_000_000))
        .await
        .assert_problem(409, "adjustment_not_allowed");
    w.approve(id, false).await;
    w.step(&w.province, id, "start", json!({}))
        .await
        .assert_status(200);
    pay(&w, id, movement("payment", "local", 80_000_000))
        .await
        .assert_status(201);
    let below = adjust(w.province.clone(), adjustment(70_000_000)).await;
    below.assert_problem(422, "validation_failed");
    assert!(
        below
            .field_errors()
            .contains(&("local".into(), "below_disbursed".into()))
    );
    w.app
        .post(&format!("/api/v1/projects/{id}/adjustments"))
        .bearer(&w.province)
        .json(adjustment(150_000_000))
        .send()
        .await
        .assert_problem(428, "if_match_required");
    let adjusted = adjust(w.province.clone(), adjustment(150_000_000)).await;
    adjusted.assert_status(201);
    assert_documented("post", "/api/v1/projects/{id}/adjustments", &adjusted);
    assert_eq!(adjusted.body["money"]["approved"]["local_vnd"], 150_000_000);
    assert_eq!(adjusted.body["planned_end"], "2026-12-31");
    assert_eq!(adjusted.body["budget_version"], 3);

    let budget_view = w
        .app
        .get(&format!("/api/v1/projects/{id}/budget"))
        .bearer(&w.auditor)
        .send()
        .await;
    budget_view.assert_status(200);
    assert_documented("get", "/api/v1/projects/{id}/budget", &budget_view);
    let versions: Vec<(i64, String, i64)> = budget_view.body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["budget_version"].as_i64().unwrap(),
                v["kind"].as_str().unwrap().to_owned(),
                v["lines"]["local_vnd"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        vec![
            (1, "draft".into(), 100_000_000),
            (2, "draft".into(), 120_000_000),
            (3, "adjustment".into(), 150_000_000)
        ]
    );
    assert_eq!(budget_view.body["versions"][2]["decision_number"], "310/QĐ-SCT");

    let history = w
        .app
        .get(&format!("/api/v1/projects/{id}/history"))
        .bearer(&w.province)
        .send()
        .await;
    let kinds: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "created",
            "budget_set",
            "budget_set",
            "transition",
            "transition",
            "transition",
            "transition",
            "adjustment"
        ]
    );
    let last = history.body["items"].as_array().unwrap().last().unwrap();
    assert_eq!(last["decision_number"], "310/QĐ-SCT");
    assert_eq!(last["budget_version"], 3);
    assert_eq!(last["note"], "Bổ sung một lớp đào tạo");

    // A national-fund project is adjusted by the ministry only.
    let national = w
        .project_with_budget(w.project("trade_fair", "national"), budget(50_000_000, 0, 0))
        .await;
    w.approve(national, true).await;
    let etag = w.etag(national).await;
    w.app
        .post(&format!("/api/v1/projects/{national}/adjustments"))
        .bearer(&w.province)
        .header("If-Match", &etag)
        .json(adjustment(0))
        .send()
        .await
        .assert_problem(403, "not_your_decision");
}

#[actix_web::test]
async fn indicators_keep_standard_units_and_name_custom_ones() {
    let w = World::new().await;
    let id = w
        .project_with_budget(
            w.project("vocational_training", "local"),
            budget(0, 100_000_000, 0),
        )
        .await;
    let put = |body: serde_json::Value| {
        let w = &w;
        async move {
            let etag = w.etag(id).await;
            w.app
                .put(&format!("/api/v1/projects/{id}/indicators"))
                .bearer(&w.province)
                .header("If-Match", &etag)
                .json(body)
                .send()
                .await
        }
    };
    let wrong = put(json!({"items": [
        {"code": "workers_trained", "unit": "machine", "target": 35},
        {"code": "tea_hills_replanted", "target": 4},
    ]}))
    .await;
    wrong.assert_problem(422, "validation_failed");
    assert_eq!(
        wrong.field_errors(),
        vec![
            ("items[0].unit".to_owned(), "unit_mismatch".to_owned()),
            ("items[1].unit".to_owned(), "required".to_owned())
        ]
    );
    let stored = put(json!({"items": [
        {"code": "workers_trained", "baseline": 0, "target": 35, "actual": 33},
        {"code": "tea_hills_replanted", "unit": "ha", "target": 4},
    ]}))
    .await;
    stored.assert_status(200);
    assert_documented("put", "/api/v1/projects/{id}/indicators", &stored);
    let read = w
        .app
        .get(&format!("/api/v1/projects/{id}/indicators"))
        .bearer(&w.auditor)
        .send()
        .await;
    assert_documented("get", "/api/v1/projects/{id}/indicators", &read);
    assert_eq!(read.body["items"][0]["code"], "tea_hills_replanted");
    assert_eq!(read.body["items"][1]["unit"], "person");
    assert_eq!(read.body["items"][1]["actual"], 33);
    assert_eq!(read.header("etag"), stored.header("etag"));
}

/// Money that has moved binds the project: it can no longer be sent back for revision, and it is
/// cancelled only once the state money has come back.
#[actix_web::test]
async fn moved_money_blocks_returns_and_must_come_back_before_cancelling() {
    let w = World::new().await;
    let id = w
        .project_with_budget(
            w.project("vocational_training", "local"),
            budget(0, 100_000_000, 0),
        )
        .await;
    w.approve(id, false).await;
    w.step(&w.province, id, "start", json!({}))
        .await
        .assert_status(200);
    pay(&w, id, movement("advance", "local", 30_000_000))
        .await
        .assert_status(201);
    let back = w
        .step(&w.province, id, "return", json!({"note": "Sai đối tượng"}))
        .await;
    back.assert_problem(409, "money_already_moved");
    assert_eq!(back.body["project_status"], "in_progress");
    w.step(&w.province, id, "cancel", decision("77/QĐ-UBND"))
        .await
        .assert_problem(409, "money_outstanding");
    pay(&w, id, movement("refund", "local", 30_000_000))
        .await
        .assert_status(201);
    let cancelled = w.step(&w.province, id, "cancel", decision("77/QĐ-UBND")).await;
    cancelled.assert_status(200);
    assert_eq!(cancelled.body["status"], "cancelled");
    pay(&w, id, movement("payment", "local", 1))
        .await
        .assert_problem(409, "money_not_allowed");
}

/// Commune staff read the projects of their commune and change none.
#[actix_web::test]
async fn commune_staff_read_their_communes_projects_only() {
    let w = World::new().await;
    let here = w.app.token_for(
        &w.app
            .user("xa.ducxuan", khuyencong::auth::Role::Commune)
            .province("19")
            .commune("01840")
            .insert(),
    );
    let there = w.app.token_for(
        &w.app
            .user("xa.backan", khuyencong::auth::Role::Commune)
            .province("19")
            .commune("01843")
            .insert(),
    );
    let id = w
        .project_with_budget(w.project("trade_fair", "local"), budget(0, 10_000_000, 0))
        .await;
    let path = format!("/api/v1/projects/{id}");
    w.app.get(&path).bearer(&here).send().await.assert_status(200);
    w.app
        .get(&path)
        .bearer(&there)
        .send()
        .await
        .assert_problem(404, "not_found");
    let listed = w
        .app
        .get("/api/v1/projects?include_total=true")
        .bearer(&there)
        .send()
        .await;
    assert_eq!(listed.body["total"], 0);
    w.step(&here, id, "submit", json!({}))
        .await
        .assert_problem(403, "forbidden");
}

//! Projects through their lifecycle: who may take which step, on which projects, from which state,
//! with which decision; and the support caps checked at submission and approval.

use serde_json::{Value, json};

use khuyencong::auth::Role;

use crate::contract::assert_documented;
use crate::support::{Resp, TestApp};

/// A registry with the people and records a project needs: ministry staff, staff of Thái Nguyên
/// (19) and of Hà Nội (01), an auditor, Thái Nguyên's promotion centre and two establishments there.
pub struct World {
    pub app: TestApp,
    pub ministry: String,
    pub province: String,
    pub other_province: String,
    pub auditor: String,
    pub unit_id: i64,
    pub establishments: Vec<i64>,
}

impl World {
    pub async fn new() -> World {
        let app = TestApp::new();
        let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
        let province = app.token_for(&app.user("tn.kc", Role::Province).province("19").insert());
        let other_province = app.token_for(&app.user("hn.kc", Role::Province).province("01").insert());
        let auditor = app.token_for(&app.user("kiem.toan", Role::Auditor).insert());
        let unit = app
            .post("/api/v1/organizations")
            .bearer(&province)
            .json(json!({
                "name": "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Thái Nguyên",
                "kind": "provincial_promotion_centre",
                "province_code": "19",
                "phone": "0208 3855 123",
            }))
            .send()
            .await;
        unit.assert_status(201);
        let mut establishments = Vec::new();
        for name in ["Hợp tác xã Miến dong Côn Minh", "Tổ hợp tác Chè Tân Cương"] {
            let created = app
                .post("/api/v1/beneficiaries")
                .bearer(&province)
                .json(json!({
                    "name": name,
                    "legal_form": "cooperative_group",
                    "identifier_type": "none",
                    "province_code": "19",
                    "commune_code": "01840",
                }))
                .send()
                .await;
            created.assert_status(201);
            establishments.push(created.body["id"].as_i64().unwrap());
        }
        World {
            unit_id: unit.body["id"].as_i64().unwrap(),
            app,
            ministry,
            province,
            other_province,
            auditor,
            establishments,
        }
    }

    /// A project body of Thái Nguyên, ready for submission once it has a budget.
    pub fn project(&self, activity: &str, funding: &str) -> Value {
        json!({
            "title": "Hỗ trợ ứng dụng máy sấy miến dong tiên tiến",
            "summary": "Đầu tư dây chuyền sấy miến cho hợp tác xã",
            "activity_type": activity,
            "funding_source": funding,
            "plan_year": 2026,
            "province_code": "19",
            "commune_code": "01840",
            "implementing_unit_id": self.unit_id,
            "planned_start": "2026-03-01",
            "planned_end": "2026-11-30",
            "beneficiaries": [{"beneficiary_id": self.establishments[0], "role": "primary"}],
        })
    }

    pub async fn create(&self, token: &str, body: Value) -> Resp {
        self.app
            .post("/api/v1/projects")
            .bearer(token)
            .json(body)
            .send()
            .await
    }

    /// Creates a project and sets its budget; returns its id.
    pub async fn project_with_budget(&self, body: Value, budget: Value) -> i64 {
        let created = self.create(&self.province, body).await;
        created.assert_status(201);
        let id = created.body["id"].as_i64().unwrap();
        self.set_budget(&self.province, id, budget)
            .await
            .assert_status(200);
        id
    }

    pub async fn etag(&self, id: i64) -> String {
        let response = self
            .app
            .get(&format!("/api/v1/projects/{id}"))
            .bearer(&self.ministry)
            .send()
            .await;
        response.assert_status(200);
        response.header("etag").unwrap().to_owned()
    }

    pub async fn set_budget(&self, token: &str, id: i64, budget: Value) -> Resp {
        let etag = self.etag(id).await;
        self.app
            .put(&format!("/api/v1/projects/{id}/budget"))
            .bearer(token)
            .header("If-Match", &etag)
            .json(budget)
            .send()
            .await
    }

    /// Takes one step with the current version.
    pub async fn step(&self, token: &str, id: i64, action: &str, extra: Value) -> Resp {
        let etag = self.etag(id).await;
        let mut body = json!({"action": action});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.app
            .post(&format!("/api/v1/projects/{id}/transitions"))
            .bearer(token)
            .header("If-Match", &etag)
            .json(body)
            .send()
            .await
    }

    /// Walks a project to `approved` the way its funding source requires.
    pub async fn approve(&self, id: i64, national: bool) {
        let approver = if national { &self.ministry } else { &self.province };
        self.step(&self.province, id, "submit", json!({}))
            .await
            .assert_status(200);
        self.step(approver, id, "appraise", json!({}))
            .await
            .assert_status(200);
        self.step(approver, id, "approve", decision("125/QĐ-BCT"))
            .await
            .assert_status(200);
    }
}

pub fn decision(number: &str) -> Value {
    json!({"decision_number": number, "decision_date": "2026-02-15"})
}

pub fn budget(national: i64, local: i64, counterpart: i64) -> Value {
    json!({"national": national, "local": local, "counterpart": counterpart, "other": 0})
}

#[actix_web::test]
async fn a_national_fund_project_walks_from_draft_to_settled_and_every_wrong_step_is_refused() {
    let w = World::new().await;
    let created = w
        .create(&w.province, w.project("machinery_application", "national"))
        .await;
    created.assert_status(201);
    assert_documented("post", "/api/v1/projects", &created);
    assert_eq!(created.body["code"], "KCQG-2026-19-0001");
    assert_eq!(created.body["status"], "draft");
    assert_eq!(
        created.body["beneficiaries"][0]["name"],
        "Hợp tác xã Miến dong Côn Minh"
    );
    let id = created.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/projects/{id}");
    let transitions = format!("{path}/transitions");

    // Another province does not see it at all.
    w.app
        .get(&path)
        .bearer(&w.other_province)
        .send()
        .await
        .assert_problem(404, "not_found");
    w.step(&w.other_province, id, "submit", json!({}))
        .await
        .assert_problem(404, "not_found");

    // Submission needs a budget line of the project's own source.
    w.step(&w.province, id, "submit", json!({}))
        .await
        .assert_problem(422, "incomplete_project");
    w.set_budget(&w.province, id, budget(300_000_000, 0, 400_000_000))
        .await
        .assert_status(200);
    let stale = w.etag(id).await;
    let submitted = w
        .step(&w.province, id, "submit", json!({"note": "Trình Bộ"}))
        .await;
    submitted.assert_status(200);
    assert_documented("post", "/api/v1/projects/{id}/transitions", &submitted);
    assert_eq!(submitted.body["status"], "submitted");

    // A stale version is refused before anything else.
    w.app
        .post(&transitions)
        .bearer(&w.ministry)
        .header("If-Match", &stale)
        .json(json!({"action": "appraise"}))
        .send()
        .await
        .assert_problem(412, "version_mismatch");
    // So is a missing one.
    w.app
        .post(&transitions)
        .bearer(&w.ministry)
        .json(json!({"action": "appraise"}))
        .send()
        .await
        .assert_problem(428, "if_match_required");

    // National funds are appraised and approved by the ministry, not by the province.
    w.step(&w.province, id, "appraise", json!({}))
        .await
        .assert_problem(403, "not_your_decision");
    w.step(&w.auditor, id, "appraise", json!({}))
        .await
        .assert_problem(403, "forbidden");
    // Approval needs appraisal first; the refusal lists what is allowed.
    let early = w.step(&w.ministry, id, "approve", decision("125/QĐ-BCT")).await;
    early.assert_problem(409, "illegal_transition");
    assert_eq!(
        early.body["allowed_actions"],
        json!(["appraise", "return", "cancel"])
    );
    w.step(&w.ministry, id, "appraise", json!({}))
        .await
        .assert_status(200);
    w.step(&w.province, id, "approve", decision("125/QĐ-BCT"))
        .await
        .assert_problem(403, "not_your_decision");
    let undecided = w.step(&w.ministry, id, "approve", json!({})).await;
    undecided.assert_problem(422, "validation_failed");
    assert!(
        undecided
            .field_errors()
            .contains(&("decision_number".into(), "required".into()))
    );
    let approved = w.step(&w.ministry, id, "approve", decision("125/QĐ-BCT")).await;
    approved.assert_status(200);
    assert_eq!(
        approved.body["allowed_actions"],
        json!(["return", "start", "cancel"])
    );

    // After approval the content and budget are locked and the project cannot be deleted.
    let etag = w.etag(id).await;
    w.app
        .patch(&path)
        .bearer(&w.province)
        .header("If-Match", &etag)
        .json(json!({"title": "Đổi tên sau phê duyệt"}))
        .send()
        .await
        .assert_problem(409, "project_not_editable");
    w.set_budget(&w.province, id, budget(1, 0, 1))
        .await
        .assert_problem(409, "budget_locked");
    w.app
        .delete(&path)
        .bearer(&w.province)
        .header("If-Match", &etag)
        .send()
        .await
        .assert_problem(409, "project_not_deletable");
    w.step(&w.ministry, id, "approve", decision("126/QĐ-BCT"))
        .await
        .assert_problem(409, "illegal_transition");

    // The province runs the project.
    w.step(&w.province, id, "start", json!({}))
        .await
        .assert_status(200);
    w.step(&w.province, id, "suspend", json!({}))
        .await
        .assert_problem(422, "validation_failed");
    w.step(
        &w.province,
        id,
        "suspend",
        json!({"note": "Chờ lắp đặt điện ba pha"}),
    )
    .await
    .assert_status(200);
    w.step(&w.province, id, "resume", json!({}))
        .await
        .assert_status(200);
    w.step(&w.province, id, "accept", decision("BB-12/NT"))
        .await
        .assert_status(200);
    let settled = w.step(&w.province, id, "settle", decision("QT-07/2026")).await;
    settled.assert_status(200);
    assert_eq!(settled.body["status"], "settled");
    assert_eq!(settled.body["allowed_actions"], json!([]));
    let late = w.step(&w.ministry, id, "cancel", decision("200/QĐ-BCT")).await;
    late.assert_problem(409, "illegal_transition");
    assert_eq!(late.body["allowed_actions"], json!([]));

    // Every step is in the history with its actor and decision.
    let history = w
        .app
        .get(&format!("{path}/history"))
        .bearer(&w.auditor)
        .send()
        .await;
    history.assert_status(200);
    assert_documented("get", "/api/v1/projects/{id}/history", &history);
    let steps: Vec<(String, String, String)> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap_or("").to_owned(),
                e["actor"]["username"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("created", "", "tn.kc"),
        ("budget_set", "", "tn.kc"),
        ("transition", "submit", "tn.kc"),
        ("transition", "appraise", "bo.ct"),
        ("transition", "approve", "bo.ct"),
        ("transition", "start", "tn.kc"),
        ("transition", "suspend", "tn.kc"),
        ("transition", "resume", "tn.kc"),
        ("transition", "accept", "tn.kc"),
        ("transition", "settle", "tn.kc"),
    ];
    assert_eq!(
        steps,
        expected
            .iter()
            .map(|(k, a, u)| (k.to_string(), a.to_string(), u.to_string()))
            .collect::<Vec<_>>()
    );
    let approval = &history.body["items"][4];
    assert_eq!(approval["decision_number"], "125/QĐ-BCT");
    assert_eq!(approval["decision_date"], "2026-02-15");
    assert_eq!(approval["from_status"], "appraised");
    assert_eq!(approval["to_status"], "approved");
    assert_eq!(history.body["items"][6]["note"], "Chờ lắp đặt điện ba pha");

    // Each step is also an audit event.
    let audit = w
        .app
        .get(&format!(
            "/api/v1/audit-events?entity_type=project&entity_id={id}&limit=100"
        ))
        .bearer(&w.auditor)
        .send()
        .await;
    audit.assert_status(200);
    let transitions = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "transition")
        .count();
    assert_eq!(transitions, 8);
}

#[actix_web::test]
async fn a_local_fund_project_is_approved_and_run_by_its_province_alone() {
    let w = World::new().await;
    let body = w.project("vocational_training", "local");
    let id = w
        .project_with_budget(body, budget(0, 150_000_000, 20_000_000))
        .await;
    let code = w
        .app
        .get(&format!("/api/v1/projects/{id}"))
        .bearer(&w.province)
        .send()
        .await;
    assert_eq!(code.body["code"], "KCDP-2026-19-0001");
    w.step(&w.other_province, id, "submit", json!({}))
        .await
        .assert_problem(404, "not_found");
    w.step(&w.province, id, "submit", json!({}))
        .await
        .assert_status(200);
    // Returned for revision, edited, submitted again.
    w.step(&w.province, id, "return", json!({}))
        .await
        .assert_problem(422, "validation_failed");
    w.step(
        &w.province,
        id,
        "return",
        json!({"note": "Bổ sung danh sách học viên"}),
    )
    .await
    .assert_status(200);
    let etag = w.etag(id).await;
    let edited = w
        .app
        .patch(&format!("/api/v1/projects/{id}"))
        .bearer(&w.province)
        .header("If-Match", &etag)
        .json(json!({"beneficiaries": [
            {"beneficiary_id": w.establishments[0], "role": "primary"},
            {"beneficiary_id": w.establishments[1], "role": "participant"},
        ]}))
        .send()
        .await;
    edited.assert_status(200);
    assert_eq!(edited.body["beneficiaries"].as_array().unwrap().len(), 2);
    for action in ["submit", "appraise"] {
        w.step(&w.province, id, action, json!({}))
            .await
            .assert_status(200);
    }
    w.step(&w.province, id, "approve", decision("45/QĐ-UBND"))
        .await
        .assert_status(200);
    w.step(&w.province, id, "start", json!({}))
        .await
        .assert_status(200);
    w.step(&w.province, id, "accept", decision("BB-03"))
        .await
        .assert_status(200);
    let settled = w.step(&w.province, id, "settle", decision("QT-03")).await;
    settled.assert_status(200);
    assert_eq!(settled.body["status"], "settled");
}

#[actix_web::test]
async fn support_caps_are_enforced_at_submission_and_approval_unless_the_ministry_overrides() {
    let w = World::new().await;
    // A demonstration model asking 35% of its cost from national funds.
    let greedy = w
        .project_with_budget(
            w.project("demonstration_model", "national"),
            budget(350_000_000, 0, 650_000_000),
        )
        .await;
    let refused = w.step(&w.province, greedy, "submit", json!({})).await;
    refused.assert_problem(422, "support_cap_exceeded");
    assert_documented("post", "/api/v1/projects/{id}/transitions", &refused);
    assert_eq!(refused.body["legal_basis"], "Thông tư 28/2018/TT-BTC");
    assert_eq!(refused.body["limit"], "share");
    assert_eq!(refused.body["state_support_vnd"], 350_000_000);
    assert_eq!(refused.body["allowed_vnd"], 300_000_000);
    // Province staff may not override.
    w.step(
        &w.province,
        greedy,
        "submit",
        json!({"override_reason": "Vùng khó khăn"}),
    )
    .await
    .assert_problem(403, "override_requires_ministry");

    // 30% under 1,000,000,000 đ passes, through approval.
    let fair = w
        .project_with_budget(
            w.project("demonstration_model", "national"),
            budget(300_000_000, 0, 700_000_000),
        )
        .await;
    w.approve(fair, true).await;
    // 30% but above the 1,000,000,000 đ ceiling is refused.
    let large = w
        .project_with_budget(
            w.project("demonstration_model", "national"),
            budget(1_200_000_000, 0, 2_800_000_000),
        )
        .await;
    let ceiling = w.step(&w.province, large, "submit", json!({})).await;
    ceiling.assert_problem(422, "support_cap_exceeded");
    assert_eq!(ceiling.body["limit"], "ceiling");
    assert_eq!(ceiling.body["allowed_vnd"], 1_000_000_000);

    // Machinery: at most 300,000,000 đ per establishment...
    let machinery = w
        .project_with_budget(
            w.project("machinery_application", "national"),
            budget(350_000_000, 0, 650_000_000),
        )
        .await;
    let over = w.step(&w.province, machinery, "submit", json!({})).await;
    over.assert_problem(422, "support_cap_exceeded");
    assert_eq!(over.body["allowed_vnd"], 300_000_000);
    // ... ×1.5 for a complete production line.
    let mut line = w.project("machinery_application", "national");
    line["complete_production_line"] = json!(true);
    let line = w
        .project_with_budget(line, budget(450_000_000, 0, 550_000_000))
        .await;
    w.approve(line, true).await;

    // The ministry overrides with a reason; it is recorded and holds through approval.
    let overridden = w
        .step(
            &w.ministry,
            greedy,
            "submit",
            json!({"override_reason": "Mô hình điểm của vùng đặc biệt khó khăn (Công văn 88/BCT-ĐMST)"}),
        )
        .await;
    overridden.assert_status(200);
    assert_eq!(
        overridden.body["cap_override_reason"],
        "Mô hình điểm của vùng đặc biệt khó khăn (Công văn 88/BCT-ĐMST)"
    );
    w.step(&w.ministry, greedy, "appraise", json!({}))
        .await
        .assert_status(200);
    w.step(&w.ministry, greedy, "approve", decision("130/QĐ-BCT"))
        .await
        .assert_status(200);
    let history = w
        .app
        .get(&format!("/api/v1/projects/{greedy}/history"))
        .bearer(&w.ministry)
        .send()
        .await;
    let submit = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "submit")
        .unwrap();
    assert_eq!(
        submit["override_reason"],
        "Mô hình điểm của vùng đặc biệt khó khăn (Công văn 88/BCT-ĐMST)"
    );
    assert_eq!(submit["actor"]["username"], "bo.ct");
}

/// A training names its participants as they enrol: after approval establishments may be added,
/// not taken off, and from acceptance on the list is fixed.
#[actix_web::test]
async fn a_group_project_names_its_establishments_after_approval() {
    let w = World::new().await;
    let mut body = w.project("vocational_training", "local");
    body["beneficiaries"] = json!([]);
    let id = w.project_with_budget(body, budget(0, 90_000_000, 0)).await;
    w.approve(id, false).await;
    w.step(&w.province, id, "start", json!({}))
        .await
        .assert_status(200);
    // Acceptance needs the establishments named.
    w.step(&w.province, id, "accept", decision("BB-30"))
        .await
        .assert_problem(422, "incomplete_project");
    let name = |items: serde_json::Value| {
        let w = &w;
        async move {
            let etag = w.etag(id).await;
            w.app
                .put(&format!("/api/v1/projects/{id}/beneficiaries"))
                .bearer(&w.province)
                .header("If-Match", &etag)
                .json(json!({"items": items}))
                .send()
                .await
        }
    };
    let first = w.establishments[0];
    let second = w.establishments[1];
    let named = name(json!([{"beneficiary_id": first, "role": "participant"}])).await;
    named.assert_status(200);
    assert_documented("put", "/api/v1/projects/{id}/beneficiaries", &named);
    let both = name(json!([
        {"beneficiary_id": first, "role": "participant"},
        {"beneficiary_id": second, "role": "participant"},
    ]))
    .await;
    both.assert_status(200);
    assert_eq!(both.body["beneficiaries"].as_array().unwrap().len(), 2);
    let dropped = name(json!([{"beneficiary_id": second, "role": "participant"}])).await;
    dropped.assert_problem(422, "validation_failed");
    assert_eq!(
        dropped.field_errors(),
        vec![(
            "items".to_owned(),
            "beneficiary_removed_after_approval".to_owned()
        )]
    );
    let unknown = name(json!([
        {"beneficiary_id": first, "role": "participant"},
        {"beneficiary_id": second, "role": "participant"},
        {"beneficiary_id": 999_999, "role": "participant"},
    ]))
    .await;
    assert_eq!(
        unknown.field_errors(),
        vec![(
            "items[2].beneficiary_id".to_owned(),
            "unknown_beneficiary".to_owned()
        )]
    );
    w.step(&w.province, id, "accept", decision("BB-30"))
        .await
        .assert_status(200);
    name(json!([
        {"beneficiary_id": first, "role": "participant"},
        {"beneficiary_id": second, "role": "participant"},
    ]))
    .await
    .assert_problem(409, "beneficiaries_locked");
    let history = w
        .app
        .get(&format!("/api/v1/projects/{id}/history"))
        .bearer(&w.province)
        .send()
        .await;
    let named_steps = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "beneficiaries_named")
        .count();
    assert_eq!(named_steps, 2);
}

/// Approval is judged by the cap in force on the decision's date: a stricter version that took
/// effect after submission refuses the approval.
#[actix_web::test]
async fn approval_is_judged_by_the_cap_in_force_on_the_decision_date() {
    let w = World::new().await;
    let id = w
        .project_with_budget(
            w.project("demonstration_model", "national"),
            budget(300_000_000, 0, 700_000_000),
        )
        .await;
    w.step(&w.province, id, "submit", json!({}))
        .await
        .assert_status(200);
    w.step(&w.ministry, id, "appraise", json!({}))
        .await
        .assert_status(200);
    w.app
        .post("/api/v1/support-caps")
        .bearer(&w.ministry)
        .json(json!({
            "legal_basis": "Thông tư 20/2026/TT-BTC",
            "funding_source": "national",
            "activity_type": "demonstration_model",
            "max_share_percent": 25,
            "max_amount_vnd": 1_000_000_000,
            "valid_from": "2026-02-01",
        }))
        .send()
        .await
        .assert_status(201);
    // Decided before the new version: the old cap (30%) applies.
    let earlier = json!({"decision_number": "20/QĐ-BCT", "decision_date": "2026-01-20"});
    // Decided under the new version (25%): refused.
    let refused = w.step(&w.ministry, id, "approve", decision("125/QĐ-BCT")).await;
    refused.assert_problem(422, "support_cap_exceeded");
    assert_eq!(refused.body["legal_basis"], "Thông tư 20/2026/TT-BTC");
    assert_eq!(refused.body["allowed_vnd"], 250_000_000);
    w.step(&w.ministry, id, "approve", earlier)
        .await
        .assert_status(200);
}

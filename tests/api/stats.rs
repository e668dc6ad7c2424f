//! Figures for dashboards: every number below is worked out by hand from the projects the test
//! records, so a wrong sum, a wrong filter or a wrong grouping shows.

use serde_json::{Value, json};

use crate::contract::assert_documented;
use crate::project_money::movement;
use crate::projects::{World, budget, decision};
use crate::support::Resp;
use khuyencong::auth::Role;

const M: i64 = 1_000_000;

async fn pay(w: &World, token: &str, id: i64, body: Value) {
    w.app
        .post(&format!("/api/v1/projects/{id}/disbursements"))
        .bearer(token)
        .json(body)
        .send()
        .await
        .assert_status(201);
}

async fn step(w: &World, token: &str, id: i64, action: &str, extra: Value) {
    w.step(token, id, action, extra).await.assert_status(200);
}

async fn set_indicators(w: &World, token: &str, id: i64, items: Value) {
    let etag = w.etag(id).await;
    w.app
        .put(&format!("/api/v1/projects/{id}/indicators"))
        .bearer(token)
        .header("If-Match", &etag)
        .json(json!({ "items": items }))
        .send()
        .await
        .assert_status(200);
}

/// Thái Nguyên (19, Bắc Kạn merged into it in 2025) and Hà Nội (01):
/// - A: Thái Nguyên, 2024, recorded under Bắc Kạn (06), machinery, national funds; approved
///   200 + counterpart 300; moved national 100 and counterpart 120; accepted.
/// - B: Thái Nguyên, 2024, recorded under the old Thái Nguyên (19), training for both Thái Nguyên
///   establishments, local funds; approved local 80 + counterpart 20; moved local 50 + 30 − 5
///   refunded; settled.
/// - C: Thái Nguyên, 2026, machinery, national; approved 150 + counterpart 200; advance 50; in
///   progress.
/// - D: Thái Nguyên, 2026, a draft.
/// - E: Hà Nội, 2026, machinery, local funds; approved 100 + counterpart 100; nothing moved;
///   accepted.
///
/// Amounts in millions of đồng.
///
/// Their indicators (target / actual): A 4 / 4 machines and 1 / 1 establishment; B 35 / 33 workers
/// trained from 0, and 10 / – jobs; C 3 / – machines; E 2 / 3 machines and 5 / 5 workers.
struct Figures {
    w: World,
    hanoi_unit: i64,
    /// The Hà Nội establishment E supports.
    weaver: i64,
}

async fn record_projects() -> Figures {
    let w = World::new().await;
    let old = |mut body: Value, recorded: &str| {
        body["plan_year"] = json!(2024);
        body["planned_start"] = json!("2024-03-01");
        body["planned_end"] = json!("2024-11-30");
        body["recorded_province_code_pre2025"] = json!(recorded);
        body
    };

    let a = w
        .project_with_budget(
            old(w.project("machinery_application", "national"), "06"),
            budget(200 * M, 0, 300 * M),
        )
        .await;
    w.approve(a, true).await;
    step(&w, &w.province, a, "start", json!({})).await;
    pay(&w, &w.province, a, movement("advance", "national", 100 * M)).await;
    pay(&w, &w.province, a, movement("payment", "counterpart", 120 * M)).await;
    step(&w, &w.province, a, "accept", decision("BB-01/NT")).await;
    set_indicators(
        &w,
        &w.province,
        a,
        json!([
            {"code": "machines_installed", "target": 4, "actual": 4},
            {"code": "establishments_supported", "target": 1, "actual": 1},
        ]),
    )
    .await;

    let mut training = old(w.project("vocational_training", "local"), "19");
    training["beneficiaries"]
        .as_array_mut()
        .unwrap()
        .push(json!({"beneficiary_id": w.establishments[1], "role": "participant"}));
    let b = w.project_with_budget(training, budget(0, 80 * M, 20 * M)).await;
    w.approve(b, false).await;
    step(&w, &w.province, b, "start", json!({})).await;
    pay(&w, &w.province, b, movement("payment", "local", 50 * M)).await;
    step(&w, &w.province, b, "accept", decision("BB-02/NT")).await;
    pay(&w, &w.province, b, movement("settlement", "local", 30 * M)).await;
    pay(&w, &w.province, b, movement("refund", "local", 5 * M)).await;
    set_indicators(
        &w,
        &w.province,
        b,
        json!([
            {"code": "workers_trained", "baseline": 0, "target": 35, "actual": 33},
            {"code": "jobs_created", "target": 10},
        ]),
    )
    .await;
    step(&w, &w.province, b, "settle", decision("QT-02/2026")).await;

    let c = w
        .project_with_budget(
            w.project("machinery_application", "national"),
            budget(150 * M, 0, 200 * M),
        )
        .await;
    w.approve(c, true).await;
    step(&w, &w.province, c, "start", json!({})).await;
    pay(&w, &w.province, c, movement("advance", "national", 50 * M)).await;
    set_indicators(
        &w,
        &w.province,
        c,
        json!([{"code": "machines_installed", "target": 3}]),
    )
    .await;

    w.project_with_budget(
        w.project("machinery_application", "local"),
        budget(0, 10 * M, 10 * M),
    )
    .await;

    let unit = w
        .app
        .post("/api/v1/organizations")
        .bearer(&w.other_province)
        .json(json!({
            "name": "Trung tâm Khuyến công Hà Nội",
            "kind": "provincial_promotion_centre",
            "province_code": "01",
        }))
        .send()
        .await;
    unit.assert_status(201);
    let hanoi_unit = unit.body["id"].as_i64().unwrap();
    let weaver = w
        .app
        .post("/api/v1/beneficiaries")
        .bearer(&w.other_province)
        .json(json!({
            "name": "Tổ hợp tác dệt lụa Vạn Phúc",
            "legal_form": "cooperative_group",
            "identifier_type": "none",
            "province_code": "01",
            "commune_code": "00004",
        }))
        .send()
        .await;
    weaver.assert_status(201);
    let created = w
        .create(
            &w.other_province,
            json!({
                "title": "Hỗ trợ máy dệt lụa Vạn Phúc",
                "activity_type": "machinery_application",
                "funding_source": "local",
                "plan_year": 2026,
                "province_code": "01",
                "implementing_unit_id": hanoi_unit,
                "planned_start": "2026-03-01",
                "planned_end": "2026-10-31",
                "beneficiaries": [{"beneficiary_id": weaver.body["id"], "role": "primary"}],
            }),
        )
        .await;
    created.assert_status(201);
    let e = created.body["id"].as_i64().unwrap();
    w.set_budget(&w.other_province, e, budget(0, 100 * M, 100 * M))
        .await
        .assert_status(200);
    for (action, extra) in [
        ("submit", json!({})),
        ("appraise", json!({})),
        ("approve", decision("88/QĐ-UBND")),
        ("start", json!({})),
        ("accept", decision("BB-05/NT")),
    ] {
        step(&w, &w.other_province, e, action, extra).await;
    }
    set_indicators(
        &w,
        &w.other_province,
        e,
        json!([
            {"code": "machines_installed", "target": 2, "actual": 3},
            {"code": "workers_trained", "target": 5, "actual": 5},
        ]),
    )
    .await;
    let weaver = weaver.body["id"].as_i64().unwrap();
    Figures {
        w,
        hanoi_unit,
        weaver,
    }
}

async fn stats(w: &World, token: &str, query: &str) -> Resp {
    w.app
        .get(&format!("/api/v1/stats/projects{query}"))
        .bearer(token)
        .send()
        .await
}

/// The measures of a line, as (projects, approved national, local, counterpart, other, disbursed
/// national, local, counterpart, other, settled), in millions.
fn measures(line: &Value) -> [i64; 10] {
    let m = |v: &Value| v.as_i64().unwrap() / M;
    [
        line["project_count"].as_i64().unwrap(),
        m(&line["approved"]["national_vnd"]),
        m(&line["approved"]["local_vnd"]),
        m(&line["approved"]["counterpart_vnd"]),
        m(&line["approved"]["other_vnd"]),
        m(&line["disbursed"]["national_vnd"]),
        m(&line["disbursed"]["local_vnd"]),
        m(&line["disbursed"]["counterpart_vnd"]),
        m(&line["disbursed"]["other_vnd"]),
        m(&line["settled_vnd"]),
    ]
}

fn groups(stats: &Value) -> Vec<(Value, [i64; 10])> {
    stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].clone(), measures(g)))
        .collect()
}

#[actix_web::test]
async fn project_figures_add_up_by_province_year_source_and_era() {
    let Figures { w, hanoi_unit, .. } = record_projects().await;

    // By default only accepted and settled projects count: A, B and E.
    let by_province = stats(&w, &w.ministry, "?group_by=province").await;
    by_province.assert_status(200);
    assert_documented("get", "/api/v1/stats/projects", &by_province);
    assert_eq!(
        by_province.body["statuses_counted"],
        json!(["accepted", "settled"])
    );
    assert_eq!(by_province.body["era"], "current");
    assert_eq!(
        groups(&by_province.body),
        vec![
            (
                json!({"province_code": "01", "province_name": "Hà Nội"}),
                [1, 0, 100, 100, 0, 0, 0, 0, 0, 0]
            ),
            (
                json!({"province_code": "19", "province_name": "Thái Nguyên"}),
                [2, 200, 80, 320, 0, 100, 75, 120, 0, 75]
            ),
        ]
    );
    let thai_nguyen = &by_province.body["groups"][1];
    assert_eq!(thai_nguyen["total_cost_vnd"], 600 * M);
    assert_eq!(thai_nguyen["state_support_vnd"], 280 * M);
    assert_eq!(thai_nguyen["counterpart_mobilised_vnd"], 320 * M);
    assert_eq!(thai_nguyen["disbursed_state_vnd"], 175 * M);
    assert_eq!(thai_nguyen["disbursement_rate"], 0.625);
    let total = &by_province.body["total"];
    assert_eq!(measures(total), [3, 200, 180, 420, 0, 100, 75, 120, 0, 75]);
    assert_eq!(total["total_cost_vnd"], 800 * M);
    // 175 of 380 state money moved.
    assert_eq!(total["disbursement_rate"], 0.4605);

    // As recorded before the reform: A under Bắc Kạn, B under the old Thái Nguyên, E (2026) under
    // no old province at all, last.
    let pre2025 = stats(&w, &w.ministry, "?group_by=province&era=pre2025").await;
    pre2025.assert_status(200);
    assert_eq!(
        groups(&pre2025.body),
        vec![
            (
                json!({"province_code": "06", "province_name": "Bắc Kạn"}),
                [1, 200, 0, 300, 0, 100, 0, 120, 0, 0]
            ),
            (
                json!({"province_code": "19", "province_name": "Thái Nguyên"}),
                [1, 0, 80, 20, 0, 0, 75, 0, 0, 75]
            ),
            (
                json!({"province_code": null, "province_name": null}),
                [1, 0, 100, 100, 0, 0, 0, 0, 0, 0]
            ),
        ]
    );

    // Statuses named: C (in progress) joins; grouped by year, then funding source.
    let by_year = stats(
        &w,
        &w.auditor,
        "?group_by=year,funding_source&status=in_progress,accepted,settled",
    )
    .await;
    by_year.assert_status(200);
    assert_eq!(
        by_year.body["statuses_counted"],
        json!(["in_progress", "accepted", "settled"])
    );
    assert_eq!(
        groups(&by_year.body),
        vec![
            (
                json!({"year": 2024, "funding_source": "local"}),
                [1, 0, 80, 20, 0, 0, 75, 0, 0, 75]
            ),
            (
                json!({"year": 2024, "funding_source": "national"}),
                [1, 200, 0, 300, 0, 100, 0, 120, 0, 0]
            ),
            (
                json!({"year": 2026, "funding_source": "local"}),
                [1, 0, 100, 100, 0, 0, 0, 0, 0, 0]
            ),
            (
                json!({"year": 2026, "funding_source": "national"}),
                [1, 150, 0, 200, 0, 50, 0, 0, 0, 0]
            ),
        ]
    );

    // Filters: a year range, an activity type, a region; the draft (D) only when asked for.
    let machinery_2026 = stats(
        &w,
        &w.ministry,
        "?year_from=2025&year_to=2026&activity_type=machinery_application&region=bac&status=in_progress,accepted,draft",
    )
    .await;
    machinery_2026.assert_status(200);
    assert_eq!(machinery_2026.body["groups"], json!([]));
    assert_eq!(
        measures(&machinery_2026.body["total"]),
        [3, 150, 110, 310, 0, 50, 0, 0, 0, 0]
    );
    let south = stats(&w, &w.ministry, "?region=nam").await;
    assert_eq!(measures(&south.body["total"]), [0; 10]);
    assert_eq!(south.body["total"]["disbursement_rate"], 0.0);

    // By status and by implementing unit.
    let by_unit = stats(&w, &w.ministry, "?group_by=implementing_unit,status").await;
    by_unit.assert_status(200);
    let keys: Vec<(i64, String, i64)> = by_unit.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"]["implementing_unit_id"].as_i64().unwrap(),
                g["key"]["status"].as_str().unwrap().to_owned(),
                g["project_count"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![
        (w.unit_id, "accepted".to_owned(), 1),
        (w.unit_id, "settled".to_owned(), 1),
        (hanoi_unit, "accepted".to_owned(), 1),
    ];
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(
        by_unit.body["groups"][0]["key"]["implementing_unit_name"],
        if w.unit_id < hanoi_unit {
            "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Thái Nguyên"
        } else {
            "Trung tâm Khuyến công Hà Nội"
        }
    );
}

#[actix_web::test]
async fn province_staff_get_their_provinces_figures_only_and_bad_requests_are_refused() {
    let Figures { w, .. } = record_projects().await;

    let own = stats(&w, &w.province, "?group_by=province").await;
    own.assert_status(200);
    assert_eq!(groups(&own.body).len(), 1);
    assert_eq!(measures(&own.body["total"])[0], 2);
    stats(&w, &w.province, "?province_code=19")
        .await
        .assert_status(200);
    stats(&w, &w.province, "?province_code=01")
        .await
        .assert_problem(404, "not_found");
    // A code named twice is taken once; an empty year range counts nothing.
    let twice = stats(&w, &w.ministry, "?group_by=province,province").await;
    assert_eq!(twice.body["group_by"], json!(["province"]));
    assert_eq!(groups(&twice.body).len(), 2);
    let empty = stats(&w, &w.ministry, "?year_from=2026&year_to=2024").await;
    assert_eq!(measures(&empty.body["total"]), [0; 10]);
    let hanoi = stats(&w, &w.ministry, "?province_code=01").await;
    assert_eq!(measures(&hanoi.body["total"])[0], 1);

    let judge = w.app.token_for(&w.app.user("giam.khao", Role::Judge).insert());
    stats(&w, &judge, "").await.assert_problem(403, "forbidden");
    w.app
        .get("/api/v1/stats/projects")
        .send()
        .await
        .assert_status(401);

    for query in [
        "?group_by=district",
        "?status=finished",
        "?era=2020",
        "?year_from=1990",
        "?colour=red",
    ] {
        let refused = stats(&w, &w.ministry, query).await;
        refused.assert_problem(400, "invalid_query");
    }
}

async fn indicator_stats(w: &World, token: &str, query: &str) -> Resp {
    w.app
        .get(&format!("/api/v1/stats/indicators{query}"))
        .bearer(token)
        .send()
        .await
}

/// A line of indicator figures as (code, unit, projects, with target, with actual, baseline,
/// target, actual).
fn indicator(line: &Value) -> (String, String, [i64; 6]) {
    let n = |name: &str| line[name].as_i64().unwrap();
    (
        line["code"].as_str().unwrap().to_owned(),
        line["unit"].as_str().unwrap().to_owned(),
        [
            n("project_count"),
            n("projects_with_target"),
            n("projects_with_actual"),
            n("baseline_total"),
            n("target_total"),
            n("actual_total"),
        ],
    )
}

fn indicator_lines(lines: &Value) -> Vec<(String, String, [i64; 6])> {
    lines.as_array().unwrap().iter().map(indicator).collect()
}

fn line(code: &str, unit: &str, figures: [i64; 6]) -> (String, String, [i64; 6]) {
    (code.to_owned(), unit.to_owned(), figures)
}

#[actix_web::test]
async fn indicator_figures_sum_targets_and_actuals_per_indicator() {
    let Figures { w, .. } = record_projects().await;

    // Accepted and settled projects: A, B and E.
    let all = indicator_stats(&w, &w.ministry, "").await;
    all.assert_status(200);
    assert_documented("get", "/api/v1/stats/indicators", &all);
    assert_eq!(all.body["groups"], json!([]));
    assert_eq!(
        indicator_lines(&all.body["totals"]),
        vec![
            line("establishments_supported", "establishment", [1, 1, 1, 0, 1, 1]),
            line("jobs_created", "person", [1, 1, 0, 0, 10, 0]),
            line("machines_installed", "machine", [2, 2, 2, 0, 6, 7]),
            line("workers_trained", "person", [2, 2, 2, 0, 40, 38]),
        ]
    );
    let rates: Vec<Value> = all.body["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["achievement_rate"].clone())
        .collect();
    assert_eq!(rates, vec![json!(1.0), json!(0.0), json!(1.1667), json!(0.95)]);

    // One indicator by province, today's and as recorded before the reform.
    let machines = indicator_stats(&w, &w.ministry, "?group_by=province&code=machines_installed").await;
    machines.assert_status(200);
    let by_province: Vec<(Value, [i64; 6])> = machines.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].clone(), indicator(g).2))
        .collect();
    assert_eq!(
        by_province,
        vec![
            (
                json!({"province_code": "01", "province_name": "Hà Nội"}),
                [1, 1, 1, 0, 2, 3]
            ),
            (
                json!({"province_code": "19", "province_name": "Thái Nguyên"}),
                [1, 1, 1, 0, 4, 4]
            ),
        ]
    );
    assert_eq!(machines.body["groups"][0]["achievement_rate"], 1.5);
    let workers = indicator_stats(
        &w,
        &w.ministry,
        "?group_by=province&code=workers_trained&era=pre2025",
    )
    .await;
    let keys: Vec<(Value, i64)> = workers.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"]["province_code"].clone(),
                g["target_total"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(keys, vec![(json!("19"), 35), (Value::Null, 5)]);

    // Statuses named: C's target joins, without an actual.
    let planned = indicator_stats(
        &w,
        &w.ministry,
        "?code=machines_installed&status=in_progress,accepted,settled&group_by=status",
    )
    .await;
    assert_eq!(
        indicator_lines(&planned.body["totals"]),
        vec![line("machines_installed", "machine", [3, 3, 2, 0, 9, 7])]
    );
    assert_eq!(planned.body["groups"].as_array().unwrap().len(), 2);

    // Province staff: their province only.
    let own = indicator_stats(&w, &w.province, "?code=workers_trained").await;
    assert_eq!(
        indicator_lines(&own.body["totals"]),
        vec![line("workers_trained", "person", [1, 1, 1, 0, 35, 33])]
    );
    indicator_stats(&w, &w.province, "?province_code=01")
        .await
        .assert_problem(404, "not_found");
    for query in ["?code=Workers", "?group_by=code", "?year_to=2200"] {
        indicator_stats(&w, &w.ministry, query)
            .await
            .assert_problem(400, "invalid_query");
    }
}

async fn programme(w: &World, token: &str, body: Value, targets: Value) -> i64 {
    let created = w
        .app
        .post("/api/v1/programmes")
        .bearer(token)
        .json(body)
        .send()
        .await;
    created.assert_status(201);
    let id = created.body["id"].as_i64().unwrap();
    w.app
        .put(&format!("/api/v1/programmes/{id}/targets"))
        .bearer(token)
        .header("If-Match", "\"1\"")
        .json(json!({ "items": targets }))
        .send()
        .await
        .assert_status(200);
    id
}

/// A progress line as (target count, target amount in millions, approved, accepted, approved and
/// disbursed money in millions) and its four shares.
fn progress(line: &Value) -> ([Option<i64>; 2], [i64; 4], [Value; 4]) {
    let n = |name: &str| line[name].as_i64().unwrap();
    (
        [
            line["target_count"].as_i64(),
            line["target_amount_vnd"].as_i64().map(|v| v / M),
        ],
        [
            n("projects_approved"),
            n("projects_accepted"),
            n("approved_vnd") / M,
            n("disbursed_vnd") / M,
        ],
        [
            line["approved_count_share"].clone(),
            line["accepted_count_share"].clone(),
            line["approved_amount_share"].clone(),
            line["disbursed_amount_share"].clone(),
        ],
    )
}

#[actix_web::test]
async fn programme_progress_sets_each_target_beside_the_projects_of_its_period_and_funds() {
    let Figures { w, .. } = record_projects().await;
    let national = programme(
        &w,
        &w.ministry,
        json!({"code": "2024-2026", "name": "Chương trình khuyến công quốc gia 2024-2026", "level": "national", "start_year": 2024, "end_year": 2026}),
        json!([
            {"province_code": "19", "activity_type": "machinery_application", "target_count": 4, "target_amount_vnd": 1_000 * M},
            {"province_code": "19", "activity_type": "demonstration_model", "target_count": 1, "target_amount_vnd": 500 * M},
            {"province_code": "01", "activity_type": "machinery_application", "target_count": 2},
        ]),
    )
    .await;

    // National funds: A (accepted) and C (in progress) in Thái Nguyên's machinery line; E is
    // local, D a draft.
    let path = format!("/api/v1/programmes/{national}/progress");
    let all = w.app.get(&path).bearer(&w.ministry).send().await;
    all.assert_status(200);
    assert_documented("get", "/api/v1/programmes/{id}/progress", &all);
    assert_eq!(all.body["funding_source"], "national");
    let lines: Vec<(String, String)> = all.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["province_code"].as_str().unwrap().to_owned(),
                l["activity_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("01", "machinery_application"),
            ("19", "demonstration_model"),
            ("19", "machinery_application"),
        ]
        .map(|(p, a)| (p.to_owned(), a.to_owned()))
    );
    assert_eq!(
        progress(&all.body["lines"][0]),
        (
            [Some(2), None],
            [0, 0, 0, 0],
            [json!(0.0), json!(0.0), Value::Null, Value::Null]
        )
    );
    assert_eq!(
        progress(&all.body["lines"][2]),
        (
            [Some(4), Some(1_000)],
            [2, 1, 350, 150],
            [json!(0.5), json!(0.25), json!(0.35), json!(0.15)]
        )
    );
    assert_eq!(all.body["provinces"][1]["province_name"], "Thái Nguyên");
    assert_eq!(
        progress(&all.body["provinces"][1]),
        (
            [Some(5), Some(1_500)],
            [2, 1, 350, 150],
            [json!(0.4), json!(0.2), json!(0.2333), json!(0.1)]
        )
    );
    assert_eq!(
        progress(&all.body["total"]),
        (
            [Some(7), Some(1_500)],
            [2, 1, 350, 150],
            [json!(0.2857), json!(0.1429), json!(0.2333), json!(0.1)]
        )
    );

    // Province staff see their province's lines.
    let hanoi = w.app.get(&path).bearer(&w.other_province).send().await;
    hanoi.assert_status(200);
    assert_eq!(hanoi.body["lines"].as_array().unwrap().len(), 1);
    assert_eq!(progress(&hanoi.body["total"]).0, [Some(2), None]);

    // Thái Nguyên's own programme counts its local funds: B, in a line the plan did not foresee;
    // the draft D does not count.
    let provincial = programme(
        &w,
        &w.province,
        json!({"code": "2024-2026", "name": "Chương trình khuyến công tỉnh Thái Nguyên 2024-2026", "level": "provincial", "province_code": "19", "start_year": 2024, "end_year": 2026}),
        json!([{"province_code": "19", "activity_type": "demonstration_model", "target_count": 1, "target_amount_vnd": 100 * M}]),
    )
    .await;
    let path = format!("/api/v1/programmes/{provincial}/progress");
    let own = w.app.get(&path).bearer(&w.province).send().await;
    own.assert_status(200);
    assert_eq!(own.body["funding_source"], "local");
    assert_eq!(own.body["lines"][1]["activity_type"], "vocational_training");
    assert_eq!(
        progress(&own.body["lines"][1]),
        (
            [None, None],
            [1, 1, 80, 75],
            [Value::Null, Value::Null, Value::Null, Value::Null]
        )
    );
    assert_eq!(
        progress(&own.body["total"]),
        (
            [Some(1), Some(100)],
            [1, 1, 80, 75],
            [json!(1.0), json!(1.0), json!(0.8), json!(0.75)]
        )
    );
    w.app
        .get(&path)
        .bearer(&w.other_province)
        .send()
        .await
        .assert_problem(404, "not_found");
    let judge = w.app.token_for(&w.app.user("giam.khao", Role::Judge).insert());
    w.app
        .get(&path)
        .bearer(&judge)
        .send()
        .await
        .assert_problem(403, "forbidden");
    w.app
        .get("/api/v1/programmes/999999/progress")
        .bearer(&w.ministry)
        .send()
        .await
        .assert_problem(404, "not_found");
}

async fn annual_figures(w: &World, token: &str, establishment: i64, year: i64, figures: Value) {
    w.app
        .put(&format!(
            "/api/v1/beneficiaries/{establishment}/annual-figures/{year}"
        ))
        .bearer(token)
        .json(figures)
        .send()
        .await
        .assert_status(201);
}

/// A figure's spread as (count, no data) and (min, q1, median, q3, max).
fn spread(figure: &Value) -> ([i64; 2], [Value; 5]) {
    (
        [
            figure["count"].as_i64().unwrap(),
            figure["no_data"].as_i64().unwrap(),
        ],
        ["min", "q1", "median", "q3", "max"].map(|name| figure[name].clone()),
    )
}

#[actix_web::test]
async fn outcomes_compare_the_year_before_a_project_with_the_latest_year_since_its_acceptance() {
    let Figures { w, weaver, .. } = record_projects().await;
    let (first, second) = (w.establishments[0], w.establishments[1]);
    // A and B were planned to start in 2024 (the year before: 2023) and accepted in 2026; E was
    // planned for 2026 (the year before: 2025), when the weaver reported nothing.
    annual_figures(&w, &w.province, first, 2023, json!({"revenue_vnd": 1_000 * M, "employees": 10, "average_income_vnd": 5 * M, "total_assets_vnd": 2_000 * M})).await;
    annual_figures(&w, &w.province, first, 2025, json!({"revenue_vnd": 1_200 * M})).await;
    annual_figures(
        &w,
        &w.province,
        first,
        2026,
        json!({"revenue_vnd": 1_300 * M, "employees": 12, "total_assets_vnd": 2_600 * M}),
    )
    .await;
    annual_figures(&w, &w.province, second, 2023, json!({"revenue_vnd": 2_000 * M, "employees": 20, "average_income_vnd": 6 * M, "total_assets_vnd": 1_000 * M})).await;
    annual_figures(&w, &w.province, second, 2026, json!({"revenue_vnd": 1_800 * M, "employees": 30, "average_income_vnd": 9 * M, "total_assets_vnd": 1_500 * M})).await;
    annual_figures(
        &w,
        &w.other_province,
        weaver,
        2026,
        json!({"revenue_vnd": 500 * M}),
    )
    .await;

    let path = "/api/v1/stats/beneficiary-outcomes";
    let all = w.app.get(path).bearer(&w.ministry).send().await;
    all.assert_status(200);
    assert_documented("get", path, &all);
    let total = &all.body["total"];
    // Pairs: A with the first, B with both, E with the weaver (no data at all).
    assert_eq!(total["establishments"], 4);
    // Revenue: 1.3 (A), 1.3 (B, first), 0.9 (B, second).
    assert_eq!(
        spread(&total["revenue"]),
        (
            [3, 1],
            [json!(0.9), json!(1.1), json!(1.3), json!(1.3), json!(1.3)]
        )
    );
    assert_eq!(
        spread(&total["employees"]),
        (
            [3, 1],
            [json!(1.2), json!(1.2), json!(1.2), json!(1.35), json!(1.5)]
        )
    );
    // The first establishment reported no income since the acceptance.
    assert_eq!(
        spread(&total["average_income"]),
        (
            [1, 3],
            [json!(1.5), json!(1.5), json!(1.5), json!(1.5), json!(1.5)]
        )
    );
    assert_eq!(
        spread(&total["total_assets"]),
        (
            [3, 1],
            [json!(1.3), json!(1.3), json!(1.3), json!(1.4), json!(1.5)]
        )
    );

    let by_activity = w
        .app
        .get(&format!("{path}?group_by=activity_type"))
        .bearer(&w.auditor)
        .send()
        .await;
    by_activity.assert_status(200);
    let groups = by_activity.body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[0]["key"],
        json!({"activity_type": "machinery_application"})
    );
    assert_eq!(
        spread(&groups[0]["revenue"]),
        (
            [1, 1],
            [json!(1.3), json!(1.3), json!(1.3), json!(1.3), json!(1.3)]
        )
    );
    assert_eq!(groups[1]["key"], json!({"activity_type": "vocational_training"}));
    assert_eq!(
        spread(&groups[1]["revenue"]),
        (
            [2, 0],
            [json!(0.9), json!(1.0), json!(1.1), json!(1.2), json!(1.3)]
        )
    );

    // Hà Nội's staff: E alone, without data, counted all the same.
    let hanoi = w
        .app
        .get(&format!("{path}?group_by=province,year"))
        .bearer(&w.other_province)
        .send()
        .await;
    assert_eq!(
        hanoi.body["groups"][0]["key"],
        json!({"province_code": "01", "province_name": "Hà Nội", "year": 2026})
    );
    assert_eq!(
        spread(&hanoi.body["total"]["revenue"]),
        (
            [0, 1],
            [Value::Null, Value::Null, Value::Null, Value::Null, Value::Null]
        )
    );
    w.app
        .get(&format!("{path}?province_code=19"))
        .bearer(&w.other_province)
        .send()
        .await
        .assert_problem(404, "not_found");
    let filtered = w
        .app
        .get(&format!("{path}?year_to=2025&activity_type=vocational_training"))
        .bearer(&w.ministry)
        .send()
        .await;
    assert_eq!(filtered.body["total"]["establishments"], 2);
    for query in ["?group_by=status", "?activity_type=X", "?year_from=3000"] {
        w.app
            .get(&format!("{path}{query}"))
            .bearer(&w.ministry)
            .send()
            .await
            .assert_problem(400, "invalid_query");
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The rows of a workbook's sheet, each cell as JSON (numbers as numbers, text as strings, empty
/// cells as null).
fn sheet_rows(bytes: &[u8], name: &str) -> Vec<Vec<Value>> {
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx file");
    let range = workbook.worksheet_range(name).expect("the sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(f) => json!(f),
                    Data::Int(i) => json!(i),
                    Data::String(s) => json!(s),
                    _ => Value::Null,
                })
                .collect()
        })
        .collect()
}

/// The row whose first cell is `first`.
fn row_starting<'a>(rows: &'a [Vec<Value>], first: &str) -> &'a [Value] {
    rows.iter()
        .find(|r| r.first() == Some(&json!(first)))
        .unwrap_or_else(|| panic!("no row {first}: {rows:?}"))
}

#[actix_web::test]
async fn a_provinces_year_comes_as_json_and_as_a_workbook_with_the_same_figures() {
    let Figures { w, .. } = record_projects().await;
    programme(
        &w,
        &w.ministry,
        json!({"code": "2024-2026", "name": "Chương trình khuyến công quốc gia 2024-2026", "level": "national", "start_year": 2024, "end_year": 2026}),
        json!([
            {"province_code": "19", "activity_type": "machinery_application", "target_count": 4, "target_amount_vnd": 1_000 * M},
            {"province_code": "01", "activity_type": "machinery_application", "target_count": 2},
        ]),
    )
    .await;
    w.app
        .post("/api/v1/selection-rounds")
        .bearer(&w.province)
        .json(json!({"level": "province", "year": 2026, "title": "Bình chọn cấp tỉnh Thái Nguyên 2026", "province_code": "19"}))
        .send()
        .await
        .assert_status(201);

    // 2026 in Thái Nguyên: C (in progress) counts, the draft D does not.
    let path = "/api/v1/reports/province-year?province_code=19&year=2026";
    let report = w.app.get(path).bearer(&w.province).send().await;
    report.assert_status(200);
    assert_documented("get", "/api/v1/reports/province-year", &report);
    let body = &report.body;
    assert_eq!(body["province_name"], "Thái Nguyên");
    assert_eq!(
        groups(&body["projects"]),
        vec![(
            json!({"activity_type": "machinery_application", "funding_source": "national"}),
            [1, 150, 0, 200, 0, 50, 0, 0, 0, 0]
        )]
    );
    assert_eq!(body["projects"]["total"]["disbursement_rate"], 0.3333);
    assert_eq!(
        indicator_lines(&body["indicators"]["totals"]),
        vec![line("machines_installed", "machine", [1, 1, 0, 0, 3, 0])]
    );
    assert_eq!(body["selection_rounds"][0]["summary"]["dossiers_received"], 0);
    // The programme's period, 2024–2026: A and C, Thái Nguyên's lines only.
    assert_eq!(body["programmes"].as_array().unwrap().len(), 1);
    assert_eq!(progress(&body["programmes"][0]["total"]).1, [2, 1, 350, 150]);

    let workbook = w
        .app
        .get(path)
        .bearer(&w.province)
        .header("Accept", XLSX)
        .send()
        .await;
    workbook.assert_status(200);
    assert_eq!(workbook.header("content-type"), Some(XLSX));
    assert!(
        workbook
            .header("content-disposition")
            .unwrap()
            .contains("bao-cao-khuyen-cong-19-2026.xlsx")
    );
    let projects = sheet_rows(&workbook.bytes, "Đề án");
    let total = row_starting(&projects, "Tổng cộng");
    // Count, total cost, national, local, counterpart and other, state support, moved, rate.
    assert_eq!(
        total[2..],
        [
            json!(1.0),
            json!(350e6),
            json!(150e6),
            json!(0.0),
            json!(200e6),
            json!(150e6),
            json!(50e6),
            json!(0.3333)
        ]
    );
    let machinery = &projects[4];
    assert_eq!(machinery[1], "Khuyến công quốc gia");
    let indicators = sheet_rows(&workbook.bytes, "Chỉ tiêu");
    let machines = row_starting(&indicators, "Số máy móc, thiết bị được lắp đặt");
    assert_eq!(machines[4..], [json!(3.0), json!(0.0), json!(0.0)]);
    let plan = sheet_rows(&workbook.bytes, "Kế hoạch");
    let plan_total = row_starting(&plan, "Tổng cộng");
    assert_eq!(
        plan_total[2..8],
        [
            json!(4.0),
            json!(1e9),
            json!(2.0),
            json!(1.0),
            json!(350e6),
            json!(150e6)
        ]
    );
    let rounds = sheet_rows(&workbook.bytes, "Bình chọn");
    assert!(
        rounds
            .iter()
            .any(|r| r.get(1) == Some(&json!("Bình chọn cấp tỉnh Thái Nguyên 2026")))
    );
    assert_eq!(
        {
            use calamine::Reader;
            calamine::Xlsx::new(std::io::Cursor::new(workbook.bytes.clone()))
                .map(|w: calamine::Xlsx<_>| w.sheet_names())
                .unwrap()
        },
        ["Đề án", "Theo tỉnh", "Chỉ tiêu", "Bình chọn", "Kế hoạch"]
    );

    // The nation: both provinces; province staff may not ask for it, nor for another province.
    let national = w
        .app
        .get("/api/v1/reports/national-year?year=2026")
        .bearer(&w.ministry)
        .send()
        .await;
    national.assert_status(200);
    assert_documented("get", "/api/v1/reports/national-year", &national);
    assert_eq!(national.body["province_code"], Value::Null);
    assert_eq!(
        national.body["projects_by_province"]["groups"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let by_province = sheet_rows(
        &w.app
            .get("/api/v1/reports/national-year?year=2026")
            .bearer(&w.ministry)
            .header("Accept", XLSX)
            .send()
            .await
            .bytes,
        "Theo tỉnh",
    );
    assert_eq!(row_starting(&by_province, "Hà Nội")[1], json!(1.0));
    w.app
        .get("/api/v1/reports/national-year?year=2026")
        .bearer(&w.province)
        .send()
        .await
        .assert_problem(403, "forbidden");
    w.app
        .get("/api/v1/reports/province-year?province_code=01&year=2026")
        .bearer(&w.province)
        .send()
        .await
        .assert_problem(404, "not_found");
    for query in [
        "?year=2026",
        "?province_code=19",
        "?province_code=19&year=1999",
        "?province_code=99&year=2026",
    ] {
        let refused = w
            .app
            .get(&format!("/api/v1/reports/province-year{query}"))
            .bearer(&w.ministry)
            .send()
            .await;
        assert!(matches!(refused.status, 400 | 404), "{query}: {}", refused.status);
    }
}

//! Importing projects from files: a dry run names exactly the rows and columns with problems
//! (content, units, the support cap, establishments, codes, territory), the fixed file writes the
//! projects, budgets and links the API's create and budget set would write, once, and nothing when
//! one row is bad; the template imports as it is.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde_json::{Value, json};

use khuyencong::auth::Role;
use khuyencong::db::schema::{audit_events, projects};
use khuyencong::domain::identifiers::tax_code_check_digit;

use crate::contract::assert_documented;
use crate::imports::{problems, triple};
use crate::support::{Resp, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const UNIT: &str = "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Hà Nội";
const HEADER: &str = "code,title,activity_type,funding_source,plan_year,province_code,commune_code,\
                      recorded_province_code_pre2025,implementing_unit_id,planned_start,planned_end,\
                      national,local,counterpart,other,beneficiaries,first_beneficiary_role";

/// The `n`-th valid tax code of a series of its own (not the establishment tests').
fn tax_code(n: u32) -> String {
    let mut seq = 5_000_000 + n * 10;
    loop {
        let prefix = format!("01{seq:07}");
        let digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        if let Some(check) = tax_code_check_digit(&digits.clone().try_into().unwrap()) {
            return format!("{prefix}{check}");
        }
        seq += 1;
    }
}

fn project_count(app: &TestApp) -> i64 {
    app.with_conn(|conn| projects::table.count().get_result(conn).unwrap())
}

/// Audit events of `entity_type`.
fn audited(app: &TestApp, entity_type: &str) -> Vec<Option<String>> {
    app.with_conn(|conn| {
        audit_events::table
            .filter(audit_events::entity_type.eq(entity_type))
            .select(audit_events::after_json)
            .load(conn)
            .unwrap()
    })
}

/// A registry of Hà Nội (01): its staff, its promotion centre, the ministry's agency (a unit of
/// no province), two establishments there and one in Hồ Chí Minh City (79), and one project.
struct World {
    app: TestApp,
    province: String,
    unit_id: i64,
    agency_id: i64,
    /// Tax codes and ids of the establishments of Hà Nội.
    hanoi: Vec<(String, i64)>,
    saigon: String,
}

impl World {
    async fn new() -> World {
        let app = TestApp::new();
        let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
        let province = app.token_for(&app.user("hn.kc", Role::Province).province("01").insert());
        let unit = app
            .post("/api/v1/organizations")
            .bearer(&province)
            .json(json!({"name": UNIT, "kind": "provincial_promotion_centre", "province_code": "01"}))
            .send()
            .await;
        unit.assert_status(201);
        let agency = app
            .post("/api/v1/organizations")
            .bearer(&ministry)
            .json(json!({
                "name": "Cục Đổi mới sáng tạo, Chuyển đổi xanh và Khuyến công",
                "kind": "ministry_agency",
            }))
            .send()
            .await;
        agency.assert_status(201);
        let mut establishments = Vec::new();
        for (n, province_code, commune_code) in [(1, "01", "00004"), (2, "01", "00004"), (3, "79", "25747")] {
            let created = app
                .post("/api/v1/beneficiaries")
                .bearer(&ministry)
                .json(json!({
                    "name": format!("Công ty Thủ công số {n}"), "legal_form": "enterprise",
                    "identifier_type": "tax_code", "identifier_value": tax_code(n),
                    "province_code": province_code, "commune_code": commune_code,
                }))
                .send()
                .await;
            created.assert_status(201);
            establishments.push((tax_code(n), created.body["id"].as_i64().unwrap()));
        }
        let saigon = establishments.pop().unwrap().0;
        let world = World {
            unit_id: unit.body["id"].as_i64().unwrap(),
            agency_id: agency.body["id"].as_i64().unwrap(),
            app,
            province,
            hanoi: establishments,
            saigon,
        };
        world
            .app
            .post("/api/v1/projects")
            .bearer(&world.province)
            .json(json!({
                "code": "HN-KC-2025-07", "title": "Hỗ trợ máy ép gạch không nung",
                "activity_type": "machinery_application", "funding_source": "local", "plan_year": 2025,
                "province_code": "01", "implementing_unit_id": world.unit_id,
            }))
            .send()
            .await
            .assert_status(201);
        world
    }

    async fn import(&self, token: &str, query: &str, content_type: &str, file: impl Into<Vec<u8>>) -> Resp {
        self.app
            .post(&format!("/api/v1/imports?kind=projects{query}"))
            .bearer(token)
            .raw(content_type, file)
            .send()
            .await
    }

    async fn get(&self, path: &str) -> Value {
        let response = self.app.get(path).bearer(&self.province).send().await;
        response.assert_status(200);
        response.body
    }

    /// The project with `code`, as `GET /api/v1/projects/{id}` shows it.
    async fn project(&self, code: &str) -> Value {
        let found = self.get(&format!("/api/v1/projects?q={code}")).await;
        let items = found["items"].as_array().unwrap();
        let item = items
            .iter()
            .find(|p| p["code"] == code)
            .unwrap_or_else(|| panic!("no project {code} in {found}"));
        self.get(&format!("/api/v1/projects/{}", item["id"])).await
    }
}

/// A row of the file; the columns follow [`HEADER`].
#[derive(Clone)]
struct Line {
    code: String,
    title: String,
    activity_type: String,
    funding_source: String,
    plan_year: String,
    province_code: String,
    commune_code: String,
    recorded_province_code_pre2025: String,
    implementing_unit_id: String,
    planned_start: String,
    planned_end: String,
    budget: [String; 4],
    beneficiaries: String,
    first_beneficiary_role: String,
}

impl Line {
    /// A machinery project of Hà Nội's centre for the first establishment, within its cap.
    fn valid(world: &World, code: &str) -> Line {
        Line {
            code: code.to_owned(),
            title: "Hỗ trợ ứng dụng máy chẻ nan tự động".to_owned(),
            activity_type: "machinery_application".to_owned(),
            funding_source: "national".to_owned(),
            plan_year: "2026".to_owned(),
            province_code: "01".to_owned(),
            commune_code: "00004".to_owned(),
            recorded_province_code_pre2025: String::new(),
            implementing_unit_id: UNIT.to_owned(),
            planned_start: "2026-03-01".to_owned(),
            planned_end: "2026-11-30".to_owned(),
            budget: ["250000000", "0", "350000000", "0"].map(str::to_owned),
            beneficiaries: world.hanoi[0].0.clone(),
            first_beneficiary_role: String::new(),
        }
    }

    fn csv(&self) -> String {
        let cells = [
            &self.code,
            &self.title,
            &self.activity_type,
            &self.funding_source,
            &self.plan_year,
            &self.province_code,
            &self.commune_code,
            &self.recorded_province_code_pre2025,
            &self.implementing_unit_id,
            &self.planned_start,
            &self.planned_end,
            &self.budget[0],
            &self.budget[1],
            &self.budget[2],
            &self.budget[3],
            &self.beneficiaries,
            &self.first_beneficiary_role,
        ];
        cells
            .iter()
            .map(|c| {
                if c.contains(',') {
                    format!("\"{c}\"")
                } else {
                    (*c).clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn file(lines: &[Line]) -> String {
    let rows: Vec<String> = lines.iter().map(Line::csv).collect();
    format!("{HEADER}\n{}\n", rows.join("\n"))
}

/// The file with a mistake in most rows, and the same file fixed; row `n` of the file is
/// `lines[n - 2]`.
fn files(w: &World) -> (Vec<Line>, Vec<Line>) {
    let (t1, t2) = (w.hanoi[0].0.clone(), w.hanoi[1].0.clone());
    let valid = |code: &str| Line::valid(w, code);
    let fixed = vec![
        // row 2: two establishments, the second a participant
        Line {
            beneficiaries: format!("{t1}; {t2}"),
            ..valid("HN-KC-2026-01")
        },
        // row 3
        valid("HN-KC-2026-03"),
        // row 4
        valid("HN-KC-2026-04"),
        // row 5
        valid("HN-KC-2026-05"),
        // row 6: at the ceiling of 300,000,000 đ for one establishment
        Line {
            budget: ["300000000", "0", "400000000", "0"].map(str::to_owned),
            ..valid("HN-KC-2026-06")
        },
        // row 7
        Line {
            beneficiaries: t2.clone(),
            ..valid("HN-KC-2026-07")
        },
        // row 8: an identifier with its type
        Line {
            beneficiaries: format!("tax_code:{t2}"),
            ..valid("HN-KC-2026-08")
        },
        // row 9
        valid("HN-KC-2026-09"),
        // row 10: a code of the generated series, given by hand
        valid("KCQG-2026-01-0001"),
        // row 11: the ministry's agency, by id
        Line {
            implementing_unit_id: w.agency_id.to_string(),
            ..valid("HN-KC-2026-11")
        },
        // row 12: no code, local funds, the province from the one recorded before the reform
        Line {
            funding_source: "local".to_owned(),
            plan_year: "2024".to_owned(),
            province_code: String::new(),
            recorded_province_code_pre2025: "01".to_owned(),
            planned_start: "2024-04-01".to_owned(),
            planned_end: "2024-12-15".to_owned(),
            budget: ["0", "100000000", "100000000", ""].map(str::to_owned),
            ..valid("")
        },
        // row 13: no code, an activity type by its name, dates and amounts as people type them,
        // the establishment hosting the model
        Line {
            activity_type: "Mô hình trình diễn kỹ thuật".to_owned(),
            planned_start: "01/04/2026".to_owned(),
            planned_end: "31/12/2026".to_owned(),
            budget: ["300.000.000", "0", "700.000.000", "0"].map(str::to_owned),
            first_beneficiary_role: "host".to_owned(),
            ..valid("")
        },
    ];
    let mut bad = fixed.clone();
    bad[1].activity_type = "may_moc_hien_dai".to_owned();
    bad[2].funding_source = "trung_uong".to_owned();
    bad[3].commune_code = "99999".to_owned();
    // Above the ceiling (the share of cost, 50%, holds).
    bad[4].budget = ["400000000", "0", "400000000", "0"].map(str::to_owned);
    bad[5].beneficiaries = format!("{t1}; {}", tax_code(50));
    bad[6].beneficiaries = w.saigon.clone();
    bad[7].code = "HN-KC-2026-01".to_owned();
    bad[8].code = "HN-KC-2025-07".to_owned();
    bad[9].province_code = "79".to_owned();
    bad[9].commune_code = "25747".to_owned();
    (bad, fixed)
}

#[actix_web::test]
async fn a_dry_run_names_each_bad_row_and_column_and_the_fixed_file_writes_what_the_api_would_once() {
    let w = World::new().await;
    let (bad, fixed) = files(&w);
    let before = project_count(&w.app);
    let projects_audited = audited(&w.app, "project").len();

    let dry = w
        .import(&w.province, "&dry_run=true", "text/csv", file(&bad))
        .await;
    dry.assert_status(200);
    assert_documented("post", "/api/v1/imports", &dry);
    assert_eq!(dry.body["report"]["rows_read"], 12);
    assert_eq!(dry.body["report"]["rows_valid"], 3, "{}", dry.text);
    assert_eq!(
        problems(&dry.body),
        BTreeSet::from([
            triple(3, "activity_type", "unknown_activity_type"),
            triple(4, "funding_source", "invalid_value"),
            triple(5, "commune_code", "unknown_commune"),
            triple(6, "national", "support_cap_exceeded"),
            triple(7, "beneficiaries", "unknown_beneficiary"),
            // An establishment of another province is not one the importer sees.
            triple(8, "beneficiaries", "unknown_beneficiary"),
            triple(9, "code", "duplicate_in_file"),
            triple(10, "code", "duplicate_code"),
            triple(11, "province_code", "outside_territory"),
        ]),
        "{}",
        dry.text
    );
    assert_eq!(dry.body["report"]["problems_total"], 9);
    assert_eq!(project_count(&w.app), before, "a dry run writes nothing");

    // A real run of it is refused, and so is the fixed file with one bad row left.
    w.import(&w.province, "", "text/csv", file(&bad))
        .await
        .assert_problem(422, "invalid_rows");
    let mut one_bad = fixed.clone();
    one_bad[11].commune_code = "25747".to_owned();
    let refused = w.import(&w.province, "", "text/csv", file(&one_bad)).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(
        problems(&refused.body),
        BTreeSet::from([triple(13, "commune_code", "commune_not_in_province")])
    );
    assert_eq!(project_count(&w.app), before, "one bad row: nothing written");

    // Projects are recorded by ministry and province staff only, as through the API.
    let (_, admin) = w.app.admin();
    w.import(&admin, "&dry_run=true", "text/csv", file(&fixed))
        .await
        .assert_problem(403, "forbidden");

    let applied = w.import(&w.province, "", "text/csv", file(&fixed)).await;
    applied.assert_status(201);
    assert_documented("post", "/api/v1/imports", &applied);
    assert_eq!(applied.body["state"], "succeeded");
    assert_eq!(applied.body["rows_total"], 12, "{}", applied.text);
    assert_eq!(project_count(&w.app), before + 12);

    // Row 2: the content, the budget and both establishments, as a draft.
    let first = w.project("HN-KC-2026-01").await;
    assert_eq!(first["status"], "draft");
    assert_eq!(first["title"], "Hỗ trợ ứng dụng máy chẻ nan tự động");
    assert_eq!(first["implementing_unit_id"], w.unit_id);
    assert_eq!(first["planned_end"], "2026-11-30");
    assert_eq!(first["money"]["approved"]["national_vnd"], 250_000_000);
    assert_eq!(first["money"]["approved"]["counterpart_vnd"], 350_000_000);
    assert_eq!(first["money"]["total_cost_vnd"], 600_000_000);
    let links: Vec<(i64, &str)> = first["beneficiaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["beneficiary_id"].as_i64().unwrap(), b["role"].as_str().unwrap()))
        .collect();
    assert_eq!(links, [(w.hanoi[0].1, "primary"), (w.hanoi[1].1, "participant")]);
    let id = first["id"].as_i64().unwrap();
    let budget = w.get(&format!("/api/v1/projects/{id}/budget")).await;
    assert_eq!(budget["budget_version"], 1);
    assert_eq!(budget["versions"].as_array().unwrap().len(), 1);
    assert_eq!(budget["versions"][0]["kind"], "draft");
    assert_eq!(budget["versions"][0]["recorded_by"], "hn.kc");
    let history = w.get(&format!("/api/v1/projects/{id}/history")).await;
    let kinds: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "budget_set"]);

    // The same project recorded through the API (create, then budget) reads the same.
    let created = w
        .app
        .post("/api/v1/projects")
        .bearer(&w.province)
        .json(json!({
            "title": "Hỗ trợ ứng dụng máy chẻ nan tự động", "activity_type": "machinery_application",
            "funding_source": "national", "plan_year": 2026, "province_code": "01", "commune_code": "00004",
            "implementing_unit_id": w.unit_id, "planned_start": "2026-03-01", "planned_end": "2026-11-30",
            "beneficiaries": [
                {"beneficiary_id": w.hanoi[0].1, "role": "primary"},
                {"beneficiary_id": w.hanoi[1].1, "role": "participant"},
            ],
        }))
        .send()
        .await;
    created.assert_status(201);
    let twin_id = created.body["id"].as_i64().unwrap();
    w.app
        .put(&format!("/api/v1/projects/{twin_id}/budget"))
        .bearer(&w.province)
        .header("If-Match", created.header("etag").unwrap())
        .json(json!({"national": 250_000_000, "local": 0, "counterpart": 350_000_000, "other": 0}))
        .send()
        .await
        .assert_status(200);
    let twin = w.get(&format!("/api/v1/projects/{twin_id}")).await;
    let without = |mut v: Value| {
        for key in ["id", "code", "created_at", "updated_at"] {
            v.as_object_mut().unwrap().remove(key);
        }
        v
    };
    assert_eq!(without(first.clone()), without(twin));

    // Row 6 at the ceiling; row 8's identifier with its type.
    assert_eq!(
        w.project("HN-KC-2026-06").await["money"]["approved"]["national_vnd"],
        300_000_000
    );
    assert_eq!(
        w.project("HN-KC-2026-08").await["beneficiaries"][0]["beneficiary_id"],
        w.hanoi[1].1
    );
    assert_eq!(
        w.project("HN-KC-2026-11").await["implementing_unit_id"],
        w.agency_id
    );
    // Row 12: a generated code; the province taken from the one recorded before the reform.
    let local = w.project("KCDP-2024-01-0001").await;
    assert_eq!(local["province_code"], "01");
    assert_eq!(local["recorded_province_code_pre2025"], "01");
    assert_eq!(local["money"]["approved"]["local_vnd"], 100_000_000);
    assert_eq!(local["money"]["approved"]["other_vnd"], 0);
    // Row 13: the code after the one row 10 gives by hand.
    let model = w.project("KCQG-2026-01-0002").await;
    assert_eq!(model["activity_type"], "demonstration_model");
    assert_eq!(model["planned_start"], "2026-04-01");
    assert_eq!(model["money"]["approved"]["national_vnd"], 300_000_000);
    assert_eq!(model["beneficiaries"][0]["role"], "host");
    assert_eq!(w.project("KCQG-2026-01-0001").await["title"], first["title"]);
    // Ids follow the file's order.
    assert!(local["id"].as_i64() < model["id"].as_i64());
    assert!(first["id"].as_i64() < local["id"].as_i64());

    // One audit event for the file; none per project.
    let imports = audited(&w.app, "import");
    assert_eq!(imports.len(), 1);
    let after: Value = serde_json::from_str(imports[0].as_deref().unwrap()).unwrap();
    assert_eq!(after["kind"], "projects");
    assert_eq!(after["rows"], 12);
    assert_eq!(after["first_id"], first["id"]);
    assert_eq!(
        audited(&w.app, "project").len(),
        projects_audited + 2,
        "only the twin's create and budget set are audited"
    );

    // An imported draft goes on through the API: submitted, its cap checked again.
    w.app
        .post(&format!("/api/v1/projects/{id}/transitions"))
        .bearer(&w.province)
        .header("If-Match", "\"2\"")
        .json(json!({"action": "submit"}))
        .send()
        .await
        .assert_status(200);

    // The same file again is refused.
    let again = w.import(&w.province, "", "text/csv", file(&fixed)).await;
    again.assert_problem(409, "duplicate_import");
    assert_eq!(again.body["existing_id"], applied.body["id"]);
    assert_eq!(project_count(&w.app), before + 13);
}

#[actix_web::test]
async fn the_template_imports_as_it_is_once_its_establishment_and_unit_exist() {
    let app = TestApp::new();
    let province = app.token_for(&app.user("hn.kc", Role::Province).province("01").insert());
    let download = |kind: &'static str| {
        let app = &app;
        let province = province.clone();
        async move {
            let template = app
                .get(&format!("/api/v1/imports/templates/{kind}"))
                .bearer(&province)
                .send()
                .await;
            template.assert_status(200);
            assert_eq!(template.header("content-type"), Some(XLSX));
            template.bytes
        }
    };
    let establishments = download("beneficiaries").await;
    app.post("/api/v1/imports?kind=beneficiaries")
        .bearer(&province)
        .raw(XLSX, establishments)
        .send()
        .await
        .assert_status(201);
    app.post("/api/v1/organizations")
        .bearer(&province)
        .json(json!({"name": UNIT, "kind": "provincial_promotion_centre", "province_code": "01"}))
        .send()
        .await
        .assert_status(201);

    let template = download("projects").await;
    use calamine::{Reader, Xlsx};
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(template.clone())).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let codes: Vec<&str> = khuyencong::imports::projects::COLUMNS
        .iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(rows[1], codes);
    assert_eq!(rows.len(), 3);

    let applied = app
        .post("/api/v1/imports?kind=projects")
        .bearer(&province)
        .raw(XLSX, template)
        .send()
        .await;
    applied.assert_status(201);
    assert_eq!(applied.body["rows_total"], 1, "{}", applied.text);
    let found = app
        .get("/api/v1/projects?province_code=01")
        .bearer(&province)
        .send()
        .await;
    let project = &found.body["items"][0];
    assert_eq!(project["title"], rows[2][1]);
    assert_eq!(project["code"], "KCQG-2026-01-0001");
    assert_eq!(project["status"], "draft");
    assert_eq!(project["money"]["approved"]["national_vnd"], 250_000_000);
    let establishment = app
        .get("/api/v1/beneficiaries?q=0100109106")
        .bearer(&province)
        .send()
        .await;
    assert_eq!(
        project["beneficiaries"][0]["beneficiary_id"],
        establishment.body["items"][0]["id"]
    );
}

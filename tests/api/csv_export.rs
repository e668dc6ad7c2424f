//! Lists as CSV: every matching row, not a page, with a byte-order mark, the documented columns,
//! and personal data only for those who may read it.

use serde_json::{Value, json};

use khuyencong::auth::Role;
use khuyencong::seed::{self, Options};

use crate::contract::document;
use crate::support::TestApp;

const CSV: &str = "text/csv";

/// 1,100 establishments: more than one read of 1,000 rows.
fn registry() -> TestApp {
    let app = TestApp::new();
    seed::run(&app.state.db, &Options::new(1.1, 7)).expect("seed");
    app
}

async fn csv_of(app: &TestApp, token: &str, path: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
    let file = if path.contains("/projects") {
        "de-an.csv"
    } else {
        "co-so.csv"
    };
    csv_file(app, token, path, file).await
}

async fn csv_file(
    app: &TestApp,
    token: &str,
    path: &str,
    file: &str,
) -> (Vec<String>, Vec<csv::StringRecord>) {
    let response = app.get(path).bearer(token).header("Accept", CSV).send().await;
    response.assert_status(200);
    assert_eq!(response.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        response.header("content-disposition"),
        Some(format!("attachment; filename=\"{file}\"").as_str())
    );
    let bytes = &response.bytes;
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a byte-order mark first");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(Result::unwrap).collect();
    (header, rows)
}

async fn total(app: &TestApp, token: &str, query: &str) -> i64 {
    list_total(app, token, "beneficiaries", query).await
}

async fn list_total(app: &TestApp, token: &str, list: &str, query: &str) -> i64 {
    let page = app
        .get(&format!("/api/v1/{list}?include_total=true&limit=1{query}"))
        .bearer(token)
        .send()
        .await;
    page.assert_status(200);
    page.body["total"].as_i64().unwrap()
}

#[actix_web::test]
async fn the_establishment_list_as_csv_holds_every_row_and_personal_data_only_for_whom_may_read_it() {
    let app = registry();
    let ministry = app.token_for(&app.user("bo.xuat", Role::Ministry).insert());
    let (header, rows) = csv_of(&app, &ministry, "/api/v1/beneficiaries").await;
    assert_eq!(header[..3], ["id", "name", "legal_form"]);
    assert_eq!(header.len(), 31);
    assert_eq!(header[28], "personal_data.representative_phone");
    assert_eq!(rows.len() as i64, total(&app, &ministry, "").await);
    assert_eq!(rows.len(), 1_100);
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order, each once");
    // Vietnamese text arrives intact.
    assert!(rows.iter().any(|r| r[1].chars().any(|c| "ơưăâêôđ".contains(c))));
    let json = app
        .get(&format!("/api/v1/beneficiaries/{}", ids[0]))
        .bearer(&ministry)
        .send()
        .await;
    assert_eq!(rows[0][1], *json.body["name"].as_str().unwrap());
    assert_eq!(rows[0][7], *json.body["province_code"].as_str().unwrap());

    // Filters hold as for pages.
    let (_, cooperatives) = csv_of(&app, &ministry, "/api/v1/beneficiaries?legal_form=cooperative").await;
    assert!(!cooperatives.is_empty());
    assert!(cooperatives.iter().all(|r| &r[2] == "cooperative"));
    assert_eq!(
        cooperatives.len() as i64,
        total(&app, &ministry, "&legal_form=cooperative").await
    );

    // An auditor gets no personal columns at all; province staff get their province's rows.
    let auditor = app.token_for(&app.user("kiem.toan", Role::Auditor).insert());
    let (header, rows) = csv_of(&app, &auditor, "/api/v1/beneficiaries").await;
    assert_eq!(header.len(), 28);
    assert!(!header.iter().any(|h| h.starts_with("personal_data")));
    assert_eq!(rows.len(), 1_100);
    let province = rows[0][7].to_owned();
    let staff = app.token_for(&app.user("so.ct", Role::Province).province(&province).insert());
    let (header, own) = csv_of(&app, &staff, "/api/v1/beneficiaries").await;
    assert_eq!(header.len(), 31);
    assert!(own.iter().all(|r| r[7] == province));
    assert_eq!(own.len() as i64, total(&app, &staff, "").await);

    // Without the Accept header: one page of JSON as before.
    let page = app.get("/api/v1/beneficiaries").bearer(&ministry).send().await;
    assert_eq!(page.header("content-type"), Some("application/json"));
}

#[actix_web::test]
async fn the_project_list_as_csv_holds_every_project_with_its_money() {
    let app = registry();
    let ministry = app.token_for(&app.user("bo.xuat", Role::Ministry).insert());
    let (header, rows) = csv_of(&app, &ministry, "/api/v1/projects?sort=-plan_year").await;
    assert_eq!(header[..3], ["id", "code", "title"]);
    assert_eq!(header[19], "money.approved.national_vnd");
    assert_eq!(
        rows.len() as i64,
        list_total(&app, &ministry, "projects", "").await
    );
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let years: Vec<i64> = rows.iter().map(|r| r[6].parse().unwrap()).collect();
    assert!(years.windows(2).all(|w| w[0] >= w[1]), "in the order asked for");
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "each project once");
    let first = app
        .get(&format!("/api/v1/projects/{}", ids[0]))
        .bearer(&ministry)
        .send()
        .await;
    assert_eq!(rows[0][1], *first.body["code"].as_str().unwrap());
    assert_eq!(
        rows[0][19],
        first.body["money"]["approved"]["national_vnd"].to_string()
    );
    assert_eq!(rows[0][34], first.body["money"]["disbursement_rate"].to_string());

    let province = rows[0][7].to_owned();
    let staff = app.token_for(&app.user("so.ct", Role::Province).province(&province).insert());
    let (_, own) = csv_of(&app, &staff, "/api/v1/projects?status=accepted").await;
    assert!(own.iter().all(|r| r[7] == province && &r[16] == "accepted"));
    assert_eq!(
        own.len() as i64,
        list_total(&app, &staff, "projects", "&status=accepted").await
    );
}

/// Every item of a JSON list: all its pages, or the array of a list that is not paged.
async fn every_item(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{separator}cursor={c}"),
            None => path.to_owned(),
        };
        let page = app.get(&url).bearer(token).send().await;
        page.assert_status(200);
        if let Some(array) = page.body.as_array() {
            return array.clone();
        }
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// The schema of the items of the list `GET path` answers as JSON.
fn item_schema(path: &str) -> &'static Value {
    let template = path.split('?').next().unwrap();
    let (_, operation) = document()["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(documented, _)| {
            let (a, b): (Vec<&str>, Vec<&str>) =
                (documented.split('/').collect(), template.split('/').collect());
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || x.starts_with('{'))
        })
        .unwrap_or_else(|| panic!("{path} is not documented"));
    let response = &operation["get"]["responses"]["200"]["content"];
    assert!(response["text/csv"].is_object(), "{path}: CSV is not documented");
    let list = resolve(&response["application/json"]["schema"]);
    let items = if list["type"] == "array" {
        &list["items"]
    } else {
        &resolve(&list["properties"]["items"])["items"]
    };
    resolve(items)
}

fn resolve(schema: &Value) -> &Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return resolve(&document()["components"]["schemas"][name]);
    }
    for combined in ["allOf", "oneOf"] {
        if let Some(parts) = schema[combined].as_array()
            && let Some(object) = parts.iter().map(resolve).find(|p| p["properties"].is_object())
        {
            return object;
        }
    }
    schema
}

/// What a CSV cell holds for a JSON value.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Every list answers CSV: a column for each documented field named, and a row for each item its
/// JSON pages hold, cell for cell, in the same order.
#[actix_web::test]
async fn every_list_as_csv_holds_what_its_pages_hold() {
    let app = registry();
    let admin = app.token_for(&app.user("quan.tri", Role::Admin).insert());
    // A programme: the seed records none; recording it writes an audit event too.
    let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
    app.post("/api/v1/programmes")
        .bearer(&ministry)
        .json(
            json!({"code": "2026-2030", "name": "Chương trình khuyến công 2026-2030", "level": "national",
            "start_year": 2026, "end_year": 2030}),
        )
        .send()
        .await
        .assert_status(201);
    app.post("/api/v1/integration-clients")
        .bearer(&admin)
        .json(json!({"name": "Kho dữ liệu của Bộ", "scopes": ["stats:read"], "contact": "0243 825 1234"}))
        .send()
        .await
        .assert_status(201);
    let rounds = every_item(&app, &admin, "/api/v1/selection-rounds").await;
    let round = rounds
        .iter()
        .find(|r| r["summary"]["entries_scored"].as_i64() > Some(0))
        .expect("a scored round");
    let round_id = round["id"].as_i64().unwrap();
    let upper = rounds
        .iter()
        .find(|r| !["commune", "district"].contains(&r["level"].as_str().unwrap()))
        .expect("a round above the commune level");
    let entries = every_item(
        &app,
        &admin,
        &format!("/api/v1/selection-rounds/{round_id}/entries"),
    )
    .await;
    let entry = entries
        .iter()
        .find(|e| e["judges_scored"].as_i64() > Some(0))
        .unwrap();
    let project = &every_item(&app, &admin, "/api/v1/projects?status=settled").await[0];
    let establishment = project["beneficiaries"][0]["beneficiary_id"].as_i64().unwrap();

    let lists: Vec<(String, &str)> = vec![
        ("/api/v1/users".to_owned(), "tai-khoan.csv"),
        ("/api/v1/integration-clients".to_owned(), "ung-dung-tich-hop.csv"),
        ("/api/v1/organizations".to_owned(), "don-vi.csv"),
        ("/api/v1/audit-events".to_owned(), "nhat-ky.csv"),
        ("/api/v1/support-caps".to_owned(), "muc-ho-tro.csv"),
        ("/api/v1/programmes".to_owned(), "chuong-trinh.csv"),
        ("/api/v1/activity-types".to_owned(), "loai-hoat-dong.csv"),
        (
            "/api/v1/admin-units/provinces?era=pre2025".to_owned(),
            "tinh-thanh.csv",
        ),
        ("/api/v1/admin-units/communes".to_owned(), "xa-phuong.csv"),
        (
            "/api/v1/admin-units/districts?province_code=01".to_owned(),
            "quan-huyen.csv",
        ),
        (
            "/api/v1/beneficiaries?legal_form=cooperative".to_owned(),
            "co-so.csv",
        ),
        (
            format!("/api/v1/beneficiaries/{establishment}/annual-figures"),
            "so-lieu-hang-nam.csv",
        ),
        (
            format!("/api/v1/beneficiaries/{establishment}/possible-duplicates"),
            "co-the-trung.csv",
        ),
        ("/api/v1/projects?sort=-plan_year".to_owned(), "de-an.csv"),
        (
            format!("/api/v1/projects/{}/disbursements", project["id"]),
            "giai-ngan.csv",
        ),
        ("/api/v1/products".to_owned(), "san-pham.csv"),
        ("/api/v1/selection-rounds".to_owned(), "vong-binh-chon.csv"),
        (
            format!("/api/v1/selection-rounds/{round_id}/entries"),
            "ho-so.csv",
        ),
        (
            format!("/api/v1/selection-rounds/{round_id}/judges"),
            "hoi-dong.csv",
        ),
        (
            format!(
                "/api/v1/selection-rounds/{round_id}/entries/{}/scores",
                entry["id"]
            ),
            "diem.csv",
        ),
        (
            format!("/api/v1/selection-rounds/{}/eligible-products", upper["id"]),
            "san-pham-du-dieu-kien.csv",
        ),
        ("/api/v1/certificates".to_owned(), "chung-nhan.csv"),
        ("/api/v1/public/products".to_owned(), "san-pham-chung-nhan.csv"),
    ];
    // Lists the seeded registry may leave empty; the others must hold something to compare.
    let may_be_empty = ["possible-duplicates", "eligible-products"];
    for (path, file) in &lists {
        let path = path.as_str();
        let (header, rows) = csv_file(&app, &admin, path, file).await;
        let items = every_item(&app, &admin, path).await;
        assert!(
            !items.is_empty() || may_be_empty.iter().any(|l| path.contains(l)),
            "{path}: nothing to compare"
        );
        assert_eq!(rows.len(), items.len(), "{path}: one row per item");
        let schema = item_schema(path);
        for column in &header {
            let mut field = schema;
            for part in column.split('.') {
                field = resolve(&field["properties"][part]);
                assert!(!field.is_null(), "{path}: column {column} is no documented field");
            }
        }
        for (row, item) in rows.iter().zip(&items) {
            for (value, column) in row.iter().zip(&header) {
                let pointer = format!("/{}", column.replace('.', "/"));
                assert_eq!(value, cell(item.pointer(&pointer)), "{path}: column {column}");
            }
        }
    }
    // The communes are more than one read of a thousand rows, in code order.
    let (_, communes) = csv_file(&app, &admin, "/api/v1/admin-units/communes", "xa-phuong.csv").await;
    assert_eq!(communes.len(), 3321);
    assert!(communes.windows(2).all(|w| w[0][0] < w[1][0]));
}

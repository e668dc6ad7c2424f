//! Lists as CSV: every matching row, not a page, with a byte-order mark, the documented columns,
//! and personal data only for those who may read it.

use khuyencong::auth::Role;
use khuyencong::seed::{self, Options};

use crate::support::TestApp;

const CSV: &str = "text/csv";

/// 1,100 establishments: more than one read of 1,000 rows.
fn registry() -> TestApp {
    let app = TestApp::new();
    seed::run(&app.state.db, &Options::new(1.1, 7)).expect("seed");
    app
}

async fn csv_of(app: &TestApp, token: &str, path: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
    let response = app.get(path).bearer(token).header("Accept", CSV).send().await;
    response.assert_status(200);
    assert_eq!(response.header("content-type"), Some("text/csv; charset=utf-8"));
    let file = if path.contains("/projects") {
        "de-an.csv"
    } else {
        "co-so.csv"
    };
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
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in id order whatever the sort"
    );
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

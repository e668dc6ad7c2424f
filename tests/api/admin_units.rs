//! Administrative units: counts per era, successors across the reform (including reused codes),
//! predecessors, and accent-insensitive search.

use crate::support::TestApp;

async fn all_items(app: &TestApp, path: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{separator}limit=500&cursor={c}"),
            None => format!("{path}{separator}limit=500"),
        };
        let response = app.get(&url).send().await;
        response.assert_status(200);
        items.extend(response.body["items"].as_array().unwrap().iter().cloned());
        match response.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

#[actix_web::test]
async fn province_counts_per_era() {
    let app = TestApp::new();
    let current = app
        .get("/api/v1/admin-units/provinces?era=current&include_total=true")
        .send()
        .await;
    current.assert_status(200);
    assert_eq!(current.body["items"].as_array().unwrap().len(), 34);
    assert_eq!(current.body["total"], 34);
    assert!(
        current.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["region"].is_string())
    );

    let old = app.get("/api/v1/admin-units/provinces?era=pre2025").send().await;
    assert_eq!(old.body["items"].as_array().unwrap().len(), 63);
    assert_eq!(old.body["next_cursor"], serde_json::Value::Null);

    let default = app.get("/api/v1/admin-units/provinces").send().await;
    assert_eq!(default.body["items"][0]["era"], "current");

    let nam = app
        .get("/api/v1/admin-units/provinces?era=pre2025&region=nam&include_total=true")
        .send()
        .await;
    assert_eq!(nam.body["total"], 20);
}

#[actix_web::test]
async fn commune_count_pagination_and_districts() {
    let app = TestApp::new();
    let communes = all_items(&app, "/api/v1/admin-units/communes").await;
    assert_eq!(communes.len(), 3321);
    let mut codes: Vec<&str> = communes.iter().map(|c| c["code"].as_str().unwrap()).collect();
    let before = codes.clone();
    codes.sort();
    codes.dedup();
    assert_eq!(codes, before, "pages are ordered by code without repeats");

    let total = app
        .get("/api/v1/admin-units/communes?include_total=true&limit=1")
        .send()
        .await;
    assert_eq!(total.body["total"], 3321);
    assert_eq!(total.body["items"].as_array().unwrap().len(), 1);

    let hanoi = app
        .get("/api/v1/admin-units/communes?province_code=01&include_total=true&limit=5")
        .send()
        .await;
    let hanoi_total = hanoi.body["total"].as_i64().unwrap();
    assert!(hanoi_total > 100 && hanoi_total < 3321);
    assert!(
        hanoi.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["province_code"] == "01")
    );

    let districts = all_items(&app, "/api/v1/admin-units/districts").await;
    assert_eq!(districts.len(), 707);
    let hanoi_districts = app
        .get("/api/v1/admin-units/districts?province_code=01&include_total=true")
        .send()
        .await;
    assert_eq!(hanoi_districts.body["total"], 30);
}

#[actix_web::test]
async fn reused_codes_resolve_by_era() {
    let app = TestApp::new();
    // Old 24 (Bắc Giang) became part of the new Bắc Ninh, which now holds code 24.
    let old_24 = app
        .get("/api/v1/admin-units/provinces/24?era=pre2025")
        .send()
        .await;
    old_24.assert_status(200);
    assert_eq!(old_24.body["name"], "Bắc Giang");
    assert_eq!(old_24.body["successor"]["code"], "24");
    assert_eq!(old_24.body["successor"]["name"], "Bắc Ninh");
    assert_eq!(old_24.body["successor"]["era"], "current");

    let new_24 = app.get("/api/v1/admin-units/provinces/24").send().await;
    assert_eq!(new_24.body["name"], "Bắc Ninh");
    let predecessors: Vec<&str> = new_24.body["predecessors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(predecessors, vec!["24", "27"]);

    // Old 44 (Quảng Bình) and old 45 (Quảng Trị) both roll up into today's Quảng Trị (44).
    let old_44 = app
        .get("/api/v1/admin-units/provinces/44?era=pre2025")
        .send()
        .await;
    assert_eq!(old_44.body["name"], "Quảng Bình");
    assert_eq!(old_44.body["successor"]["code"], "44");
    assert_eq!(old_44.body["successor"]["name"], "Quảng Trị");
    let old_45 = app
        .get("/api/v1/admin-units/provinces/45?era=pre2025")
        .send()
        .await;
    assert_eq!(old_45.body["successor"]["code"], "44");

    let new_44 = app
        .get("/api/v1/admin-units/provinces/44?era=current")
        .send()
        .await;
    assert_eq!(new_44.body["predecessor_codes"], serde_json::json!(["44", "45"]));

    // Old 45 does not exist as a current code.
    app.get("/api/v1/admin-units/provinces/45")
        .send()
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn commune_search_ignores_case_and_accents() {
    let app = TestApp::new();
    let response = app
        .get("/api/v1/admin-units/communes?q=ba%20dinh&province_code=01")
        .send()
        .await;
    let names: Vec<&str> = response.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Ba Đình"]);

    let response = app
        .get("/api/v1/admin-units/communes?q=BA%20%C4%90%C3%8CNH")
        .send()
        .await; // "BA ĐÌNH"
    assert!(
        response.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "00004")
    );

    let response = app
        .get("/api/v1/admin-units/communes?q=dong&limit=500")
        .send()
        .await;
    let items = response.body["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|c| c["name"].as_str().unwrap().starts_with("Đông"))
    );
    assert!(
        items
            .iter()
            .all(|c| c["name_en"].as_str().unwrap().to_lowercase().contains("dong"))
    );

    // Decomposed (NFD) input finds the same rows as composed input.
    let nfd = "Ba%20%C4%90i%CC%80nh"; // "Ba Đình" with a combining grave accent
    let response = app
        .get(&format!("/api/v1/admin-units/communes?q={nfd}&province_code=01"))
        .send()
        .await;
    assert_eq!(response.body["items"][0]["code"], "00004");

    // LIKE wildcards typed by a user are literal.
    let response = app.get("/api/v1/admin-units/communes?q=%25").send().await;
    assert_eq!(response.body["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn reference_data_is_reloaded_only_when_its_file_changed() {
    use diesel::prelude::*;
    use khuyencong::db::migrations;
    use khuyencong::db::schema::{communes_2025, reference_data_versions};

    let app = TestApp::new();
    let name_of = |conn: &mut khuyencong::db::DbConn| -> String {
        communes_2025::table
            .find("00004")
            .select(communes_2025::name)
            .first(conn)
            .unwrap()
    };
    app.with_conn(|conn| {
        diesel::update(communes_2025::table.find("00004"))
            .set(communes_2025::name.eq("Tên đã sửa tay"))
            .execute(conn)
            .unwrap();

        // Same file as recorded: nothing is reloaded.
        migrations::run(conn).unwrap();
        assert_eq!(name_of(conn), "Tên đã sửa tay");

        // A file whose checksum differs from the recorded one is loaded over the existing rows.
        diesel::update(reference_data_versions::table.find("communes_2025"))
            .set(reference_data_versions::checksum.eq("an older file"))
            .execute(conn)
            .unwrap();
        migrations::run(conn).unwrap();
        assert_eq!(name_of(conn), "Ba Đình");
        let count: i64 = communes_2025::table.count().get_result(conn).unwrap();
        assert_eq!(count, 3321);
        let checksum: String = reference_data_versions::table
            .find("communes_2025")
            .select(reference_data_versions::checksum)
            .first(conn)
            .unwrap();
        assert_eq!(checksum.len(), 64, "the new file's SHA-256 is recorded");
    });
}

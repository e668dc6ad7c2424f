//! Importing certificates of earlier selection rounds: each row is checked as a legacy certificate
//! recorded through the API, its product found (or registered) by producer and name; the fixed
//! file imports once, and the template imports as it is.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde_json::json;

use khuyencong::auth::Role;
use khuyencong::db::schema::{certificates, products};

use crate::imports::{problems, triple, upload};
use crate::support::TestApp;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const HEADER: &str = "number,level,year,decision_number,issued_on,era,commune_code,district_code,province_code,\
                      region_code,beneficiary_identifier,product_name,product_group";

fn counts(app: &TestApp) -> (i64, i64) {
    app.with_conn(|conn| {
        (
            certificates::table.count().get_result(conn).unwrap(),
            products::table.count().get_result(conn).unwrap(),
        )
    })
}

/// A ministry token, and a Hà Nội establishment recorded with its pre-2025 district (Ba Đình, 001).
async fn producer(app: &TestApp) -> String {
    let ministry = app.user("ministry-1", Role::Ministry).insert();
    let token = app.token_for(&ministry);
    app.post("/api/v1/beneficiaries")
        .bearer(&token)
        .json(json!({
            "name": "Công ty TNHH Mây tre đan Phú Vinh", "legal_form": "enterprise",
            "identifier_type": "tax_code", "identifier_value": "0100109106",
            "province_code": "01", "commune_code": "00004",
            "recorded_province_code_pre2025": "01", "recorded_district_code_pre2025": "001"
        }))
        .send()
        .await
        .assert_status(201);
    token
}

async fn import(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    file: impl Into<Vec<u8>>,
) -> crate::support::Resp {
    upload(app, token, "certificates", query, content_type, file).await
}

#[actix_web::test]
async fn earlier_certificates_are_checked_as_the_api_checks_them_and_the_fixed_file_imports_once() {
    let app = TestApp::new();
    let ministry = producer(&app).await;
    // A certificate already recorded through the API: its number is taken.
    let product = app
        .post("/api/v1/products")
        .bearer(&ministry)
        .json(json!({"beneficiary_id": 1, "name": "Đèn lồng tre", "product_group": "handicraft"}))
        .send()
        .await;
    product.assert_status(201);
    app.post("/api/v1/certificates")
        .bearer(&ministry)
        .json(json!({
            "number": "12-QD-UBND-2016", "level": "province", "year": 2016,
            "product_id": product.body["id"], "decision_number": "12/QĐ-UBND",
            "issued_on": "2016-10-01", "province_code": "01"
        }))
        .send()
        .await
        .assert_status(201);
    let before = counts(&app);

    let rows = [
        // row 2: valid, a new product
        "125-QD-UBND-2019-07,province,2019,125/QĐ-UBND,2019-08-15,pre2025,,,01,,0100109106,Bộ bàn ghế mây tre đan,handicraft",
        // row 3: valid, the same product (a district round of Ba Đình), a date as people write it
        "88-QD-UBND-2017-01,district,2017,88/QĐ-UBND,15/09/2017,,,001,,,0100109106,bộ bàn ghế  mây tre đan,handicraft",
        // row 4: no such producer
        "90-QD-UBND-2018,province,2018,90/QĐ-UBND,2018-09-01,,,,01,,0109999999,Nón lá,handicraft",
        // row 5: issued three years after its round
        "91-QD-UBND-2019,province,2019,91/QĐ-UBND,2022-01-05,,,,01,,0100109106,Bộ bàn ghế mây tre đan,handicraft",
        // row 6: the number of row 2 again
        "125-QD-UBND-2019-07,province,2020,126/QĐ-UBND,2020-08-15,,,,01,,0100109106,Bộ bàn ghế mây tre đan,handicraft",
        // row 7: not a level
        "92-QD-UBND-2019,tinh,2019,92/QĐ-UBND,2019-08-15,,,,01,,0100109106,Bộ bàn ghế mây tre đan,handicraft",
        // row 8: a number already recorded
        "12-QD-UBND-2016,province,2019,93/QĐ-UBND,2019-08-15,,,,01,,0100109106,Bộ bàn ghế mây tre đan,handicraft",
        // row 9: a round of Hồ Chí Minh City (79) cannot recognise a Hà Nội product
        "94-QD-UBND-2019,province,2019,94/QĐ-UBND,2019-08-15,,,,79,,0100109106,Bộ bàn ghế mây tre đan,handicraft",
    ];
    let file = format!("{HEADER}\n{}\n", rows.join("\n"));
    let dry = import(&app, &ministry, "&dry_run=true", "text/csv", file.clone()).await;
    dry.assert_status(200);
    assert_eq!(dry.body["report"]["rows_read"], 8);
    assert_eq!(dry.body["report"]["rows_valid"], 2, "{}", dry.text);
    assert_eq!(
        problems(&dry.body),
        BTreeSet::from([
            triple(4, "beneficiary_identifier", "unknown_beneficiary"),
            triple(5, "issued_on", "out_of_range"),
            triple(6, "number", "duplicate_in_file"),
            triple(7, "level", "invalid_value"),
            triple(8, "number", "duplicate_number"),
            triple(9, "beneficiary_identifier", "outside_round_scope"),
        ]),
        "{}",
        dry.text
    );
    assert_eq!(counts(&app), before, "a dry run writes nothing");
    import(&app, &ministry, "", "text/csv", file)
        .await
        .assert_problem(422, "invalid_rows");
    assert_eq!(counts(&app), before);

    let fixed = format!("{HEADER}\n{}\n{}\n", rows[0], rows[1]);
    let applied = import(&app, &ministry, "", "text/csv", fixed.clone()).await;
    applied.assert_status(201);
    assert_eq!(applied.body["rows_total"], 2);
    // Two certificates, one new product for both.
    assert_eq!(counts(&app), (before.0 + 2, before.1 + 1));
    let listed = app
        .get("/api/v1/certificates?year=2017")
        .bearer(&ministry)
        .send()
        .await;
    let certificate = &listed.body["items"][0];
    assert_eq!(certificate["number"], "88-QD-UBND-2017-01");
    assert_eq!(certificate["legacy"], true);
    assert_eq!(certificate["level"], "district");
    assert_eq!(certificate["era"], "pre2025");
    assert_eq!(certificate["scope_code"], "001");
    assert_eq!(certificate["issued_on"], "2017-09-15");
    assert_eq!(certificate["product_name"], "Bộ bàn ghế mây tre đan");
    // It verifies publicly like any other.
    app.get("/api/v1/public/certificates/88-QD-UBND-2017-01")
        .send()
        .await
        .assert_status(200);

    import(&app, &ministry, "", "text/csv", fixed)
        .await
        .assert_problem(409, "duplicate_import");
    assert_eq!(counts(&app), (before.0 + 2, before.1 + 1));
}

#[actix_web::test]
async fn the_certificate_template_imports_as_it_is_once_its_producer_is_registered() {
    let app = TestApp::new();
    let ministry = producer(&app).await;
    let template = app
        .get("/api/v1/imports/templates/certificates")
        .bearer(&ministry)
        .send()
        .await;
    template.assert_status(200);
    assert_eq!(template.header("content-type"), Some(XLSX));
    let before = counts(&app);
    let applied = import(&app, &ministry, "", XLSX, template.bytes.clone()).await;
    applied.assert_status(201);
    assert_eq!(applied.body["rows_total"], 1, "{}", applied.text);
    assert_eq!(counts(&app), (before.0 + 1, before.1 + 1));
}

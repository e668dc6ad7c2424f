//! The registry of establishments: identifiers, duplicates and merging, search, territorial scope,
//! personal data, optimistic concurrency, yearly figures and their audit events.

use serde_json::{Value, json};

use khuyencong::auth::Role;

use crate::support::{Resp, TestApp};

const TAX_CODE: &str = "0100109106";

fn establishment(name: &str) -> Value {
    json!({
        "name": name,
        "legal_form": "cooperative_group",
        "identifier_type": "none",
        "province_code": "01",
        "commune_code": "00004",
    })
}

fn with(mut base: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

async fn create(app: &TestApp, token: &str, body: Value) -> Resp {
    app.post("/api/v1/beneficiaries")
        .bearer(token)
        .json(body)
        .send()
        .await
}

fn id_of(response: &Resp) -> i64 {
    response.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {}", response.text))
}

/// A ministry token (national read/write).
fn ministry(app: &TestApp) -> String {
    app.token_for(&app.user("bo.ct", Role::Ministry).insert())
}

#[actix_web::test]
async fn tax_codes_are_checked_by_their_check_digit() {
    let app = TestApp::new();
    let token = ministry(&app);
    let valid = create(
        &app,
        &token,
        with(establishment("Công ty TNHH Gốm Bát Tràng"), json!({"legal_form": "enterprise", "identifier_type": "tax_code", "identifier_value": "0100109106"})),
    )
    .await;
    valid.assert_status(201);
    assert_eq!(valid.body["identifier_value"], "0100109106");
    let branch = create(
        &app,
        &token,
        with(establishment("Chi nhánh Gốm Bát Tràng"), json!({"legal_form": "enterprise", "identifier_type": "tax_code", "identifier_value": "0300588569-001"})),
    )
    .await;
    branch.assert_status(201);

    // Every single-digit change of a valid code is refused with a reason on the field.
    for position in 0..10 {
        let mut digits: Vec<u8> = "0300588569".bytes().collect();
        digits[position] = if digits[position] == b'9' {
            b'0'
        } else {
            digits[position] + 1
        };
        let changed = String::from_utf8(digits).unwrap();
        let response = app
            .post("/api/v1/beneficiaries")
            .bearer(&token)
            .header("Accept-Language", "en")
            .json(with(
                establishment(&format!("Thử {position}")),
                json!({"legal_form": "enterprise", "identifier_type": "tax_code", "identifier_value": changed}),
            ))
            .send()
            .await;
        response.assert_problem(422, "validation_failed");
        let errors = response.field_errors();
        assert_eq!(errors.len(), 1, "{changed}: {}", response.text);
        assert_eq!(errors[0].0, "identifier_value");
        assert!(
            errors[0].1.starts_with("invalid_tax_code"),
            "{changed}: {:?}",
            errors
        );
        assert!(
            response.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(&changed)
        );
    }

    let shape = create(
        &app,
        &token,
        with(establishment("Sai định dạng"), json!({"legal_form": "enterprise", "identifier_type": "tax_code", "identifier_value": "01001091"})),
    )
    .await;
    assert_eq!(
        shape.field_errors(),
        vec![(
            "identifier_value".to_owned(),
            "invalid_tax_code_format".to_owned()
        )]
    );
    let household = create(
        &app,
        &token,
        with(establishment("Hộ sai"), json!({"legal_form": "household_business", "identifier_type": "household_registration", "identifier_value": "01-8001234"})),
    )
    .await;
    assert_eq!(
        household.field_errors(),
        vec![(
            "identifier_value".to_owned(),
            "invalid_household_registration_format".to_owned()
        )]
    );
    let enterprise_without_code = create(
        &app,
        &token,
        with(establishment("DN không mã"), json!({"legal_form": "enterprise"})),
    )
    .await;
    assert_eq!(
        enterprise_without_code.field_errors(),
        vec![(
            "identifier_type".to_owned(),
            "identifier_type_not_allowed".to_owned()
        )]
    );
}

#[actix_web::test]
async fn a_second_record_with_the_same_identifier_is_a_conflict() {
    let app = TestApp::new();
    let token = ministry(&app);
    let body = with(
        establishment("HTX Mây tre Phú Vinh"),
        json!({"legal_form": "cooperative", "identifier_type": "cooperative_code", "identifier_value": TAX_CODE}),
    );
    let first = create(&app, &token, body.clone()).await;
    first.assert_status(201);
    // The same code typed with spaces and dots is the same code.
    let second = create(
        &app,
        &token,
        with(
            body,
            json!({"name": "Hợp tác xã khác", "identifier_value": " 0100.109.106 "}),
        ),
    )
    .await;
    second.assert_problem(409, "duplicate_identifier");
    assert_eq!(second.body["existing_id"], first.body["id"]);

    // An update cannot take another record's identifier either.
    let other = create(&app, &token, establishment("Tổ hợp tác Nón lá")).await;
    let taken = app
        .patch(&format!("/api/v1/beneficiaries/{}", id_of(&other)))
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"legal_form": "cooperative", "identifier_type": "cooperative_code", "identifier_value": TAX_CODE}))
        .send()
        .await;
    taken.assert_problem(409, "duplicate_identifier");
}

#[actix_web::test]
async fn probable_duplicates_are_warned_and_listed() {
    let app = TestApp::new();
    let token = ministry(&app);
    let first = create(
        &app,
        &token,
        with(
            establishment("Hợp tác xã Mây tre đan Phú Vinh"),
            json!({"phone": "0912 345 678"}),
        ),
    )
    .await;
    assert_eq!(first.body["warnings"], json!([]));

    let same_name = create(&app, &token, establishment("HTX mây tre đan PHÚ VINH")).await;
    same_name.assert_status(201);
    let warnings = same_name.body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["beneficiary_id"], first.body["id"]);
    assert_eq!(warnings[0]["reasons"], json!(["same_name_same_commune"]));

    // Same name in another commune is not a duplicate; the same phone anywhere is.
    let elsewhere = create(
        &app,
        &token,
        with(
            establishment("Hợp tác xã Mây tre đan Phú Vinh"),
            json!({"commune_code": "00008"}),
        ),
    )
    .await;
    assert_eq!(elsewhere.body["warnings"], json!([]));
    let same_phone = create(
        &app,
        &token,
        with(establishment("Cơ sở Đan lát Chương Mỹ"), json!({"province_code": "46", "commune_code": hue_commune(&app).await, "representative_phone": "+84 912345678"})),
    )
    .await;
    same_phone.assert_status(201);
    let reasons: Vec<&Value> = same_phone.body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["reasons"])
        .collect();
    assert_eq!(reasons, vec![&json!(["same_phone"])]);

    let listed = app
        .get(&format!(
            "/api/v1/beneficiaries/{}/possible-duplicates",
            id_of(&first)
        ))
        .bearer(&token)
        .send()
        .await;
    listed.assert_status(200);
    let mut ids: Vec<i64> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["beneficiary_id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![id_of(&same_name), id_of(&same_phone)]);
}

async fn hue_commune(app: &TestApp) -> String {
    let communes = app
        .get("/api/v1/admin-units/communes?province_code=46&limit=1")
        .send()
        .await;
    communes.body["items"][0]["code"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn merge_moves_links_is_audited_and_reversible() {
    let app = TestApp::new();
    let token = ministry(&app);
    let survivor = id_of(&create(&app, &token, establishment("HTX Gốm Phù Lãng")).await);
    let duplicate = id_of(&create(&app, &token, establishment("Hợp tác xã Gốm Phù Lãng")).await);
    for (id, year, revenue) in [
        (survivor, 2023, 100),
        (duplicate, 2023, 999),
        (duplicate, 2024, 200),
    ] {
        app.request(
            actix_web::http::Method::PUT,
            &format!("/api/v1/beneficiaries/{id}/annual-figures/{year}"),
        )
        .bearer(&token)
        .json(json!({"revenue_vnd": revenue}))
        .send()
        .await
        .assert_status(201);
    }

    let path = format!("/api/v1/beneficiaries/{survivor}/merge");
    app.post(&path)
        .bearer(&token)
        .json(json!({"duplicate_id": duplicate}))
        .send()
        .await
        .assert_problem(428, "if_match_required");
    let merged = app
        .post(&path)
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"duplicate_id": duplicate}))
        .send()
        .await;
    merged.assert_status(200);
    assert_eq!(merged.body["version"], 2);

    // 2024 moved over; the survivor's own 2023 stays, the duplicate's 2023 stays with the duplicate.
    let figures = app
        .get(&format!("/api/v1/beneficiaries/{survivor}/annual-figures"))
        .bearer(&token)
        .send()
        .await;
    let years: Vec<(i64, i64)> = figures.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["year"].as_i64().unwrap(), f["revenue_vnd"].as_i64().unwrap()))
        .collect();
    assert_eq!(years, vec![(2023, 100), (2024, 200)]);
    let gone = app
        .get(&format!("/api/v1/beneficiaries/{duplicate}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(gone.body["status"], "merged");
    assert_eq!(gone.body["merged_into_id"], survivor);
    app.patch(&format!("/api/v1/beneficiaries/{duplicate}"))
        .bearer(&token)
        .header("If-Match", &format!("\"{}\"", gone.body["version"]))
        .json(json!({"name": "Sửa bản ghi đã gộp"}))
        .send()
        .await
        .assert_problem(422, "beneficiary_merged");
    app.post(&path)
        .bearer(&token)
        .header("If-Match", "\"2\"")
        .json(json!({"duplicate_id": duplicate}))
        .send()
        .await
        .assert_problem(422, "beneficiary_merged");

    let (_, admin) = app.admin();
    let events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=beneficiary&entity_id={duplicate}&action=merged_into"
        ))
        .bearer(&admin)
        .send()
        .await;
    let event = &events.body["items"][0];
    assert_eq!(event["before"]["status"], "active");
    assert_eq!(event["after"]["status"], "merged");
    assert_eq!(
        event["after"]["moved_links"]["annual_figure_ids"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let survivor_events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=beneficiary&entity_id={survivor}&action=merge"
        ))
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(
        survivor_events.body["items"][0]["after"]["merged_duplicate_id"],
        duplicate
    );

    // Reverse it from the audit record.
    let unmerged = app
        .post(&format!("/api/v1/beneficiaries/{duplicate}/unmerge"))
        .bearer(&token)
        .header("If-Match", &format!("\"{}\"", gone.body["version"]))
        .send()
        .await;
    unmerged.assert_status(200);
    assert_eq!(unmerged.body["status"], "active");
    assert_eq!(unmerged.body["merged_into_id"], Value::Null);
    let back = app
        .get(&format!("/api/v1/beneficiaries/{duplicate}/annual-figures"))
        .bearer(&token)
        .send()
        .await;
    let years: Vec<i64> = back.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, vec![2023, 2024]);
    let kept = app
        .get(&format!("/api/v1/beneficiaries/{survivor}/annual-figures"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(kept.body["items"].as_array().unwrap().len(), 1);
    let reversal = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=beneficiary&entity_id={duplicate}&action=unmerge"
        ))
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(
        reversal.body["items"][0]["after"]["reversed_audit_event_id"],
        event["id"]
    );
    assert_eq!(
        reversal.body["items"][0]["after"]["returned_links"]["annual_figure_ids"],
        event["after"]["moved_links"]["annual_figure_ids"]
    );
}

/// A whole identifier in `q` is looked up in the identifier index: it finds the holder and, for a
/// 10-digit tax code, its branches, however the caller spaced or cased it, and the list's totals and
/// pages agree with it.
#[actix_web::test]
async fn a_whole_identifier_in_q_finds_its_holder_and_branches() {
    let app = TestApp::new();
    let token = ministry(&app);
    let enterprise = |name: &str, code: &str| {
        with(
            establishment(name),
            json!({"legal_form": "enterprise", "identifier_type": "tax_code", "identifier_value": code}),
        )
    };
    let head = id_of(&create(&app, &token, enterprise("Công ty Gốm Chu Đậu", "0300588569")).await);
    let branch = id_of(
        &create(
            &app,
            &token,
            enterprise("Chi nhánh Gốm Chu Đậu Nam Sách", "0300588569-001"),
        )
        .await,
    );
    let other = id_of(&create(&app, &token, enterprise("Công ty Mây tre Phú Vinh", "0101234565")).await);
    let household = id_of(
        &create(
            &app,
            &token,
            with(
                establishment("Hộ kinh doanh Trần Mai"),
                json!({"legal_form": "household_business", "identifier_type": "household_registration", "identifier_value": "01A8001234"}),
            ),
        )
        .await,
    );

    let found = |q: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let response = app
                .get(&format!("/api/v1/beneficiaries?q={q}&include_total=true&limit=1"))
                .bearer(&token)
                .send()
                .await;
            assert_eq!(response.status, 200, "{}", response.text);
            crate::contract::assert_documented("get", "/api/v1/beneficiaries", &response);
            let mut ids = vec![response.body["items"][0]["id"].as_i64()];
            let mut next = response.body["next_cursor"].as_str().map(str::to_owned);
            while let Some(cursor) = next {
                let more = app
                    .get(&format!("/api/v1/beneficiaries?q={q}&limit=1&cursor={cursor}"))
                    .bearer(&token)
                    .send()
                    .await;
                ids.push(more.body["items"][0]["id"].as_i64());
                next = more.body["next_cursor"].as_str().map(str::to_owned);
            }
            (
                ids.into_iter().flatten().collect::<Vec<i64>>(),
                response.body["total"].as_i64(),
            )
        }
    };
    assert_eq!(found("0300588569").await, (vec![head, branch], Some(2)));
    assert_eq!(
        found("%20030%20058%208569%20").await,
        (vec![head, branch], Some(2))
    );
    assert_eq!(found("0300588569-001").await, (vec![branch], Some(1)));
    assert_eq!(found("0101234565").await, (vec![other], Some(1)));
    assert_eq!(found("01a8001234").await, (vec![household], Some(1)));
    // A part of a code is still searched as text, anywhere in the key.
    assert_eq!(found("588569").await, (vec![head, branch], Some(2)));
    // A code nobody holds finds nothing.
    assert_eq!(found("0101234572").await, (vec![], Some(0)));
}

#[actix_web::test]
async fn search_ignores_case_and_accents_over_name_identifier_and_representative() {
    let app = TestApp::new();
    let token = ministry(&app);
    create(
        &app,
        &token,
        with(
            establishment("Hợp tác xã Mây tre đan Phú Vinh"),
            json!({"representative_name": "Nguyễn Văn Đông"}),
        ),
    )
    .await;
    create(&app, &token, with(establishment("Công ty Gốm Chu Đậu"), json!({"legal_form": "enterprise", "identifier_type": "tax_code", "identifier_value": "0300588569"}))).await;
    create(
        &app,
        &token,
        with(
            establishment("Xưởng mộc Đồng Kỵ"),
            json!({"legal_form": "artisan"}),
        ),
    )
    .await;

    let names = |r: &Resp| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(
            &app.get("/api/v1/beneficiaries?q=hop%20tac%20xa")
                .bearer(&token)
                .send()
                .await
        ),
        vec!["Hợp tác xã Mây tre đan Phú Vinh"]
    );
    assert_eq!(
        names(
            &app.get("/api/v1/beneficiaries?q=GOM%20CHU%20DAU")
                .bearer(&token)
                .send()
                .await
        ),
        vec!["Công ty Gốm Chu Đậu"]
    );
    assert_eq!(
        names(
            &app.get("/api/v1/beneficiaries?q=0300588")
                .bearer(&token)
                .send()
                .await
        ),
        vec!["Công ty Gốm Chu Đậu"]
    );
    assert_eq!(
        names(
            &app.get("/api/v1/beneficiaries?q=van%20dong")
                .bearer(&token)
                .send()
                .await
        ),
        vec!["Hợp tác xã Mây tre đan Phú Vinh"]
    );
    let dong = app
        .get("/api/v1/beneficiaries?q=dong&include_total=true")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(dong.body["total"], 2);
    let artisans = app
        .get("/api/v1/beneficiaries?legal_form=artisan")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(names(&artisans), vec!["Xưởng mộc Đồng Kỵ"]);
}

#[actix_web::test]
async fn search_index_follows_renames_and_treats_short_keys_and_symbols_literally() {
    let app = TestApp::new();
    let token = ministry(&app);
    let vinh = create(&app, &token, establishment("Hợp tác xã Mây tre đan Phú Vinh")).await;
    create(&app, &token, establishment("Cơ sở \"Gốm\" 100% Bát Tràng")).await;
    create(&app, &token, establishment("Xưởng mộc Đồng Kỵ")).await;
    let names = |r: &Resp| -> Vec<String> {
        let mut names: Vec<String> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let search = |q: &str| {
        let path = format!(
            "/api/v1/beneficiaries?q={}&include_total=true",
            percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC)
        );
        let request = app.get(&path).bearer(&token);
        async move { request.send().await }
    };

    // Shorter than a trigram: matched by scanning, with the same answer.
    let short = search("kỵ").await;
    assert_eq!(names(&short), vec!["Xưởng mộc Đồng Kỵ"]);
    assert_eq!(short.body["total"], 1);
    let two = search("Xã").await;
    assert_eq!(names(&two), vec!["Hợp tác xã Mây tre đan Phú Vinh"]);
    // Wildcards and quotes are literal characters, not operators.
    assert_eq!(names(&search("100%").await), vec!["Cơ sở \"Gốm\" 100% Bát Tràng"]);
    assert_eq!(
        names(&search("\"gom\"").await),
        vec!["Cơ sở \"Gốm\" 100% Bát Tràng"]
    );
    assert!(names(&search("1_0").await).is_empty());
    assert_eq!(names(&search("%").await), vec!["Cơ sở \"Gốm\" 100% Bát Tràng"]);
    // Decomposed input (NFD) and upper case find the composed record.
    assert_eq!(
        names(&search("ĐÔ\u{300}NG KY\u{323}").await),
        vec!["Xưởng mộc Đồng Kỵ"]
    );
    assert_eq!(
        names(&search("Mo\u{323}\u{302}c").await),
        vec!["Xưởng mộc Đồng Kỵ"]
    );

    // A rename moves the record in the index at once: the old words no longer find it.
    let id = vinh.body["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/beneficiaries/{id}"))
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"name": "Hợp tác xã Thêu ren Văn Lâm"}))
        .send()
        .await
        .assert_status(200);
    assert!(names(&search("phu vinh").await).is_empty());
    assert_eq!(search("phu vinh").await.body["total"], 0);
    assert_eq!(
        names(&search("theu ren").await),
        vec!["Hợp tác xã Thêu ren Văn Lâm"]
    );
}

#[actix_web::test]
async fn common_and_rare_words_find_the_same_records_whichever_way_they_are_matched() {
    let app = TestApp::new();
    let token = ministry(&app);
    // Enough records share "may tre" that SQLite walks the table in id order for it instead of
    // reading its index, while "dan 2099"-like keys stay rare and are read from the index.
    const RECORDS: i64 = 2_100;
    app.with_conn(|conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {RECORDS}) \
             INSERT INTO beneficiaries (name, legal_form, identifier_type, province_code, status, \
             search_key, name_key, created_at, updated_at) \
             SELECT 'Cơ sở mây tre đan ' || i, 'cooperative_group', 'none', '01', 'active', \
             'co so may tre dan ' || i, 'co so may tre dan ' || i, '2026-01-01 00:00:00', \
             '2026-01-01 00:00:00' FROM n"
        ))
        .unwrap();
    });
    let page = |q: &'static str, cursor: Option<String>| {
        let mut path = format!(
            "/api/v1/beneficiaries?q={}&limit=50&include_total=true",
            q.replace(' ', "%20")
        );
        if let Some(cursor) = cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let request = app.get(&path).bearer(&token);
        async move { request.send().await }
    };
    let numbers = |r: &Resp| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                b["name"]
                    .as_str()
                    .unwrap()
                    .rsplit(' ')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    };

    let common = page("may tre", None).await;
    common.assert_status(200);
    assert_eq!(common.body["total"], RECORDS);
    assert_eq!(numbers(&common), (1..=50).collect::<Vec<_>>());
    let next = page("may tre", common.body["next_cursor"].as_str().map(Into::into)).await;
    assert_eq!(numbers(&next), (51..=100).collect::<Vec<_>>());

    let rare = page("dan 2099", None).await;
    assert_eq!(rare.body["total"], 1);
    assert_eq!(numbers(&rare), vec![2099]);
    let some = page("dan 209", None).await;
    assert_eq!(
        numbers(&some),
        vec![209, 2090, 2091, 2092, 2093, 2094, 2095, 2096, 2097, 2098, 2099]
    );
    assert!(numbers(&page("may tre dan 0", None).await).is_empty());
}

#[actix_web::test]
async fn filters_by_recorded_pre2025_province_and_flags() {
    let app = TestApp::new();
    let token = ministry(&app);
    // Registered before the reform in old Bắc Giang (24), now in the new Bắc Ninh (also 24).
    let commune = app
        .get("/api/v1/admin-units/communes?province_code=24&limit=1")
        .send()
        .await
        .body["items"][0]["code"]
        .clone();
    let district = app
        .get("/api/v1/admin-units/districts?province_code=24&limit=1")
        .send()
        .await
        .body["items"][0]["code"]
        .clone();
    create(
        &app,
        &token,
        with(
            establishment("Làng nghề mỳ Chũ"),
            json!({"province_code": "24", "commune_code": commune, "recorded_province_code_pre2025": "24", "recorded_district_code_pre2025": district, "in_craft_village": true, "craft_village_name": "Làng nghề mỳ Chũ", "women_owned": true}),
        ),
    )
    .await
    .assert_status(201);
    create(&app, &token, establishment("Cơ sở Hà Nội"))
        .await
        .assert_status(201);

    let total = |path: String| {
        let app = &app;
        let token = &token;
        async move {
            app.get(&path).bearer(token).send().await.body["total"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(
        total("/api/v1/beneficiaries?province_code=24&era=pre2025&include_total=true".into()).await,
        1
    );
    assert_eq!(
        total("/api/v1/beneficiaries?province_code=01&era=pre2025&include_total=true".into()).await,
        0
    );
    assert_eq!(
        total("/api/v1/beneficiaries?in_craft_village=true&include_total=true".into()).await,
        1
    );
    assert_eq!(
        total("/api/v1/beneficiaries?women_owned=false&include_total=true".into()).await,
        1
    );
    assert_eq!(
        total("/api/v1/beneficiaries?status=active&include_total=true".into()).await,
        2
    );

    let bad_district = create(
        &app,
        &token,
        with(
            establishment("Sai huyện"),
            json!({"recorded_province_code_pre2025": "01", "recorded_district_code_pre2025": district}),
        ),
    )
    .await;
    assert_eq!(
        bad_district.field_errors(),
        vec![(
            "recorded_district_code_pre2025".to_owned(),
            "district_not_in_province".to_owned()
        )]
    );
    let no_village_name = create(
        &app,
        &token,
        with(establishment("Thiếu tên làng"), json!({"in_craft_village": true})),
    )
    .await;
    assert_eq!(
        no_village_name.field_errors(),
        vec![(
            "craft_village_name".to_owned(),
            "required_for_craft_village".to_owned()
        )]
    );
}

#[actix_web::test]
async fn province_users_work_only_inside_their_province() {
    let app = TestApp::new();
    let hanoi = app.token_for(&app.user("hn.canbo", Role::Province).province("01").insert());
    let hue = app.token_for(&app.user("hue.canbo", Role::Province).province("46").insert());
    let own = create(&app, &hanoi, establishment("HTX Hà Nội")).await;
    own.assert_status(201);
    let hue_commune = hue_commune(&app).await;
    let theirs = create(
        &app,
        &hue,
        with(
            establishment("HTX Huế"),
            json!({"province_code": "46", "commune_code": hue_commune}),
        ),
    )
    .await;
    theirs.assert_status(201);
    let theirs_id = id_of(&theirs);

    // Creating in another province is refused.
    create(
        &app,
        &hanoi,
        with(
            establishment("HTX lạc tỉnh"),
            json!({"province_code": "46", "commune_code": hue_commune}),
        ),
    )
    .await
    .assert_problem(403, "outside_territory");
    // Reading, listing, editing, merging another province's record: it does not exist for them.
    app.get(&format!("/api/v1/beneficiaries/{theirs_id}"))
        .bearer(&hanoi)
        .send()
        .await
        .assert_problem(404, "not_found");
    let list = app
        .get("/api/v1/beneficiaries?include_total=true")
        .bearer(&hanoi)
        .send()
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["name"], "HTX Hà Nội");
    assert_eq!(
        app.get("/api/v1/beneficiaries?province_code=46&include_total=true")
            .bearer(&hanoi)
            .send()
            .await
            .body["total"],
        0
    );
    app.patch(&format!("/api/v1/beneficiaries/{theirs_id}"))
        .bearer(&hanoi)
        .header("If-Match", "\"1\"")
        .json(json!({"name": "Đổi tên"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/api/v1/beneficiaries/{theirs_id}/merge"))
        .bearer(&hanoi)
        .header("If-Match", "\"1\"")
        .json(json!({"duplicate_id": id_of(&own)}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/api/v1/beneficiaries/{}/merge", id_of(&own)))
        .bearer(&hanoi)
        .header("If-Match", "\"1\"")
        .json(json!({"duplicate_id": theirs_id}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/beneficiaries/{theirs_id}/possible-duplicates"))
        .bearer(&hanoi)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.request(
        actix_web::http::Method::PUT,
        &format!("/api/v1/beneficiaries/{theirs_id}/annual-figures/2024"),
    )
    .bearer(&hanoi)
    .json(json!({"employees": 3}))
    .send()
    .await
    .assert_problem(404, "not_found");

    // Moving a record to another province is a ministry action.
    let moved = app
        .patch(&format!("/api/v1/beneficiaries/{}", id_of(&own)))
        .bearer(&hanoi)
        .header("If-Match", "\"1\"")
        .json(json!({"province_code": "46", "commune_code": hue_commune}))
        .send()
        .await;
    moved.assert_problem(403, "province_move_requires_ministry");
    let ministry = ministry(&app);
    let moved = app
        .patch(&format!("/api/v1/beneficiaries/{}", id_of(&own)))
        .bearer(&ministry)
        .header("If-Match", "\"1\"")
        .json(json!({"province_code": "46", "commune_code": hue_commune}))
        .send()
        .await;
    moved.assert_status(200);
    assert_eq!(moved.body["province_code"], "46");
    app.get(&format!("/api/v1/beneficiaries/{}", id_of(&own)))
        .bearer(&hanoi)
        .send()
        .await
        .assert_problem(404, "not_found");

    // Read-only roles cannot write.
    let auditor = app.token_for(&app.user("kiem.toan", Role::Auditor).insert());
    create(&app, &auditor, establishment("HTX kiểm toán"))
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn personal_data_is_shown_only_to_roles_that_need_it() {
    let app = TestApp::new();
    let hanoi = app.token_for(&app.user("hn.canbo", Role::Province).province("01").insert());
    let created = create(
        &app,
        &hanoi,
        with(
            establishment("Hộ kinh doanh Bánh cuốn Thanh Trì"),
            json!({"legal_form": "household_business", "identifier_type": "household_registration", "identifier_value": "01A8001234", "household_owner_name": "Trần Thị Mai", "representative_phone": "0987654321", "representative_national_id": "001190012345", "phone": "02438251234"}),
        ),
    )
    .await;
    created.assert_status(201);
    assert_eq!(
        created.body["personal_data"]["household_owner_name"],
        "Trần Thị Mai"
    );
    let id = id_of(&created);
    let path = format!("/api/v1/beneficiaries/{id}");

    let ministry = ministry(&app);
    assert_eq!(
        app.get(&path).bearer(&ministry).send().await.body["personal_data"]["representative_national_id"],
        "001190012345"
    );
    for (name, role, commune) in [
        ("kiem.toan", Role::Auditor, None),
        ("xa.badinh", Role::Commune, Some("00004")),
    ] {
        let mut builder = app.user(name, role);
        if let Some(code) = commune {
            builder = builder.commune(code);
        }
        let token = app.token_for(&builder.insert());
        let single = app.get(&path).bearer(&token).send().await;
        single.assert_status(200);
        assert!(
            single.body.get("personal_data").is_none(),
            "{name}: {}",
            single.text
        );
        assert!(
            !single.text.contains("Trần Thị Mai") && !single.text.contains("001190012345"),
            "{name}"
        );
        assert_eq!(
            single.body["phone"], "02438251234",
            "the business phone is not personal"
        );
        let list = app.get("/api/v1/beneficiaries").bearer(&token).send().await;
        assert!(!list.text.contains("001190012345"), "{name} list");
    }
    let list = app.get("/api/v1/beneficiaries").bearer(&hanoi).send().await;
    assert_eq!(
        list.body["items"][0]["personal_data"]["representative_phone"],
        "0987654321"
    );

    // Personal data stays out of the audit log; only which fields changed is recorded.
    app.patch(&path)
        .bearer(&hanoi)
        .header("If-Match", "\"1\"")
        .json(json!({"representative_phone": "0911111111"}))
        .send()
        .await
        .assert_status(200);
    let (_, admin) = app.admin();
    let events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=beneficiary&entity_id={id}"
        ))
        .bearer(&admin)
        .send()
        .await;
    assert!(
        !events.text.contains("001190012345") && !events.text.contains("0911111111"),
        "{}",
        events.text
    );
    assert_eq!(
        events.body["items"][0]["after"]["personal_data_changed"],
        json!(["representative_phone"])
    );

    // Personal data is removable.
    let cleared = app
        .patch(&path)
        .bearer(&hanoi)
        .header("If-Match", "\"2\"")
        .json(json!({"representative_national_id": null}))
        .send()
        .await;
    assert_eq!(
        cleared.body["personal_data"]["representative_national_id"],
        Value::Null
    );
    assert_eq!(
        cleared.body["personal_data"]["household_owner_name"],
        "Trần Thị Mai"
    );
}

#[actix_web::test]
async fn patch_needs_if_match_and_every_mutation_is_audited() {
    let app = TestApp::new();
    let token = ministry(&app);
    let created = create(&app, &token, establishment("HTX Dệt Vạn Phúc")).await;
    let id = id_of(&created);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let path = format!("/api/v1/beneficiaries/{id}");

    app.patch(&path)
        .bearer(&token)
        .json(json!({"employees": 12}))
        .send()
        .await
        .assert_problem(428, "if_match_required");
    let updated = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"employees": 12, "size_class": "micro"}))
        .send()
        .await;
    updated.assert_status(200);
    assert_eq!(updated.body["employees"], 12);
    assert_eq!(updated.header("etag"), Some("\"2\""));
    let stale = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"1\"")
        .json(json!({"employees": 99}))
        .send()
        .await;
    stale.assert_problem(412, "version_mismatch");
    assert_eq!(app.get(&path).bearer(&token).send().await.body["employees"], 12);
    app.patch(&path)
        .bearer(&token)
        .header("If-Match", "\"2\"")
        .json(json!({"status": "merged"}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let invalid = app
        .patch(&path)
        .bearer(&token)
        .header("If-Match", "\"2\"")
        .json(json!({"employees": -5, "founding_year": 1700}))
        .send()
        .await;
    let mut fields: Vec<String> = invalid.field_errors().into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(fields, vec!["employees", "founding_year"]);

    let figures_path = format!("{path}/annual-figures/2024");
    let put = |if_match: Option<&str>, body: Value| {
        let mut request = app
            .request(actix_web::http::Method::PUT, &figures_path)
            .bearer(&token)
            .json(body);
        if let Some(value) = if_match {
            request = request.header("If-Match", value);
        }
        request.send()
    };
    let created_figures = put(
        None,
        json!({"revenue_vnd": 2_500_000_000i64, "employees": 12, "average_income_vnd": 6_500_000}),
    )
    .await;
    created_figures.assert_status(201);
    put(None, json!({"revenue_vnd": 1}))
        .await
        .assert_problem(428, "if_match_required");
    let replaced = put(Some("\"1\""), json!({"revenue_vnd": 2_700_000_000i64})).await;
    replaced.assert_status(200);
    assert_eq!(replaced.body["version"], 2);
    let absurd = put(Some("\"2\""), json!({"revenue_vnd": -1, "average_income_vnd": 5_000_000_000i64, "total_assets_vnd": 1_000_000_000_000_000i64})).await;
    absurd.assert_problem(422, "validation_failed");
    let mut fields: Vec<String> = absurd.field_errors().into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(
        fields,
        vec!["average_income_vnd", "revenue_vnd", "total_assets_vnd"]
    );
    app.request(
        actix_web::http::Method::PUT,
        &format!("{path}/annual-figures/2099"),
    )
    .bearer(&token)
    .json(json!({"employees": 1}))
    .send()
    .await
    .assert_problem(422, "validation_failed");

    let (_, admin) = app.admin();
    let record_events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=beneficiary&entity_id={id}"
        ))
        .bearer(&admin)
        .send()
        .await;
    let actions: Vec<&str> = record_events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["update", "create"],
        "rejected changes leave no event"
    );
    let figure_events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=beneficiary_annual_figures&entity_id={id}/2024"
        ))
        .bearer(&admin)
        .send()
        .await;
    let actions: Vec<&str> = figure_events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["update", "create"]);
    assert_eq!(
        figure_events.body["items"][0]["before"]["revenue_vnd"],
        2_500_000_000i64
    );
}

#[actix_web::test]
async fn reference_enums_list_beneficiary_codes() {
    let app = TestApp::new();
    let enums = app.get("/api/v1/reference/enums").send().await;
    let codes = |name: &str| -> Vec<String> {
        enums.body[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        codes("legal_form"),
        vec![
            "enterprise",
            "cooperative",
            "cooperative_union",
            "cooperative_group",
            "household_business",
            "artisan"
        ]
    );
    assert_eq!(
        codes("identifier_type"),
        vec!["tax_code", "cooperative_code", "household_registration", "none"]
    );
    assert_eq!(codes("beneficiary_status"), vec!["active", "inactive", "merged"]);
    assert_eq!(codes("beneficiary_flag").len(), 4);
}

/// A representative's phone is personal data: matching on it must not tell a caller who may not
/// read it that another record's public phone equals it.
#[actix_web::test]
async fn duplicate_detection_does_not_disclose_personal_phones() {
    let app = TestApp::new();
    let token = ministry(&app);
    let auditor = app.token_for(&app.user("kiem.toan", Role::Auditor).insert());
    let personal = create(
        &app,
        &token,
        with(
            establishment("Cơ sở Gốm Chu Đậu"),
            json!({"representative_phone": "0987 654 321"}),
        ),
    )
    .await;
    personal.assert_status(201);
    let public = create(
        &app,
        &token,
        with(
            establishment("Xưởng Sơn mài Hạ Thái"),
            json!({"phone": "+84 987654321"}),
        ),
    )
    .await;
    public.assert_status(201);
    let duplicates_of = |id: i64, token: String| {
        let app = &app;
        async move {
            let listed = app
                .get(&format!("/api/v1/beneficiaries/{id}/possible-duplicates"))
                .bearer(&token)
                .send()
                .await;
            listed.assert_status(200);
            listed.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["beneficiary_id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    // Those who may read personal data see the match, from either side.
    assert_eq!(
        duplicates_of(id_of(&personal), token.clone()).await,
        vec![id_of(&public)]
    );
    assert_eq!(
        duplicates_of(id_of(&public), token.clone()).await,
        vec![id_of(&personal)]
    );
    // Those who may not, do not.
    assert_eq!(
        duplicates_of(id_of(&personal), auditor.clone()).await,
        Vec::<i64>::new()
    );
    assert_eq!(duplicates_of(id_of(&public), auditor).await, Vec::<i64>::new());
}

/// Across provinces, a taken identifier is refused without revealing the record that holds it,
/// and the attempt is audited.
#[actix_web::test]
async fn a_taken_identifier_in_another_province_reveals_nothing_of_the_record() {
    let app = TestApp::new();
    let (_, admin) = app.admin();
    let hanoi = app.token_for(&app.user("hn.thue", Role::Province).province("01").insert());
    let hue = app.token_for(&app.user("hue.thue", Role::Province).province("46").insert());
    let taxed =
        json!({"legal_form": "enterprise", "identifier_type": "tax_code", "identifier_value": TAX_CODE});
    let held = create(
        &app,
        &hanoi,
        with(establishment("Công ty Gốm Bát Tràng"), taxed.clone()),
    )
    .await;
    held.assert_status(201);

    let hue_commune = hue_commune(&app).await;
    let probe = app
        .post("/api/v1/beneficiaries")
        .bearer(&hue)
        .header("Accept-Language", "en")
        .json(with(
            with(establishment("Công ty Thăm dò"), taxed.clone()),
            json!({"province_code": "46", "commune_code": hue_commune}),
        ))
        .send()
        .await;
    probe.assert_problem(409, "duplicate_identifier");
    assert!(probe.body.get("existing_id").is_none(), "{}", probe.text);
    let id = id_of(&held).to_string();
    assert!(
        !probe.body["detail"].as_str().unwrap().contains(&id),
        "{}",
        probe.text
    );
    assert!(!probe.text.contains("Gốm Bát Tràng"), "{}", probe.text);

    // Within the province, the holder is named so the user can go to it.
    let same_province = create(&app, &hanoi, with(establishment("Công ty Gốm khác"), taxed)).await;
    same_province.assert_problem(409, "duplicate_identifier");
    assert_eq!(same_province.body["existing_id"], id_of(&held));

    let events = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=beneficiary&entity_id={id}&action=duplicate_identifier_refused"
        ))
        .bearer(&admin)
        .send()
        .await;
    events.assert_status(200);
    let items = events.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", events.text);
    assert_eq!(items[0]["after"]["attempted_province_code"], "46");
}

#[actix_web::test]
async fn invisible_characters_neither_hide_a_name_nor_are_stored() {
    let app = TestApp::new();
    let token = ministry(&app);
    let created = create(
        &app,
        &token,
        establishment("\u{feff}Gốm\u{200b}Bát Tràng\u{200d}"),
    )
    .await;
    created.assert_status(201);
    assert_eq!(created.body["name"], "Gốm Bát Tràng");
    let found = app
        .get("/api/v1/beneficiaries?q=gom%20bat%20trang")
        .bearer(&token)
        .send()
        .await;
    found.assert_status(200);
    assert_eq!(found.body["items"][0]["id"], created.body["id"], "{}", found.text);
    let typed_with_one = app
        .get("/api/v1/beneficiaries?q=G%E1%BB%91m%E2%80%8BB%C3%A1t")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        typed_with_one.body["items"][0]["id"], created.body["id"],
        "{}",
        typed_with_one.text
    );
}

/// Two first writes of one year at once get the answers they would get one after the other: one
/// creates, the other is told to send If-Match, never a bare duplicate error.
#[actix_web::test]
async fn concurrent_first_writes_of_a_year_answer_as_if_serial() {
    let app = TestApp::new();
    let token = ministry(&app);
    let id = id_of(&create(&app, &token, establishment("HTX Dệt Vạn Phúc")).await);
    let service = actix_web::test::init_service(khuyencong::build_app(app.state.clone())).await;
    for year in [2021, 2022, 2023] {
        let requests = (0..6).map(|i| {
            let request = actix_web::test::TestRequest::put()
                .uri(&format!("/api/v1/beneficiaries/{id}/annual-figures/{year}"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .set_json(json!({"revenue_vnd": 1_000_000_000 + i}))
                .to_request();
            actix_web::test::call_service(&service, request)
        });
        let statuses: Vec<u16> = futures_util::future::join_all(requests)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{year}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [201, 428].contains(s)),
            "{year}: {statuses:?}"
        );
    }
}

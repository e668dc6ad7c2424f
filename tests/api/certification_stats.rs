//! Certification figures, worked out by hand from two selection rounds and three certificates
//! recorded from before the registry.

use serde_json::{Value, json};

use crate::certification::{World, split};
use crate::contract::assert_documented;
use crate::support::Resp;
use khuyencong::auth::Role;

/// In phường Đức Xuân (Thái Nguyên, 19): the cooperative X with its furniture set P1 (handicraft)
/// and the household Y with dried vermicelli P2 (agro-food). In Hà Nội (01): Z with rice paper P3
/// (agro-food).
///
/// - The 2026 commune round receives P1 (judges' totals 86, 77, 70: qualifies, recognised) and P2
///   (70, 69, 70: an average of 69.67, short of 70).
/// - The 2026 provincial round receives P1 on its commune certificate (a nomination), unscored.
/// - Recorded from before: P3's provincial certificate of 2019 (expired at the end of 2021) and
///   P1's provincial certificate of 2025, revoked.
async fn record_rounds() -> World {
    let w = World::new().await;
    let household = w
        .establishment(
            "Hộ kinh doanh miến dong Đức Xuân",
            json!({"province_code": "19", "commune_code": "01840"}),
        )
        .await;
    let vermicelli = product(&w, household, "Miến dong Đức Xuân", "agro_food_processing").await;
    let hanoi = w
        .establishment(
            "Cơ sở bánh đa Phú Đô",
            json!({"province_code": "01", "commune_code": "00004"}),
        )
        .await;
    let rice_paper = product(&w, hanoi, "Bánh đa nem Phú Đô", "agro_food_processing").await;

    let commune_round = w
        .open_round(
            &w.commune,
            json!({"level": "commune", "year": 2026, "title": "Bình chọn cấp xã 2026", "commune_code": "01840"}),
        )
        .await;
    let mut entries = Vec::new();
    for product in [w.product, vermicelli] {
        let entry = w.enter(&w.commune, commune_round, product).await;
        entry.assert_status(201);
        entries.push(entry.body["id"].as_i64().unwrap());
    }
    let jury: Vec<i64> = w.judges[..3].iter().map(|(id, _)| *id).collect();
    w.set_judges(&w.commune, commune_round, &jury)
        .await
        .assert_status(200);
    w.step(&w.commune, commune_round, "start_scoring")
        .await
        .assert_status(200);
    for (entry, totals) in entries.iter().zip([[86, 77, 70], [70, 69, 70]]) {
        for ((_, judge), total) in w.judges[..3].iter().zip(totals) {
            w.score(judge, commune_round, *entry, split(total))
                .await
                .assert_status(200);
        }
    }
    w.step(&w.commune, commune_round, "close")
        .await
        .assert_status(200);
    w.recognise(&w.commune, commune_round, &entries[..1])
        .await
        .assert_status(200);

    let province_round = w
        .open_round(
            &w.province,
            json!({"level": "province", "year": 2026, "title": "Bình chọn cấp tỉnh Thái Nguyên 2026", "province_code": "19"}),
        )
        .await;
    w.enter(&w.province, province_round, w.product)
        .await
        .assert_status(201);

    legacy(&w, &w.other_province, "15-QD-UBND-2019", rice_paper, 2019, "01").await;
    let revoked = legacy(&w, &w.province, "125-QD-UBND-2025", w.product, 2025, "19").await;
    w.app
        .post(&format!("/api/v1/certificates/{revoked}/revocation"))
        .bearer(&w.province)
        .json(json!({"reason": "Sản phẩm không còn đáp ứng tiêu chí", "decision_number": "15/QĐ-UBND"}))
        .send()
        .await
        .assert_status(200);
    w
}

async fn product(w: &World, establishment: i64, name: &str, group: &str) -> i64 {
    let created = w
        .app
        .post("/api/v1/products")
        .bearer(&w.ministry)
        .json(json!({"beneficiary_id": establishment, "name": name, "product_group": group, "is_set": false}))
        .send()
        .await;
    created.assert_status(201);
    created.body["id"].as_i64().unwrap()
}

async fn legacy(w: &World, token: &str, number: &str, product: i64, year: i64, province: &str) -> i64 {
    let recorded = w
        .app
        .post("/api/v1/certificates")
        .bearer(token)
        .json(json!({
            "number": number,
            "level": "province",
            "year": year,
            "product_id": product,
            "decision_number": number.replace('-', "/"),
            "issued_on": format!("{year}-10-20"),
            "province_code": province,
        }))
        .send()
        .await;
    recorded.assert_status(201);
    recorded.body["id"].as_i64().unwrap()
}

async fn stats(w: &World, token: Option<&str>, path: &str) -> Resp {
    let mut request = w.app.get(path);
    if let Some(token) = token {
        request = request.bearer(token);
    }
    request.send().await
}

/// (dossiers, establishments, scored, qualifying, recognised, nominated, certificates issued,
/// active, expired, revoked)
fn measures(line: &Value) -> [i64; 10] {
    [
        "dossiers_received",
        "distinct_establishments",
        "entries_scored",
        "entries_qualifying",
        "products_recognised",
        "nominations_to_next_level",
        "certificates_issued",
        "certificates_active",
        "certificates_expired",
        "certificates_revoked",
    ]
    .map(|name| line[name].as_i64().unwrap())
}

fn groups(resp: &Resp) -> Vec<(Value, [i64; 10])> {
    resp.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].clone(), measures(g)))
        .collect()
}

#[actix_web::test]
async fn certification_figures_count_entries_and_certificates_by_level_province_and_group() {
    let w = record_rounds().await;
    let path = "/api/v1/stats/certification";

    let all = stats(&w, Some(&w.ministry), path).await;
    all.assert_status(200);
    assert_documented("get", path, &all);
    assert_eq!(all.body["groups"], json!([]));
    assert_eq!(measures(&all.body["total"]), [3, 2, 2, 1, 1, 1, 3, 1, 1, 1]);

    let by_level = stats(&w, Some(&w.ministry), &format!("{path}?group_by=level")).await;
    assert_eq!(
        groups(&by_level),
        vec![
            (json!({"level": "commune"}), [2, 2, 2, 1, 1, 1, 1, 1, 0, 0]),
            (json!({"level": "province"}), [1, 1, 0, 0, 0, 0, 2, 0, 1, 1]),
        ]
    );
    // The groups add up to the total but for the establishments: one has entries at both levels.
    assert_eq!(measures(&by_level.body["total"]), [3, 2, 2, 1, 1, 1, 3, 1, 1, 1]);

    // P1's establishment has entries in both handicraft lines but counts once in the total.
    let auditor = w.app.token_for(&w.app.user("kiem.toan", Role::Auditor).insert());
    let by_province = stats(
        &w,
        Some(&auditor),
        &format!("{path}?group_by=province,product_group"),
    )
    .await;
    by_province.assert_status(200);
    assert_eq!(
        groups(&by_province),
        vec![
            (
                json!({"province_code": "01", "province_name": "Hà Nội", "product_group": "agro_food_processing"}),
                [0, 0, 0, 0, 0, 0, 1, 0, 1, 0]
            ),
            (
                json!({"province_code": "19", "province_name": "Thái Nguyên", "product_group": "agro_food_processing"}),
                [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
            ),
            (
                json!({"province_code": "19", "province_name": "Thái Nguyên", "product_group": "handicraft"}),
                [2, 1, 1, 1, 1, 1, 2, 1, 0, 1]
            ),
        ]
    );
    assert_eq!(
        measures(&by_province.body["total"]),
        [3, 2, 2, 1, 1, 1, 3, 1, 1, 1]
    );

    // Filters.
    let recent = stats(
        &w,
        Some(&w.ministry),
        &format!("{path}?year_from=2026&group_by=year"),
    )
    .await;
    assert_eq!(
        groups(&recent),
        vec![(json!({"year": 2026}), [3, 2, 2, 1, 1, 1, 1, 1, 0, 0])]
    );
    let provincial = stats(
        &w,
        Some(&w.ministry),
        &format!("{path}?level=province&region=bac"),
    )
    .await;
    assert_eq!(
        measures(&provincial.body["total"]),
        [1, 1, 0, 0, 0, 0, 2, 0, 1, 1]
    );
    let south = stats(
        &w,
        Some(&w.ministry),
        &format!("{path}?region=nam&product_group=handicraft"),
    )
    .await;
    assert_eq!(measures(&south.body["total"]), [0; 10]);

    // Province staff: their own province; another is not found.
    let hanoi = stats(&w, Some(&w.other_province), path).await;
    assert_eq!(measures(&hanoi.body["total"]), [0, 0, 0, 0, 0, 0, 1, 0, 1, 0]);
    stats(&w, Some(&w.other_province), &format!("{path}?province_code=19"))
        .await
        .assert_problem(404, "not_found");
    let judge = w.app.token_for(&w.app.user("thu.ky", Role::Judge).insert());
    stats(&w, Some(&judge), path)
        .await
        .assert_problem(403, "forbidden");
    stats(&w, None, path).await.assert_status(401);
    for query in [
        "?group_by=commune",
        "?level=hamlet",
        "?year_to=1999",
        "?colour=red",
    ] {
        stats(&w, Some(&w.ministry), &format!("{path}{query}"))
            .await
            .assert_problem(400, "invalid_query");
    }
}

#[actix_web::test]
async fn public_certification_figures_need_no_account_and_are_kept_with_an_etag() {
    let w = record_rounds().await;
    let path = "/api/v1/public/stats/certification?group_by=level";

    let public = stats(&w, None, path).await;
    public.assert_status(200);
    assert_documented("get", "/api/v1/public/stats/certification", &public);
    let signed_in = stats(
        &w,
        Some(&w.ministry),
        "/api/v1/stats/certification?group_by=level",
    )
    .await;
    assert_eq!(public.body["groups"], signed_in.body["groups"]);
    assert_eq!(public.body["total"], signed_in.body["total"]);
    assert!(public.header("ratelimit-remaining").is_some());
    let tag = public.header("etag").unwrap().to_owned();
    w.app
        .get(path)
        .header("If-None-Match", &tag)
        .send()
        .await
        .assert_status(304);

    // A change through this instance shows at once.
    let tea_maker = w
        .establishment(
            "Hợp tác xã chè Tân Cương",
            json!({"province_code": "19", "commune_code": "01840"}),
        )
        .await;
    let tea = product(&w, tea_maker, "Chè búp Tân Cương", "agro_food_processing").await;
    legacy(&w, &w.province, "7-QD-UBND-2026", tea, 2026, "19").await;
    let after = stats(&w, None, path).await;
    assert_ne!(after.header("etag").unwrap(), tag);
    assert_eq!(measures(&after.body["total"])[6], 4);

    let hanoi = stats(&w, None, "/api/v1/public/stats/certification?province_code=01").await;
    assert_eq!(measures(&hanoi.body["total"]), [0, 0, 0, 0, 0, 0, 1, 0, 1, 0]);
    stats(&w, None, "/api/v1/public/stats/certification?group_by=owner")
        .await
        .assert_problem(400, "invalid_query");
}

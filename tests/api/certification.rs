//! Product certification from a commune round to a national certificate, and every way a product,
//! a judge or an organiser is refused on the way.

use serde_json::{Value, json};

use khuyencong::auth::Role;

use crate::contract::assert_documented;
use crate::support::{Resp, TestApp};

/// A registry with the people a selection needs: the ministry, staff of Thái Nguyên (19), of Hà
/// Nội (01) and of Quảng Trị (44), the staff of phường Đức Xuân (01840, in Thái Nguyên; before
/// 2025 in Bắc Kạn, 06), four judges, and an establishment of Đức Xuân with a product.
pub struct World {
    pub app: TestApp,
    pub ministry: String,
    pub province: String,
    pub other_province: String,
    pub quang_tri: String,
    pub commune: String,
    pub judges: Vec<(i64, String)>,
    pub establishment: i64,
    pub product: i64,
}

impl World {
    pub async fn new() -> World {
        let app = TestApp::new();
        let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
        let province = app.token_for(&app.user("tn.kc", Role::Province).province("19").insert());
        let other_province = app.token_for(&app.user("hn.kc", Role::Province).province("01").insert());
        let quang_tri = app.token_for(&app.user("qt.kc", Role::Province).province("44").insert());
        let commune = app.token_for(&app.user("ducxuan", Role::Commune).commune("01840").insert());
        let judges = (1..=4)
            .map(|i| {
                let user = app.user(&format!("giam.khao{i}"), Role::Judge).insert();
                (user.id, app.token_for(&user))
            })
            .collect();
        let mut world = World {
            app,
            ministry,
            province,
            other_province,
            quang_tri,
            commune,
            judges,
            establishment: 0,
            product: 0,
        };
        world.establishment = world
            .establishment(
                "Hợp tác xã Mây tre đan Đức Xuân",
                json!({"province_code": "19", "commune_code": "01840", "recorded_province_code_pre2025": "06"}),
            )
            .await;
        world.product = world.product(world.establishment, "Bộ bàn ghế mây tre đan").await;
        world
    }

    pub async fn establishment(&self, name: &str, units: Value) -> i64 {
        let mut body = json!({"name": name, "legal_form": "cooperative_group", "identifier_type": "none"});
        for (k, v) in units.as_object().unwrap() {
            body[k] = v.clone();
        }
        let created = self
            .app
            .post("/api/v1/beneficiaries")
            .bearer(&self.ministry)
            .json(body)
            .send()
            .await;
        created.assert_status(201);
        created.body["id"].as_i64().unwrap()
    }

    pub async fn product(&self, establishment: i64, name: &str) -> i64 {
        let created = self
            .app
            .post("/api/v1/products")
            .bearer(&self.ministry)
            .json(json!({
                "beneficiary_id": establishment,
                "name": name,
                "product_group": "handicraft",
                "is_set": true,
                "quality_standards": ["TCVN 10573:2014"],
                "photos": [{"url": "https://anh.example.vn/ban-ghe.jpg", "sha256": "ab".repeat(32)}],
            }))
            .send()
            .await;
        created.assert_status(201);
        created.body["id"].as_i64().unwrap()
    }

    pub async fn round(&self, token: &str, body: Value) -> Resp {
        self.app
            .post("/api/v1/selection-rounds")
            .bearer(token)
            .json(body)
            .send()
            .await
    }

    pub async fn open_round(&self, token: &str, body: Value) -> i64 {
        let created = self.round(token, body).await;
        created.assert_status(201);
        created.body["id"].as_i64().unwrap()
    }

    pub async fn enter(&self, token: &str, round: i64, product: i64) -> Resp {
        self.app
            .post(&format!("/api/v1/selection-rounds/{round}/entries"))
            .bearer(token)
            .json(json!({"product_id": product}))
            .send()
            .await
    }

    pub async fn etag(&self, round: i64) -> String {
        let read = self
            .app
            .get(&format!("/api/v1/selection-rounds/{round}"))
            .bearer(&self.ministry)
            .send()
            .await;
        read.assert_status(200);
        read.header("etag").unwrap().to_owned()
    }

    pub async fn step(&self, token: &str, round: i64, action: &str) -> Resp {
        let etag = self.etag(round).await;
        self.app
            .post(&format!("/api/v1/selection-rounds/{round}/transitions"))
            .bearer(token)
            .header("If-Match", &etag)
            .json(json!({"action": action}))
            .send()
            .await
    }

    pub async fn set_judges(&self, token: &str, round: i64, ids: &[i64]) -> Resp {
        self.app
            .put(&format!("/api/v1/selection-rounds/{round}/judges"))
            .bearer(token)
            .json(json!({"judge_ids": ids}))
            .send()
            .await
    }

    pub async fn score(&self, token: &str, round: i64, entry: i64, points: [i64; 4]) -> Resp {
        self.app
            .put(&format!(
                "/api/v1/selection-rounds/{round}/entries/{entry}/scores"
            ))
            .bearer(token)
            .json(json!({
                "market": points[0],
                "economic_technical_social_environmental": points[1],
                "cultural_aesthetic": points[2],
                "other": points[3],
            }))
            .send()
            .await
    }

    pub async fn recognise(&self, token: &str, round: i64, entries: &[i64]) -> Resp {
        let etag = self.etag(round).await;
        self.app
            .post(&format!("/api/v1/selection-rounds/{round}/recognition"))
            .bearer(token)
            .header("If-Match", &etag)
            .json(json!({
                "decision_number": "2150/QĐ-UBND",
                "decision_date": today(),
                "entry_ids": entries,
            }))
            .send()
            .await
    }

    /// Runs an open round of `token`'s with `product` entered by `entrant`: the first three judges
    /// score it with `totals` split over the criteria, the round closes and the entry is
    /// recognised. Returns the certificate.
    pub async fn certify(
        &self,
        token: &str,
        entrant: &str,
        round: i64,
        product: i64,
        totals: [i64; 3],
    ) -> Value {
        let entry = self.enter(entrant, round, product).await;
        entry.assert_status(201);
        let entry = entry.body["id"].as_i64().unwrap();
        let jury: Vec<i64> = self.judges[..3].iter().map(|(id, _)| *id).collect();
        self.set_judges(token, round, &jury).await.assert_status(200);
        self.step(token, round, "start_scoring").await.assert_status(200);
        for ((_, judge), total) in self.judges[..3].iter().zip(totals) {
            self.score(judge, round, entry, split(total))
                .await
                .assert_status(200);
        }
        self.step(token, round, "close").await.assert_status(200);
        let recognised = self.recognise(token, round, &[entry]).await;
        recognised.assert_status(200);
        assert_eq!(recognised.body["round"]["status"], "published");
        recognised.body["certificates"][0].clone()
    }
}

pub fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// Points over the four criteria adding up to `total` (market 40, ETSE 40, cultural 10, other 10).
pub fn split(total: i64) -> [i64; 4] {
    let market = (total * 4 / 10).min(40);
    let etse = ((total - market) * 4 / 6).min(40);
    let cultural = ((total - market - etse) / 2).min(10);
    [market, etse, cultural, total - market - etse - cultural]
}

#[actix_web::test]
async fn a_product_goes_from_a_commune_round_to_a_national_certificate_verified_by_anyone() {
    let w = World::new().await;

    // Commune round, organised by the commune's staff.
    let commune_round = w
        .open_round(
            &w.commune,
            json!({"level": "commune", "year": 2026, "title": "Bình chọn cấp xã 2026", "commune_code": "01840"}),
        )
        .await;
    let entry = w.enter(&w.commune, commune_round, w.product).await;
    entry.assert_status(201);
    assert_documented("post", "/api/v1/selection-rounds/{id}/entries", &entry);
    let entry_id = entry.body["id"].as_i64().unwrap();
    assert_eq!(entry.body["basis_certificate_id"], Value::Null);
    assert_eq!(entry.body["average_total"], Value::Null);

    let jury: Vec<i64> = w.judges[..3].iter().map(|(id, _)| *id).collect();
    w.set_judges(&w.commune, commune_round, &jury)
        .await
        .assert_status(200);
    w.step(&w.commune, commune_round, "start_scoring")
        .await
        .assert_status(200);
    for ((_, judge), points) in w.judges[..3]
        .iter()
        .zip([[35, 35, 8, 8], [30, 32, 7, 8], [28, 30, 6, 6]])
    {
        let scored = w.score(judge, commune_round, entry_id, points).await;
        scored.assert_status(200);
        assert_documented(
            "put",
            "/api/v1/selection-rounds/{id}/entries/{entry_id}/scores",
            &scored,
        );
    }
    // A judge sees its own scores only; the organiser sees the three.
    let own = w
        .app
        .get(&format!(
            "/api/v1/selection-rounds/{commune_round}/entries/{entry_id}"
        ))
        .bearer(&w.judges[0].1)
        .send()
        .await;
    own.assert_status(200);
    assert_eq!(own.body["scores"].as_array().unwrap().len(), 1);
    assert_eq!(own.body["scores"][0]["total"], 86);
    let listed = w
        .app
        .get(&format!("/api/v1/selection-rounds/{commune_round}/entries"))
        .bearer(&w.commune)
        .send()
        .await;
    listed.assert_status(200);
    assert_documented("get", "/api/v1/selection-rounds/{id}/entries", &listed);
    let item = &listed.body["items"][0];
    assert_eq!(item["judges_scored"], 3);
    assert_eq!(item["scores"].as_array().unwrap().len(), 3);
    assert_eq!(item["average_total"], 77.67); // (86 + 77 + 70) / 3
    assert_eq!(item["rank"], 1);
    assert_eq!(item["qualifies"], true);

    w.step(&w.commune, commune_round, "close")
        .await
        .assert_status(200);
    let recognised = w.recognise(&w.commune, commune_round, &[entry_id]).await;
    recognised.assert_status(200);
    assert_documented("post", "/api/v1/selection-rounds/{id}/recognition", &recognised);
    let commune_certificate = &recognised.body["certificates"][0];
    assert_eq!(commune_certificate["number"], "XA-2026-01840-0001");
    assert_eq!(commune_certificate["level"], "commune");
    assert_eq!(commune_certificate["status"], "active");
    assert_eq!(commune_certificate["valid_until"], "2028-12-31");
    assert_eq!(commune_certificate["region_code"], "bac");
    assert_eq!(recognised.body["round"]["status"], "published");
    assert_eq!(recognised.body["round"]["summary"]["entries_recognised"], 1);
    let entry_now = w
        .app
        .get(&format!(
            "/api/v1/selection-rounds/{commune_round}/entries/{entry_id}"
        ))
        .bearer(&w.commune)
        .send()
        .await;
    assert_eq!(entry_now.body["recognised"], true);
    assert_eq!(entry_now.body["certificate_id"], commune_certificate["id"]);

    // Province round: the commune certificate lets the product in.
    let province_round = w
        .open_round(
            &w.province,
            json!({"level": "province", "year": 2026, "title": "Bình chọn cấp tỉnh Thái Nguyên 2026", "province_code": "19", "decision_number": "120/QĐ-UBND", "decision_date": "2026-03-02"}),
        )
        .await;
    let province_entry = w.enter(&w.province, province_round, w.product).await;
    province_entry.assert_status(201);
    assert_eq!(
        province_entry.body["basis_certificate_id"],
        commune_certificate["id"]
    );
    w.enter(&w.province, province_round, w.product)
        .await
        .assert_problem(422, "validation_failed");
    let province_entry = province_entry.body["id"].as_i64().unwrap();
    w.app
        .delete(&format!(
            "/api/v1/selection-rounds/{province_round}/entries/{province_entry}"
        ))
        .bearer(&w.province)
        .send()
        .await
        .assert_status(204);
    let province_certificate = w
        .certify(&w.province, &w.province, province_round, w.product, [90, 85, 80])
        .await;
    assert_eq!(province_certificate["number"], "TINH-2026-19-0001");

    // The commune round now counts one nomination to the next level. Another province does not see
    // the round at all.
    w.app
        .get(&format!("/api/v1/selection-rounds/{commune_round}"))
        .bearer(&w.other_province)
        .send()
        .await
        .assert_problem(404, "not_found");
    let commune_view = w
        .app
        .get(&format!("/api/v1/selection-rounds/{commune_round}"))
        .bearer(&w.ministry)
        .send()
        .await;
    commune_view.assert_status(200);
    assert_documented("get", "/api/v1/selection-rounds/{id}", &commune_view);
    assert_eq!(
        commune_view.body["summary"],
        json!({
            "dossiers_received": 1,
            "distinct_establishments": 1,
            "entries_scored": 1,
            "entries_qualifying": 1,
            "entries_recognised": 1,
            "nominations_to_next_level": 1,
        })
    );

    // Region round (the ministry's): the province nominates; eligible products list it first.
    let region_round = w
        .open_round(
            &w.ministry,
            json!({"level": "region", "year": 2026, "title": "Bình chọn khu vực phía Bắc 2026", "region_code": "bac"}),
        )
        .await;
    let eligible = w
        .app
        .get(&format!(
            "/api/v1/selection-rounds/{region_round}/eligible-products"
        ))
        .bearer(&w.ministry)
        .send()
        .await;
    eligible.assert_status(200);
    assert_documented(
        "get",
        "/api/v1/selection-rounds/{id}/eligible-products",
        &eligible,
    );
    assert_eq!(eligible.body["items"][0]["product_id"], w.product);
    assert_eq!(
        eligible.body["items"][0]["certificate_number"],
        "TINH-2026-19-0001"
    );
    let region_certificate = w
        .certify(&w.ministry, &w.province, region_round, w.product, [80, 82, 78])
        .await;
    assert_eq!(region_certificate["number"], "KV-2026-BAC-0001");
    let after = w
        .app
        .get(&format!(
            "/api/v1/selection-rounds/{region_round}/eligible-products"
        ))
        .bearer(&w.ministry)
        .send()
        .await;
    assert_eq!(
        after.body["items"],
        json!([]),
        "an entered product is no longer eligible"
    );

    // National round.
    let national_round = w
        .open_round(
            &w.ministry,
            json!({"level": "national", "year": 2026, "title": "Bình chọn cấp quốc gia 2026"}),
        )
        .await;
    let national_certificate = w
        .certify(&w.ministry, &w.ministry, national_round, w.product, [92, 88, 90])
        .await;
    let number = national_certificate["number"].as_str().unwrap().to_owned();
    assert_eq!(number, "QG-2026-VN-0001");

    // Anyone verifies it, without signing in.
    let verified = w
        .app
        .get(&format!("/api/v1/public/certificates/{number}"))
        .send()
        .await;
    verified.assert_status(200);
    assert_documented("get", "/api/v1/public/certificates/{number}", &verified);
    assert_eq!(verified.body["status"], "active");
    assert_eq!(verified.body["level"], "national");
    assert_eq!(verified.body["product_name"], "Bộ bàn ghế mây tre đan");
    assert_eq!(
        verified.body["establishment_name"],
        "Hợp tác xã Mây tre đan Đức Xuân"
    );
    assert_eq!(verified.body["province_code"], "19");
    assert_eq!(verified.body["province_name"], "Thái Nguyên");
    assert!(verified.header("cache-control").unwrap().contains("max-age"));
    assert!(verified.header("ratelimit-remaining").is_some());
    let etag = verified.header("etag").unwrap().to_owned();
    let again = w
        .app
        .get(&format!("/api/v1/public/certificates/{number}"))
        .header("If-None-Match", &etag)
        .send()
        .await;
    again.assert_status(304);
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    let catalogue = w
        .app
        .get("/api/v1/public/products?q=may%20tre&level=national")
        .send()
        .await;
    catalogue.assert_status(200);
    assert_documented("get", "/api/v1/public/products", &catalogue);
    assert_eq!(catalogue.body["items"][0]["product_id"], w.product);
    assert_eq!(catalogue.body["items"][0]["certificates"][0]["number"], number);
    assert!(
        !catalogue.text.contains("phone"),
        "no contact data in public: {}",
        catalogue.text
    );

    // The province sees its producer's four certificates, another province none; each issue was
    // audited.
    let hidden = w
        .app
        .get(&format!(
            "/api/v1/certificates?product_id={}&include_total=true",
            w.product
        ))
        .bearer(&w.other_province)
        .send()
        .await;
    assert_eq!(hidden.body["total"], 0);
    // Another province lists the regional and national rounds only, not Thái Nguyên's own.
    let rounds = w
        .app
        .get("/api/v1/selection-rounds?include_total=true")
        .bearer(&w.other_province)
        .send()
        .await;
    rounds.assert_status(200);
    assert_documented("get", "/api/v1/selection-rounds", &rounds);
    let levels: Vec<&str> = rounds.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["region", "national"]);
    let certificates = w
        .app
        .get(&format!(
            "/api/v1/certificates?product_id={}&include_total=true",
            w.product
        ))
        .bearer(&w.province)
        .send()
        .await;
    certificates.assert_status(200);
    assert_documented("get", "/api/v1/certificates", &certificates);
    assert_eq!(certificates.body["total"], 4);
    let audit = w.app.with_conn(|conn| {
        use diesel::prelude::*;
        use khuyencong::db::schema::audit_events::dsl::*;
        audit_events
            .filter(entity_type.eq("certificate").and(action.eq("issue")))
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    });
    assert_eq!(audit, 4);
}

#[actix_web::test]
async fn a_revoked_certificate_shows_as_revoked_and_its_product_leaves_the_catalogue() {
    let w = World::new().await;
    let recorded = w
        .app
        .post("/api/v1/certificates")
        .bearer(&w.province)
        .json(json!({
            "number": "125-QD-UBND-2025",
            "level": "province",
            "year": 2025,
            "product_id": w.product,
            "decision_number": "125/QĐ-UBND",
            "issued_on": "2025-10-20",
            "province_code": "19",
        }))
        .send()
        .await;
    recorded.assert_status(201);
    assert_documented("post", "/api/v1/certificates", &recorded);
    assert_eq!(recorded.body["era"], "current");
    assert_eq!(recorded.body["legacy"], true);
    assert_eq!(recorded.body["valid_until"], "2027-12-31");
    let id = recorded.body["id"].as_i64().unwrap();

    let listed = w.app.get("/api/v1/public/products?province_code=19").send().await;
    assert_eq!(listed.body["items"][0]["product_id"], w.product);
    let before = w
        .app
        .get("/api/v1/public/certificates/125-QD-UBND-2025")
        .send()
        .await;
    assert_eq!(before.body["status"], "active");
    let active_tag = before.header("etag").unwrap().to_owned();
    w.app
        .get("/api/v1/public/certificates/125-QD-UBND-2025")
        .header("If-None-Match", &active_tag)
        .send()
        .await
        .assert_status(304);

    // Another province's staff do not see it; the producer's commune sees it but does not organise
    // the provincial level; the province revokes it.
    let body = json!({"reason": "Sản phẩm không còn đáp ứng tiêu chí", "decision_number": "15/QĐ-UBND"});
    w.app
        .post(&format!("/api/v1/certificates/{id}/revocation"))
        .bearer(&w.other_province)
        .json(body.clone())
        .send()
        .await
        .assert_problem(404, "not_found");
    w.app
        .post(&format!("/api/v1/certificates/{id}/revocation"))
        .bearer(&w.commune)
        .json(body.clone())
        .send()
        .await
        .assert_problem(403, "not_organiser");
    let revoked = w
        .app
        .post(&format!("/api/v1/certificates/{id}/revocation"))
        .bearer(&w.province)
        .json(body.clone())
        .send()
        .await;
    revoked.assert_status(200);
    assert_documented("post", "/api/v1/certificates/{id}/revocation", &revoked);
    assert_eq!(revoked.body["status"], "revoked");
    w.app
        .post(&format!("/api/v1/certificates/{id}/revocation"))
        .bearer(&w.ministry)
        .json(body)
        .send()
        .await
        .assert_problem(409, "already_revoked");

    let verified = w
        .app
        .get("/api/v1/public/certificates/125-QD-UBND-2025")
        .send()
        .await;
    verified.assert_status(200);
    assert_eq!(verified.body["status"], "revoked");
    // The answer kept in memory went stale with the revocation: a client holding the old answer
    // gets the new one, not 304.
    let revalidated = w
        .app
        .get("/api/v1/public/certificates/125-QD-UBND-2025")
        .header("If-None-Match", &active_tag)
        .send()
        .await;
    revalidated.assert_status(200);
    assert_eq!(revalidated.body["status"], "revoked");
    assert_ne!(revalidated.header("etag"), Some(active_tag.as_str()));
    assert_eq!(
        verified.body["revocation_reason"],
        "Sản phẩm không còn đáp ứng tiêu chí"
    );
    let listed = w.app.get("/api/v1/public/products?province_code=19").send().await;
    listed.assert_status(200);
    assert_eq!(listed.body["items"], json!([]));
    // A revoked certificate lets the product into no higher round.
    let region = w
        .open_round(
            &w.ministry,
            json!({"level": "region", "year": 2026, "title": "Khu vực phía Bắc 2026", "region_code": "bac"}),
        )
        .await;
    let refused = w.enter(&w.ministry, region, w.product).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(codes(&refused), ["lower_level_certificate_revoked"]);

    let filtered = w
        .app
        .get("/api/v1/certificates?status=revoked")
        .bearer(&w.ministry)
        .send()
        .await;
    assert_eq!(filtered.body["items"][0]["id"], id);

    w.app
        .get("/api/v1/public/certificates/KHONG-CO-0001")
        .send()
        .await
        .assert_problem(404, "not_found");
}

async fn verify(app: &TestApp, number: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/public/certificates/{number}"))
        .send()
        .await;
    response.body["status"].clone()
}

#[actix_web::test]
async fn another_instance_serves_a_kept_public_answer_for_at_most_its_lifetime() {
    let w = World::new().await;
    let other = w.app.another_instance(&[("PUBLIC_CACHE_SECS", "1")]);
    let recorded = w
        .app
        .post("/api/v1/certificates")
        .bearer(&w.province)
        .json(json!({
            "number": "126-QD-UBND-2025",
            "level": "province",
            "year": 2025,
            "product_id": w.product,
            "decision_number": "126/QĐ-UBND",
            "issued_on": "2025-10-20",
            "province_code": "19",
        }))
        .send()
        .await;
    let id = recorded.body["id"].as_i64().unwrap();
    assert_eq!(verify(&other, "126-QD-UBND-2025").await, "active");
    w.app
        .post(&format!("/api/v1/certificates/{id}/revocation"))
        .bearer(&w.province)
        .json(json!({"reason": "Giả mạo nhãn", "decision_number": "16/QĐ-UBND"}))
        .send()
        .await
        .assert_status(200);
    assert_eq!(verify(&w.app, "126-QD-UBND-2025").await, "revoked");
    // The other instance did not see the change go through; it keeps its answer for at most
    // PUBLIC_CACHE_SECS.
    assert_eq!(verify(&other, "126-QD-UBND-2025").await, "active");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1_200)).await;
    assert_eq!(verify(&other, "126-QD-UBND-2025").await, "revoked");
}

fn codes(response: &Resp) -> Vec<String> {
    response
        .field_errors()
        .into_iter()
        .map(|(_, code)| code)
        .collect()
}

#[actix_web::test]
async fn entries_without_a_valid_lower_level_certificate_are_refused_with_the_reason() {
    let w = World::new().await;
    let round = w
        .open_round(
            &w.province,
            json!({"level": "province", "year": 2026, "title": "Bình chọn cấp tỉnh 2026", "province_code": "19"}),
        )
        .await;
    let refused = w.enter(&w.province, round, w.product).await;
    refused.assert_problem(422, "validation_failed");
    assert_documented("post", "/api/v1/selection-rounds/{id}/entries", &refused);
    assert_eq!(codes(&refused), ["lower_level_certificate_missing"]);

    // Where the commune round was not held, the round lets the product in without one.
    let etag = w.etag(round).await;
    let flagged = w
        .app
        .patch(&format!("/api/v1/selection-rounds/{round}"))
        .bearer(&w.province)
        .header("If-Match", &etag)
        .json(json!({"lower_level_round_not_held": true}))
        .send()
        .await;
    flagged.assert_status(200);
    assert_documented("patch", "/api/v1/selection-rounds/{id}", &flagged);
    w.enter(&w.province, round, w.product).await.assert_status(201);
    // The flag stays while an entry relies on it.
    let etag = w.etag(round).await;
    w.app
        .patch(&format!("/api/v1/selection-rounds/{round}"))
        .bearer(&w.province)
        .header("If-Match", &etag)
        .json(json!({"lower_level_round_not_held": false}))
        .send()
        .await
        .assert_problem(409, "entries_without_certificate");

    // A provincial certificate of 2023 (pre-2025 Bắc Kạn) held until the end of 2025: in 2026,
    // issue year + 3, it no longer lets the product into a regional round.
    let old = w
        .app
        .post("/api/v1/certificates")
        .bearer(&w.province)
        .json(json!({
            "number": "88-QD-UBND-2023",
            "level": "province",
            "year": 2023,
            "product_id": w.product,
            "decision_number": "88/QĐ-UBND",
            "issued_on": "2023-05-10",
            "province_code": "06",
        }))
        .send()
        .await;
    old.assert_status(201);
    assert_eq!(old.body["era"], "pre2025");
    assert_eq!(old.body["valid_until"], "2025-12-31");
    assert_eq!(old.body["status"], "expired");
    let region = w
        .open_round(
            &w.ministry,
            json!({"level": "region", "year": 2026, "title": "Khu vực phía Bắc 2026", "region_code": "bac"}),
        )
        .await;
    let expired = w.enter(&w.ministry, region, w.product).await;
    expired.assert_problem(422, "validation_failed");
    assert_eq!(codes(&expired), ["lower_level_certificate_expired"]);
    assert!(
        expired.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("88-QD-UBND-2023")
    );

    // A round recorded for 2024 judges the same certificate at the end of 2024: it held then.
    let past = w
        .open_round(
            &w.ministry,
            json!({"level": "region", "year": 2024, "title": "Khu vực phía Bắc 2024", "region_code": "bac"}),
        )
        .await;
    let entered = w.enter(&w.ministry, past, w.product).await;
    entered.assert_status(201);
    assert_eq!(entered.body["basis_certificate_id"], old.body["id"]);
}

#[actix_web::test]
async fn producers_outside_the_rounds_scope_are_refused_even_under_a_reused_province_code() {
    let w = World::new().await;
    // Commune round of Đức Xuân: a producer of another commune is outside.
    let elsewhere = w
        .establishment(
            "Cơ sở Chè Phong Quang",
            json!({"province_code": "19", "commune_code": "01849"}),
        )
        .await;
    let tea = w.product(elsewhere, "Chè búp khô").await;
    let round = w
        .open_round(
            &w.province,
            json!({"level": "commune", "year": 2026, "title": "Bình chọn cấp xã Đức Xuân", "commune_code": "01840"}),
        )
        .await;
    let refused = w.enter(&w.province, round, tea).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(codes(&refused), ["outside_round_scope"]);

    // A 2024 provincial round of Quảng Bình (pre-2025 code 44). Today's province 44 is Quảng Trị,
    // which also took in old Quảng Trị (45): a producer recorded in old Quảng Trị is outside even
    // though its current province code is 44; one recorded in old Quảng Bình is inside.
    let round = w
        .open_round(
            &w.quang_tri,
            json!({"level": "province", "year": 2024, "title": "Bình chọn cấp tỉnh Quảng Bình 2024", "province_code": "44", "lower_level_round_not_held": true}),
        )
        .await;
    let created = w
        .app
        .get(&format!("/api/v1/selection-rounds/{round}"))
        .bearer(&w.quang_tri)
        .send()
        .await;
    assert_eq!(created.body["era"], "pre2025");
    assert_eq!(created.body["owner_province_code"], "44");
    let old_quang_tri = w
        .establishment(
            "Cơ sở Nước mắm Cửa Việt",
            json!({"province_code": "44", "commune_code": "18859", "recorded_province_code_pre2025": "45"}),
        )
        .await;
    let old_quang_binh = w
        .establishment(
            "Cơ sở Khoai deo Quảng Ninh",
            json!({"province_code": "44", "commune_code": "18871", "recorded_province_code_pre2025": "44"}),
        )
        .await;
    let fish_sauce = w.product(old_quang_tri, "Nước mắm Cửa Việt").await;
    let dried = w.product(old_quang_binh, "Khoai deo").await;
    let refused = w.enter(&w.quang_tri, round, fish_sauce).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(codes(&refused), ["outside_round_scope"]);
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("45")
    );
    w.enter(&w.quang_tri, round, dried).await.assert_status(201);

    // A regional round of the centre and highlands does not take a northern producer.
    let central = w
        .open_round(
            &w.ministry,
            json!({"level": "region", "year": 2026, "title": "Khu vực miền Trung - Tây Nguyên", "region_code": "trung_tay_nguyen", "lower_level_round_not_held": true}),
        )
        .await;
    let refused = w.enter(&w.ministry, central, w.product).await;
    assert_eq!(codes(&refused), ["outside_round_scope"]);
    w.enter(&w.ministry, central, dried).await.assert_status(201);
}

#[actix_web::test]
async fn scores_are_bounded_by_their_criterion_and_given_only_by_the_rounds_judges() {
    let w = World::new().await;
    let round = w
        .open_round(
            &w.commune,
            json!({"level": "commune", "year": 2026, "title": "Bình chọn cấp xã 2026", "commune_code": "01840"}),
        )
        .await;
    let entry = w.enter(&w.commune, round, w.product).await.body["id"]
        .as_i64()
        .unwrap();
    let second = w.product(w.establishment, "Giỏ mây").await;
    let low = w.enter(&w.commune, round, second).await.body["id"]
        .as_i64()
        .unwrap();
    // A second entry of the same product is refused.
    let twice = w.enter(&w.commune, round, w.product).await;
    twice.assert_problem(422, "validation_failed");
    assert_eq!(codes(&twice), ["already_entered"]);

    let (judge, judge_token) = w.judges[0].clone();
    w.set_judges(&w.commune, round, &[judge]).await.assert_status(200);
    // Scoring waits for the scoring phase.
    w.score(&judge_token, round, entry, [30, 30, 5, 5])
        .await
        .assert_problem(409, "round_state");
    w.step(&w.commune, round, "close")
        .await
        .assert_problem(409, "illegal_transition");
    w.step(&w.commune, round, "start_scoring")
        .await
        .assert_status(200);

    let over = w.score(&judge_token, round, entry, [41, 30, 11, 5]).await;
    over.assert_problem(422, "validation_failed");
    assert_eq!(
        over.field_errors(),
        [
            ("market".to_owned(), "out_of_range".to_owned()),
            ("cultural_aesthetic".to_owned(), "out_of_range".to_owned())
        ]
    );
    // A judge of another round, and staff who are not on this jury, are refused.
    let other_round = w
        .open_round(
            &w.province,
            json!({"level": "commune", "year": 2026, "title": "Bình chọn cấp xã Phong Quang", "commune_code": "01849"}),
        )
        .await;
    w.set_judges(&w.province, other_round, &[w.judges[1].0])
        .await
        .assert_status(200);
    w.score(&w.judges[1].1, round, entry, [30, 30, 5, 5])
        .await
        .assert_problem(404, "not_found");
    w.score(&w.commune, round, entry, [30, 30, 5, 5])
        .await
        .assert_problem(403, "not_a_judge");

    w.score(&judge_token, round, entry, [30, 30, 6, 5])
        .await
        .assert_status(200);
    // Changing its own score replaces it.
    w.score(&judge_token, round, entry, [32, 30, 6, 5])
        .await
        .assert_status(200);
    // Every entry needs a score before the round closes.
    let early = w.step(&w.commune, round, "close").await;
    early.assert_problem(422, "entries_unscored");
    assert_eq!(early.body["entry_ids"], json!([low]));
    w.score(&judge_token, round, low, [20, 25, 8, 7])
        .await
        .assert_status(200);
    // A judge who has scored stays on the jury.
    w.set_judges(&w.commune, round, &[w.judges[2].0])
        .await
        .assert_problem(409, "judge_has_scores");

    let listed = w
        .app
        .get(&format!("/api/v1/selection-rounds/{round}/entries"))
        .bearer(&w.commune)
        .send()
        .await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items[0]["average_total"], 73.0);
    assert_eq!(items[0]["qualifies"], true);
    assert_eq!(items[1]["average_total"], 60.0);
    assert_eq!(items[1]["rank"], 2);
    assert_eq!(items[1]["qualifies"], false);

    w.step(&w.commune, round, "close").await.assert_status(200);
    // An entry under 70 cannot be recognised; nothing is issued.
    let refused = w.recognise(&w.commune, round, &[entry, low]).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(
        refused.field_errors(),
        [("entry_ids[1]".to_owned(), "not_qualifying".to_owned())]
    );
    let none = w
        .app
        .get(&format!(
            "/api/v1/certificates?round_id={round}&include_total=true"
        ))
        .bearer(&w.ministry)
        .send()
        .await;
    assert_eq!(none.body["total"], 0);
    // Not every qualifying entry must be recognised: none is a valid decision too.
    let published = w.recognise(&w.commune, round, &[]).await;
    published.assert_status(200);
    assert_eq!(published.body["round"]["summary"]["entries_qualifying"], 1);
    assert_eq!(published.body["round"]["summary"]["entries_recognised"], 0);
}

#[actix_web::test]
async fn only_the_organiser_of_a_level_runs_its_rounds() {
    let w = World::new().await;
    // Province staff open their province's rounds only; regional rounds are the ministry's.
    w.round(
        &w.other_province,
        json!({"level": "province", "year": 2026, "title": "Bình chọn cấp tỉnh 2026", "province_code": "19"}),
    )
    .await
    .assert_problem(403, "not_organiser");
    w.round(
        &w.province,
        json!({"level": "region", "year": 2026, "title": "Khu vực 2026", "region_code": "bac"}),
    )
    .await
    .assert_problem(403, "not_organiser");
    let wrong = w
        .round(
            &w.province,
            json!({"level": "province", "year": 2026, "title": "Bình chọn", "commune_code": "01840"}),
        )
        .await;
    wrong.assert_problem(422, "validation_failed");
    assert_eq!(
        wrong.field_errors(),
        [
            ("commune_code".to_owned(), "not_allowed".to_owned()),
            ("province_code".to_owned(), "required".to_owned())
        ]
    );
    // An unknown unit is named with the code every other check of a unit uses.
    let unknown = w
        .round(
            &w.province,
            json!({"level": "province", "year": 2026, "title": "Bình chọn", "province_code": "99"}),
        )
        .await;
    assert_eq!(
        unknown.field_errors(),
        [("province_code".to_owned(), "unknown_province".to_owned())]
    );

    let round = w
        .open_round(
            &w.province,
            json!({"level": "province", "year": 2026, "title": "Bình chọn cấp tỉnh 2026", "province_code": "19", "lower_level_round_not_held": true}),
        )
        .await;
    let etag = w.etag(round).await;
    let other = &w.other_province;
    w.app
        .patch(&format!("/api/v1/selection-rounds/{round}"))
        .bearer(other)
        .header("If-Match", &etag)
        .json(json!({"title": "Đổi tên"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    w.enter(other, round, w.product)
        .await
        .assert_problem(404, "not_found");
    w.set_judges(other, round, &[w.judges[0].0])
        .await
        .assert_problem(404, "not_found");
    // The ministry sees a provincial round but does not organise it.
    w.app
        .patch(&format!("/api/v1/selection-rounds/{round}"))
        .bearer(&w.ministry)
        .header("If-Match", &etag)
        .json(json!({"title": "Đổi tên"}))
        .send()
        .await
        .assert_problem(403, "not_organiser");
    let entered = w.enter(&w.province, round, w.product).await;
    let entry = entered.body["id"].as_i64().unwrap();
    let entry_etag = entered.header("etag").unwrap().to_owned();
    let noted = w
        .app
        .patch(&format!("/api/v1/selection-rounds/{round}/entries/{entry}"))
        .bearer(&w.province)
        .header("If-Match", &entry_etag)
        .json(json!({"note": "Hồ sơ bổ sung ảnh sản phẩm"}))
        .send()
        .await;
    noted.assert_status(200);
    assert_documented(
        "patch",
        "/api/v1/selection-rounds/{id}/entries/{entry_id}",
        &noted,
    );
    assert_eq!(noted.body["note"], "Hồ sơ bổ sung ảnh sản phẩm");
    assert_eq!(noted.body["version"], 2);
    w.app
        .delete(&format!("/api/v1/selection-rounds/{round}/entries/{entry}"))
        .bearer(other)
        .send()
        .await
        .assert_problem(404, "not_found");
    w.step(other, round, "start_scoring")
        .await
        .assert_problem(404, "not_found");
    w.step(&w.ministry, round, "start_scoring")
        .await
        .assert_problem(403, "not_organiser");
    w.step(&w.province, round, "start_scoring")
        .await
        .assert_problem(422, "validation_failed");
    // The commune's staff and a judge off the jury do not see the province's round; a judge on
    // it sees it but does not run it.
    w.step(&w.commune, round, "start_scoring")
        .await
        .assert_problem(404, "not_found");
    w.step(&w.judges[0].1, round, "start_scoring")
        .await
        .assert_problem(404, "not_found");
    w.set_judges(&w.province, round, &[w.judges[0].0])
        .await
        .assert_status(200);
    w.step(&w.judges[0].1, round, "start_scoring")
        .await
        .assert_problem(403, "not_organiser");
}

#[actix_web::test]
async fn the_public_endpoints_are_limited_per_client_address_and_say_how_much_is_left() {
    let app = TestApp::with_config(&[("PUBLIC_REQUESTS_PER_MINUTE", "2")]);
    // A malformed condition is refused before it counts.
    app.get("/api/v1/public/products")
        .peer("203.0.113.7:4999")
        .header("If-None-Match", "\u{84}")
        .send()
        .await
        .assert_problem(400, "invalid_if_none_match");
    let first = app
        .get("/api/v1/public/products")
        .peer("203.0.113.7:5000")
        .send()
        .await;
    first.assert_status(200);
    assert_eq!(first.header("ratelimit-limit"), Some("2"));
    assert_eq!(first.header("ratelimit-remaining"), Some("1"));
    let second = app
        .get("/api/v1/public/products")
        .peer("203.0.113.7:5001")
        .send()
        .await;
    assert_eq!(second.header("ratelimit-remaining"), Some("0"));
    let third = app
        .get("/api/v1/public/certificates/TINH-2026-19-0001")
        .peer("203.0.113.7:5002")
        .send()
        .await;
    third.assert_problem(429, "rate_limited");
    assert_documented("get", "/api/v1/public/certificates/{number}", &third);
    assert!(third.header("retry-after").is_some());
    // The public figures share the allowance.
    let figures = app
        .get("/api/v1/public/stats/certification")
        .peer("203.0.113.7:5003")
        .send()
        .await;
    figures.assert_problem(429, "rate_limited");
    assert_documented("get", "/api/v1/public/stats/certification", &figures);
    // Another address has its own allowance.
    app.get("/api/v1/public/products")
        .peer("198.51.100.9:5000")
        .send()
        .await
        .assert_status(200);
}

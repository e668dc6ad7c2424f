//! The event feed: each caller reads the events its role, scopes and province allow, personal data
//! only with the right to it, and a reader that follows the feed while writers commit out of order
//! neither misses nor repeats an event.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{Value, json};

use khuyencong::auth::Role;
use khuyencong::models::audit::{self, Actor, Change};

use crate::integrations::client_with_token;
use crate::support::{TestApp, is_postgres};

/// A client's token: the client is made by `admin` with `body`.
pub async fn client_token(app: &TestApp, admin: &str, body: Value) -> String {
    client_with_token(app, admin, body).await.1
}

/// Every event after `after` that `token` reads, following `next_after` to the end.
async fn follow(app: &TestApp, token: &str, query: &str, mut after: i64) -> (Vec<Value>, i64) {
    let mut events = Vec::new();
    loop {
        let page = app
            .get(&format!("/api/v1/events?after={after}&limit=7{query}"))
            .bearer(token)
            .send()
            .await;
        page.assert_status(200);
        let items = page.body["items"].as_array().unwrap().clone();
        after = page.body["next_after"].as_i64().unwrap();
        if items.is_empty() {
            return (events, after);
        }
        events.extend(items);
    }
}

/// Waits until `token` reads `count` events. An event gets its position once every transaction
/// that began before it has ended, in any database of the server: on a PostgreSQL server shared
/// with other tests, that may take a moment.
pub async fn wait_for_events(app: &TestApp, token: &str, count: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let page = app.get("/api/v1/events?limit=500").bearer(token).send().await;
        page.assert_status(200);
        let seen = page.body["items"].as_array().unwrap().len();
        if seen >= count {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{seen} of {count} events published"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn types_of(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn each_reader_gets_the_events_its_role_scopes_and_province_allow() {
    let app = TestApp::new();
    let admin = app.token_for(&app.user("quan.tri", Role::Admin).insert());
    let hanoi = app.token_for(&app.user("hn.canbo", Role::Province).province("01").insert());
    let binh_duong = app.token_for(&app.user("bd.canbo", Role::Province).province("79").insert());
    let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());

    let household = app
        .post("/api/v1/beneficiaries")
        .bearer(&hanoi)
        .json(
            json!({"name": "Hộ kinh doanh Bánh cuốn Thanh Trì", "legal_form": "household_business",
            "identifier_type": "household_registration", "identifier_value": "01A8001234",
            "household_owner_name": "Trần Thị Mai", "representative_national_id": "001190012345",
            "province_code": "01", "commune_code": "00004"}),
        )
        .send()
        .await;
    household.assert_status(201);
    app.post("/api/v1/beneficiaries")
        .bearer(&binh_duong)
        .json(
            json!({"name": "Tổ hợp tác gốm Lái Thiêu", "legal_form": "cooperative_group",
            "identifier_type": "none", "province_code": "79", "commune_code": "25747"}),
        )
        .send()
        .await
        .assert_status(201);
    app.post("/api/v1/programmes")
        .bearer(&ministry)
        .json(
            json!({"code": "2026-2030", "name": "Chương trình khuyến công 2026-2030", "level": "national",
            "start_year": 2026, "end_year": 2030}),
        )
        .send()
        .await
        .assert_status(201);
    // Refused input changes nothing, so it publishes nothing.
    app.post("/api/v1/beneficiaries")
        .bearer(&hanoi)
        .json(
            json!({"name": "", "legal_form": "cooperative_group", "identifier_type": "none",
            "province_code": "01", "commune_code": "00004"}),
        )
        .send()
        .await
        .assert_status(422);

    // The admin reads everything, in position order.
    wait_for_events(&app, &admin, 3).await;
    let (all, end) = follow(&app, &admin, "", 0).await;
    assert_eq!(
        types_of(&all),
        ["beneficiary.created", "beneficiary.created", "programme.created"]
    );
    let positions: Vec<i64> = all.iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert_eq!(end, *positions.last().unwrap());
    assert_eq!(all[0]["entity_id"], household.body["id"].to_string());
    assert_eq!(all[0]["province_code"], "01");
    assert_eq!(all[0]["payload"]["name"], "Hộ kinh doanh Bánh cuốn Thanh Trì");
    assert_eq!(
        all[0]["payload"]["personal_data"]["household_owner_name"],
        "Trần Thị Mai"
    );
    assert_eq!(all[2]["province_code"], Value::Null);
    // Nothing after the end; the end stays where it is.
    let (none, same_end) = follow(&app, &admin, "", end).await;
    assert!(none.is_empty());
    assert_eq!(same_end, end);
    let (programmes, _) = follow(&app, &admin, "&types=programme.created", 0).await;
    assert_eq!(types_of(&programmes), ["programme.created"]);

    // Provincial staff: their province and the national records.
    let (mine, _) = follow(&app, &binh_duong, "", 0).await;
    assert_eq!(types_of(&mine), ["beneficiary.created", "programme.created"]);
    assert_eq!(mine[0]["province_code"], "79");
    // An auditor reads the whole country, without personal data.
    let auditor = app.token_for(&app.user("kiem.toan", Role::Auditor).insert());
    let (audited, _) = follow(&app, &auditor, "", 0).await;
    assert_eq!(audited.len(), 3);
    assert!(audited[0]["payload"].get("personal_data").is_none());
    let commune = app.token_for(&app.user("xa.badinh", Role::Commune).commune("00004").insert());
    app.get("/api/v1/events")
        .bearer(&commune)
        .send()
        .await
        .assert_problem(403, "forbidden");

    // A Hà Nội client with establishments only: no programme events, no personal data.
    let reader = client_token(
        &app,
        &admin,
        json!({"name": "Cổng dịch vụ công Hà Nội", "scopes": ["events:read", "beneficiaries:read"], "province_code": "01"}),
    )
    .await;
    let (seen, _) = follow(&app, &reader, "", 0).await;
    assert_eq!(types_of(&seen), ["beneficiary.created"]);
    assert_eq!(seen[0]["province_code"], "01");
    assert!(seen[0]["payload"].get("personal_data").is_none());
    let refused = app
        .get("/api/v1/events?types=programme.created")
        .bearer(&reader)
        .send()
        .await;
    refused.assert_problem(403, "insufficient_scope");
    assert!(refused.text.contains("projects:read"), "{}", refused.text);
    // With personal_data:read, the personal data of its own province.
    let trusted = client_token(
        &app,
        &admin,
        json!({"name": "Sở Công Thương Hà Nội", "scopes": ["events:read", "beneficiaries:read", "personal_data:read"], "province_code": "01"}),
    )
    .await;
    let (seen, _) = follow(&app, &trusted, "&types=beneficiary.created", 0).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0]["payload"]["personal_data"]["representative_national_id"],
        "001190012345"
    );
    // Without events:read, no feed at all.
    let no_feed = client_token(
        &app,
        &admin,
        json!({"name": "Kế toán", "scopes": ["beneficiaries:read"], "province_code": "01"}),
    )
    .await;
    let refused = app.get("/api/v1/events").bearer(&no_feed).send().await;
    refused.assert_problem(403, "insufficient_scope");
    assert!(refused.text.contains("events:read"));

    app.get("/api/v1/events?types=project.exploded")
        .bearer(&admin)
        .send()
        .await
        .assert_problem(400, "unknown_event_type");
    // At most 64 items, repeated ones counted (as the documented maxItems).
    let repeated = vec!["project.created"; 65].join(",");
    app.get(&format!("/api/v1/events?types={repeated}"))
        .bearer(&admin)
        .send()
        .await
        .assert_problem(400, "invalid_query");
    app.get(&format!(
        "/api/v1/events?types={}",
        vec!["project.created"; 64].join(",")
    ))
    .bearer(&admin)
    .send()
    .await
    .assert_status(200);
    app.get("/api/v1/events?since=3")
        .bearer(&admin)
        .send()
        .await
        .assert_status(400);
}

#[actix_web::test]
async fn a_reader_following_the_feed_misses_and_repeats_nothing_while_writers_commit_out_of_order() {
    const WRITERS: usize = 4;
    const WRITES: usize = 40;
    let app = TestApp::with_config(&[("DB_POOL_SIZE", "12")]);
    let admin = app.token_for(&app.user("quan.tri", Role::Admin).insert());
    let done = Arc::new(AtomicBool::new(false));
    // The order in which the writers' transactions committed.
    let committed = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let db = app.state.db.clone();
            let committed = committed.clone();
            std::thread::spawn(move || {
                for i in 0..WRITES {
                    db.write_blocking(|conn| {
                        audit::record(
                            conn,
                            &Actor::command_line(),
                            Change {
                                entity_type: "programme",
                                entity_id: format!("w{w}-{i}"),
                                action: "create",
                                before: None,
                                after: Some(json!({"writer": w, "write": i})),
                                province_code: None,
                            },
                        )?;
                        // Hold some transactions open after their event is written, so that
                        // later ones commit first.
                        let hold = match (w, i % 5) {
                            (0, 0) => 25,
                            _ => (w * 7 + i * 3) % 4,
                        };
                        std::thread::sleep(Duration::from_millis(hold as u64));
                        Ok(())
                    })
                    .expect("write");
                    committed.lock().unwrap().push(format!("w{w}-{i}"));
                }
            })
        })
        .collect();
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            for writer in writers {
                writer.join().unwrap();
            }
            done.store(true, Ordering::Release);
        })
    };

    let expected = WRITERS * WRITES;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut received: Vec<(i64, String)> = Vec::new();
    let mut after = 0;
    // Follows the feed while the writers write, until every event came or the time is up; then
    // once more, which must bring nothing new.
    let mut last_read = false;
    loop {
        let page = app
            .get(&format!("/api/v1/events?after={after}&limit=5"))
            .bearer(&admin)
            .send()
            .await;
        page.assert_status(200);
        let items = page.body["items"].as_array().unwrap();
        for item in items {
            received.push((
                item["position"].as_i64().unwrap(),
                item["entity_id"].as_str().unwrap().to_owned(),
            ));
        }
        after = page.body["next_after"].as_i64().unwrap();
        if last_read {
            break;
        }
        let finished = done.load(Ordering::Acquire);
        if finished && (received.len() >= expected || std::time::Instant::now() > deadline) {
            last_read = true;
        }
        if items.is_empty() {
            actix_web::rt::time::sleep(Duration::from_millis(2)).await;
        }
    }
    watcher.join().unwrap();

    let positions: Vec<i64> = received.iter().map(|(p, _)| *p).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions out of order or repeated"
    );
    let seen: BTreeSet<&str> = received.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(seen.len(), received.len(), "an event was read twice");
    let written: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| (0..WRITES).map(move |i| format!("w{w}-{i}")))
        .collect();
    assert_eq!(
        seen,
        written.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        "missed events"
    );

    if is_postgres() {
        // The case the feed exists for did happen: transactions committed in another order than
        // the one their events were inserted in, so a reader going by insertion order would have
        // skipped some.
        use khuyencong::db::schema::events;
        let mut conn = app.state.db.get().unwrap();
        let ids: std::collections::HashMap<String, i64> = events::table
            .select((events::entity_id, events::id))
            .load::<(String, i64)>(&mut **conn)
            .unwrap()
            .into_iter()
            .collect();
        let in_commit_order: Vec<i64> = committed.lock().unwrap().iter().map(|e| ids[e]).collect();
        assert!(
            in_commit_order.windows(2).any(|w| w[0] > w[1]),
            "every transaction committed in insertion order; the test proved nothing"
        );
    }
}

//! Webhooks: subscriptions held to their owner's scopes and to https, deliveries signed as Standard
//! Webhooks says, retried after failures across a server restart, shown with every answer,
//! redelivered on demand, and a subscription that fails for the whole retry window disabled.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use khuyencong::auth::Role;
use khuyencong::webhooks::Deliverer;

use crate::events::{client_token, wait_for_events};
use crate::integrations::client_with_token;
use crate::support::{TestApp, is_postgres};

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }
}

/// A local HTTP receiver answering the given statuses in turn (the last one from then on).
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(statuses: &'static [u16]) -> Receiver {
        Receiver::answering_after(statuses, Duration::ZERO)
    }

    /// A receiver that takes `delay` to answer each request.
    fn answering_after(statuses: &'static [u16], delay: Duration) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = Vec::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let trimmed = line.trim_end();
                    if trimmed.is_empty() {
                        break;
                    }
                    let (name, value) = trimmed.split_once(':').unwrap();
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let count = {
                    let mut log = log.lock().unwrap();
                    log.push(Received { headers, body });
                    log.len()
                };
                std::thread::sleep(delay);
                let status = statuses[(count - 1).min(statuses.len() - 1)];
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: 10\r\nConnection: close\r\n\r\nanswer {count:03}"
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Receiver { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Checks a signature the way the specification describes it, without the server's code.
fn signature_is_valid(secret: &str, request: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.",
            request.header("webhook-id"),
            request.header("webhook-timestamp")
        )
        .as_bytes(),
    );
    mac.update(&request.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    request
        .header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

const DEVELOPMENT: &[(&str, &str)] = &[("WEBHOOK_ALLOW_LOOPBACK", "true"), ("WEBHOOK_RETRY_BASE_MS", "1")];

async fn subscribe(app: &TestApp, token: &str, url: &str, types: &[&str]) -> Value {
    let created = app
        .post("/api/v1/webhooks")
        .bearer(token)
        .json(json!({"url": url, "event_types": types, "description": "Kho dữ liệu"}))
        .send()
        .await;
    created.assert_status(201);
    created.body
}

async fn create_programme(app: &TestApp, ministry: &str, code: &str) {
    app.post("/api/v1/programmes")
        .bearer(ministry)
        .json(
            json!({"code": code, "name": format!("Chương trình {code}"), "level": "national",
            "start_year": 2026, "end_year": 2030}),
        )
        .send()
        .await
        .assert_status(201);
}

fn sweep(app: &TestApp) -> usize {
    Deliverer::new(app.state.db.clone(), &app.state.config)
        .sweep()
        .expect("delivery round")
}

#[actix_web::test]
async fn subscriptions_follow_their_owners_scopes_and_accept_only_https() {
    let app = TestApp::new();
    let admin = app.token_for(&app.user("quan.tri", Role::Admin).insert());
    let hook = "https://kho.moit.gov.vn/khuyencong/webhook";

    for (url, code) in [
        ("http://kho.moit.gov.vn/hook", "url_not_https"),
        ("http://127.0.0.1:9/hook", "url_not_allowed"),
        ("https://192.168.1.10/hook", "url_not_allowed"),
        ("https://user:pw@kho.moit.gov.vn/hook", "invalid_url"),
        ("ftp://kho.moit.gov.vn/hook", "url_not_https"),
        ("không phải URL", "invalid_url"),
    ] {
        let refused = app
            .post("/api/v1/webhooks")
            .bearer(&admin)
            .json(json!({"url": url, "event_types": ["project.created"]}))
            .send()
            .await;
        refused.assert_problem(422, "validation_failed");
        assert!(refused.text.contains(code), "{url}: {}", refused.text);
    }
    app.post("/api/v1/webhooks")
        .bearer(&admin)
        .json(json!({"url": hook, "event_types": ["project.exploded"]}))
        .send()
        .await
        .assert_status(400);

    // A client subscribes only to the types its scopes read, within its province.
    let client = client_token(
        &app,
        &admin,
        json!({"name": "Cổng Hà Nội", "scopes": ["webhooks:manage", "projects:read"], "province_code": "01"}),
    )
    .await;
    let refused = app
        .post("/api/v1/webhooks")
        .bearer(&client)
        .json(json!({"url": hook, "event_types": ["beneficiary.created"]}))
        .send()
        .await;
    refused.assert_problem(403, "insufficient_scope");
    assert!(refused.text.contains("beneficiaries:read"));
    let mine = subscribe(&app, &client, hook, &["project.created", "disbursement.recorded"]).await;
    assert!(mine["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(mine["province_code"], "01");
    assert_eq!(mine["active"], true);
    let id = mine["id"].as_i64().unwrap();
    let path = format!("/api/v1/webhooks/{id}");
    let read = app.get(&path).bearer(&client).send().await;
    read.assert_status(200);
    assert!(read.body.get("secret").is_none(), "the secret is shown once");

    // Without webhooks:manage, nothing.
    let reader = client_token(
        &app,
        &admin,
        json!({"name": "Chỉ đọc", "scopes": ["projects:read"], "province_code": "01"}),
    )
    .await;
    app.get("/api/v1/webhooks")
        .bearer(&reader)
        .send()
        .await
        .assert_problem(403, "insufficient_scope");
    // Province staff do not subscribe; another client does not see this one.
    let staff = app.token_for(&app.user("hn.canbo", Role::Province).province("01").insert());
    app.get("/api/v1/webhooks")
        .bearer(&staff)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let other = client_token(
        &app,
        &admin,
        json!({"name": "Cổng khác", "scopes": ["webhooks:manage", "projects:read"], "province_code": "79"}),
    )
    .await;
    app.get(&path).bearer(&other).send().await.assert_status(404);
    let listed = app.get("/api/v1/webhooks").bearer(&other).send().await;
    assert_eq!(listed.body, json!([]));
    // The admin sees every subscription.
    let all = app.get("/api/v1/webhooks").bearer(&admin).send().await;
    assert_eq!(all.body.as_array().unwrap().len(), 1);

    // Changes need If-Match; deletion keeps the record out of every list.
    app.patch(&path)
        .bearer(&client)
        .json(json!({"active": false}))
        .send()
        .await
        .assert_status(428);
    let paused = app
        .patch(&path)
        .bearer(&client)
        .header("If-Match", "\"1\"")
        .json(json!({"active": false, "event_types": ["project.created"]}))
        .send()
        .await;
    paused.assert_status(200);
    assert_eq!(paused.body["active"], false);
    assert_eq!(paused.body["event_types"], json!(["project.created"]));
    app.delete(&path).bearer(&client).send().await.assert_status(204);
    app.get(&path).bearer(&client).send().await.assert_status(404);
    let audit = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=webhook_subscription&entity_id={id}"
        ))
        .bearer(&admin)
        .send()
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "update", "create"]);
    assert!(
        !audit.text.contains("whsec_"),
        "the secret stays out of the audit log"
    );
}

#[actix_web::test]
async fn a_delivery_that_fails_twice_arrives_signed_on_the_third_attempt_across_a_restart() {
    let receiver = Receiver::start(&[500, 503, 204]);
    let app = TestApp::with_config(DEVELOPMENT);
    let admin = app.token_for(&app.user("quan.tri", Role::Admin).insert());
    let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
    let subscription = subscribe(&app, &admin, &receiver.url, &["programme.created"]).await;
    let secret = subscription["secret"].as_str().unwrap().to_owned();
    let id = subscription["id"].as_i64().unwrap();
    create_programme(&app, &ministry, "2026-2030").await;
    wait_for_events(&app, &admin, 1).await;

    assert_eq!(sweep(&app), 1);
    assert_eq!(receiver.received().len(), 1);
    // Nothing is due before its backoff has passed.
    let deliveries_path = format!("/api/v1/webhooks/{id}/deliveries");
    let pending = app.get(&deliveries_path).bearer(&admin).send().await;
    assert_eq!(pending.body["items"][0]["state"], "pending");
    assert_eq!(pending.body["items"][0]["attempts"], 1);

    // The server stops; another starts on the same database and carries on.
    let restarted = app.another_instance(DEVELOPMENT);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(sweep(&restarted), 1);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(sweep(&restarted), 1);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(sweep(&restarted), 0, "delivered: nothing more to send");

    let requests = receiver.received();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert!(signature_is_valid(&secret, request), "bad signature");
        assert_eq!(request.header("content-type"), "application/json");
    }
    let mut tampered = requests[2].clone();
    tampered.body.push(b' ');
    assert!(!signature_is_valid(&secret, &tampered));
    // One message, retried under one id.
    let message_id = requests[0].header("webhook-id").to_owned();
    assert!(requests.iter().all(|r| r.header("webhook-id") == message_id));
    let body: Value = serde_json::from_slice(&requests[2].body).unwrap();
    assert_eq!(body["type"], "programme.created");
    assert_eq!(body["data"]["entity_type"], "programme");
    assert_eq!(body["data"]["payload"]["code"], "2026-2030");
    assert_eq!(message_id, format!("evt_{}", body["data"]["position"]));

    let shown = restarted.get(&deliveries_path).bearer(&admin).send().await;
    shown.assert_status(200);
    let delivery = &shown.body["items"][0];
    assert_eq!(delivery["state"], "delivered");
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["last_status"], 204);
    let statuses: Vec<i64> = delivery["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 503, 204]);
    assert_eq!(delivery["answers"][0]["response_body"], "answer 001");
    let webhook = restarted
        .get(&format!("/api/v1/webhooks/{id}"))
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(
        webhook.body["failing_since"],
        Value::Null,
        "a success ends the failing spell"
    );

    // Sent again on demand, under the same id.
    let delivery_id = delivery["id"].as_i64().unwrap();
    let retried = restarted
        .post(&format!("{deliveries_path}/{delivery_id}/retry"))
        .bearer(&admin)
        .send()
        .await;
    retried.assert_status(202);
    assert_eq!(retried.body["state"], "pending");
    assert_eq!(sweep(&restarted), 1);
    let requests = receiver.received();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[3].header("webhook-id"), message_id);
    restarted
        .post(&format!("{deliveries_path}/999999/retry"))
        .bearer(&admin)
        .send()
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn a_subscription_failing_for_the_whole_retry_window_is_disabled() {
    let receiver = Receiver::start(&[500]);
    let mut settings = DEVELOPMENT.to_vec();
    settings.push(("WEBHOOK_RETRY_WINDOW_SECS", "1"));
    let app = TestApp::with_config(&settings);
    let admin = app.token_for(&app.user("quan.tri", Role::Admin).insert());
    let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
    let subscription = subscribe(&app, &admin, &receiver.url, &["programme.created"]).await;
    let id = subscription["id"].as_i64().unwrap();
    let path = format!("/api/v1/webhooks/{id}");
    create_programme(&app, &ministry, "2026-2030").await;
    wait_for_events(&app, &admin, 1).await;

    assert_eq!(sweep(&app), 1);
    let failing = app.get(&path).bearer(&admin).send().await;
    assert_eq!(failing.body["active"], true);
    assert!(failing.body["failing_since"].is_string());
    std::thread::sleep(Duration::from_millis(1100));
    create_programme(&app, &ministry, "2031-2035").await;
    wait_for_events(&app, &admin, 2).await;
    // The first delivery fails again, past the window: the subscription is disabled, and the
    // second delivery is given up unsent.
    assert_eq!(sweep(&app), 1);

    let disabled = app.get(&path).bearer(&admin).send().await;
    assert_eq!(disabled.body["active"], false);
    assert_eq!(disabled.body["disabled_reason"], "failing");
    let deliveries = app.get(&format!("{path}/deliveries")).bearer(&admin).send().await;
    let states: Vec<&str> = deliveries.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["failed", "failed"]);
    // Nothing more is sent, and new events make no deliveries for it.
    create_programme(&app, &ministry, "2036-2040").await;
    wait_for_events(&app, &admin, 3).await;
    assert_eq!(sweep(&app), 0);
    assert_eq!(receiver.received().len(), 2);
    let audit = app
        .get(&format!(
            "/api/v1/audit-events?entity_type=webhook_subscription&action=disabled&entity_id={id}"
        ))
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(audit.body["items"][0]["actor_username"], "webhook-delivery");

    // Resumed by its owner, it receives again.
    let resumed = app
        .patch(&path)
        .bearer(&admin)
        .header("If-Match", &format!("\"{}\"", disabled.body["version"]))
        .json(json!({"active": true}))
        .send()
        .await;
    resumed.assert_status(200);
    assert_eq!(resumed.body["disabled_reason"], Value::Null);
    create_programme(&app, &ministry, "2041-2045").await;
    wait_for_events(&app, &admin, 4).await;
    assert_eq!(sweep(&app), 1);
}

/// Several instances on one PostgreSQL database: each delivery is taken by one of them
/// (`FOR UPDATE SKIP LOCKED` and a lease), so none is sent twice. (SQLite serves one instance.)
#[actix_web::test]
async fn two_instances_share_the_deliveries_without_sending_one_twice() {
    if !is_postgres() {
        return;
    }
    const EVENTS: usize = 25;
    let receiver = Receiver::answering_after(&[204], Duration::from_millis(15));
    let app = TestApp::with_config(DEVELOPMENT);
    let admin = app.token_for(&app.user("quan.tri", Role::Admin).insert());
    let ministry = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
    subscribe(&app, &admin, &receiver.url, &["programme.created"]).await;
    for n in 0..EVENTS {
        create_programme(&app, &ministry, &format!("CT-{n:02}")).await;
    }
    wait_for_events(&app, &admin, EVENTS).await;

    let other = app.another_instance(DEVELOPMENT);
    let instances: Vec<_> = [&app, &other]
        .into_iter()
        .map(|instance| {
            let deliverer = Deliverer::new(instance.state.db.clone(), &instance.state.config);
            std::thread::spawn(move || deliverer.sweep().expect("delivery round"))
        })
        .collect();
    let sent: Vec<usize> = instances.into_iter().map(|t| t.join().unwrap()).collect();

    let requests = receiver.received();
    let ids: std::collections::BTreeSet<&str> = requests.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(requests.len(), EVENTS, "sent {sent:?}");
    assert_eq!(ids.len(), EVENTS, "an event was sent twice");
    assert_eq!(sent.iter().sum::<usize>(), EVENTS);
    assert!(sent.iter().all(|n| *n > 0), "both instances delivered: {sent:?}");
}

/// A subscription receives what its owner may read: a province client its province's events,
/// without personal data unless granted; an admin every province's, with it. A deactivated owner's
/// subscriptions receive nothing more.
#[actix_web::test]
async fn deliveries_hold_what_the_owner_may_read() {
    let provincial = Receiver::start(&[204]);
    let national = Receiver::start(&[204]);
    let app = TestApp::with_config(DEVELOPMENT);
    let admin = app.token_for(&app.user("quan.tri", Role::Admin).insert());
    let hanoi = app.token_for(&app.user("hn.canbo", Role::Province).province("01").insert());
    let binh_duong = app.token_for(&app.user("bd.canbo", Role::Province).province("79").insert());
    let (client_id, client) = client_with_token(
        &app,
        &admin,
        json!({"name": "Cổng Hà Nội", "scopes": ["webhooks:manage", "beneficiaries:read"], "province_code": "01"}),
    )
    .await;
    subscribe(&app, &client, &provincial.url, &["beneficiary.created"]).await;
    subscribe(&app, &admin, &national.url, &["beneficiary.created"]).await;

    for (token, name, registration, province, commune) in [
        (
            &hanoi,
            "Hộ kinh doanh Bánh cuốn Thanh Trì",
            "01A8001234",
            "01",
            "00004",
        ),
        (
            &binh_duong,
            "Hộ kinh doanh gốm Lái Thiêu",
            "79A8001234",
            "79",
            "25747",
        ),
    ] {
        app.post("/api/v1/beneficiaries")
            .bearer(token)
            .json(json!({"name": name, "legal_form": "household_business",
                "identifier_type": "household_registration", "identifier_value": registration,
                "household_owner_name": "Trần Thị Mai",
                "province_code": province, "commune_code": commune}))
            .send()
            .await
            .assert_status(201);
    }
    wait_for_events(&app, &admin, 2).await;
    assert_eq!(sweep(&app), 3);

    let body = |r: &Received| serde_json::from_slice::<Value>(&r.body).unwrap();
    let mine: Vec<Value> = provincial.received().iter().map(body).collect();
    assert_eq!(mine.len(), 1, "only its province's event");
    assert_eq!(mine[0]["data"]["province_code"], "01");
    assert!(mine[0]["data"]["payload"].get("personal_data").is_none());
    let all: Vec<Value> = national.received().iter().map(body).collect();
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|e| e["data"]["payload"]["personal_data"]["household_owner_name"] == "Trần Thị Mai")
    );

    app.patch(&format!("/api/v1/integration-clients/{client_id}"))
        .bearer(&admin)
        .header("If-Match", "\"1\"")
        .json(json!({"active": false}))
        .send()
        .await
        .assert_status(200);
    app.post("/api/v1/beneficiaries")
        .bearer(&hanoi)
        .json(
            json!({"name": "Tổ hợp tác mây tre Phú Vinh", "legal_form": "cooperative_group",
            "identifier_type": "none", "province_code": "01", "commune_code": "00004"}),
        )
        .send()
        .await
        .assert_status(201);
    wait_for_events(&app, &admin, 3).await;
    assert_eq!(sweep(&app), 1, "the admin's subscription only");
    assert_eq!(provincial.received().len(), 1);
    assert_eq!(national.received().len(), 3);
}

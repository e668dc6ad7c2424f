//! A PostgreSQL outage under read and write load, through a TCP proxy that refuses or stalls: during
//! the outage every request is answered 503 within the configured time (never 500, never a hang),
//! and two seconds after the database is back every request succeeds again, with no restart and
//! nobody polling readiness. SQLite lives in the process, with no network to lose: these tests
//! run on PostgreSQL (`TEST_DATABASE_URL`).

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use actix_web::rt::time::sleep;
use actix_web::test::{self, TestRequest};
use futures_util::future::{join, join5};
use serde_json::json;

use khuyencong::auth::Role;
use khuyencong::db::Db;
use khuyencong::state::AppState;

use crate::support::{Proxy, TestApp, TestDatabase, answer, config, is_postgres};

/// `DB_REQUEST_TIMEOUT_SECS` of the server under test: no request may take longer, plus scheduling
/// slack on a busy machine.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
const SLACK: Duration = Duration::from_millis(1500);
const OUTAGE: Duration = Duration::from_secs(10);
const RECOVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
enum Fault {
    Refused,
    Stalled,
}

#[derive(Debug)]
struct Sample {
    what: &'static str,
    started: Instant,
    ended: Instant,
    status: u16,
}

fn establishment(n: usize) -> serde_json::Value {
    json!({
        "name": format!("Hợp tác xã mây tre đan số {n}"),
        "legal_form": "cooperative_group",
        "identifier_type": "none",
        "province_code": "01",
        "commune_code": "00004",
    })
}

async fn outage_under_load(fault: Fault, with_writes: bool) {
    if !is_postgres() {
        return;
    }
    let database = TestDatabase::create();
    let (proxy, proxied) = Proxy::in_front_of(&database.url);
    proxy.restore();
    let config = config(
        &proxied,
        &[
            ("DB_POOL_SIZE", "4"),
            ("DB_POOL_TIMEOUT_SECS", "1"),
            ("DB_CONNECT_TIMEOUT_SECS", "1"),
            ("DB_STATEMENT_TIMEOUT_SECS", "2"),
            ("DB_REQUEST_TIMEOUT_SECS", "3"),
        ],
    );
    let db = Db::open(&config.database_url, &config.db_settings(), true).expect("open through the proxy");
    let app = TestApp {
        state: AppState::new(config, db),
        _database: database,
    };
    let token = app.token_for(&app.user("bo.ct", Role::Ministry).insert());
    let created = app
        .post("/api/v1/beneficiaries")
        .bearer(&token)
        .json(establishment(0))
        .send()
        .await;
    created.assert_status(201);
    let id = created.body["id"].as_i64().unwrap();

    let service = test::init_service(khuyencong::build_app(app.state.clone())).await;
    let log = RefCell::new(Vec::<Sample>::new());
    let stop = Cell::new(false);
    let writes = Cell::new(0usize);
    let worker = |what: &'static str| {
        let (service, log, stop, writes, token) = (&service, &log, &stop, &writes, &token);
        async move {
            if what == "write" && !with_writes {
                return;
            }
            while !stop.get() {
                let request = match what {
                    "read" => TestRequest::get().uri(&format!("/api/v1/beneficiaries/{id}")),
                    "list" => TestRequest::get().uri("/api/v1/beneficiaries?province_code=01&limit=20"),
                    "me" => TestRequest::get().uri("/api/v1/me"),
                    _ => {
                        writes.set(writes.get() + 1);
                        TestRequest::post()
                            .uri("/api/v1/beneficiaries")
                            .set_json(establishment(writes.get()))
                    }
                }
                .insert_header(("Authorization", format!("Bearer {token}")))
                .to_request();
                let started = Instant::now();
                let (status, _) = answer(service, request).await;
                log.borrow_mut().push(Sample {
                    what,
                    started,
                    ended: Instant::now(),
                    status,
                });
                sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let controller = async {
        sleep(Duration::from_secs(1)).await;
        let down_at = Instant::now();
        match fault {
            Fault::Refused => proxy.cut(),
            Fault::Stalled => proxy.stall(),
        }
        sleep(OUTAGE).await;
        let back_at = Instant::now();
        proxy.restore();
        sleep(RECOVERY + Duration::from_secs(3)).await;
        stop.set(true);
        (down_at, back_at)
    };
    let ((down_at, back_at), _) = join(
        controller,
        join5(
            worker("read"),
            worker("list"),
            worker("me"),
            worker("write"),
            worker("write"),
        ),
    )
    .await;

    let log = log.into_inner();
    let show = |samples: &[&Sample]| -> String {
        samples
            .iter()
            .take(10)
            .map(|s| {
                format!(
                    "{} {} after {:?} (at {:?} from the outage)",
                    s.what,
                    s.status,
                    s.ended - s.started,
                    s.started.saturating_duration_since(down_at)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let errors: Vec<&Sample> = log.iter().filter(|s| s.status == 500).collect();
    assert!(errors.is_empty(), "{fault:?}: 500 answers:\n{}", show(&errors));
    let slow: Vec<&Sample> = log
        .iter()
        .filter(|s| s.ended - s.started > REQUEST_TIMEOUT + SLACK)
        .collect();
    assert!(
        slow.is_empty(),
        "{fault:?}: requests over the timeout:\n{}",
        show(&slow)
    );

    let before: Vec<&Sample> = log.iter().filter(|s| s.ended < down_at).collect();
    let during: Vec<&Sample> = log
        .iter()
        .filter(|s| s.started >= down_at && s.ended <= back_at)
        .collect();
    let after: Vec<&Sample> = log.iter().filter(|s| s.started >= back_at + RECOVERY).collect();
    let success = |s: &&Sample| (200..300).contains(&s.status);
    assert!(
        before.iter().all(success),
        "{fault:?}: before:\n{}",
        show(&before)
    );
    assert!(
        during.len() >= 10,
        "{fault:?}: too few requests during the outage: {}",
        during.len()
    );
    let not_503: Vec<&Sample> = during.iter().copied().filter(|s| s.status != 503).collect();
    assert!(
        not_503.is_empty(),
        "{fault:?}: during the outage:\n{}",
        show(&not_503)
    );
    assert!(
        after.len() >= 20,
        "{fault:?}: too few requests after recovery: {}",
        after.len()
    );
    let failed: Vec<&Sample> = after.iter().copied().filter(|s| !success(s)).collect();
    assert!(
        failed.is_empty(),
        "{fault:?}: {} of {} requests failed {RECOVERY:?} after the database came back:\n{}",
        failed.len(),
        after.len(),
        show(&failed)
    );
    let kinds: &[&str] = if with_writes {
        &["read", "list", "me", "write"]
    } else {
        &["read", "list", "me"]
    };
    for what in kinds {
        assert!(
            after.iter().any(|s| s.what == *what),
            "{fault:?}: no {what} after recovery"
        );
    }
}

#[actix_web::test]
async fn database_refusing_connections_gives_503_then_recovers() {
    outage_under_load(Fault::Refused, true).await;
}

/// Without writes no transaction breaks, so nothing but the pool's own bookkeeping discards the
/// connections that died with the server.
#[actix_web::test]
async fn read_only_traffic_recovers_by_itself() {
    outage_under_load(Fault::Refused, false).await;
}

#[actix_web::test]
async fn stalled_network_gives_503_within_the_timeout_then_recovers() {
    outage_under_load(Fault::Stalled, true).await;
}

/// The limits the README promises are set on every PostgreSQL connection the pool opens.
#[test]
fn postgres_connections_carry_the_configured_timeouts() {
    if !is_postgres() {
        return;
    }
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let app = TestApp::with_config(&[
        ("DB_STATEMENT_TIMEOUT_SECS", "7"),
        ("DB_IDLE_IN_TRANSACTION_TIMEOUT_SECS", "11"),
    ]);
    let show = |name: &str| {
        app.with_conn(|conn| {
            diesel::sql_query(format!("SELECT current_setting('{name}') AS value"))
                .get_result::<Setting>(conn)
                .expect("setting")
                .value
        })
    };
    assert_eq!(show("statement_timeout"), "7s");
    assert_eq!(show("idle_in_transaction_session_timeout"), "11s");
}

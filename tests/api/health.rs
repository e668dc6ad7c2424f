//! Liveness and readiness: `/readyz` follows the database without a restart.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use khuyencong::db::Db;
use khuyencong::state::AppState;

use crate::support::{TestApp, TestDatabase, config, is_postgres};

#[actix_web::test]
async fn healthz_answers() {
    let app = TestApp::new();
    let response = app.get("/healthz").send().await;
    response.assert_status(200);
    assert_eq!(response.body["status"], "ok");
}

/// A TCP proxy in front of PostgreSQL that can be cut (dropping live connections) and restored.
struct Proxy {
    port: u16,
    open: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(false));
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (flag, streams) = (open.clone(), live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !flag.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                streams
                    .lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buffer = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buffer) {
                            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, open, live }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for stream in self.live.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

async fn readyz(state: &AppState) -> u16 {
    let app = actix_web::test::init_service(khuyencong::build_app(state.clone())).await;
    let request = actix_web::test::TestRequest::get().uri("/readyz").to_request();
    actix_web::test::call_service(&app, request)
        .await
        .status()
        .as_u16()
}

#[actix_web::test]
async fn readyz_follows_the_database_without_restart() {
    let database = TestDatabase::create();
    if is_postgres() {
        let url = database.url.clone();
        let host_port = url
            .split('@')
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("127.0.0.1:5432")
            .to_owned();
        let proxy = Proxy::start(host_port.clone());
        let proxied = url.replacen(&host_port, &format!("127.0.0.1:{}", proxy.port), 1);
        let config = config(&proxied, &[("DB_POOL_TIMEOUT_SECS", "1")]);
        let db = Db::open(&config.database_url, &config.db_settings(), false).unwrap();
        let state = AppState::new(config, db);

        assert_eq!(readyz(&state).await, 503, "unreachable at start");
        proxy.restore();
        assert_eq!(readyz(&state).await, 200, "back without a restart");
        proxy.cut();
        assert_eq!(readyz(&state).await, 503, "live connections dropped");
        proxy.restore();
        assert_eq!(readyz(&state).await, 200, "recovered again");
    } else {
        // For the embedded database, "unreachable" is a file whose directory is missing.
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not-yet").join("registry.sqlite3");
        let config = config(missing.to_str().unwrap(), &[("DB_POOL_TIMEOUT_SECS", "1")]);
        let db = Db::open(&config.database_url, &config.db_settings(), false).unwrap();
        let state = AppState::new(config, db);
        assert_eq!(readyz(&state).await, 503);
        std::fs::create_dir_all(missing.parent().unwrap()).unwrap();
        assert_eq!(readyz(&state).await, 200);
    }
}

#[actix_web::test]
async fn unavailable_database_is_a_503_problem_not_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone").join("registry.sqlite3");
    let config = config(missing.to_str().unwrap(), &[("DB_POOL_TIMEOUT_SECS", "1")]);
    let db = Db::open(&config.database_url, &config.db_settings(), false).unwrap();
    let state = AppState::new(config, db);
    let app = actix_web::test::init_service(khuyencong::build_app(state)).await;
    let request = actix_web::test::TestRequest::get()
        .uri("/readyz")
        .insert_header(("Accept-Language", "en"))
        .to_request();
    let response = actix_web::test::call_service(&app, request).await;
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "5");
    let body: serde_json::Value = actix_web::test::read_body_json(response).await;
    assert_eq!(body["code"], "database_unavailable");
}

//! The test harness: a fresh database per test, the application built exactly as `main` builds it,
//! request helpers and fixture builders.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::http::Method;
use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::Value;

use khuyencong::auth::Role;
use khuyencong::auth::accounts::{self, NewAccount};
use khuyencong::config::Config;
use khuyencong::db::{Db, DbSettings, migrations};
use khuyencong::models::audit::Actor;
use khuyencong::models::users::User;
use khuyencong::state::AppState;

pub const TEST_SECRET: &str = "test-signing-key-for-the-registry-tests-only-0123456789";
pub const PASSWORD: &str = "Gốm-Bát-Tràng-2026-lò-bầu";

/// Where the test databases live.
enum Server {
    Sqlite,
    Postgres { admin_url: String },
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Server::Postgres { admin_url: url },
        _ => Server::Sqlite,
    })
}

pub fn is_postgres() -> bool {
    matches!(server(), Server::Postgres { .. })
}

/// A migrated database with reference data, copied for each test (migrating 4,000 reference rows
/// once instead of per test).
fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| match server() {
        Server::Sqlite => {
            let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
            let path = dir.path().join("template.sqlite3");
            let url = path.to_string_lossy().into_owned();
            let db = Db::open(&url, &template_settings(), true).expect("template database");
            let mut conn = db.get().expect("connection");
            migrations::run(&mut conn).expect("migrations");
            conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
            url
        }
        Server::Postgres { admin_url } => {
            let name = format!("kc_tmpl_{}", std::process::id());
            let mut admin = PgConnection::establish(admin_url).expect("PostgreSQL admin connection");
            // Databases of earlier runs that were killed before cleaning up.
            let stale: Vec<String> = diesel::sql_query(
                "SELECT datname AS name FROM pg_database WHERE datname LIKE 'kc\\_tmpl\\_%' OR datname LIKE 'kc\\_t\\_%'",
            )
            .load::<DbName>(&mut admin)
            .expect("list databases")
            .into_iter()
            .map(|d| d.name)
            .collect();
            for old in stale {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"));
            }
            admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).expect("create template");
            let url = database_url(admin_url, &name);
            let db = Db::open(&url, &template_settings(), true).expect("template database");
            migrations::run(&mut db.get().expect("connection")).expect("migrations");
            drop(db);
            name
        }
    })
}

fn template_settings() -> DbSettings {
    DbSettings {
        pool_size: 1,
        ..DbSettings::default()
    }
}

#[derive(QueryableByName)]
struct DbName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// The same server URL with another database name.
fn database_url(admin_url: &str, database: &str) -> String {
    let (base, _) = admin_url.rsplit_once('/').expect("URL with a database name");
    let query = admin_url
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{base}/{database}{query}")
}

/// A database created for one test and removed after it.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDatabase {
    pub fn create() -> TestDatabase {
        let template = template();
        match server() {
            Server::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("registry.sqlite3");
                std::fs::copy(template, &path).expect("copy template");
                TestDatabase {
                    url: path.to_string_lossy().into_owned(),
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Server::Postgres { admin_url } => {
                let name = format!("kc_t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(admin_url).expect("admin connection");
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""))
                    .expect("create test database");
                TestDatabase {
                    url: database_url(admin_url, &name),
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let (Some(name), Server::Postgres { admin_url }) = (&self.pg_name, server())
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

/// Configuration as production reads it, with a known key and the given overrides.
pub fn config(database_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut vars: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), database_url.into()),
        ("JWT_SECRET".into(), TEST_SECRET.into()),
        ("DB_POOL_SIZE".into(), "4".into()),
        ("LOGIN_ATTEMPTS_PER_USERNAME".into(), "50".into()),
        ("LOGIN_ATTEMPTS_PER_CLIENT".into(), "500".into()),
    ];
    for (k, v) in overrides {
        vars.retain(|(name, _)| name != k);
        vars.push(((*k).into(), (*v).into()));
    }
    Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        .expect("test configuration")
}

pub struct TestApp {
    pub state: AppState,
    /// Kept for the test's lifetime: dropping it removes the database.
    pub _database: TestDatabase,
}

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with_config(&[])
    }

    pub fn with_config(overrides: &[(&str, &str)]) -> TestApp {
        let database = TestDatabase::create();
        let config = config(&database.url, overrides);
        let db = Db::open(&config.database_url, &config.db_settings(), true).expect("open test database");
        TestApp {
            state: AppState::new(config, db),
            _database: database,
        }
    }

    /// A second server instance on the same database (its own pool and in-memory caches), as when
    /// several instances serve one registry.
    pub fn another_instance(&self, overrides: &[(&str, &str)]) -> TestApp {
        let config = config(&self._database.url, overrides);
        let db = Db::open(&config.database_url, &config.db_settings(), true).expect("open test database");
        TestApp {
            state: AppState::new(config, db),
            // Borrowed: the first instance removes the database.
            _database: TestDatabase {
                url: self._database.url.clone(),
                _dir: None,
                pg_name: None,
            },
        }
    }

    pub fn request(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            request: TestRequest::default().method(method).uri(path),
        }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        self.request(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Req<'_> {
        self.request(Method::PATCH, path)
    }

    pub fn put(&self, path: &str) -> Req<'_> {
        self.request(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        self.request(Method::DELETE, path)
    }

    /// Creates an account directly (as the command line does) and returns it.
    pub fn user(&self, username: &str, role: Role) -> UserBuilder<'_> {
        UserBuilder {
            app: self,
            account: NewAccount {
                username: username.into(),
                display_name: format!("Cán bộ {username}"),
                password: PASSWORD.into(),
                role,
                province_code: None,
                commune_code: None,
            },
        }
    }

    /// An access token for `user`, signed as login signs it.
    pub fn token_for(&self, user: &User) -> String {
        self.state.tokens.issue_access(user, None).expect("token")
    }

    /// An admin and their token.
    pub fn admin(&self) -> (User, String) {
        let admin = self.user("quantri", Role::Admin).insert();
        let token = self.token_for(&admin);
        (admin, token)
    }

    /// Runs raw diesel work against the test database.
    pub fn with_conn<T>(&self, work: impl FnOnce(&mut khuyencong::db::DbConn) -> T) -> T {
        let mut conn = self.state.db.get().expect("connection");
        work(&mut conn)
    }
}

pub struct UserBuilder<'a> {
    app: &'a TestApp,
    account: NewAccount,
}

impl UserBuilder<'_> {
    pub fn province(mut self, code: &str) -> Self {
        self.account.province_code = Some(code.into());
        self
    }

    pub fn commune(mut self, code: &str) -> Self {
        self.account.commune_code = Some(code.into());
        self
    }

    pub fn insert(self) -> User {
        self.app
            .state
            .db
            .write_blocking(|conn| accounts::create(conn, &Actor::command_line(), self.account))
            .expect("create test user")
    }
}

pub struct Req<'a> {
    app: &'a TestApp,
    request: TestRequest,
}

impl Req<'_> {
    pub fn bearer(mut self, token: &str) -> Self {
        self.request = self
            .request
            .insert_header(("Authorization", format!("Bearer {token}")));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.insert_header((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.request = self.request.set_json(body);
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.request = self
            .request
            .insert_header(("Content-Type", content_type.to_owned()))
            .set_payload(body.into());
        self
    }

    pub fn peer(mut self, address: &str) -> Self {
        self.request = self.request.peer_addr(address.parse().expect("socket address"));
        self
    }

    pub async fn send(self) -> Resp {
        let service = test::init_service(khuyencong::build_app(self.app.state.clone())).await;
        let response = test::call_service(&service, self.request.to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = test::read_body(response).await;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
            bytes: bytes.to_vec(),
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the response is a problem+json with `status` and `code`, carrying the request id.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> &Resp {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert_eq!(self.body["type"], format!("/problems/{code}"));
        assert!(self.body["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.body["detail"].as_str().is_some_and(|t| !t.is_empty()));
        let request_id = self.header("x-request-id").expect("X-Request-Id header");
        assert_eq!(self.body["request_id"], request_id);
        self
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Resp {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        self
    }

    /// The field errors as (field, code) pairs.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_owned(),
                            e["code"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sends one request to a service built once (for tests that send many, concurrently): its status
/// and content type. An error the service returns instead of a response counts as a 500.
pub async fn answer<S, R, B>(service: &S, request: R) -> (u16, String)
where
    S: actix_web::dev::Service<R, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    match service.call(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let _ = test::read_body(response).await;
            (status, content_type)
        }
        Err(error) => (500, format!("service error: {error}")),
    }
}

/// What the network between the registry and PostgreSQL does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Up,
    /// Connections are refused and live ones dropped (the server is down or restarting).
    Refusing,
    /// Nothing gets through, nothing is closed (packets dropped by a broken network).
    Stalled,
}

/// A TCP proxy in front of PostgreSQL that can refuse, stall and restore the connection.
pub struct Proxy {
    port: u16,
    link: Arc<Mutex<Link>>,
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// A proxy to the server of `url` (starting cut off), and the same URL through the proxy.
    pub fn in_front_of(url: &str) -> (Proxy, String) {
        let host_port = url
            .split('@')
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("127.0.0.1:5432")
            .to_owned();
        let proxy = Proxy::start(host_port.clone());
        let proxied = url.replacen(&host_port, &format!("127.0.0.1:{}", proxy.port), 1);
        (proxy, proxied)
    }

    fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let link = Arc::new(Mutex::new(Link::Refusing));
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (state, streams) = (link.clone(), live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if *state.lock().unwrap() == Link::Refusing {
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
                    let state = state.clone();
                    std::thread::spawn(move || {
                        let mut buffer = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buffer) {
                            // A stalled link holds what it read until the link comes back.
                            while *state.lock().unwrap() == Link::Stalled {
                                std::thread::sleep(Duration::from_millis(10));
                            }
                            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, link, live }
    }

    pub fn restore(&self) {
        *self.link.lock().unwrap() = Link::Up;
    }

    /// The server goes away: live connections are dropped, new ones refused.
    pub fn cut(&self) {
        *self.link.lock().unwrap() = Link::Refusing;
        for stream in self.live.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The network stops carrying packets: connections stay open and silent.
    pub fn stall(&self) {
        *self.link.lock().unwrap() = Link::Stalled;
    }
}

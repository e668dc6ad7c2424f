//! The `khuyencong` binary as a user runs it: on a bare directory it creates its SQLite file and
//! key and serves; bad configuration stops it with one line; `user create` makes the first admin.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_khuyencong");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// A server process, killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A command run in `dir` with none of the developer's registry settings leaking in.
fn command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if [
            "DATABASE_URL",
            "JWT_SECRET",
            "JWT_SECRET_FILE",
            "BIND_ADDR",
            "TEST_DATABASE_URL",
        ]
        .contains(&name.as_str())
        {
            command.env_remove(name);
        }
    }
    command
}

#[test]
fn serves_on_a_bare_directory_with_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = Server(
        command(dir.path())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let response = loop {
        if let Some(response) = http_get(port, "/readyz") {
            break response;
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(dir.path().join("var/khuyencong.sqlite3").exists());
    let key = dir.path().join("var/jwt-signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let docs = http_get(port, "/docs/").unwrap();
    assert!(docs.starts_with("HTTP/1.1 200"));
}

#[test]
fn metrics_are_served_apart_from_the_api_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let _server = Server(
        command(dir.path())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("DB_POOL_SIZE", "7")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while http_get(port, "/readyz").is_none() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    for _ in 0..3 {
        http_get(port, "/api/v1/projects/7").unwrap();
    }
    // The API does not serve them.
    assert!(http_get(port, "/metrics").unwrap().starts_with("HTTP/1.1 404"));
    let scraped = http_get(metrics_port, "/metrics").unwrap();
    assert!(scraped.starts_with("HTTP/1.1 200"), "{scraped}");
    assert!(scraped.contains("text/plain; version=0.0.4"), "{scraped}");
    // Per route pattern, not per path; the unauthenticated reads were 401.
    assert!(
        scraped.contains(r#"http_requests_total{method="GET",route="/api/v1/projects/{id}",status="401"} 3"#),
        "{scraped}"
    );
    assert!(
        scraped.contains(r#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/projects/{id}",status="401",le="+Inf"} 3"#),
        "{scraped}"
    );
    assert!(scraped.contains("db_pool_max_connections 7"), "{scraped}");
    assert!(scraped.contains("db_pool_wait_seconds_count"), "{scraped}");
    assert!(
        scraped.contains(r#"db_work_duration_seconds_count{kind="read"}"#),
        "{scraped}"
    );
}

#[test]
fn bad_configuration_stops_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .env("BIND_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: configuration: BIND_ADDR="), "{stderr}");
    assert!(!stderr.contains("panicked"));

    let output = command(dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cannot connect to the database"), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("connection refused") || stderr.contains("127.0.0.1"),
        "the real error is shown: {stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn user_create_makes_the_first_admin() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .args(["user", "create", "--username", "admin", "--role", "admin"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("created user admin"));
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("generated password printed");
    assert_eq!(password.len(), 20);

    let mut child = command(dir.path())
        .args([
            "user",
            "create",
            "--username",
            "bo.admin",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("Nón-lá-làng-Chuông-1999\n".as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!String::from_utf8(output.stdout).unwrap().contains("password"));

    let output = command(dir.path())
        .args([
            "user",
            "create",
            "--username",
            "yeu",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8(output.stderr).unwrap().contains("password"));
}

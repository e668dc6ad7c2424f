//! Configuration from environment variables (and an optional `.env`). Every setting has a safe
//! default for the embedded SQLite deployment; a bad value stops start-up with a one-line message.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

/// The database used when `DATABASE_URL` is not set: a SQLite file created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://var/khuyencong.sqlite3";
const DEFAULT_KEY_FILE: &str = "var/jwt-signing.key";
/// HS256 keys shorter than the hash output weaken the signature (RFC 7518 §3.2).
const MIN_KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Attempts allowed per window before `429`, for one key (a username or a client address).
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub attempts: u32,
    pub per: Duration,
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind_addr: SocketAddr,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// HS256 signing key. Never logged.
    pub jwt_signing_key: Vec<u8>,
    pub log_format: LogFormat,
    pub body_limit_bytes: usize,
    pub db_pool_size: u32,
    pub db_pool_timeout: Duration,
    pub db_connect_timeout: Duration,
    pub db_statement_timeout: Duration,
    pub db_idle_in_transaction_timeout: Duration,
    pub db_request_timeout: Duration,
    /// The longest a client may take to send a request body it announced.
    pub body_read_timeout: Duration,
    pub login_limit_per_username: RateLimit,
    pub login_limit_per_client: RateLimit,
    /// Use `X-Forwarded-For` as the client address (only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    /// Browser origins allowed to call the API (`https://host[:port]`); none by default.
    pub cors_allowed_origins: Vec<String>,
    /// Policy: advances before acceptance may reach this percentage of a project's state support
    /// (70 by default, the share the finance rules allow).
    pub advance_share_percent: i64,
    /// Policy: the average jury total an entry needs to qualify for recognition (70 by default,
    /// TT 26/2014/TT-BCT as amended). Kept on each round when it opens.
    pub selection_qualifying_score: i64,
    /// Policy: a certificate holds until 31 December of this year counting the issue year (3 by
    /// default: issue year + 2).
    pub certificate_validity_years: i32,
    /// Requests per minute one client address may make to the public endpoints.
    pub public_requests_per_minute: u32,
    /// Requests per minute one integration client may make with its tokens.
    pub client_requests_per_minute: u32,
    /// How long a checked session is trusted without reading the account again on another
    /// instance (changes made through this instance apply at once); zero reads it every request.
    pub principal_cache_ttl: Duration,
    /// How long another instance may serve a public certificate answer after it changed here.
    pub public_cache_ttl: Duration,
    /// How long an integration client's replaced secret keeps working after a rotation; zero ends
    /// it at once.
    pub client_secret_grace: Duration,
    /// Where the Prometheus metrics are served; off when unset.
    pub metrics_addr: Option<SocketAddr>,
    /// Webhook delivery: plain `http://` to a loopback address is accepted (development only).
    pub webhook_allow_loopback: bool,
    /// The wait before the first retry of a failed delivery; each retry waits four times longer
    /// (at most six hours).
    pub webhook_retry_base: Duration,
    /// How long a delivery is retried, and how long a subscription may fail without a break
    /// before it is disabled.
    pub webhook_retry_window: Duration,
    /// How often the delivery worker looks for due deliveries; zero turns it off (an instance
    /// that only answers requests).
    pub webhook_poll: Duration,
    /// The largest file `POST /api/v1/imports` takes.
    pub import_max_bytes: usize,
    /// Files larger than this are imported as a job (202 and `GET /api/v1/imports/{id}`); smaller
    /// ones are answered in the request.
    pub import_sync_max_bytes: usize,
    /// How long an import job's lease lasts without renewal; a job whose server stopped is failed
    /// once its lease ran out.
    pub import_job_lease: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind_addr", &self.bind_addr)
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("jwt_signing_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads the process environment, loading `.env` first when there is one.
    pub fn from_env() -> Result<Config, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError(format!(".env could not be read: {e}"))),
        }
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let bind_addr = parse(&var, "BIND_ADDR", "127.0.0.1:8080")?;
        let jwt_signing_key = match (var("JWT_SECRET"), var("JWT_SECRET_FILE")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError("set JWT_SECRET or JWT_SECRET_FILE, not both".into()));
            }
            (Some(secret), None) => decode_secret(&secret, "JWT_SECRET")?,
            (None, file) => load_or_create_key_file(Path::new(file.as_deref().unwrap_or(DEFAULT_KEY_FILE)))?,
        };
        let log_format = match var("LOG_FORMAT").as_deref().unwrap_or("pretty") {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError(format!(
                    "LOG_FORMAT must be `pretty` or `json`, not `{other}`"
                )));
            }
        };
        let config = Config {
            database_url,
            bind_addr,
            jwt_issuer: var("JWT_ISSUER").unwrap_or_else(|| "khuyencong-registry".into()),
            jwt_audience: var("JWT_AUDIENCE").unwrap_or_else(|| "khuyencong-api".into()),
            access_token_ttl: Duration::from_secs(parse(&var, "ACCESS_TOKEN_TTL_SECS", "900")?),
            refresh_token_ttl: Duration::from_secs(parse(&var, "REFRESH_TOKEN_TTL_SECS", "1209600")?),
            jwt_signing_key,
            log_format,
            body_limit_bytes: parse(&var, "BODY_LIMIT_BYTES", "1048576")?,
            db_pool_size: parse(&var, "DB_POOL_SIZE", &default_pool_size().to_string())?,
            db_pool_timeout: Duration::from_secs(parse(&var, "DB_POOL_TIMEOUT_SECS", "2")?),
            db_connect_timeout: Duration::from_secs(parse(&var, "DB_CONNECT_TIMEOUT_SECS", "3")?),
            db_statement_timeout: Duration::from_secs(parse(&var, "DB_STATEMENT_TIMEOUT_SECS", "10")?),
            db_idle_in_transaction_timeout: Duration::from_secs(parse(
                &var,
                "DB_IDLE_IN_TRANSACTION_TIMEOUT_SECS",
                "30",
            )?),
            db_request_timeout: Duration::from_secs(parse(&var, "DB_REQUEST_TIMEOUT_SECS", "15")?),
            body_read_timeout: Duration::from_secs(parse(&var, "BODY_READ_TIMEOUT_SECS", "10")?),
            login_limit_per_username: RateLimit {
                attempts: parse(&var, "LOGIN_ATTEMPTS_PER_USERNAME", "5")?,
                per: Duration::from_secs(parse(&var, "LOGIN_WINDOW_SECS", "300")?),
            },
            login_limit_per_client: RateLimit {
                attempts: parse(&var, "LOGIN_ATTEMPTS_PER_CLIENT", "30")?,
                per: Duration::from_secs(parse(&var, "LOGIN_WINDOW_SECS", "300")?),
            },
            trust_forwarded_for: parse(&var, "TRUST_X_FORWARDED_FOR", "false")?,
            cors_allowed_origins: origins(var("CORS_ALLOWED_ORIGINS").as_deref().unwrap_or(""))?,
            advance_share_percent: parse(&var, "ADVANCE_SHARE_PERCENT", "70")?,
            selection_qualifying_score: parse(&var, "SELECTION_QUALIFYING_SCORE", "70")?,
            certificate_validity_years: parse(&var, "CERTIFICATE_VALIDITY_YEARS", "3")?,
            public_requests_per_minute: parse(&var, "PUBLIC_REQUESTS_PER_MINUTE", "120")?,
            client_requests_per_minute: parse(&var, "CLIENT_REQUESTS_PER_MINUTE", "600")?,
            principal_cache_ttl: Duration::from_secs(parse(&var, "PRINCIPAL_CACHE_SECS", "5")?),
            public_cache_ttl: Duration::from_secs(parse(&var, "PUBLIC_CACHE_SECS", "30")?),
            client_secret_grace: Duration::from_secs(parse(&var, "CLIENT_SECRET_GRACE_SECS", "86400")?),
            metrics_addr: match var("METRICS_ADDR") {
                Some(_) => Some(parse(&var, "METRICS_ADDR", "")?),
                None => None,
            },
            webhook_allow_loopback: parse(&var, "WEBHOOK_ALLOW_LOOPBACK", "false")?,
            webhook_retry_base: Duration::from_millis(parse(&var, "WEBHOOK_RETRY_BASE_MS", "5000")?),
            webhook_retry_window: Duration::from_secs(parse(&var, "WEBHOOK_RETRY_WINDOW_SECS", "86400")?),
            webhook_poll: Duration::from_millis(parse(&var, "WEBHOOK_POLL_MS", "1000")?),
            import_max_bytes: parse(&var, "IMPORT_MAX_BYTES", "33554432")?,
            import_sync_max_bytes: parse(&var, "IMPORT_SYNC_MAX_BYTES", "262144")?,
            import_job_lease: Duration::from_secs(parse(&var, "IMPORT_JOB_LEASE_SECS", "30")?),
        };
        config.check()?;
        Ok(config)
    }

    /// How the database pool connects and how long it waits.
    pub fn db_settings(&self) -> crate::db::DbSettings {
        crate::db::DbSettings {
            pool_size: self.db_pool_size,
            pool_timeout: self.db_pool_timeout,
            connect_timeout: self.db_connect_timeout,
            statement_timeout: self.db_statement_timeout,
            idle_in_transaction_timeout: self.db_idle_in_transaction_timeout,
            request_timeout: self.db_request_timeout,
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        if !(0..=100).contains(&self.advance_share_percent) {
            return Err(ConfigError(format!(
                "ADVANCE_SHARE_PERCENT must be between 0 and 100, not {}",
                self.advance_share_percent
            )));
        }
        if !(1..=100).contains(&self.selection_qualifying_score) {
            return Err(ConfigError(format!(
                "SELECTION_QUALIFYING_SCORE must be between 1 and 100, not {}",
                self.selection_qualifying_score
            )));
        }
        if !(1..=10).contains(&self.certificate_validity_years) {
            return Err(ConfigError(format!(
                "CERTIFICATE_VALIDITY_YEARS must be between 1 and 10, not {}",
                self.certificate_validity_years
            )));
        }
        let positive = [
            (
                "PUBLIC_REQUESTS_PER_MINUTE",
                u64::from(self.public_requests_per_minute),
            ),
            (
                "CLIENT_REQUESTS_PER_MINUTE",
                u64::from(self.client_requests_per_minute),
            ),
            ("ACCESS_TOKEN_TTL_SECS", self.access_token_ttl.as_secs()),
            ("REFRESH_TOKEN_TTL_SECS", self.refresh_token_ttl.as_secs()),
            ("BODY_LIMIT_BYTES", self.body_limit_bytes as u64),
            ("DB_POOL_SIZE", u64::from(self.db_pool_size)),
            ("DB_POOL_TIMEOUT_SECS", self.db_pool_timeout.as_secs()),
            ("DB_CONNECT_TIMEOUT_SECS", self.db_connect_timeout.as_secs()),
            ("DB_STATEMENT_TIMEOUT_SECS", self.db_statement_timeout.as_secs()),
            (
                "DB_IDLE_IN_TRANSACTION_TIMEOUT_SECS",
                self.db_idle_in_transaction_timeout.as_secs(),
            ),
            ("DB_REQUEST_TIMEOUT_SECS", self.db_request_timeout.as_secs()),
            ("BODY_READ_TIMEOUT_SECS", self.body_read_timeout.as_secs()),
            (
                "LOGIN_ATTEMPTS_PER_USERNAME",
                u64::from(self.login_limit_per_username.attempts),
            ),
            (
                "LOGIN_ATTEMPTS_PER_CLIENT",
                u64::from(self.login_limit_per_client.attempts),
            ),
            ("LOGIN_WINDOW_SECS", self.login_limit_per_client.per.as_secs()),
            (
                "WEBHOOK_RETRY_BASE_MS",
                self.webhook_retry_base.as_millis() as u64,
            ),
            ("WEBHOOK_RETRY_WINDOW_SECS", self.webhook_retry_window.as_secs()),
            ("IMPORT_MAX_BYTES", self.import_max_bytes as u64),
            ("IMPORT_JOB_LEASE_SECS", self.import_job_lease.as_secs()),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError(format!("{name} must be greater than 0")));
        }
        if self.refresh_token_ttl <= self.access_token_ttl {
            return Err(ConfigError(
                "REFRESH_TOKEN_TTL_SECS must be longer than ACCESS_TOKEN_TTL_SECS".into(),
            ));
        }
        crate::db::Backend::from_url(&self.database_url).map_err(|e| ConfigError(e.to_string()))?;
        Ok(())
    }
}

/// Two connections per core and one more: enough to keep the cores busy while some connections
/// wait on the network, few enough that the database's processes do not crowd out the server's
/// own threads on the same machine (measured in bench/RESULTS.md: beyond this, throughput barely
/// moves and the slowest requests wait many times longer).
pub fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2 + 1).unwrap_or(10)
}

fn parse<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let raw = var(name).unwrap_or_else(|| default.to_owned());
    raw.trim()
        .parse()
        .map_err(|e| ConfigError(format!("{name}=`{raw}` is not valid: {e}")))
}

/// `CORS_ALLOWED_ORIGINS`: comma-separated origins, each `http(s)://host[:port]` exactly as a
/// browser sends it in `Origin` (no path, no trailing slash, no wildcard).
fn origins(list: &str) -> Result<Vec<String>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .unwrap_or("");
            let valid = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
            if valid {
                Ok(origin.to_owned())
            } else {
                Err(ConfigError(format!(
                    "CORS_ALLOWED_ORIGINS: `{origin}` is not an origin like https://khuyencong.example.vn"
                )))
            }
        })
        .collect()
}

/// `JWT_SECRET` is used as it is written (its bytes), so there is no guessing about encodings.
fn decode_secret(secret: &str, name: &str) -> Result<Vec<u8>, ConfigError> {
    check_key_length(secret.trim().as_bytes().to_vec(), name)
}

/// The generated key file holds base64.
fn decode_key_file(content: &str, name: &str) -> Result<Vec<u8>, ConfigError> {
    let bytes = STANDARD
        .decode(content.trim())
        .map_err(|e| ConfigError(format!("{name} is not base64: {e}")))?;
    check_key_length(bytes, name)
}

fn check_key_length(bytes: Vec<u8>, name: &str) -> Result<Vec<u8>, ConfigError> {
    if bytes.len() < MIN_KEY_BYTES {
        return Err(ConfigError(format!(
            "{name} must hold at least {MIN_KEY_BYTES} bytes of key material"
        )));
    }
    Ok(bytes)
}

/// Reads the signing key file, creating it with fresh random bytes and mode 0600 when absent, so the
/// embedded default never signs with a key that anyone else knows.
fn load_or_create_key_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(content) => return decode_key_file(&content, &format!("key file {shown}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(ConfigError(format!("key file {shown} could not be read: {e}"))),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| ConfigError(format!("directory {} could not be created: {e}", dir.display())))?;
    }
    let mut key = vec![0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| ConfigError(format!("key file {shown} could not be created: {e}")))?;
    std::io::Write::write_all(&mut file, STANDARD.encode(&key).as_bytes())
        .map_err(|e| ConfigError(format!("key file {shown} could not be written: {e}")))?;
    Ok(key)
}

/// The URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The directory a SQLite database file lives in, created on first start.
pub fn ensure_parent_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_are_the_embedded_deployment() {
        let c = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.access_token_ttl, Duration::from_secs(900));
    }

    #[test]
    fn bad_values_are_explained_in_one_line() {
        let err = config(&[("JWT_SECRET", SECRET), ("BIND_ADDR", "nowhere")]).unwrap_err();
        assert!(err.to_string().contains("BIND_ADDR=`nowhere`"), "{err}");
        let err = config(&[("JWT_SECRET", "short")]).unwrap_err();
        assert!(err.to_string().contains("at least 32 bytes"), "{err}");
        let err = config(&[("JWT_SECRET", SECRET), ("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.to_string().contains("mysql"), "{err}");
        let err = config(&[("JWT_SECRET", SECRET), ("DB_POOL_SIZE", "0")]).unwrap_err();
        assert!(err.to_string().contains("DB_POOL_SIZE"), "{err}");
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn key_file_is_generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/jwt.key");
        let shown = path.to_str().unwrap();
        let first = config(&[("JWT_SECRET_FILE", shown)]).unwrap().jwt_signing_key;
        let second = config(&[("JWT_SECRET_FILE", shown)]).unwrap().jwt_signing_key;
        assert_eq!(first, second);
        assert!(first.len() >= MIN_KEY_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        let c = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert!(c.cors_allowed_origins.is_empty());
        let c = config(&[
            ("JWT_SECRET", SECRET),
            (
                "CORS_ALLOWED_ORIGINS",
                " https://kc.hanoi.gov.vn, http://localhost:5173 ",
            ),
        ])
        .unwrap();
        assert_eq!(
            c.cors_allowed_origins,
            ["https://kc.hanoi.gov.vn", "http://localhost:5173"]
        );
        for bad in [
            "*",
            "kc.hanoi.gov.vn",
            "https://kc.hanoi.gov.vn/",
            "https://a.vn/app",
        ] {
            let err = config(&[("JWT_SECRET", SECRET), ("CORS_ALLOWED_ORIGINS", bad)]).unwrap_err();
            assert!(err.to_string().contains("CORS_ALLOWED_ORIGINS"), "{bad}: {err}");
        }
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/kc"),
            "postgres://app:***@db:5432/kc"
        );
        assert_eq!(redact_url("sqlite://var/x.db"), "sqlite://var/x.db");
    }
}

//! Database access: the two backends behind one connection type, the pool, migrations and the
//! hand-kept schema. Handlers never touch the pool directly; they go through [`Db::read`] and
//! [`Db::write`], which run the blocking diesel work off the async executor.

mod manager;
pub mod migrations;
pub mod schema;
mod sum;
mod workers;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{Pool, PooledConnection};

pub use manager::{ConnectionManager, PgLimits, Tracked};
pub use sum::{SumBigInt, sum_bigint};
use workers::Workers;

use crate::error::ApiError;

/// One connection to either backend. Queries written against `DbConn` are type-checked for both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// The backend type of [`DbConn`], for boxed queries.
pub type DbBackend = <DbConn as Connection>::Backend;

/// Runs one expression against whichever concrete connection `conn` holds. For the few statements
/// that the multi-backend cannot express (batch insert, upsert), so the branching stays in one place.
#[macro_export]
macro_rules! each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// The backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres(String),
    /// A SQLite database file.
    Sqlite(PathBuf),
}

#[derive(Debug, thiserror::Error)]
#[error("DATABASE_URL `{0}` is neither postgres://, postgresql://, sqlite:// nor a file path")]
pub struct UnsupportedUrl(String);

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, UnsupportedUrl> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .or_else(|| url.strip_prefix("file:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") || path == ":memory:" {
            // `:memory:` gives every pooled connection its own empty database.
            return Err(UnsupportedUrl(url.to_owned()));
        }
        Ok(Backend::Sqlite(PathBuf::from(path)))
    }
}

/// How the pool connects and how long a request waits for the database.
#[derive(Debug, Clone)]
pub struct DbSettings {
    pub pool_size: u32,
    /// Wait for a free connection (or a new one) before answering 503.
    pub pool_timeout: Duration,
    pub connect_timeout: Duration,
    /// PostgreSQL cancels a statement running longer than this.
    pub statement_timeout: Duration,
    /// PostgreSQL ends a session left idle inside a transaction for longer than this.
    pub idle_in_transaction_timeout: Duration,
    /// The longest a request waits for its database work in all; then it is answered 503.
    pub request_timeout: Duration,
}

impl Default for DbSettings {
    /// The configuration defaults (see the README).
    fn default() -> DbSettings {
        DbSettings {
            pool_size: crate::config::default_pool_size(),
            pool_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
            idle_in_transaction_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(15),
        }
    }
}

/// The connection pool and what the handlers need to use it safely.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    /// Moved on when a request finds the server gone (see [`manager`]).
    generation: Arc<AtomicU64>,
    request_timeout: Duration,
    /// SQLite allows one writer; serialising writers in-process avoids `SQLITE_BUSY` on lock upgrade
    /// (two deferred transactions that both start to write). PostgreSQL needs no such lock.
    sqlite_writer: Option<Arc<std::sync::Mutex<()>>>,
    /// Transactions committed through this pool: answers kept in memory are valid only for the
    /// count they were read at.
    committed: Arc<AtomicU64>,
    /// One thread per pooled connection, fed from one queue in arrival order (see [`workers`]):
    /// requests wait there, first come first served, never in the pool itself.
    workers: Workers,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Url(#[from] UnsupportedUrl),
    #[error("cannot create the directory for the SQLite file: {0}")]
    Directory(std::io::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
}

impl Db {
    /// Opens the pool. With `check` the first connection is made now, so that start-up fails with the
    /// real connection error; without it the pool connects lazily (used to start while the database
    /// is still down and let `/readyz` report it).
    pub fn open(url: &str, settings: &DbSettings, check: bool) -> Result<Db, OpenError> {
        let backend = Backend::from_url(url)?;
        if let Backend::Sqlite(path) = &backend
            && check
        {
            crate::config::ensure_parent_dir(path).map_err(OpenError::Directory)?;
            // WAL is a property of the file; set it once, before the pool opens its connections.
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| OpenError::Connect(e.to_string()))?;
            conn.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(|e| OpenError::Connect(e.to_string()))?;
        }
        let is_sqlite = matches!(backend, Backend::Sqlite(_));
        let manager = ConnectionManager::new(
            backend,
            PgLimits {
                connect_timeout: settings.connect_timeout,
                statement_timeout: settings.statement_timeout,
                idle_in_transaction_timeout: settings.idle_in_transaction_timeout,
            },
        );
        let generation = manager.generation();
        // The checkout test costs no round trip: it only compares generations.
        let builder = Pool::builder()
            .max_size(settings.pool_size)
            .min_idle(Some(0))
            .connection_timeout(settings.pool_timeout)
            .test_on_check_out(true);
        let pool = if check {
            // Report the manager's own error, not r2d2's generic timeout.
            manager.probe().map_err(|e| OpenError::Connect(e.to_string()))?;
            builder
                .build(manager)
                .map_err(|e| OpenError::Connect(e.to_string()))?
        } else {
            builder.build_unchecked(manager)
        };
        Ok(Db {
            pool,
            generation,
            request_timeout: settings.request_timeout,
            sqlite_writer: is_sqlite.then(|| Arc::new(std::sync::Mutex::new(()))),
            committed: Arc::default(),
            workers: Workers::start(settings.pool_size as usize)
                .map_err(|e| OpenError::Connect(format!("cannot start the database threads: {e}")))?,
        })
    }

    /// A connection for blocking code (CLI commands, migrations).
    pub fn get(&self) -> Result<PooledConnection<ConnectionManager>, ApiError> {
        self.checkout(Instant::now())
    }

    /// A pooled connection for work that has waited since `queued`; the wait is recorded.
    fn checkout(&self, queued: Instant) -> Result<PooledConnection<ConnectionManager>, ApiError> {
        let conn = self.pool.get().map_err(|e| {
            tracing::warn!(error = %e, "no database connection");
            ApiError::unavailable()
        });
        metrics::histogram!(crate::instruments::POOL_WAIT_SECONDS).record(queued.elapsed().as_secs_f64());
        conn
    }

    /// Open and idle connections now.
    pub fn pool_state(&self) -> diesel::r2d2::State {
        self.pool.state()
    }

    pub fn pool_max_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// Runs read-only work on a pooled connection, off the async executor.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        self.bounded(
            self.workers
                .run(move |queued| db.timed("read", queued, || db.run(queued, work))),
        )
        .await
    }

    /// Runs a mutation in one transaction: the change and its audit event commit together or not at
    /// all.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        self.bounded(
            self.workers
                .run(move |queued| db.timed("write", queued, || db.write_queued(queued, work))),
        )
        .await
    }

    /// Records how long a request's database work took, its wait in the queue included.
    fn timed<T>(&self, kind: &'static str, queued: Instant, work: impl FnOnce() -> T) -> T {
        let result = work();
        metrics::histogram!(crate::instruments::DATABASE_SECONDS, "kind" => kind)
            .record(queued.elapsed().as_secs_f64());
        result
    }

    /// [`Db::write`] for code that is already off the executor (the CLI).
    pub fn write_blocking<T>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.write_queued(Instant::now(), work)
    }

    fn write_queued<T>(
        &self,
        queued: Instant,
        work: impl FnOnce(&mut DbConn) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let _writer = self
            .sqlite_writer
            .as_ref()
            .map(|lock| lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let result = self.run(queued, |conn| conn.transaction(work));
        if result.is_ok() {
            self.committed.fetch_add(1, Ordering::AcqRel);
        }
        result
    }

    /// How many transactions this pool has committed; it moves on after every change made through
    /// this instance (read it before reading what is to be kept).
    pub fn committed_writes(&self) -> u64 {
        self.committed.load(Ordering::Acquire)
    }

    /// Runs `work` on a pooled connection. A connection that lost its server is closed, and so are
    /// all connections opened before, instead of failing one request each later on.
    fn run<T>(
        &self,
        queued: Instant,
        work: impl FnOnce(&mut DbConn) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut pooled = self.checkout(queued)?;
        let result = work(&mut pooled);
        match result {
            Err(error) if error.connection_lost || (error.is_internal() && !self.answers(&mut pooled)) => {
                pooled.mark_lost();
                self.generation.fetch_add(1, Ordering::AcqRel);
                if error.connection_lost {
                    Err(error)
                } else {
                    // An unexpected error on a connection that no longer answers is the outage,
                    // not a bug: whatever libpq said, the client may retry.
                    tracing::warn!(error = %error, cause = ?error.internal, "database connection lost");
                    Err(ApiError::connection_lost())
                }
            }
            other => other,
        }
    }

    /// Whether the connection still answers (asked only after an unexpected error).
    fn answers(&self, conn: &mut DbConn) -> bool {
        conn.batch_execute("SELECT 1").is_ok()
    }

    /// Waits for blocking database work at most `request_timeout`; past it the client gets 503,
    /// whatever the network does (a stalled connection would otherwise hold the request forever).
    async fn bounded<T>(
        &self,
        task: impl Future<Output = Result<Result<T, ApiError>, workers::Lost>>,
    ) -> Result<T, ApiError> {
        match actix_web::rt::time::timeout(self.request_timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(workers::Lost)) => Err(ApiError::internal("database work panicked".to_owned())),
            Err(_) => {
                tracing::warn!(
                    timeout_ms = self.request_timeout.as_millis() as u64,
                    "database did not answer in time"
                );
                Err(ApiError::unavailable())
            }
        }
    }

    /// Whether the database answers a query now.
    pub async fn is_ready(&self) -> bool {
        self.read(|conn| {
            conn.batch_execute("SELECT 1").map_err(ApiError::from)?;
            Ok(())
        })
        .await
        .is_ok()
    }

    pub fn is_sqlite(&self) -> bool {
        self.sqlite_writer.is_some()
    }

    /// The index that answers `q` on this backend.
    pub fn search_index(&self) -> crate::models::search::SearchIndex {
        if self.is_sqlite() {
            crate::models::search::SearchIndex::Fts5
        } else {
            crate::models::search::SearchIndex::Trigram
        }
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("sqlite", &self.is_sqlite()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_comes_from_the_url_scheme() {
        assert!(matches!(
            Backend::from_url("postgres://u@h/db"),
            Ok(Backend::Postgres(_))
        ));
        assert!(matches!(
            Backend::from_url("postgresql://u@h/db"),
            Ok(Backend::Postgres(_))
        ));
        assert_eq!(
            Backend::from_url("sqlite://var/kc.sqlite3").unwrap(),
            Backend::Sqlite(PathBuf::from("var/kc.sqlite3"))
        );
        assert_eq!(
            Backend::from_url("/tmp/x.db").unwrap(),
            Backend::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert!(Backend::from_url("mysql://u@h/db").is_err());
        assert!(Backend::from_url("sqlite://:memory:").is_err());
    }
}

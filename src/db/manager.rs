//! The r2d2 connection manager. It picks the backend from the URL scheme itself, because the stock
//! multi-connection manager tries every backend in turn and hides the real PostgreSQL error.
//!
//! It also decides when a pooled connection may no longer be handed out. Checking a connection with
//! a round trip on every checkout costs more than many requests; instead, every connection belongs
//! to a *generation*, and the first request that finds the server gone moves the generation on. The
//! connections of earlier generations (opened before the outage, all dead with it) are then thrown
//! away at their next checkout without a round trip, so the pool heals within one failed request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, R2D2Connection};

use super::{Backend, DbConn};

/// Pragmas every SQLite connection needs: wait for the writer instead of failing, enforce foreign
/// keys (off by default in SQLite), and the durability level recommended with WAL.
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// Time limits applied to every PostgreSQL connection.
#[derive(Debug, Clone, Copy)]
pub struct PgLimits {
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
    pub idle_in_transaction_timeout: Duration,
}

/// A pooled connection and what the pool needs to know about it.
pub struct Tracked {
    conn: DbConn,
    generation: u64,
    /// Set when a statement on this connection failed because the server went away.
    lost: bool,
}

impl Tracked {
    /// Marks this connection as unusable: it is closed instead of going back to the pool.
    pub fn mark_lost(&mut self) {
        self.lost = true;
    }
}

impl std::ops::Deref for Tracked {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Tracked {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

#[derive(Debug)]
pub struct ConnectionManager {
    backend: Backend,
    limits: PgLimits,
    generation: Arc<AtomicU64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("{0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
    #[error("connection opened before the database was last found unreachable")]
    Stale,
}

impl ConnectionManager {
    pub fn new(backend: Backend, limits: PgLimits) -> ConnectionManager {
        ConnectionManager {
            backend,
            limits,
            generation: Arc::default(),
        }
    }

    /// The shared generation counter (see the module documentation).
    pub fn generation(&self) -> Arc<AtomicU64> {
        self.generation.clone()
    }

    /// Opens and checks one connection, returning the backend's own error.
    pub fn probe(&self) -> Result<(), ManagerError> {
        let mut conn = self.connect()?;
        conn.conn.ping()?;
        Ok(())
    }

    fn is_stale(&self, conn: &Tracked) -> bool {
        conn.lost || conn.generation < self.generation.load(Ordering::Acquire)
    }
}

/// Whether the URL names this machine (`localhost`, `127.x.x.x`, `[::1]`).
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().map(|h| &h[1..]).unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// The URL with libpq's connect timeout and TCP user timeout added, unless the operator set them.
/// Without them a connection attempt or a query on a network that drops packets waits for minutes.
///
/// A database on this machine is reached without TLS unless `sslmode` says otherwise: libpq's
/// default (`prefer`) encrypts loopback traffic, which protects nothing and costs about a fifth of
/// a short read. A remote database keeps libpq's default; production sets `sslmode=verify-full`.
fn with_network_timeouts(url: &str, limits: &PgLimits) -> String {
    let mut url = url.to_owned();
    if is_loopback(&url) && !url.contains("sslmode=") {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("sslmode=disable");
    }
    for (name, value) in [
        ("connect_timeout", limits.connect_timeout.as_secs().max(1)),
        (
            "tcp_user_timeout",
            u64::try_from(limits.statement_timeout.as_millis()).unwrap_or(u64::MAX),
        ),
    ] {
        if !url.contains(&format!("{name}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{name}={value}"));
        }
    }
    url
}

impl ManageConnection for ConnectionManager {
    type Connection = Tracked;
    type Error = ManagerError;

    fn connect(&self) -> Result<Tracked, ManagerError> {
        // Read before connecting: a connection opened while an outage is being detected belongs to
        // the old generation and is checked again.
        let generation = self.generation.load(Ordering::Acquire);
        let conn = match &self.backend {
            Backend::Postgres(url) => {
                let mut conn = PgConnection::establish(&with_network_timeouts(url, &self.limits))?;
                conn.batch_execute(&format!(
                    "SET statement_timeout = {}; SET idle_in_transaction_session_timeout = {};",
                    self.limits.statement_timeout.as_millis(),
                    self.limits.idle_in_transaction_timeout.as_millis(),
                ))?;
                DbConn::Pg(conn)
            }
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                DbConn::Sqlite(conn)
            }
        };
        Ok(Tracked {
            conn,
            generation,
            lost: false,
        })
    }

    /// Called at checkout: no round trip, only the generation check.
    fn is_valid(&self, conn: &mut Tracked) -> Result<(), ManagerError> {
        if self.is_stale(conn) {
            Err(ManagerError::Stale)
        } else {
            Ok(())
        }
    }

    /// Called when a connection is given back: one that lost its server, or whose transaction
    /// state is broken, is closed and replaced on a later checkout.
    fn has_broken(&self, conn: &mut Tracked) -> bool {
        self.is_stale(conn) || conn.conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> PgLimits {
        PgLimits {
            connect_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
            idle_in_transaction_timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn connections_of_an_earlier_generation_or_lost_are_not_handed_out() {
        let dir = tempfile::tempdir().unwrap();
        let manager = ConnectionManager::new(Backend::Sqlite(dir.path().join("g.sqlite3")), limits());
        let mut old = manager.connect().unwrap();
        assert!(manager.is_valid(&mut old).is_ok());
        assert!(!manager.has_broken(&mut old));

        manager.generation().fetch_add(1, Ordering::AcqRel);
        assert!(matches!(manager.is_valid(&mut old), Err(ManagerError::Stale)));
        assert!(manager.has_broken(&mut old));
        let mut new = manager.connect().unwrap();
        assert!(manager.is_valid(&mut new).is_ok());

        new.mark_lost();
        assert!(manager.has_broken(&mut new));
    }

    #[test]
    fn network_timeouts_are_added_unless_given() {
        let limits = limits();
        assert_eq!(
            with_network_timeouts("postgres://u@h/db", &limits),
            "postgres://u@h/db?connect_timeout=3&tcp_user_timeout=10000"
        );
        assert_eq!(
            with_network_timeouts("postgres://u@h/db?sslmode=disable&connect_timeout=9", &limits),
            "postgres://u@h/db?sslmode=disable&connect_timeout=9&tcp_user_timeout=10000"
        );
        assert_eq!(
            with_network_timeouts("postgres://u:p@127.0.0.1:5432/db", &limits),
            "postgres://u:p@127.0.0.1:5432/db?sslmode=disable&connect_timeout=3&tcp_user_timeout=10000"
        );
        assert_eq!(
            with_network_timeouts("postgresql://localhost/db?sslmode=require", &limits),
            "postgresql://localhost/db?sslmode=require&connect_timeout=3&tcp_user_timeout=10000"
        );
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback("postgres://postgres@127.0.0.1:5432/postgres"));
        assert!(is_loopback("postgres://u:p%40ss@localhost/db"));
        assert!(is_loopback("postgresql://[::1]:5432/db"));
        assert!(!is_loopback("postgres://u@db.internal:5432/registry"));
        assert!(!is_loopback("postgres://u@10.0.0.5/registry"));
    }
}

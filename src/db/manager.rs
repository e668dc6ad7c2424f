//! The r2d2 connection manager. It picks the backend from the URL scheme itself, because the stock
//! multi-connection manager tries every backend in turn and hides the real PostgreSQL error.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, R2D2Connection};

use super::{Backend, DbConn};

/// Pragmas every SQLite connection needs: wait for the writer instead of failing, enforce foreign
/// keys (off by default in SQLite), and the durability level recommended with WAL.
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

#[derive(Debug)]
pub struct ConnectionManager {
    backend: Backend,
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("{0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
}

impl ConnectionManager {
    pub fn new(backend: Backend) -> ConnectionManager {
        ConnectionManager { backend }
    }

    /// Opens and checks one connection, returning the backend's own error.
    pub fn probe(&self) -> Result<(), ManagerError> {
        let mut conn = self.connect()?;
        conn.ping()?;
        Ok(())
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = ManagerError;

    fn connect(&self) -> Result<DbConn, ManagerError> {
        match &self.backend {
            Backend::Postgres(url) => Ok(DbConn::Pg(PgConnection::establish(url)?)),
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ManagerError> {
        Ok(conn.ping()?)
    }

    /// A PostgreSQL connection whose server went away is dropped here and replaced on the next
    /// checkout, so the service recovers without a restart when the database comes back.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

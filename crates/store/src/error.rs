use uuid::Uuid;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write (e.g. a second active job for a connection).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The connection already has a queued or running job.
    #[error("connection already has an active job {0}")]
    JobAlreadyActive(Uuid),
    /// The worker no longer holds the job's lease (it expired and the job was re-queued).
    #[error("lease on job {0} was lost")]
    LeaseLost(Uuid),
    /// Data in the database that the code cannot read (a bug or manual edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A caller passed something the store cannot execute.
    #[error("invalid store request: {0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// The database could not be reached or refused work for a reason that clears by
    /// itself (connection refused or cut, pool timeout, server shutting down or starting,
    /// SQLite busy or out of space): retrying the same operation later may succeed.
    /// Errors in the data or the query are not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => {
                    let postgres = db
                        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                        .is_some();
                    db.code().is_some_and(|c| match postgres {
                        true => transient_postgres(&c),
                        false => transient_sqlite(&c),
                    })
                }
                _ => false,
            },
            _ => false,
        }
    }

    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P
/// (operator intervention: shutdown, crash, cannot connect now); 40001 and 40P01
/// (serialization failure, deadlock).
fn transient_postgres(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code == "40001"
        || code == "40P01"
}

/// SQLite primary result codes (the low byte of an extended code): BUSY (5), LOCKED
/// (6), READONLY (8), IOERR (10), FULL (13), CANTOPEN (14).
fn transient_sqlite(code: &str) -> bool {
    code.parse::<i64>()
        .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 8 | 10 | 13 | 14))
}

#[cfg(test)]
mod tests {
    use super::{transient_postgres, transient_sqlite};

    #[test]
    fn transient_codes_are_outages_not_bad_data() {
        for code in ["08006", "08001", "57P01", "57P03", "53100", "40001"] {
            assert!(transient_postgres(code), "{code}");
        }
        for code in ["23505", "42P01", "22P02", "42501"] {
            assert!(!transient_postgres(code), "{code}");
        }
        for code in ["5", "517", "10", "3850", "13", "8"] {
            assert!(transient_sqlite(code), "{code}");
        }
        for code in ["19", "2067", "1", "787", "x"] {
            assert!(!transient_sqlite(code), "{code}");
        }
    }
}

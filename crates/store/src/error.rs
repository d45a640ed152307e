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
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

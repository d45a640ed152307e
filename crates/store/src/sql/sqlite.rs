//! Opening the embedded SQLite store.

use std::{str::FromStr, time::Duration};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::SqlStore;
use crate::{db::Db, StoreError};

/// Opens (creating if needed) the SQLite database at `url` (`sqlite://path`) and
/// applies pending migrations.
pub async fn open_sqlite(
    url: &str,
    readers: u32,
    acquire_timeout: Option<Duration>,
) -> Result<SqlStore, StoreError> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err(StoreError::Invalid(
            "in-memory SQLite is not supported: Tributary needs a database file".into(),
        ));
    }
    let base = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable in WAL mode except on power loss, the usual trade for speed.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        .pragma("cache_size", "-32000")
        .pragma("temp_store", "memory");
    // One writer: SQLite serializes writes anyway, and queuing them here avoids
    // SQLITE_BUSY errors from concurrent lock upgrades.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(acquire_timeout.unwrap_or(Duration::from_secs(60)))
        .connect_with(base.clone())
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&write).await?;
    let read = SqlitePoolOptions::new()
        .max_connections(readers.max(1))
        .acquire_timeout(acquire_timeout.unwrap_or(Duration::from_secs(30)))
        .connect_with(base.read_only(true))
        .await?;
    Ok(SqlStore::new(Db::Sqlite { read, write }))
}

//! Opening the PostgreSQL store (scale-out: many processes on one database).

use std::{str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    ConnectOptions, Connection,
};

use super::SqlStore;
use crate::{db::Db, StoreError};

/// Opens the PostgreSQL database at `url` and applies pending migrations.
/// With `schema`, everything lives in that schema (created if missing): tests use a
/// fresh schema each, and operators can share a database between deployments.
pub async fn open_postgres(
    url: &str,
    schema: Option<&str>,
    max_connections: u32,
    acquire_timeout: Option<Duration>,
) -> Result<SqlStore, StoreError> {
    let mut opts = PgConnectOptions::from_str(url)?;
    if let Some(schema) = schema {
        if !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(StoreError::Invalid(format!(
                "schema name `{schema}` must be letters, digits and underscores"
            )));
        }
        let mut conn = opts.connect().await?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        opts = opts.options([("search_path", schema)]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(max_connections.max(2))
        .acquire_timeout(acquire_timeout.unwrap_or(Duration::from_secs(30)))
        .connect_with(opts)
        .await?;
    // Several processes may start at once; the migrator takes an advisory lock.
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok(SqlStore::new(Db::Postgres(pool)))
}

/// Drops a schema created by [`open_postgres`] (tests clean up after themselves).
pub async fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
    if !schema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(StoreError::Invalid(format!("bad schema name `{schema}`")));
    }
    let mut conn = PgConnectOptions::from_str(url)?.connect().await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

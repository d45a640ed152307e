//! Storage for Tributary: the [`Store`] trait and its SQL implementation on SQLite (the
//! embedded default, one file) and PostgreSQL (scale-out: many API and worker processes
//! on one database).

pub mod audit;
mod db;
pub mod documents;
mod error;
mod idp;
pub mod incidents;
pub mod invites;
mod listing;
pub mod models;
mod outbox;
pub mod retention;
mod sql;
pub mod time;
mod traits;
mod window;

use std::sync::Arc;

pub use db::Dialect;
pub use error::StoreError;
pub use sql::{drop_schema, open_postgres, open_sqlite, SqlStore};
pub use traits::*;
#[cfg(feature = "testing")]
pub mod testing;
pub use window::{ListPage, ListWindow, Position, SortKey};

/// Options for [`open`].
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// PostgreSQL schema to use (created if missing); the connection's default otherwise.
    pub postgres_schema: Option<String>,
    /// Pool size (PostgreSQL connections, or SQLite reader connections). 0 picks a default.
    pub max_connections: u32,
    /// How long an operation waits for a database connection (PostgreSQL: also while
    /// the server restarts) before it fails with a storage error. None: 30 s (SQLite's
    /// single writer: 60 s).
    pub acquire_timeout: Option<std::time::Duration>,
    /// How long a verified API key is remembered, so requests need not each read it
    /// (a key revoked by another process is refused once this expires). None: 2 s;
    /// zero: read on every request.
    pub api_key_memo: Option<std::time::Duration>,
}

/// Opens the store named by `url`: `sqlite://PATH` or `postgres://…` (`postgresql://…`),
/// applying pending migrations.
pub async fn open(
    url: &str,
    options: &OpenOptions,
) -> std::result::Result<Arc<dyn Store>, StoreError> {
    let store = if url.starts_with("sqlite:") {
        let readers = if options.max_connections == 0 {
            4
        } else {
            options.max_connections
        };
        open_sqlite(url, readers, options.acquire_timeout).await?
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let max = if options.max_connections == 0 {
            10
        } else {
            options.max_connections
        };
        let schema = options.postgres_schema.as_deref();
        open_postgres(url, schema, max, options.acquire_timeout).await?
    } else {
        return Err(StoreError::Invalid(format!(
            "unsupported database URL scheme in `{}`: use sqlite://PATH or postgres://…",
            redact_url(url)
        )));
    };
    let memo = options.api_key_memo.unwrap_or(sql::DEFAULT_KEY_MEMO);
    Ok(Arc::new(store.remember_keys_for(memo)))
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

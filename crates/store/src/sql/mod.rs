//! The SQL store: one implementation of every store trait, run on SQLite or PostgreSQL
//! through [`crate::db`]. Each backend has its own connection setup and migrations.

mod accounts;
mod audit;
mod connections;
mod edr_writes;
mod findings;
mod freshness;
mod health;
mod idp;
mod idp_reads;
mod incidents;
mod invites;
mod jobs;
mod key_memo;
mod listing;
mod memberships;
mod organizations;
mod postgres;
mod reconcile;
mod records;
mod retention;
mod rows;
mod sqlite;
mod upsert;
mod webhooks;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;

use self::key_memo::KeyMemo;

pub use self::postgres::{drop_schema, open_postgres};
pub use self::sqlite::open_sqlite;
use crate::{
    db::{Db, Query},
    traits::{Result, Store},
    Dialect,
};

/// A store on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) db: Db,
    /// Verified API keys, shared by the store's clones.
    keys: Arc<KeyMemo>,
}

impl SqlStore {
    fn new(db: Db) -> SqlStore {
        SqlStore {
            db,
            keys: Arc::new(KeyMemo::new(DEFAULT_KEY_MEMO)),
        }
    }

    /// How long a verified API key is remembered (zero: never).
    pub fn remember_keys_for(mut self, span: Duration) -> SqlStore {
        self.keys = Arc::new(KeyMemo::new(span));
        self
    }
}

/// How long a verified API key is remembered unless the options say otherwise.
pub const DEFAULT_KEY_MEMO: Duration = Duration::from_secs(2);

#[async_trait]
impl Store for SqlStore {
    fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    async fn ping(&self) -> Result<()> {
        self.db.reader().execute(Query::new("SELECT 1")).await?;
        Ok(())
    }

    async fn get_meta(&self, key: &str) -> Result<Option<String>> {
        let row: Option<rows::MetaRow> = self
            .db
            .reader()
            .fetch_optional(Query::new("SELECT value FROM meta WHERE key = $1").bind(key))
            .await?;
        Ok(row.map(|r| r.value))
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        let q = Query::new(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value);
        self.db.writer().execute(q).await?;
        Ok(())
    }

    async fn analyze(&self) -> Result<()> {
        let sql = match self.db.dialect() {
            Dialect::Sqlite => "ANALYZE",
            // VACUUM sets the visibility map that lets deep offsets walk the sort index
            // alone (an index-only scan); it cannot run in a transaction, nor need one.
            Dialect::Postgres => "VACUUM (ANALYZE) alerts, devices",
        };
        self.db.writer().execute(Query::new(sql)).await?;
        Ok(())
    }

    async fn close(&self) {
        self.db.close().await;
    }
}

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{rows::*, SqlStore};
use crate::{
    db::Query,
    models::{Account, ApiKey, NewApiKey},
    time::{from_micros, now_micros, to_micros},
    traits::{AccountStore, Result},
};

const KEY_COLUMNS: &str = "id, account_id, name, prefix, created_at, last_used_at, revoked_at";

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_account(&self, name: &str) -> Result<Account> {
        let q = Query::new(
            "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) \
             RETURNING id, name, created_at",
        )
        .bind(Uuid::now_v7())
        .bind(name)
        .bind(now_micros());
        let row: AccountRow = self.db.writer().fetch_one(q).await?;
        Ok(row.into())
    }

    async fn get_account(&self, id: Uuid) -> Result<Option<Account>> {
        let q = Query::new("SELECT id, name, created_at FROM accounts WHERE id = $1").bind(id);
        let row: Option<AccountRow> = self.db.reader().fetch_optional(q).await?;
        Ok(row.map(Into::into))
    }

    async fn list_accounts(&self) -> Result<Vec<Account>> {
        let q = Query::new("SELECT id, name, created_at FROM accounts ORDER BY created_at, id");
        let rows: Vec<AccountRow> = self.db.reader().fetch_all(q).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKey> {
        let q = Query::new(format!(
            "INSERT INTO api_keys (id, account_id, name, prefix, key_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {KEY_COLUMNS}"
        ))
        .bind(key.id)
        .bind(key.account_id)
        .bind(key.name)
        .bind(key.prefix)
        .bind(key.key_hash)
        .bind(now_micros());
        let row: ApiKeyRow = self.db.writer().fetch_one(q).await?;
        Ok(row.into())
    }

    async fn list_api_keys(&self, account_id: Uuid) -> Result<Vec<ApiKey>> {
        let q = Query::new(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at, id"
        ))
        .bind(account_id);
        let rows: Vec<ApiKeyRow> = self.db.reader().fetch_all(q).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn revoke_api_key(&self, account_id: Uuid, key_id: Uuid) -> Result<bool> {
        let q = Query::new(
            "UPDATE api_keys SET revoked_at = $3 \
             WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
        )
        .bind(key_id)
        .bind(account_id)
        .bind(now_micros());
        let revoked = self.db.writer().execute(q).await? == 1;
        self.keys.forget_all();
        Ok(revoked)
    }

    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>> {
        if let Some(key) = self.keys.get(key_hash) {
            return Ok(Some(key));
        }
        let ticket = self.keys.before_read();
        let q = Query::new(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(key_hash);
        let row: Option<ApiKeyRow> = self.db.reader().fetch_optional(q).await?;
        let key: Option<ApiKey> = row.map(Into::into);
        if let Some(k) = &key {
            self.keys.put(ticket, key_hash, k);
        }
        Ok(key)
    }

    async fn touch_api_key(&self, key_id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let at = to_micros(at);
        // Skip the write when the key was used in the last minute.
        let q = Query::new(
            "UPDATE api_keys SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(key_id)
        .bind(at)
        .bind(at - 60_000_000);
        self.db.writer().execute(q).await?;
        self.keys.used(key_id, from_micros(at));
        Ok(())
    }
}

//! Connection invite tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tributary_model::Vendor;
use uuid::Uuid;

use super::SqlStore;
use crate::{
    db::Query,
    invites::{Invite, InviteKind, NewInvite},
    time::{from_micros, now_micros, to_micros},
    traits::{InviteStore, Result},
    StoreError,
};

const INVITE_COLUMNS: &str = "id, account_id, organization_id, kind, vendor, connection_id, \
     identifier, options, created_by_key_id, created_at, expires_at, used_at, \
     used_connection_id, revoked_at, pending_credentials";

#[derive(sqlx::FromRow)]
struct InviteRow {
    id: Uuid,
    account_id: Uuid,
    organization_id: Uuid,
    kind: String,
    vendor: String,
    connection_id: Option<Uuid>,
    identifier: Option<String>,
    options: Option<String>,
    created_by_key_id: Option<Uuid>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    used_connection_id: Option<Uuid>,
    revoked_at: Option<i64>,
    pending_credentials: Option<Vec<u8>>,
}

impl TryFrom<InviteRow> for Invite {
    type Error = StoreError;

    fn try_from(r: InviteRow) -> std::result::Result<Self, StoreError> {
        let corrupt =
            |what: &str, v: &str| StoreError::Corrupt(format!("invite {}: {what} {v}", r.id));
        Ok(Invite {
            id: r.id,
            account_id: r.account_id,
            organization_id: r.organization_id,
            kind: InviteKind::parse(&r.kind).ok_or_else(|| corrupt("kind", &r.kind))?,
            vendor: r
                .vendor
                .parse::<Vendor>()
                .map_err(|_| corrupt("vendor", &r.vendor))?,
            connection_id: r.connection_id,
            identifier: r.identifier,
            options: r.options.as_deref().map(serde_json::from_str).transpose()?,
            created_by_key_id: r.created_by_key_id,
            created_at: from_micros(r.created_at),
            expires_at: from_micros(r.expires_at),
            used_at: r.used_at.map(from_micros),
            used_connection_id: r.used_connection_id,
            revoked_at: r.revoked_at.map(from_micros),
            pending_credentials: r.pending_credentials,
        })
    }
}

#[async_trait]
impl InviteStore for SqlStore {
    async fn create_invite(&self, account_id: Uuid, invite: NewInvite) -> Result<Invite> {
        let q = Query::new(format!(
            "INSERT INTO connection_invites (id, account_id, organization_id, token_hash, kind, \
             vendor, connection_id, identifier, options, created_by_key_id, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             RETURNING {INVITE_COLUMNS}"
        ))
        .bind(invite.id)
        .bind(account_id)
        .bind(invite.organization_id)
        .bind(invite.token_hash)
        .bind(invite.kind.as_str())
        .bind(invite.vendor.as_str())
        .bind(invite.connection_id)
        .bind(invite.identifier)
        .bind(invite.options.map(|o| o.to_string()))
        .bind(invite.created_by_key_id)
        .bind(now_micros())
        .bind(to_micros(invite.expires_at));
        let row: InviteRow = self.db.writer().fetch_one(q).await?;
        row.try_into()
    }

    async fn find_invite(&self, token_hash: &str) -> Result<Option<Invite>> {
        let q = Query::new(format!(
            "SELECT {INVITE_COLUMNS} FROM connection_invites WHERE token_hash = $1"
        ))
        .bind(token_hash);
        let row: Option<InviteRow> = self.db.reader().fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn get_invite(&self, account_id: Uuid, id: Uuid) -> Result<Option<Invite>> {
        let q = Query::new(format!(
            "SELECT {INVITE_COLUMNS} FROM connection_invites WHERE id = $1 AND account_id = $2"
        ))
        .bind(id)
        .bind(account_id);
        let row: Option<InviteRow> = self.db.reader().fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn consume_invite(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        connection_id: Uuid,
    ) -> Result<bool> {
        let q = Query::new(
            "UPDATE connection_invites SET used_at = $2, used_connection_id = $3, \
             pending_credentials = NULL \
             WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(id)
        .bind(to_micros(now))
        .bind(connection_id);
        Ok(self.db.writer().execute(q).await? == 1)
    }

    async fn release_invite(&self, id: Uuid, used_at: DateTime<Utc>) -> Result<bool> {
        let q = Query::new(
            "UPDATE connection_invites SET used_at = NULL, used_connection_id = NULL \
             WHERE id = $1 AND used_at = $2",
        )
        .bind(id)
        .bind(to_micros(used_at));
        Ok(self.db.writer().execute(q).await? == 1)
    }

    async fn set_invite_pending(&self, id: Uuid, sealed: Option<Vec<u8>>) -> Result<bool> {
        let q = Query::new(
            "UPDATE connection_invites SET pending_credentials = $2 \
             WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(sealed);
        Ok(self.db.writer().execute(q).await? == 1)
    }

    async fn revoke_invite(&self, account_id: Uuid, id: Uuid) -> Result<bool> {
        let q = Query::new(
            "UPDATE connection_invites SET revoked_at = $3, pending_credentials = NULL \
             WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL AND used_at IS NULL",
        )
        .bind(id)
        .bind(account_id)
        .bind(now_micros());
        Ok(self.db.writer().execute(q).await? == 1)
    }
}

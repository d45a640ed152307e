//! Connection invite tokens, as stored: the token itself is never kept, only its hash.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tributary_model::Vendor;
use uuid::Uuid;

/// What a token lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteKind {
    /// Create exactly one connection to `vendor` in the organization.
    Create,
    /// Replace the credentials of `connection_id`.
    Update,
}

impl InviteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteKind::Create => "create",
            InviteKind::Update => "update",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "create" => Some(InviteKind::Create),
            "update" => Some(InviteKind::Update),
            _ => None,
        }
    }
}

/// An invite to record (its creation time is the store's).
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvite {
    pub id: Uuid,
    pub organization_id: Uuid,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    pub kind: InviteKind,
    /// The vendor (for an update token, the connection's).
    pub vendor: Vendor,
    /// The connection an update token may change; None for a create token.
    pub connection_id: Option<Uuid>,
    /// The identifier the created connection gets.
    pub identifier: Option<String>,
    /// The options the created connection gets.
    pub options: Option<Value>,
    /// The API key that minted the token (the audit trail names it for every use).
    pub created_by_key_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// A stored invite.
#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    pub id: Uuid,
    pub account_id: Uuid,
    pub organization_id: Uuid,
    pub kind: InviteKind,
    pub vendor: Vendor,
    pub connection_id: Option<Uuid>,
    pub identifier: Option<String>,
    pub options: Option<Value>,
    pub created_by_key_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// The connection the use created or updated.
    pub used_connection_id: Option<Uuid>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Credentials checked by the hosted page and waiting for the customer's
    /// confirmation, sealed under the invite's id.
    pub pending_credentials: Option<Vec<u8>>,
}

/// Why a stored invite cannot be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteRefusal {
    Expired,
    Used,
    Revoked,
}

impl Invite {
    /// None when the invite may be used at `now`. A used or revoked invite says so even
    /// once it has also expired (the more useful answer).
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<InviteRefusal> {
        if self.revoked_at.is_some() {
            Some(InviteRefusal::Revoked)
        } else if self.used_at.is_some() {
            Some(InviteRefusal::Used)
        } else if self.expires_at <= now {
            Some(InviteRefusal::Expired)
        } else {
            None
        }
    }
}

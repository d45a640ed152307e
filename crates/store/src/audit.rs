//! The audit log and dashboard sessions, as stored.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who acted: an API key, a dashboard session (opened with an API key), a customer with
/// a connection invite token (minted with an API key), or the CLI on the server itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    ApiKey,
    Dashboard,
    InviteToken,
    Cli,
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::ApiKey => "api_key",
            ActorType::Dashboard => "dashboard",
            ActorType::InviteToken => "invite_token",
            ActorType::Cli => "cli",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "api_key" => Some(ActorType::ApiKey),
            "dashboard" => Some(ActorType::Dashboard),
            "invite_token" => Some(ActorType::InviteToken),
            "cli" => Some(ActorType::Cli),
            _ => None,
        }
    }
}

/// One audited change.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub account_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_type: ActorType,
    /// The key that acted (directly, or the key a dashboard session was opened with, or
    /// the key that minted the invite token used).
    pub api_key_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    /// The client's address, when the change came over HTTP.
    pub client_addr: Option<String>,
    /// `created`, `updated`, `deleted`, `tested`, `run`, `secret_rotated`, `revoked`, …
    pub action: String,
    /// `organization`, `connection`, `webhook`, `api_key`, `dashboard_session` or
    /// `connection_invite`.
    pub target_type: String,
    pub target_id: Uuid,
    /// What changed, as JSON: `{field: {from, to}}`; for credentials only the names of
    /// the fields that changed. Never a secret value.
    pub changes: Option<serde_json::Value>,
}

/// An event to record (its id and time are the store's).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    pub account_id: Uuid,
    pub actor_type: ActorType,
    pub api_key_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub client_addr: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Uuid,
    pub changes: Option<serde_json::Value>,
}

/// Which events to list (all of them match when every field is empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub target_types: Vec<String>,
    pub target_id: Option<Uuid>,
    pub actions: Vec<String>,
    pub api_key_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// A live dashboard session.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardSession {
    pub id: Uuid,
    pub account_id: Uuid,
    pub key_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

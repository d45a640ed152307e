//! Organizations and connections as they appear on the wire.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Health, Vendor};

/// A connection's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionState {
    /// Awaiting vendor consent (OAuth vendors). Credential-based vendors start ACTIVE.
    Pending,
    /// Synced on its schedule.
    Active,
    /// Kept, but never synced until set ACTIVE again.
    Paused,
    /// Soft-deleted: hidden from lists by default, never synced.
    Deleted,
}

impl ConnectionState {
    pub const ALL: [ConnectionState; 4] = [
        ConnectionState::Pending,
        ConnectionState::Active,
        ConnectionState::Paused,
        ConnectionState::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Pending => "PENDING",
            ConnectionState::Active => "ACTIVE",
            ConnectionState::Paused => "PAUSED",
            ConnectionState::Deleted => "DELETED",
        }
    }

    /// `is_active` on the wire: true only for ACTIVE connections, the ones that sync.
    pub fn is_active(self) -> bool {
        self == ConnectionState::Active
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConnectionState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConnectionState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown connection state `{s}`"))
    }
}

/// A connection: one customer's vendor tenant, its schedule and its health.
/// Credentials are write-only and never appear here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Connection {
    /// Send this as `X-CONNECTION-ID` to read the connection's data.
    pub id: Uuid,
    pub vendor: Vendor,
    /// True when `state` is ACTIVE.
    pub is_active: bool,
    /// Seconds between scheduled jobs.
    pub refresh_interval_secs: i64,
    /// A job running longer than this is stopped and reported as EXECUTION_TIMEOUT.
    pub timeout_secs: i64,
    /// An export without a successful pull for longer than this raises the advisory
    /// FRESHNESS_TARGET_MISSED; null: no target (additive).
    #[serde(default)]
    pub freshness_target_secs: Option<i64>,
    pub organization_id: Uuid,
    /// Always null: the supported vendors use credentials, not an OAuth consent flow.
    pub oauth2_authorize_url: Option<String>,
    /// Your own external reference for this connection.
    pub identifier: Option<String>,
    pub state: ConnectionState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Null until the first job has finished.
    pub health: Option<Health>,
    pub organization_name: Option<String>,
    /// The vendor options given at creation (never secret).
    pub options: Option<serde_json::Value>,
}

/// An organization: one of the integrator's customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    /// Your own external reference for this organization.
    pub identifier: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the organization was deleted (soft delete).
    pub deleted_at: Option<DateTime<Utc>>,
}

//! Vendor incidents, as stored (docs/health.md, "Vendor incidents"): several connections
//! to one vendor host in a vendor-owned failure at once are one incident. The store
//! decides membership in the transaction that records each health change, so two
//! workers finishing jobs at once cannot open two incidents or miss the threshold.

use chrono::{DateTime, Duration, Utc};
use tributary_model::{HealthName, Vendor};
use uuid::Uuid;

use crate::outbox::NewWebhookEvent;

/// Whether an incident is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentStatus {
    Open,
    Resolved,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 2] = [IncidentStatus::Open, IncidentStatus::Resolved];

    /// The stored form (`OPEN`, `RESOLVED`).
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "OPEN",
            IncidentStatus::Resolved => "RESOLVED",
        }
    }

    /// The wire form (`open`, `resolved`).
    pub fn wire(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Resolved => "resolved",
        }
    }

    /// Either form, any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Some(IncidentStatus::Open),
            "resolved" => Some(IncidentStatus::Resolved),
            _ => None,
        }
    }
}

/// When connections failing at one vendor host become an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentPolicy {
    /// Distinct connections in a vendor-owned failure that opens an incident.
    pub min_connections: u32,
    /// Their failures must all have begun within this long of the newest.
    pub window: Duration,
}

impl Default for IncidentPolicy {
    fn default() -> Self {
        IncidentPolicy {
            min_connections: 3,
            window: Duration::minutes(15),
        }
    }
}

/// One connection an incident affected.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentMember {
    pub connection_id: Uuid,
    pub account_id: Uuid,
    pub organization_id: Uuid,
    /// When its vendor-owned failure joined the incident (for the connections that
    /// opened it: when each one's failure began).
    pub joined_at: DateTime<Utc>,
    /// When its health stopped being a vendor-owned failure (None: still failing).
    pub recovered_at: Option<DateTime<Utc>>,
}

/// A vendor incident with the connections it affected (all of them, or only one
/// account's, as the read says).
#[derive(Debug, Clone, PartialEq)]
pub struct VendorIncident {
    pub id: Uuid,
    pub vendor: Vendor,
    /// The vendor host (`host` or `host:port` of the connections' API URL).
    pub scope: String,
    pub status: IncidentStatus,
    /// The vendor-owned failure that opened it.
    pub health_name: HealthName,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Oldest joined first.
    pub connections: Vec<IncidentMember>,
}

impl VendorIncident {
    /// The members of one account.
    pub fn members_of(&self, account_id: Uuid) -> impl Iterator<Item = &IncidentMember> {
        self.connections
            .iter()
            .filter(move |m| m.account_id == account_id)
    }

    /// The accounts with a member, each once, in the order they joined.
    pub fn accounts(&self) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = Vec::new();
        for m in &self.connections {
            if !out.contains(&m.account_id) {
                out.push(m.account_id);
            }
        }
        out
    }
}

/// What one health change did to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentChangeKind {
    /// The change reached the threshold: the incident opened with every counted
    /// connection.
    Opened,
    /// The connection joined an open incident.
    Joined,
    /// The connection recovered; others are still failing.
    Recovered,
    /// The last failing connection recovered: the incident resolved.
    Resolved,
}

/// An incident after a change, with every member.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentChange {
    pub kind: IncidentChangeKind,
    /// The connection whose health change caused it.
    pub connection_id: Uuid,
    pub incident: VendorIncident,
}

/// Turns an incident change into the webhook events to write with it (the engine's:
/// one per affected account, listing only that account's connections).
pub type IncidentRenderer = fn(&IncidentChange) -> Vec<NewWebhookEvent>;

/// What a connection's new health says about its vendor, recorded with the health.
#[derive(Debug, Clone)]
pub struct VendorObservation {
    pub vendor: Vendor,
    /// The vendor host of the connection's API URL.
    pub scope: String,
    /// The health name when it is a vendor-owned failure; None otherwise (healthy, or a
    /// failure someone else must resolve): the connection is not failing at the vendor.
    pub failing: Option<HealthName>,
    pub at: DateTime<Utc>,
    pub policy: IncidentPolicy,
    /// The connection's down notification (the id of one of the webhook events recorded
    /// with this health), held back while the connection belongs to an open incident:
    /// the incident's events speak for it, and the connection's notified health stays
    /// as it was.
    pub held_notification: Option<Uuid>,
    pub render: IncidentRenderer,
}

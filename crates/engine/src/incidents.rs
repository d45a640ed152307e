//! Vendor incidents (docs/health.md, "Vendor incidents"): what each health change says
//! about the connection's vendor host, recorded with the health (the store decides who
//! is in which incident, under a lock per host), and how an incident reads to one
//! account — in the API and in its webhooks — listing only that account's connections.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use tributary_connectors::VendorSpec;
use tributary_model::{HealthName, ResolutionOwner, Vendor};
use tributary_store::{
    incidents::{
        IncidentChange, IncidentChangeKind, IncidentMember, VendorIncident, VendorObservation,
    },
    models::{ConnectionRecord, NewWebhookEvent},
};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{webhooks::events, Engine};

/// A failure the vendor must resolve (VENDOR_SERVER_ERROR): the only kind an incident
/// gathers. Refused credentials, rate limits and our own errors never join.
pub fn is_vendor_failure(name: HealthName) -> bool {
    !name.is_healthy() && name.resolution_owner() == ResolutionOwner::Vendor
}

/// One connection an incident affected, as its account sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentConnection {
    pub connection_id: Uuid,
    pub organization_id: Uuid,
    /// When its vendor-owned failure joined the incident (for the connections that
    /// opened it: when each one's failure began).
    pub joined_at: DateTime<Utc>,
    /// When its health stopped being a vendor-owned failure; null while it fails.
    pub recovered_at: Option<DateTime<Utc>>,
}

/// A vendor incident as one account sees it: several connections to one vendor host
/// failing on the vendor's side at once. `connections` lists only the account's own.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: Uuid,
    pub vendor: Vendor,
    /// The vendor host the connections call (`host` or `host:port` of their API URL).
    pub host: String,
    /// `open` or `resolved`.
    #[schema(pattern = "^(open|resolved)$")]
    pub status: &'static str,
    /// The vendor-owned failure that opened it (VENDOR_SERVER_ERROR).
    pub health_name: HealthName,
    pub opened_at: DateTime<Utc>,
    /// When its last failing connection recovered; null while open.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The account's connections it affected, oldest joined first.
    pub connections: Vec<IncidentConnection>,
}

/// `incident` as `account_id` sees it.
pub fn view(incident: &VendorIncident, account_id: Uuid) -> IncidentView {
    IncidentView {
        id: incident.id,
        vendor: incident.vendor,
        host: incident.scope.clone(),
        status: incident.status.wire(),
        health_name: incident.health_name,
        opened_at: incident.opened_at,
        resolved_at: incident.resolved_at,
        connections: incident
            .members_of(account_id)
            .map(|m: &IncidentMember| IncidentConnection {
                connection_id: m.connection_id,
                organization_id: m.organization_id,
                joined_at: m.joined_at,
                recovered_at: m.recovered_at,
            })
            .collect(),
    }
}

/// The webhook events of an incident change, one per account it concerns, each listing
/// only that account's connections: `vendor_incident.opened` to every affected account
/// when it opens, and to an account whose first connection joins later;
/// `vendor_incident.updated` when another of an account's connections joins;
/// `vendor_incident.resolved` to every affected account. A connection recovering while
/// others still fail sends no incident event.
pub fn render(change: &IncidentChange) -> Vec<NewWebhookEvent> {
    let incident = &change.incident;
    let to = |kind: &str, account: Uuid| {
        let data = json!({
            "account_id": account,
            "connection_id": incident
                .members_of(account)
                .any(|m| m.connection_id == change.connection_id)
                .then_some(change.connection_id),
            "incident": view(incident, account),
        });
        events::envelope(Uuid::now_v7(), kind, account, data)
    };
    match change.kind {
        IncidentChangeKind::Opened => incident
            .accounts()
            .into_iter()
            .map(|a| to(events::INCIDENT_OPENED, a))
            .collect(),
        IncidentChangeKind::Joined => {
            let Some(joiner) = incident
                .connections
                .iter()
                .find(|m| m.connection_id == change.connection_id)
            else {
                return Vec::new();
            };
            let first_of_account = incident
                .members_of(joiner.account_id)
                .all(|m| m.connection_id == joiner.connection_id);
            let kind = if first_of_account {
                events::INCIDENT_OPENED
            } else {
                events::INCIDENT_UPDATED
            };
            vec![to(kind, joiner.account_id)]
        }
        IncidentChangeKind::Recovered => Vec::new(),
        IncidentChangeKind::Resolved => incident
            .accounts()
            .into_iter()
            .map(|a| to(events::INCIDENT_RESOLVED, a))
            .collect(),
    }
}

impl Engine {
    /// What a connection's new health `name` says about its vendor host, recorded with
    /// the health. `held` is the connection's down notification among the events
    /// recorded with it, held back while it belongs to an open incident. None when the
    /// credentials cannot be read (the job reports that on its own).
    pub(crate) fn vendor_observation(
        &self,
        spec: &'static VendorSpec,
        conn: &ConnectionRecord,
        name: HealthName,
        at: DateTime<Utc>,
        held: Option<Uuid>,
    ) -> Option<VendorObservation> {
        let creds = self.stored_credentials(spec, conn).ok()?;
        Some(VendorObservation {
            vendor: conn.vendor,
            scope: spec.api_host(&creds),
            failing: is_vendor_failure(name).then_some(name),
            at,
            policy: self.settings.incidents,
            held_notification: held,
            render,
        })
    }
}

/// The id of `events`' down notification (`connection.health_changed` to a failure), the
/// one an open incident holds back.
pub(crate) fn down_notification(outbox: &[NewWebhookEvent], name: HealthName) -> Option<Uuid> {
    if name.is_healthy() {
        return None;
    }
    outbox
        .iter()
        .find(|e| e.event_type == events::HEALTH_CHANGED)
        .map(|e| e.id)
}

#[cfg(test)]
mod tests {
    use tributary_store::incidents::IncidentStatus;

    use super::*;

    fn member(account: Uuid) -> IncidentMember {
        IncidentMember {
            connection_id: Uuid::now_v7(),
            account_id: account,
            organization_id: Uuid::now_v7(),
            joined_at: Utc::now(),
            recovered_at: None,
        }
    }

    fn incident(members: Vec<IncidentMember>) -> VendorIncident {
        VendorIncident {
            id: Uuid::now_v7(),
            vendor: Vendor::named("SENTINELONE"),
            scope: "acme.sentinelone.net".into(),
            status: IncidentStatus::Open,
            health_name: HealthName::VendorServerError,
            opened_at: Utc::now(),
            resolved_at: None,
            updated_at: Utc::now(),
            connections: members,
        }
    }

    fn listed(e: &NewWebhookEvent) -> Vec<String> {
        let body: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
        body["data"]["incident"]["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["connection_id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn each_account_hears_of_an_incident_once_with_only_its_connections() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (a1, a2, b1) = (member(a), member(a), member(b));
        let id = |m: &IncidentMember| m.connection_id.to_string();
        let change = |kind, who: &IncidentMember, members: Vec<IncidentMember>| IncidentChange {
            kind,
            connection_id: who.connection_id,
            incident: incident(members),
        };

        let opened = render(&change(
            IncidentChangeKind::Opened,
            &a2,
            vec![a1.clone(), a2.clone()],
        ));
        assert_eq!(opened.len(), 1, "only the affected account");
        assert_eq!(opened[0].account_id, a);
        assert_eq!(opened[0].event_type, events::INCIDENT_OPENED);
        assert_eq!(listed(&opened[0]), [id(&a1), id(&a2)]);

        let all = vec![a1.clone(), a2.clone(), b1.clone()];
        let joined = render(&change(IncidentChangeKind::Joined, &b1, all.clone()));
        assert_eq!(joined.len(), 1);
        assert_eq!(
            (joined[0].account_id, joined[0].event_type.as_str()),
            (b, events::INCIDENT_OPENED),
            "an account's first connection: opened, for that account"
        );
        assert_eq!(listed(&joined[0]), [id(&b1)]);
        let again = render(&change(IncidentChangeKind::Joined, &a2, all.clone()));
        assert_eq!(again[0].event_type, events::INCIDENT_UPDATED);
        assert_eq!(listed(&again[0]), [id(&a1), id(&a2)]);
        assert!(!again[0].payload.contains(&id(&b1)));

        assert!(render(&change(IncidentChangeKind::Recovered, &a1, all.clone())).is_empty());
        let resolved = render(&change(IncidentChangeKind::Resolved, &a1, all));
        let to: Vec<(Uuid, &str)> = resolved
            .iter()
            .map(|e| (e.account_id, e.event_type.as_str()))
            .collect();
        assert_eq!(
            to,
            [
                (a, events::INCIDENT_RESOLVED),
                (b, events::INCIDENT_RESOLVED)
            ]
        );
        assert_eq!(listed(&resolved[1]), [id(&b1)]);
    }

    #[test]
    fn only_vendor_owned_failures_gather() {
        let gathered: Vec<HealthName> = HealthName::ALL
            .into_iter()
            .filter(|n| is_vendor_failure(*n))
            .collect();
        assert_eq!(gathered, [HealthName::VendorServerError]);
    }
}

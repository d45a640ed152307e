//! Which events a finished job emits, with flap control: a "down" notification only once
//! the unhealthy state has held for N jobs or M minutes, recovery only after a "down" was
//! sent, and never two notifications for the same state.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use tributary_model::{Advisory, Health, HealthName};
use tributary_store::models::{ConnectionRecord, NewWebhookEvent};
use uuid::Uuid;

/// Event types.
pub const HEALTH_CHANGED: &str = "connection.health_changed";
pub const CONNECTION_CREATED: &str = "connection.created";
pub const CONNECTION_DELETED: &str = "connection.deleted";
pub const JOB_FAILED: &str = "job.failed";
pub const ENDPOINT_DISABLED: &str = "webhook_endpoint.disabled";
pub const ADVISORY_RAISED: &str = "connection.advisory_raised";
pub const ADVISORY_CLEARED: &str = "connection.advisory_cleared";
/// Vendor incidents (`crate::incidents`): one per affected account, listing only its
/// connections.
pub const INCIDENT_OPENED: &str = "vendor_incident.opened";
pub const INCIDENT_UPDATED: &str = "vendor_incident.updated";
pub const INCIDENT_RESOLVED: &str = "vendor_incident.resolved";
pub const ALL_EVENT_TYPES: &[&str] = &[
    HEALTH_CHANGED,
    ADVISORY_RAISED,
    ADVISORY_CLEARED,
    INCIDENT_OPENED,
    INCIDENT_UPDATED,
    INCIDENT_RESOLVED,
    CONNECTION_CREATED,
    CONNECTION_DELETED,
    JOB_FAILED,
    ENDPOINT_DISABLED,
];

/// Flap control thresholds.
#[derive(Debug, Clone, Copy)]
pub struct FlapControl {
    /// Notify "down" once this many jobs in a row were unhealthy…
    pub down_after_failures: u32,
    /// …or the connection has been unhealthy this long (whichever comes first).
    pub down_after: Duration,
}

impl Default for FlapControl {
    fn default() -> Self {
        FlapControl {
            down_after_failures: 2,
            down_after: Duration::minutes(30),
        }
    }
}

/// What to notify after a job: the new reported state, and whether to send an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The health webhooks now report (None: unchanged).
    pub report: Option<Health>,
    /// Send `connection.health_changed` (false: update the reported state silently).
    pub send: bool,
}

pub fn decide(
    previous: Option<&Health>,
    current: &Health,
    now: DateTime<Utc>,
    flap: FlapControl,
) -> Notification {
    let nothing = Notification {
        report: None,
        send: false,
    };
    match previous.map(|p| p.name) {
        Some(p) if p == current.name => nothing,
        // First health ever: healthy is the baseline, reported silently.
        None if current.name.is_healthy() => Notification {
            report: Some(current.clone()),
            send: false,
        },
        // Recovery after a "down" notification: once.
        Some(_) if current.name.is_healthy() => Notification {
            report: Some(current.clone()),
            send: true,
        },
        _ => {
            let held_jobs = current.consecutive_failures >= flap.down_after_failures.max(1);
            let held_time = current
                .unhealthy_since
                .is_some_and(|since| now - since >= flap.down_after);
            if held_jobs || held_time {
                Notification {
                    report: Some(current.clone()),
                    send: true,
                }
            } else {
                nothing
            }
        }
    }
}

/// The event envelope every webhook body uses.
pub fn envelope(id: Uuid, event_type: &str, account_id: Uuid, data: Value) -> NewWebhookEvent {
    let payload = json!({
        "id": id,
        "type": event_type,
        "timestamp": Utc::now(),
        "data": data,
    });
    NewWebhookEvent {
        id,
        account_id,
        event_type: event_type.to_owned(),
        payload: payload.to_string(),
    }
}

fn connection_data(c: &ConnectionRecord) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("account_id".into(), json!(c.account_id));
    m.insert("organization_id".into(), json!(c.organization_id));
    m.insert("connection_id".into(), json!(c.id));
    m.insert("vendor".into(), json!(c.vendor));
    m.insert("identifier".into(), json!(c.identifier));
    m
}

pub fn health_changed(
    c: &ConnectionRecord,
    previous: Option<&Health>,
    current: &Health,
) -> NewWebhookEvent {
    let mut data = connection_data(c);
    data.insert("previous_health".into(), json!(previous));
    data.insert("health".into(), json!(current));
    envelope(
        Uuid::now_v7(),
        HEALTH_CHANGED,
        c.account_id,
        Value::Object(data),
    )
}

/// `connection.advisory_raised` / `connection.advisory_cleared`: the advisory, and the
/// connection's health name and advisories now. Not held back by flap control: each
/// advisory already waits for its own evidence (a baseline, a streak, a window).
pub fn advisory_changed(
    kind: &str,
    c: &ConnectionRecord,
    health: &Health,
    advisory: &Advisory,
) -> NewWebhookEvent {
    let mut data = connection_data(c);
    data.insert("advisory".into(), json!(advisory));
    data.insert("health_name".into(), json!(health.name));
    data.insert("advisories".into(), json!(health.advisories));
    envelope(Uuid::now_v7(), kind, c.account_id, Value::Object(data))
}

/// `connection.created` / `connection.deleted`, carrying the connection as the API shows
/// it (`connection`, built by the caller).
pub fn connection_event(
    kind: &str,
    c: &ConnectionRecord,
    connection: &impl serde::Serialize,
) -> NewWebhookEvent {
    let mut data = connection_data(c);
    data.insert("connection".into(), json!(connection));
    envelope(Uuid::now_v7(), kind, c.account_id, Value::Object(data))
}

pub fn job_failed(
    c: &ConnectionRecord,
    job_id: Uuid,
    health: HealthName,
    error: Option<&str>,
) -> NewWebhookEvent {
    let mut data = connection_data(c);
    data.insert("job_id".into(), json!(job_id));
    data.insert("health_name".into(), json!(health));
    data.insert("error".into(), json!(error));
    envelope(
        Uuid::now_v7(),
        JOB_FAILED,
        c.account_id,
        Value::Object(data),
    )
}

#[cfg(test)]
#[allow(clippy::bool_assert_comparison)] // the table reads better with explicit true/false
mod tests {
    use tributary_model::health::HealthFacts;

    use super::*;

    fn h(name: HealthName, failures: u32, since_min: Option<i64>, now: DateTime<Utc>) -> Health {
        Health::new(
            name,
            vec![],
            HealthFacts {
                checked_at: now,
                last_job_id: Uuid::nil(),
                unhealthy_since: since_min.map(|m| now - Duration::minutes(m)),
                consecutive_failures: failures,
                next_run_at: None,
            },
        )
    }

    #[test]
    fn flaps_are_not_notified() {
        let now = Utc::now();
        let flap = FlapControl {
            down_after_failures: 3,
            down_after: Duration::minutes(60),
        };
        let healthy = h(HealthName::Healthy, 0, None, now);
        assert_eq!(
            decide(None, &healthy, now, flap),
            Notification {
                report: Some(healthy.clone()),
                send: false
            }
        );
        let down1 = h(HealthName::VendorServerError, 1, Some(0), now);
        assert_eq!(
            decide(Some(&healthy), &down1, now, flap).send,
            false,
            "one failure is a flap"
        );
        assert_eq!(
            decide(
                Some(&healthy),
                &h(HealthName::VendorServerError, 3, Some(10), now),
                now,
                flap
            )
            .send,
            true
        );
        assert_eq!(
            decide(
                Some(&healthy),
                &h(HealthName::VendorServerError, 1, Some(61), now),
                now,
                flap
            )
            .send,
            true,
            "held long enough"
        );
        let reported = h(HealthName::VendorServerError, 3, Some(10), now);
        assert_eq!(
            decide(
                Some(&reported),
                &h(HealthName::VendorServerError, 4, Some(20), now),
                now,
                flap
            ),
            Notification {
                report: None,
                send: false
            },
            "same state twice"
        );
        assert!(
            decide(
                Some(&reported),
                &h(HealthName::Unauthorized, 5, Some(30), now),
                now,
                flap
            )
            .send,
            "a change of name"
        );
        assert!(
            decide(Some(&reported), &healthy, now, flap).send,
            "recovery once"
        );
        assert_eq!(decide(Some(&healthy), &healthy, now, flap).report, None);
    }
}

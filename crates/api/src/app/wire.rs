//! Stored records → the documented wire objects. The store returns its own models; this
//! is the one place they become what the API (and webhook payloads) show.

use chrono::{DateTime, Utc};
use tributary_model::{connection::Organization, job::Job, Connection, ConnectionState};
use tributary_store::models::{ConnectionRecord, JobRecord, OrganizationRecord};

/// The documented connection object. `health.next_run_at` reflects the live schedule and
/// `health.freshness` each export's ages as of now.
pub fn connection(c: &ConnectionRecord) -> Connection {
    let scheduled = c.state == ConnectionState::Active;
    let now = Utc::now();
    let health = c.health.clone().map(|mut h| {
        h.next_run_at = if scheduled { c.next_run_at } else { None };
        h.freshness = c.freshness.iter().map(|f| f.at(now)).collect();
        h
    });
    Connection {
        id: c.id,
        vendor: c.vendor,
        is_active: c.state.is_active(),
        refresh_interval_secs: c.refresh_interval_secs,
        timeout_secs: c.timeout_secs,
        freshness_target_secs: c.freshness_target_secs,
        organization_id: c.organization_id,
        oauth2_authorize_url: None,
        identifier: c.identifier.clone(),
        state: c.state,
        created_at: c.created_at,
        updated_at: c.updated_at,
        health,
        organization_name: c.organization_name.clone(),
        options: c.options.clone(),
    }
}

/// A job with its duration so far (`now` for a running job).
pub fn job(j: &JobRecord, now: DateTime<Utc>) -> Job {
    let duration_secs = j.started_at.map(|s| {
        let end = j.finished_at.unwrap_or(now);
        (end - s).num_microseconds().unwrap_or(0) as f64 / 1e6
    });
    Job {
        id: j.id,
        connection_id: j.connection_id,
        status: j.status,
        trigger: j.trigger,
        created_at: j.created_at,
        started_at: j.started_at,
        finished_at: j.finished_at,
        duration_secs,
        health: j.health_name,
        error: j.error.clone(),
        attempts: j.attempts,
        exports: j.exports.clone(),
    }
}

pub fn organization(o: &OrganizationRecord) -> Organization {
    Organization {
        id: o.id,
        name: o.name.clone(),
        identifier: o.identifier.clone(),
        created_at: o.created_at,
        updated_at: o.updated_at,
        deleted_at: o.deleted_at,
    }
}

#[cfg(test)]
mod tests {
    use tributary_model::Vendor;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_new_connection_has_no_health_and_paused_ones_no_schedule() {
        let now = Utc::now();
        let mut c = ConnectionRecord {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            organization_id: Uuid::nil(),
            organization_name: None,
            vendor: Vendor::named("SENTINELONE"),
            identifier: None,
            state: ConnectionState::Active,
            refresh_interval_secs: 60,
            timeout_secs: 60,
            options: None,
            sealed_credentials: vec![],
            credentials_updated_at: now,
            created_at: now,
            updated_at: now,
            next_run_at: Some(now),
            health: None,
            consecutive_failures: 0,
            unhealthy_since: None,
            notified_health: None,
            platform_retries: 0,
            freshness_target_secs: None,
            freshness: vec![],
        };
        let wire = connection(&c);
        assert!(wire.health.is_none() && wire.is_active);
        c.state = ConnectionState::Paused;
        assert!(!connection(&c).is_active);
    }
}

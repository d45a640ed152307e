//! Vendor incidents: each health change's vendor observation is recorded in the
//! transaction that records the health, under a lock per vendor host (PostgreSQL: an
//! advisory lock; SQLite has one writer), so concurrent workers agree on when an
//! incident opens, who joins and when it resolves.

use std::collections::HashMap;

use async_trait::async_trait;
use tributary_model::{Health, HealthName, Vendor};
use uuid::Uuid;

use super::{rows::parse, SqlStore};
use crate::{
    db::{Query, Tx},
    incidents::*,
    models::NewWebhookEvent,
    time::{from_micros, opt_from_micros, to_micros},
    traits::{IncidentStore, Result},
    window::{finish_page, Keyset, ListPage, ListWindow},
    Dialect, StoreError,
};

#[derive(sqlx::FromRow)]
struct FailureRow {
    connection_id: Uuid,
    account_id: Uuid,
    organization_id: Uuid,
    vendor: String,
    scope: String,
    since: i64,
}

#[derive(sqlx::FromRow)]
struct IncidentRow {
    id: Uuid,
    vendor: String,
    scope: String,
    status: String,
    health_name: String,
    opened_at: i64,
    resolved_at: Option<i64>,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    incident_id: Uuid,
    connection_id: Uuid,
    account_id: Uuid,
    organization_id: Uuid,
    joined_at: i64,
    recovered_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: Uuid,
}

const INCIDENT_COLUMNS: &str =
    "i.id, i.vendor, i.scope, i.status, i.health_name, i.opened_at, i.resolved_at, i.updated_at";

impl IncidentRow {
    fn into_incident(self, connections: Vec<IncidentMember>) -> Result<VendorIncident> {
        Ok(VendorIncident {
            id: self.id,
            vendor: parse::<Vendor>("incident vendor", &self.vendor)?,
            scope: self.scope,
            status: IncidentStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("incident status {}", self.status)))?,
            health_name: parse::<HealthName>("incident health", &self.health_name)?,
            opened_at: from_micros(self.opened_at),
            resolved_at: opt_from_micros(self.resolved_at),
            updated_at: from_micros(self.updated_at),
            connections,
        })
    }
}

impl From<MemberRow> for IncidentMember {
    fn from(m: MemberRow) -> Self {
        IncidentMember {
            connection_id: m.connection_id,
            account_id: m.account_id,
            organization_id: m.organization_id,
            joined_at: from_micros(m.joined_at),
            recovered_at: opt_from_micros(m.recovered_at),
        }
    }
}

/// Loads incidents with their members (only `account`'s when given), in `ids` order.
async fn load(tx: &mut Tx, ids: &[Uuid], account: Option<Uuid>) -> Result<Vec<VendorIncident>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<IncidentRow> = tx.exec().fetch_all(incidents_query(ids)).await?;
    let members: Vec<MemberRow> = tx.exec().fetch_all(members_query(ids, account)).await?;
    assemble(ids, rows, members)
}

fn incidents_query(ids: &[Uuid]) -> Query {
    let mut q = Query::new("");
    let list = q.push_ids(ids);
    q.sql =
        format!("SELECT {INCIDENT_COLUMNS} FROM vendor_incidents i WHERE i.id IN ({list})").into();
    q
}

fn members_query(ids: &[Uuid], account: Option<Uuid>) -> Query {
    let mut q = Query::new("");
    let list = q.push_ids(ids);
    let mut sql = format!(
        "SELECT incident_id, connection_id, account_id, organization_id, joined_at, \
         recovered_at FROM vendor_incident_connections WHERE incident_id IN ({list})"
    );
    if let Some(a) = account {
        let pa = q.push_arg(a);
        sql.push_str(&format!(" AND account_id = {pa}"));
    }
    sql.push_str(" ORDER BY joined_at, connection_id");
    q.sql = sql.into();
    q
}

fn assemble(
    ids: &[Uuid],
    incidents: Vec<IncidentRow>,
    members: Vec<MemberRow>,
) -> Result<Vec<VendorIncident>> {
    let mut by_incident: HashMap<Uuid, Vec<IncidentMember>> = HashMap::new();
    for m in members {
        by_incident.entry(m.incident_id).or_default().push(m.into());
    }
    let mut by_id: HashMap<Uuid, IncidentRow> = incidents.into_iter().map(|r| (r.id, r)).collect();
    ids.iter()
        .filter_map(|id| by_id.remove(id))
        .map(|r| {
            let members = by_incident.remove(&r.id).unwrap_or_default();
            r.into_incident(members)
        })
        .collect()
}

/// Serializes incident decisions for one vendor host (PostgreSQL; SQLite has a single
/// writer, so its transactions are serialized already). Keys are locked in order.
async fn lock_keys(tx: &mut Tx, mut keys: Vec<(String, String)>) -> Result<()> {
    if tx.dialect() != Dialect::Postgres {
        return Ok(());
    }
    keys.sort();
    keys.dedup();
    for (vendor, scope) in keys {
        let q = Query::new("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("vendor_incident/{vendor}/{scope}"));
        tx.exec().execute(q).await?;
    }
    Ok(())
}

/// What an observation did: the incident changes, and whether the connection now
/// belongs to an open incident while failing (its down notification is held).
pub(super) struct Step {
    pub changes: Vec<IncidentChange>,
    pub held: bool,
}

/// Records `obs` for `connection_id` (see [`VendorObservation`]).
pub(super) async fn observe(
    tx: &mut Tx,
    connection_id: Uuid,
    obs: &VendorObservation,
) -> Result<Step> {
    let q = Query::new(
        "SELECT connection_id, account_id, organization_id, vendor, scope, since \
         FROM vendor_failures WHERE connection_id = $1",
    )
    .bind(connection_id);
    let old: Option<FailureRow> = tx.exec().fetch_optional(q).await?;
    let new_key = obs
        .failing
        .map(|_| (obs.vendor.as_str().to_owned(), obs.scope.clone()));
    let old_key = old.as_ref().map(|o| (o.vendor.clone(), o.scope.clone()));
    if old_key.is_none() && new_key.is_none() {
        return Ok(Step {
            changes: Vec::new(),
            held: false,
        });
    }
    lock_keys(tx, old_key.iter().chain(new_key.iter()).cloned().collect()).await?;
    let at = to_micros(obs.at);
    let mut changes = Vec::new();
    if old_key.is_some() && old_key != new_key {
        changes.extend(recover(tx, connection_id, at).await?);
    }
    let Some(name) = obs.failing else {
        let q =
            Query::new("DELETE FROM vendor_failures WHERE connection_id = $1").bind(connection_id);
        tx.exec().execute(q).await?;
        return Ok(Step {
            changes,
            held: false,
        });
    };
    let since = match &old {
        Some(o) if old_key == new_key => o.since,
        _ => at,
    };
    let q = Query::new(
        "INSERT INTO vendor_failures (connection_id, account_id, organization_id, vendor, \
         scope, health_name, since) SELECT id, account_id, organization_id, $2, $3, $4, $5 \
         FROM connections WHERE id = $1 \
         ON CONFLICT (connection_id) DO UPDATE SET vendor = excluded.vendor, \
         scope = excluded.scope, health_name = excluded.health_name, since = excluded.since",
    )
    .bind(connection_id)
    .bind(obs.vendor.as_str())
    .bind(obs.scope.clone())
    .bind(name.as_str())
    .bind(since);
    tx.exec().execute(q).await?;
    let (change, held) = join_or_open(tx, connection_id, obs, name, at).await?;
    changes.extend(change);
    Ok(Step { changes, held })
}

/// Joins the open incident of the connection's vendor host, or opens one when enough
/// connections fail there within the window.
async fn join_or_open(
    tx: &mut Tx,
    connection_id: Uuid,
    obs: &VendorObservation,
    name: HealthName,
    at: i64,
) -> Result<(Option<IncidentChange>, bool)> {
    let q = Query::new(
        "SELECT id FROM vendor_incidents WHERE vendor = $1 AND scope = $2 AND status = 'OPEN'",
    )
    .bind(obs.vendor.as_str())
    .bind(obs.scope.clone());
    let open: Option<IdRow> = tx.exec().fetch_optional(q).await?;
    if let Some(IdRow { id }) = open {
        let q = Query::new(
            "INSERT INTO vendor_incident_connections (incident_id, connection_id, account_id, \
             organization_id, joined_at, recovered_at) \
             SELECT $1, id, account_id, organization_id, $3, NULL FROM connections WHERE id = $2 \
             ON CONFLICT (incident_id, connection_id) DO UPDATE SET joined_at = excluded.joined_at, \
             recovered_at = NULL WHERE vendor_incident_connections.recovered_at IS NOT NULL",
        )
        .bind(id)
        .bind(connection_id)
        .bind(at);
        if tx.exec().execute(q).await? == 0 {
            return Ok((None, true)); // already a failing member
        }
        touch(tx, id, at).await?;
        let incident = load(tx, &[id], None).await?.pop();
        let change = incident.map(|incident| IncidentChange {
            kind: IncidentChangeKind::Joined,
            connection_id,
            incident,
        });
        return Ok((change, true));
    }
    let window_start = at.saturating_sub(obs.policy.window.num_microseconds().unwrap_or(i64::MAX));
    let q = Query::new(
        "SELECT f.connection_id, f.account_id, f.organization_id, f.vendor, f.scope, f.since \
         FROM vendor_failures f JOIN connections c ON c.id = f.connection_id \
         WHERE f.vendor = $1 AND f.scope = $2 AND f.since >= $3 AND c.state = 'ACTIVE' \
         ORDER BY f.since, f.connection_id",
    )
    .bind(obs.vendor.as_str())
    .bind(obs.scope.clone())
    .bind(window_start);
    let failing: Vec<FailureRow> = tx.exec().fetch_all(q).await?;
    let counted = failing.iter().any(|f| f.connection_id == connection_id);
    if !counted || (failing.len() as u64) < u64::from(obs.policy.min_connections.max(1)) {
        return Ok((None, false));
    }
    let id = Uuid::now_v7();
    let q = Query::new(
        "INSERT INTO vendor_incidents (id, vendor, scope, status, health_name, opened_at, \
         resolved_at, updated_at) VALUES ($1, $2, $3, 'OPEN', $4, $5, NULL, $5)",
    )
    .bind(id)
    .bind(obs.vendor.as_str())
    .bind(obs.scope.clone())
    .bind(name.as_str())
    .bind(at);
    tx.exec().execute(q).await?;
    for f in &failing {
        let q = Query::new(
            "INSERT INTO vendor_incident_connections (incident_id, connection_id, account_id, \
             organization_id, joined_at, recovered_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(id)
        .bind(f.connection_id)
        .bind(f.account_id)
        .bind(f.organization_id)
        .bind(f.since);
        tx.exec().execute(q).await?;
    }
    let incident = load(tx, &[id], None).await?.pop();
    let change = incident.map(|incident| IncidentChange {
        kind: IncidentChangeKind::Opened,
        connection_id,
        incident,
    });
    Ok((change, true))
}

/// The connection is no longer failing at the vendor (or fails at another host): it
/// recovers in every open incident it belongs to; an incident whose active members all
/// recovered resolves (members no longer ACTIVE — paused, deleted — count as recovered).
async fn recover(tx: &mut Tx, connection_id: Uuid, at: i64) -> Result<Vec<IncidentChange>> {
    let q = Query::new(
        "SELECT m.incident_id AS id FROM vendor_incident_connections m \
         JOIN vendor_incidents i ON i.id = m.incident_id \
         WHERE m.connection_id = $1 AND m.recovered_at IS NULL AND i.status = 'OPEN'",
    )
    .bind(connection_id);
    let open: Vec<IdRow> = tx.exec().fetch_all(q).await?;
    let mut changes = Vec::new();
    for IdRow { id } in open {
        let q = Query::new(
            "UPDATE vendor_incident_connections SET recovered_at = $3 \
             WHERE incident_id = $1 AND connection_id = $2",
        )
        .bind(id)
        .bind(connection_id)
        .bind(at);
        tx.exec().execute(q).await?;
        let q = Query::new(
            "SELECT m.connection_id AS id FROM vendor_incident_connections m \
             JOIN connections c ON c.id = m.connection_id \
             WHERE m.incident_id = $1 AND m.recovered_at IS NULL AND c.state = 'ACTIVE'",
        )
        .bind(id);
        let still: Vec<IdRow> = tx.exec().fetch_all(q).await?;
        let kind = if still.is_empty() {
            let q = Query::new(
                "UPDATE vendor_incidents SET status = 'RESOLVED', resolved_at = $2, \
                 updated_at = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(at);
            tx.exec().execute(q).await?;
            let q = Query::new(
                "UPDATE vendor_incident_connections SET recovered_at = $2 \
                 WHERE incident_id = $1 AND recovered_at IS NULL",
            )
            .bind(id)
            .bind(at);
            tx.exec().execute(q).await?;
            IncidentChangeKind::Resolved
        } else {
            touch(tx, id, at).await?;
            IncidentChangeKind::Recovered
        };
        if let Some(incident) = load(tx, &[id], None).await?.pop() {
            changes.push(IncidentChange {
                kind,
                connection_id,
                incident,
            });
        }
    }
    Ok(changes)
}

async fn touch(tx: &mut Tx, id: Uuid, at: i64) -> Result<()> {
    let q = Query::new("UPDATE vendor_incidents SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at);
    tx.exec().execute(q).await?;
    Ok(())
}

/// Writes a health change's webhook events and the health webhooks now report, after
/// recording its vendor observation: while the connection belongs to an open incident,
/// its held down notification is not written and the reported health stays as it was.
pub(super) async fn record_notifications(
    tx: &mut Tx,
    connection_id: Uuid,
    vendor: Option<&VendorObservation>,
    events: &[NewWebhookEvent],
    notified: Option<&Health>,
) -> Result<()> {
    let mut held = None;
    if let Some(obs) = vendor {
        let step = observe(tx, connection_id, obs).await?;
        if step.held {
            held = obs.held_notification;
        }
        for change in &step.changes {
            for event in (obs.render)(change) {
                super::webhooks::insert_event(tx, &event).await?;
            }
        }
    }
    for event in events {
        if Some(event.id) != held {
            super::webhooks::insert_event(tx, event).await?;
        }
    }
    if let (Some(notified), None) = (notified, held) {
        let q = Query::new("UPDATE connections SET notified_health = $2 WHERE id = $1")
            .bind(connection_id)
            .bind(serde_json::to_string(notified)?);
        tx.exec().execute(q).await?;
    }
    Ok(())
}

#[async_trait]
impl IncidentStore for SqlStore {
    async fn list_vendor_incidents(
        &self,
        account_id: Uuid,
        status: Option<IncidentStatus>,
        window: ListWindow,
    ) -> Result<ListPage<VendorIncident>> {
        let mut q = Query::new("");
        let pa = q.push_arg(account_id);
        let mut filter = format!(
            " WHERE EXISTS (SELECT 1 FROM vendor_incident_connections m \
             WHERE m.incident_id = i.id AND m.account_id = {pa})"
        );
        if let Some(s) = status {
            let ps = q.push_arg(s.as_str());
            filter.push_str(&format!(" AND i.status = {ps}"));
        }
        let total = if window.with_total {
            let mut cq = q.clone();
            cq.sql = format!("SELECT count(*) AS n FROM vendor_incidents i{filter}").into();
            let row: super::rows::CountRow = self.db.reader().fetch_one(cq).await?;
            Some(row.n)
        } else {
            None
        };
        let mut sql = format!("SELECT i.id FROM vendor_incidents i{filter}");
        let keyset = Keyset {
            key_col: "i.opened_at",
            id_col: "i.id",
            descending: true,
        };
        let reversed = keyset.apply(&window, &mut sql, &mut q);
        q.sql = sql.into();
        let rows: Vec<IdRow> = self.db.reader().fetch_all(q).await?;
        let (rows, has_more) = finish_page(rows, &window, reversed);
        let ids: Vec<Uuid> = rows.into_iter().map(|r| r.id).collect();
        let items = if ids.is_empty() {
            Vec::new()
        } else {
            let incidents: Vec<IncidentRow> =
                self.db.reader().fetch_all(incidents_query(&ids)).await?;
            let members: Vec<MemberRow> = self
                .db
                .reader()
                .fetch_all(members_query(&ids, Some(account_id)))
                .await?;
            assemble(&ids, incidents, members)?
        };
        Ok(ListPage {
            items,
            total,
            has_more,
        })
    }
}

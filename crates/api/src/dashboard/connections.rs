//! The connections table: health badges, counts per status, filters.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use tributary_model::{AdvisoryCode, HealthName, ResolutionOwner, Vendor};
use tributary_store::{incidents::IncidentStatus, models::ConnectionFilter, ListWindow, Position};

use super::{
    render,
    view::{badge_class, owner_label, warnings, when, Choice, WarningView},
    Session,
};
use crate::{app::connections, state::AppState};

pub struct Count {
    pub name: String,
    pub label: String,
    pub class: &'static str,
    pub count: i64,
}

pub struct Row {
    pub id: String,
    pub label: String,
    pub organization: String,
    pub vendor: String,
    pub state: String,
    pub health_name: String,
    pub class: &'static str,
    pub owner: &'static str,
    pub unhealthy_since: String,
    pub checked_at: String,
    pub warnings: Vec<WarningView>,
}

/// An open vendor incident, as the banner shows it to one account.
pub struct IncidentBanner {
    pub id: String,
    pub vendor: String,
    pub host: String,
    pub opened_at: String,
    /// The account's connections still failing in it.
    pub failing: usize,
}

#[derive(Template)]
#[template(path = "dashboard/connections.html")]
struct Page {
    csrf: String,
    incidents: Vec<IncidentBanner>,
    counts: Vec<Count>,
    rows: Vec<Row>,
    health_options: Vec<Choice>,
    owner_options: Vec<Choice>,
    vendor_options: Vec<Choice>,
    org_options: Vec<Choice>,
    advisory_options: Vec<Choice>,
}

const OWNERS: [ResolutionOwner; 3] = [
    ResolutionOwner::Leen,
    ResolutionOwner::Customer,
    ResolutionOwner::Vendor,
];

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, crate::ApiError> {
    let account = session.caller.account_id;
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let health = get("health").and_then(|h| h.parse::<HealthName>().ok());
    let owner = get("owner").and_then(|o| o.parse::<ResolutionOwner>().ok());
    let vendor = get("vendor").and_then(|v| v.parse::<Vendor>().ok());
    let org = get("org").and_then(|o| o.parse::<uuid::Uuid>().ok());
    let advisory = get("advisory").and_then(|a| a.parse::<AdvisoryCode>().ok());
    let filter = ConnectionFilter {
        organization_id: org,
        health_names: health.into_iter().collect(),
        vendors: vendor.into_iter().collect(),
        advisory_codes: advisory.into_iter().collect(),
        ..Default::default()
    };
    let window = ListWindow {
        limit: 1000,
        position: Position::Offset(0),
        with_total: false,
    };
    let connections = state
        .store
        .list_connections(account, &filter, window)
        .await?
        .items;
    let rows = connections
        .into_iter()
        .filter(|c| {
            owner.is_none_or(|o| {
                c.health
                    .as_ref()
                    .is_some_and(|h| !h.name.is_healthy() && h.resolution_owner == o)
            })
        })
        .map(|c| {
            let name = c.health.as_ref().map(|h| h.name);
            Row {
                id: c.id.to_string(),
                label: connections::label(&state, &c),
                organization: c.organization_name.clone().unwrap_or_default(),
                vendor: state.engine.registry().display_name(c.vendor),
                state: c.state.to_string(),
                health_name: name.map_or("NOT CHECKED YET".into(), |n| n.to_string()),
                class: badge_class(name),
                owner: name
                    .filter(|n| !n.is_healthy())
                    .map_or("—", |n| owner_label(n.resolution_owner())),
                unhealthy_since: when(c.health.as_ref().and_then(|h| h.unhealthy_since)),
                checked_at: when(c.health.as_ref().map(|h| h.checked_at)),
                warnings: warnings(c.health.as_ref().map_or(&[], |h| &h.advisories)),
            }
        })
        .collect();
    let mut counts: Vec<Count> = state
        .store
        .count_connections_by_health(account)
        .await?
        .into_iter()
        .map(|(name, count)| {
            let parsed = name.as_deref().and_then(|n| n.parse::<HealthName>().ok());
            Count {
                name: name.clone().unwrap_or_default(),
                label: name.unwrap_or_else(|| "NOT CHECKED YET".into()),
                class: badge_class(parsed),
                count,
            }
        })
        .collect();
    counts.sort_by_key(|c| c.name.parse::<HealthName>().map_or(99, |n| n.precedence()));
    let orgs = state
        .store
        .list_organizations(account, false, window)
        .await?
        .items;
    let current = |k: &str| get(k).map(str::to_owned);
    let (h, o, v, g) = (
        current("health"),
        current("owner"),
        current("vendor"),
        current("org"),
    );
    let a = current("advisory");
    let incidents = state
        .store
        .list_vendor_incidents(
            account,
            Some(IncidentStatus::Open),
            ListWindow {
                with_total: false,
                ..ListWindow::first(20)
            },
        )
        .await?
        .items
        .into_iter()
        .map(|i| IncidentBanner {
            id: i.id.to_string(),
            vendor: state.engine.registry().display_name(i.vendor),
            failing: i
                .connections
                .iter()
                .filter(|m| m.recovered_at.is_none())
                .count(),
            host: i.scope,
            opened_at: when(Some(i.opened_at)),
        })
        .collect();
    let page = Page {
        csrf: session.csrf,
        incidents,
        counts,
        rows,
        health_options: HealthName::ALL
            .iter()
            .map(|n| Choice::new(n.as_str(), n.as_str(), h.as_deref()))
            .collect(),
        owner_options: OWNERS
            .iter()
            .map(|o2| Choice::new(o2.as_str(), owner_label(*o2), o.as_deref()))
            .collect(),
        vendor_options: state
            .engine
            .registry()
            .all()
            .iter()
            .map(|x| Choice::new(x.vendor.as_str(), x.name, v.as_deref()))
            .collect(),
        org_options: orgs
            .iter()
            .map(|x| Choice::new(x.id.to_string(), x.name.clone(), g.as_deref()))
            .collect(),
        advisory_options: AdvisoryCode::ALL
            .iter()
            .map(|c| Choice::new(c.as_str(), c.as_str(), a.as_deref()))
            .collect(),
    };
    Ok(render(&page))
}

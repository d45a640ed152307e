//! Small formatting helpers shared by the dashboard pages.

use chrono::{DateTime, Utc};
use tributary_model::{Advisory, HealthName, ResolutionOwner};

/// A `<select>` option.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: Option<&str>) -> Self {
        let value = value.into();
        let selected = current == Some(value.as_str());
        Choice {
            value,
            label: label.into(),
            selected,
        }
    }
}

/// The badge colour: healthy green, otherwise by who must act; grey before the first job.
pub fn badge_class(name: Option<HealthName>) -> &'static str {
    match name {
        None => "unknown",
        Some(HealthName::Healthy) => "ok",
        Some(n) => match n.resolution_owner() {
            ResolutionOwner::Leen => "leen",
            ResolutionOwner::Customer => "customer",
            ResolutionOwner::Vendor => "vendor",
        },
    }
}

/// A Warning badge per advisory raised (the playbook's level between Connected and
/// Failure): the code, and the message as its title.
pub struct WarningView {
    pub code: &'static str,
    pub export: String,
    pub message: String,
    pub since: String,
    pub owner: &'static str,
    pub resolution: &'static str,
    pub evidence: String,
}

pub fn warnings(advisories: &[Advisory]) -> Vec<WarningView> {
    advisories
        .iter()
        .map(|a| WarningView {
            code: a.code.as_str(),
            export: a
                .data_export_type
                .map_or_else(|| "connection".to_owned(), |e| e.to_string()),
            message: a.message.clone(),
            since: when(Some(a.since)),
            owner: owner_label(a.resolution_owner),
            resolution: a.code.resolution(),
            evidence: a.evidence.to_string(),
        })
        .collect()
}

pub fn owner_label(o: ResolutionOwner) -> &'static str {
    match o {
        ResolutionOwner::Leen => "Platform (LEEN)",
        ResolutionOwner::Customer => "Customer",
        ResolutionOwner::Vendor => "Vendor",
    }
}

pub fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "—".into())
}

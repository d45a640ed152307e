//! Small formatting helpers shared by the dashboard pages.

use chrono::{DateTime, Utc};
use tributary_model::{HealthName, ResolutionOwner};

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

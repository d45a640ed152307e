//! What an export request selects: its body parsed (`num_assets` / `chunk_size`,
//! `filters`), and the matching records listed in update order after a position, so a
//! job can cut them into chunks without holding them.

use serde_json::{Map, Value};

use crate::{
    dataset::{Key, Order, RecordRef, TimeRange},
    fake::{DAY, SEC},
    vms::{
        catalog::SEVERITIES,
        collections::{assets, finding_live, findings},
        profiles::{finding, Scope, State},
    },
    world::World,
};

/// Which export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Vulns,
    Assets,
}

impl Kind {
    /// The path segment (`vulns`, `assets`), also the fault endpoint.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Vulns => "vulns",
            Kind::Assets => "assets",
        }
    }
}

/// Conditions on a finding beyond its update time.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// OPEN, FIXED, REOPENED (by `State as usize`).
    pub states: [bool; 3],
    pub severities: [bool; 5],
    pub plugin_ids: Vec<u64>,
    pub plugin_families: Vec<String>,
    pub first_found: Option<i64>,
    pub last_found: Option<i64>,
    pub last_fixed: Option<i64>,
}

/// The records an export lists.
#[derive(Debug, Clone)]
pub enum Selection {
    Findings {
        range: TimeRange,
        filter: FindingFilter,
    },
    /// Live assets updated within `live` and/or assets deleted within `deleted`.
    Assets {
        live: Option<TimeRange>,
        deleted: Option<TimeRange>,
        created_after: Option<i64>,
    },
}

/// A parsed export request.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub select: Selection,
    /// Records per chunk.
    pub per_chunk: usize,
    /// What the status reports as `num_assets_per_chunk` (vulns) or `chunk_size` (assets).
    pub chunk_setting: u64,
    /// The filters as given (echoed by the status; equal filters make a duplicate).
    pub filters: Value,
}

/// Epoch seconds in a filter (numbers or numeric strings, as clients send both).
fn seconds(v: &Value, name: &str) -> Result<i64, String> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .ok_or_else(|| format!("filters.{name} must be a Unix timestamp in seconds"))
}

fn number(v: Option<&Value>, name: &str) -> Result<Option<u64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Some)
            .ok_or_else(|| format!("{name} must be an integer")),
    }
}

fn strings(v: &Value, name: &str) -> Result<Vec<String>, String> {
    let items = v
        .as_array()
        .ok_or_else(|| format!("filters.{name} must be an array"))?;
    items
        .iter()
        .map(|i| match i {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(format!("filters.{name} must hold strings")),
        })
        .collect()
}

/// Filters the simulator accepts without acting on them (they select nothing here that
/// is not already everything: one network, no tags on findings, no WAS).
const IGNORED_VULN_FILTERS: &[&str] = &[
    "network_id",
    "cidr_range",
    "scan_uuid",
    "source",
    "cve_category",
    "exploit_maturity",
    "vpr_score",
    "vpr_v2_score",
    "cvss4_base_score",
    "epss_score",
    "vpr_threat_intensity",
    "weaponization",
    "severity_modification_type",
    "time_taken_to_fix",
    "initiative_id",
    "zero_day",
    "plugin_type",
    "cve_id",
    "resurfaced_date",
];
const IGNORED_ASSET_FILTERS: &[&str] = &[
    "terminated_at",
    "is_terminated",
    "is_licensed",
    "first_scan_time",
    "last_authenticated_scan_time",
    "last_assessed",
    "servicenow_sysid",
    "last_scan_id",
    "network_id",
    "sources",
    "has_plugin_results",
    "types",
];

fn filters_of(body: &Value) -> Result<Map<String, Value>, String> {
    match body.get("filters") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err("filters must be an object".into()),
    }
}

fn index_of(names: &[&str], v: &str, what: &str) -> Result<usize, String> {
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(v))
        .ok_or_else(|| format!("{what} {v:?} is not one of {names:?}"))
}

/// The finding conditions of vulns `filters`, the `since` time, and whether another time
/// filter was given.
fn finding_filter(
    filters: &Map<String, Value>,
) -> Result<(FindingFilter, Option<i64>, bool), String> {
    let mut f = FindingFilter::default();
    let mut since = None;
    let mut other_time = false;
    let mut states = None;
    for (name, v) in filters {
        match name.as_str() {
            "since" | "indexed_at" => since = Some(seconds(v, name)? * SEC),
            "first_found" | "first_seen" => {
                (f.first_found, other_time) = (Some(seconds(v, name)? * SEC), true)
            }
            "last_found" | "last_seen" => {
                (f.last_found, other_time) = (Some(seconds(v, name)? * SEC), true)
            }
            "last_fixed" => (f.last_fixed, other_time) = (Some(seconds(v, name)? * SEC), true),
            "state" => states = Some(strings(v, name)?),
            "severity" => {
                for s in strings(v, name)? {
                    f.severities[index_of(&SEVERITIES, &s, "severity")?] = true;
                }
            }
            "plugin_id" | "plugin_ids" => {
                f.plugin_ids = strings(v, name)?
                    .iter()
                    .filter_map(|s| s.parse().ok())
                    .collect()
            }
            "plugin_family" => f.plugin_families = strings(v, name)?,
            n if n.starts_with("tag.") || IGNORED_VULN_FILTERS.contains(&n) => {}
            n => return Err(format!("filters.{n} is not a valid filter")),
        }
    }
    if since.is_some() && other_time {
        return Err("since cannot be used with first_found, first_seen, last_found, last_seen or last_fixed".into());
    }
    match states {
        Some(list) => {
            for s in list {
                f.states[index_of(&["OPEN", "FIXED", "REOPENED"], &s, "state")?] = true;
            }
        }
        // With `since`, fixed findings come too; otherwise only open and reopened ones.
        None => f.states = [true, since.is_some(), true],
    }
    if !f.severities.contains(&true) {
        f.severities = [true; 5];
    }
    Ok((f, since, other_time))
}

/// `POST /vulns/export`: `num_assets` 50–5000 (clamped, default 50), `filters`.
pub fn vulns_request(world: &World, body: &Value, now_ns: i64) -> Result<ExportRequest, String> {
    let num_assets = number(body.get("num_assets"), "num_assets")?
        .unwrap_or(50)
        .clamp(50, 5000);
    let filters = filters_of(body)?;
    let (f, since, other_time) = finding_filter(&filters)?;
    // Without any time filter Tenable exports only what was found or fixed in 30 days.
    let since = since.or((!other_time).then_some(now_ns - 30 * DAY));
    let range = TimeRange { since, until: None };
    let assets = assets(world).created().max(1);
    let per_asset = findings(world).created().div_ceil(assets).max(1);
    Ok(ExportRequest {
        select: Selection::Findings { range, filter: f },
        per_chunk: (num_assets * per_asset) as usize,
        chunk_setting: num_assets,
        filters: Value::Object(filters),
    })
}

/// `POST /assets/export` and `/assets/v2/export`: `chunk_size` 100–10000 (else 400),
/// `filters` (`updated_at`, `deleted_at`, `created_at`, `is_deleted`, v2 `since`).
pub fn assets_request(body: &Value) -> Result<ExportRequest, String> {
    let chunk_size =
        number(body.get("chunk_size"), "chunk_size")?.ok_or("chunk_size is required")?;
    if !(100..=10_000).contains(&chunk_size) {
        return Err(format!(
            "chunk_size must be between 100 and 10000, got {chunk_size}"
        ));
    }
    let filters = filters_of(body)?;
    // "Later than" a second: strictly after it.
    let after = |v: &Value, n: &str| seconds(v, n).map(|s| s * SEC + 1);
    let (mut updated, mut deleted, mut created_after, mut since) = (None, None, None, None);
    let mut is_deleted = None;
    for (name, v) in &filters {
        match name.as_str() {
            "updated_at" => updated = Some(after(v, name)?),
            "deleted_at" => deleted = Some(after(v, name)?),
            "created_at" => created_after = Some(after(v, name)?),
            "since" => since = Some(seconds(v, name)? * SEC),
            "is_deleted" => is_deleted = v.as_bool(),
            n if n.starts_with("tag.") || IGNORED_ASSET_FILTERS.contains(&n) => {}
            n => return Err(format!("filters.{n} is not a valid filter")),
        }
    }
    let range = |since| TimeRange { since, until: None };
    let wants_deleted = deleted.is_some() || is_deleted == Some(true);
    let select = match since {
        // v2 `since`: updated or deleted since.
        Some(s) => Selection::Assets {
            live: Some(range(Some(s))),
            deleted: Some(range(Some(s))),
            created_after,
        },
        None if wants_deleted => Selection::Assets {
            live: None,
            deleted: Some(range(deleted)),
            created_after,
        },
        None => Selection::Assets {
            live: Some(range(updated)),
            deleted: None,
            created_after,
        },
    };
    Ok(ExportRequest {
        select,
        per_chunk: chunk_size as usize,
        chunk_setting: chunk_size,
        filters: Value::Object(filters),
    })
}

/// How many candidates one step of a scan reads.
const STEP: usize = 4096;

impl Selection {
    /// Up to `max` matching records strictly after `after`, in update (or deletion) order.
    pub fn scan(&self, world: &World, after: Option<Key>, max: usize) -> Vec<RecordRef> {
        match self {
            Selection::Findings { range, filter } => {
                scan_findings(world, *range, filter, after, max)
            }
            Selection::Assets {
                live,
                deleted,
                created_after,
            } => {
                let data = assets(world);
                let created_ok = |r: &RecordRef| created_after.is_none_or(|c| r.origin >= c);
                let mut out: Vec<RecordRef> = Vec::new();
                if let Some(range) = live {
                    out.extend(filtered(
                        |a, n| data.chunk(*range, Order::UpdatedAsc, a, n),
                        after,
                        max,
                        created_ok,
                    ));
                }
                if let Some(range) = deleted {
                    out.extend(filtered(
                        |a, n| data.deleted(*range, a, n),
                        after,
                        max,
                        created_ok,
                    ));
                }
                out.sort_by_key(Key::of);
                out.truncate(max);
                out
            }
        }
    }
}

/// Up to `max` records of `list` (a keyset listing) after `after` that `keep`.
fn filtered(
    list: impl Fn(Option<Key>, usize) -> Vec<RecordRef>,
    mut after: Option<Key>,
    max: usize,
    keep: impl Fn(&RecordRef) -> bool,
) -> Vec<RecordRef> {
    let mut out = Vec::new();
    while out.len() < max {
        let part = list(after, STEP);
        let Some(last) = part.last() else { break };
        after = Some(Key::of(last));
        out.extend(part.into_iter().filter(|r| keep(r)).take(max - out.len()));
    }
    out
}

fn scan_findings(
    world: &World,
    range: TimeRange,
    f: &FindingFilter,
    after: Option<Key>,
    max: usize,
) -> Vec<RecordRef> {
    let data = findings(world);
    let keep = |r: &RecordRef| {
        if !finding_live(world, r.index) {
            return false;
        }
        let c = finding(world, r, Scope::All);
        let state = match c.state {
            State::Open => 0,
            State::Fixed => 1,
            State::Reopened => 2,
        };
        f.states[state]
            && f.severities[usize::from(c.plugin.severity)]
            && (f.plugin_ids.is_empty() || f.plugin_ids.contains(&u64::from(c.plugin.id)))
            && (f.plugin_families.is_empty()
                || f.plugin_families.iter().any(|p| p == c.plugin.family))
            && f.first_found.is_none_or(|t| c.first_found >= t)
            && f.last_found.is_none_or(|t| c.last_found >= t)
            && f.last_fixed
                .is_none_or(|t| c.last_fixed.is_some_and(|x| x >= t))
    };
    filtered(
        |a, n| data.chunk(range, Order::UpdatedAsc, a, n),
        after,
        max,
        keep,
    )
}

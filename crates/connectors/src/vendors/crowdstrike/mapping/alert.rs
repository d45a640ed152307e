//! An `/alerts/entities/alerts/v2` resource → an alert: endpoint (EPP `ldt`, `ods`),
//! identity (`idp`, no `device{}`) and cloud alerts.

use chrono::TimeDelta;
use tributary_model::edr::{
    AdInfo, Alert, AlertStatus, Device, MitreTactic, Observable, ObservableType as T,
};

use super::{device::host, severity, status, OWN_FRAMEWORK, VENDOR};
use crate::view::View;
use crate::{
    mapping::{MapContext, MappedAlert, MappingError},
    normalize::{
        array, epoch_seconds, first_string,
        host::{ad_domain, host_names, is_sid, qualified_user},
        int,
        mitre::{technique, MitreBuilder},
        nested_object,
        net::Addresses,
        observables::Observables,
        real_hash, record, require_id, string, time, watermark,
    },
};

/// Maps an `/alerts/entities/alerts/v2` resource. Refused: a non-object, no
/// `composite_id` (or `id`), a `device`/`parent_details`/`grandparent_details` that is
/// not an object, an unreadable `updated_timestamp`.
pub fn map_alert(raw: &View, ctx: &MapContext) -> Result<MappedAlert, MappingError> {
    let id = require_id(raw, &["composite_id", "id"])?;
    let device_obj = nested_object(raw, "device")?;
    nested_object(raw, "parent_details")?;
    nested_object(raw, "grandparent_details")?;
    let vendor_updated_at = watermark(raw, "updated_timestamp")?;
    // The snapshot's own id first: it is the id the synced host has.
    let device_vendor_id = device_obj
        .and_then(|d| string(d, "device_id"))
        .or_else(|| string(raw, "agent_id"));
    let mut a = record::alert(ctx, VENDOR, &id);
    a.device = device_vendor_id
        .as_deref()
        .map(|aid| alert_device(ctx, aid, device_obj, raw));
    describe(&mut a, raw);
    process(&mut a, raw);
    user(&mut a, raw);
    a.mitre = mitre(raw);
    a.observables = Some(observables(&a, raw));
    Ok(MappedAlert {
        vendor_id: id,
        device_vendor_id,
        vendor_updated_at,
        alert: a,
    })
}

/// The host snapshot of an endpoint alert; for an identity alert without one, the
/// source endpoint when it is the alert's sensor.
fn alert_device(ctx: &MapContext, aid: &str, snapshot: Option<&View>, raw: &View) -> Device {
    if let Some(s) = snapshot {
        return host(ctx, aid, s);
    }
    let mut d = record::device(ctx, VENDOR, aid);
    let sensor = string(raw, "source_endpoint_sensor_id");
    if sensor.is_some_and(|s| s != aid) {
        return d;
    }
    let name = string(raw, "source_endpoint_host_name");
    (d.hostnames, d.fqdns) = host_names(name.as_deref(), None);
    let mut addrs = Addresses::default();
    for key in ["source_endpoint_ip_address", "source_endpoint_address_ip4"] {
        addrs.ips(string(raw, key));
    }
    (d.ipv4s, d.ipv6s) = (addrs.ipv4s, addrs.ipv6s);
    d.ad_info = string(raw, "source_endpoint_account_object_guid").map(|guid| AdInfo {
        org_unit: None,
        site_name: None,
        domain: None,
        device_id: Some(guid),
    });
    d
}

/// Title, description, assignee, severity, status and times.
fn describe(a: &mut Alert, raw: &View) {
    a.title = first_string(raw, &["display_name", "name"]);
    a.description = string(raw, "description");
    a.assigned_user = first_string(raw, &["assigned_to_name", "assigned_to_uid"]);
    let score = int(raw, "severity");
    let name = string(raw, "severity_name");
    a.severity = severity(score, name.as_deref());
    // The number is what CrowdStrike ranks by and every alert has it; the name is
    // derived from it and missing on some products.
    a.vendor_severity = string(raw, "severity").or(name);
    a.vendor_status = string(raw, "status");
    a.status = status(a.vendor_status.as_deref());
    a.first_event_time = ["start_time", "first_timestamp", "timestamp"]
        .iter()
        .find_map(|p| time(raw, p));
    a.last_event_time = ["end_time", "last_timestamp", "timestamp"]
        .iter()
        .find_map(|p| time(raw, p));
    a.resolved_time = (a.status == AlertStatus::Resolved)
        .then(|| resolved_time(raw))
        .flatten();
}

/// `created_timestamp + seconds_to_resolved` when that is known, else the last update.
fn resolved_time(raw: &View) -> Option<chrono::DateTime<chrono::Utc>> {
    let created = time(raw, "created_timestamp");
    let secs = int(raw, "seconds_to_resolved").filter(|s| *s > 0);
    match (created, secs.and_then(TimeDelta::try_seconds)) {
        (Some(c), Some(d)) => c.checked_add_signed(d),
        _ => None,
    }
    .or_else(|| time(raw, "updated_timestamp"))
}

/// The detected process (`local_process_id` is the OS pid; `process_id` is Falcon's
/// graph id and is not used).
fn process(a: &mut Alert, raw: &View) {
    a.pid = string(raw, "local_process_id");
    a.parent_pid = string(raw, "parent_details.local_process_id");
    a.process_created_at = epoch_seconds(raw, "process_start_time");
    a.process_filename = string(raw, "filename");
    a.process_filepath = string(raw, "filepath");
    a.process_command_line = string(raw, "cmdline");
    a.process_sha1 = real_hash(string(raw, "sha1"));
    a.process_sha256 = real_hash(string(raw, "sha256"));
    a.process_md5 = real_hash(string(raw, "md5"));
}

/// The user: `logon_domain\user_name` on endpoint alerts, the source account on
/// identity alerts.
fn user(a: &mut Alert, raw: &View) {
    let logon_domain = string(raw, "logon_domain");
    let name = first_string(
        raw,
        &[
            "user_name",
            "source_account_sam_account_name",
            "source_account_name",
        ],
    );
    a.user_name = qualified_user(logon_domain.as_deref(), name.as_deref());
    a.windows_sid = ["user_id", "source_account_object_sid"]
        .iter()
        .filter_map(|p| string(raw, p))
        .find(|s| is_sid(s));
    a.active_directory_user_id = string(raw, "source_account_object_guid");
    let host = a.device.as_ref().and_then(|d| d.hostnames.first().cloned());
    a.active_directory_domain = ad_domain(
        logon_domain.or_else(|| string(raw, "source_account_domain")),
        host.as_deref(),
    );
}

/// `tactic`/`tactic_id`/`technique`/`technique_id` and `mitre_attack[]`. CrowdStrike's
/// own ids (`CSTA…`/`CST…`) are kept with source `CrowdStrike` and no link.
fn mitre(raw: &View) -> Vec<MitreTactic> {
    let mut b = MitreBuilder::default();
    let entries = std::iter::once(raw).chain(array(raw, "mitre_attack"));
    for v in entries {
        let tech = technique(string(v, "technique_id"), string(v, "technique"));
        let (name, id) = (string(v, "tactic"), string(v, "tactic_id"));
        if name.is_some() || id.is_some() || tech.is_some() {
            b.add(name, id, Some(OWN_FRAMEWORK), tech);
        }
    }
    b.build()
}

fn observables(a: &Alert, raw: &View) -> Vec<Observable> {
    let mut o = Observables::default();
    o.alert_file(a);
    o.alert_process(a);
    parent_observables(&mut o, raw);
    o.add("actor.user.name", T::UserName, a.user_name.as_deref());
    if let Some(d) = &a.device {
        o.device(d);
    }
    endpoint_observables(&mut o, raw);
    for ioc in std::iter::once(raw).chain(array(raw, "ioc_context")) {
        if let Some(kind) = string(ioc, "ioc_type") {
            o.indicator(&kind, string(ioc, "ioc_value").as_deref());
        }
    }
    o.build()
}

fn parent_observables(o: &mut Observables, raw: &View) {
    let p = |k: &str| string(raw, &format!("parent_details.{k}"));
    let prefix = "process.parent_process";
    o.add(
        &format!("{prefix}.name"),
        T::ProcessName,
        p("filename").as_deref(),
    );
    o.add(
        &format!("{prefix}.cmd_line"),
        T::CommandLine,
        p("cmdline").as_deref(),
    );
    o.add(
        &format!("{prefix}.pid"),
        T::ProcessId,
        p("local_process_id").as_deref(),
    );
    o.hash(&format!("{prefix}.file"), "sha256", p("sha256").as_deref());
    o.hash(&format!("{prefix}.file"), "md5", p("md5").as_deref());
}

/// Identity alerts' source and target endpoints, cloud alerts' caller IP, and the
/// remote ends of the process's network connections.
fn endpoint_observables(o: &mut Observables, raw: &View) {
    let s = |k: &str| string(raw, k);
    o.add(
        "src_endpoint.hostname",
        T::Hostname,
        s("source_endpoint_host_name").as_deref(),
    );
    o.ip(
        "src_endpoint.ip",
        s("source_endpoint_ip_address").as_deref(),
    );
    o.ip("src_endpoint.ip", s("source_ip_address").as_deref());
    o.add(
        "dst_endpoint.hostname",
        T::Hostname,
        s("target_endpoint_host_name").as_deref(),
    );
    for n in array(raw, "network_accesses") {
        let name = match string(n, "connection_direction").map(|d| d.to_ascii_lowercase()) {
            Some(d) if d == "outbound" => "dst_endpoint.ip",
            Some(d) if d == "inbound" => "src_endpoint.ip",
            _ => "endpoint.ip",
        };
        o.ip(name, string(n, "remote_address").as_deref());
    }
}

#[cfg(test)]
#[path = "alert_tests.rs"]
mod tests;

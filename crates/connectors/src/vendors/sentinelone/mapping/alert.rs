//! A `/web/api/v2.1/threats` item → an alert.

use tributary_model::edr::{
    AdInfo, AgentInfo, Alert, Device, Identity, MitreTactic, ObservableType as T,
};

use super::{
    cloud, device_status, groups, interfaces, ip_list, os_fields, platform, policy, severity,
    status, VENDOR,
};
use crate::view::View;
use crate::{
    mapping::{MapContext, MappedAlert, MappingError},
    normalize::{
        array, basename, boolean, first_string,
        host::{ad_domain, host_names, user_domain},
        mitre::{is_technique_id, technique, MitreBuilder},
        nested_object,
        net::Addresses,
        observables::Observables,
        pick, real_hash, record, require_id, string, strings, time, watermark,
    },
};

/// `agentRealtimeInfo` fields passed through in the alert device's `vendor_data`.
const DEVICE_VENDOR_DATA: &[&str] = &[
    "agentUuid",
    "accountId",
    "accountName",
    "siteId",
    "siteName",
    "groupId",
    "groupName",
    "agentMachineType",
    "agentNetworkStatus",
    "agentInfected",
    "activeThreats",
    "agentMitigationMode",
];

/// Maps a `/web/api/v2.1/threats` item. Refused: a non-object, a missing `id`,
/// `threatInfo`/`agentRealtimeInfo`/`agentDetectionInfo` that are not objects, an
/// unreadable `threatInfo.updatedAt`.
pub fn map_alert(raw: &View, ctx: &MapContext) -> Result<MappedAlert, MappingError> {
    let id = require_id(raw, &["id", "threatInfo.threatId"])?;
    let empty = View::Object(vec![]);
    let ti = nested_object(raw, "threatInfo")?.unwrap_or(&empty);
    let rt = nested_object(raw, "agentRealtimeInfo")?.unwrap_or(&empty);
    let det = nested_object(raw, "agentDetectionInfo")?.unwrap_or(&empty);
    let vendor_updated_at = watermark(ti, "updatedAt")?;
    let device_vendor_id = string(rt, "agentId");
    let mut a = record::alert(ctx, VENDOR, &id);
    a.device = device_vendor_id
        .as_deref()
        .map(|agent_id| device(ctx, agent_id, rt, det));
    describe(&mut a, ti, raw);
    process_and_user(&mut a, ti, det);
    a.mitre = mitre(raw);
    a.observables = Some(observables(&a, ti));
    Ok(MappedAlert {
        vendor_id: id,
        device_vendor_id,
        vendor_updated_at,
        alert: a,
    })
}

/// Title, description, severity, status and times.
fn describe(a: &mut Alert, ti: &View, raw: &View) {
    a.title = first_string(ti, &["threatName", "classification"]);
    a.description = description(ti, raw);
    let confidence = string(ti, "confidenceLevel");
    a.severity = severity(confidence.as_deref());
    a.vendor_severity = confidence;
    let incident = string(ti, "incidentStatus");
    a.status = status(incident.as_deref());
    // There is no separate last-event time: `updatedAt` is record churn, not an event.
    a.first_event_time = time(ti, "identifiedAt").or_else(|| time(ti, "createdAt"));
    a.last_event_time = a.first_event_time;
    // The list response has no resolution time; the last update approximates it.
    a.resolved_time = (a.status == tributary_model::edr::AlertStatus::Resolved)
        .then(|| time(ti, "updatedAt"))
        .flatten();
    a.vendor_status = incident;
}

/// `{classification} ({confidence}) detected by {engines} at {filePath}.` followed by
/// the indicator descriptions.
fn description(ti: &View, raw: &View) -> Option<String> {
    let mut parts: Vec<String> = vec![];
    let classification = string(ti, "classification");
    let path = string(ti, "filePath");
    if classification.is_some() || path.is_some() {
        let mut s = classification.unwrap_or_else(|| "Threat".to_owned());
        if let Some(c) = string(ti, "confidenceLevel") {
            s.push_str(&format!(" ({c})"));
        }
        let engines = strings(ti, "engines");
        if !engines.is_empty() {
            s.push_str(&format!(" detected by {}", engines.join(", ")));
        }
        if let Some(p) = path {
            s.push_str(&format!(" at {p}"));
        }
        parts.push(format!("{s}."));
    }
    let mut indicators: Vec<String> = vec![];
    for i in array(raw, "indicators") {
        crate::normalize::push_unique(
            &mut indicators,
            string(i, "description").unwrap_or_default(),
        );
    }
    if !indicators.is_empty() {
        parts.push(format!("Indicators: {}", indicators.join(" ")));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The threat's file and process, and the user it ran as.
fn process_and_user(a: &mut Alert, ti: &View, det: &View) {
    let path = string(ti, "filePath");
    a.process_filename = path
        .as_deref()
        .and_then(basename)
        .or_else(|| string(ti, "threatName"));
    a.process_filepath = path;
    a.process_command_line = string(ti, "maliciousProcessArguments");
    a.process_sha1 = real_hash(string(ti, "sha1"));
    a.process_sha256 = real_hash(string(ti, "sha256"));
    a.process_md5 = real_hash(string(ti, "md5"));
    a.user_name = string(ti, "processUser").or_else(|| string(det, "agentLastLoggedInUserName"));
    let host = a.device.as_ref().and_then(|d| d.hostnames.first().cloned());
    a.active_directory_domain = ad_domain(
        a.user_name.as_deref().and_then(user_domain),
        host.as_deref(),
    );
}

/// The device as the threat describes it: `agentRealtimeInfo` (now) completed by
/// `agentDetectionInfo` (at detection time).
fn device(ctx: &MapContext, agent_id: &str, rt: &View, det: &View) -> Device {
    let mut d = record::device(ctx, VENDOR, agent_id);
    let either = |k: &str| string(rt, k).or_else(|| string(det, k));
    let host = string(rt, "agentComputerName");
    let domain = either("agentDomain");
    (d.hostnames, d.fqdns) = host_names(host.as_deref(), domain.as_deref());
    d.platform = platform(string(rt, "agentOsType").as_deref());
    d.status = device_status(
        boolean(rt, "agentIsActive"),
        boolean(rt, "agentIsDecommissioned"),
        string(rt, "agentNetworkStatus").as_deref(),
    );
    (d.os_version, d.os_major_version, d.os_minor_version) =
        os_fields(either("agentOsName"), either("agentOsRevision"), d.platform);
    let mut addrs = Addresses::default();
    interfaces(rt, &mut addrs);
    for key in ["agentIpV4", "agentIpV6", "externalIp"] {
        ip_list(det, key, &mut addrs);
    }
    (d.ipv4s, d.ipv6s, d.mac_addresses) = (addrs.ipv4s, addrs.ipv6s, addrs.macs);
    d.first_seen = time(det, "agentRegisteredAt");
    d.source_vendors[0].agent_info = Some(AgentInfo {
        agent_version: either("agentVersion"),
        signature_version: None,
        policies: policy(either("agentMitigationMode"), None),
    });
    d.ad_info = ad_domain(domain, host.as_deref()).map(|domain| AdInfo {
        org_unit: None,
        site_name: None,
        domain: Some(domain),
        device_id: None,
    });
    d.cloud_metadata = cloud(det).or_else(|| cloud(rt));
    d.identities = string(det, "agentLastLoggedInUserName")
        .map(|u| Identity {
            username: Some(u),
            user_sid: None,
        })
        .into_iter()
        .collect();
    d.vendor_data = pick(rt, DEVICE_VENDOR_DATA);
    let g = groups(rt);
    d.device_groups = Some(if g.is_empty() { groups(det) } else { g });
    d
}

/// `indicators[].tactics[]`: the tactic by name, its techniques with the ATT&CK id in
/// `name`. A tactic that is not ATT&CK keeps SentinelOne's `source`.
fn mitre(raw: &View) -> Vec<MitreTactic> {
    let mut b = MitreBuilder::default();
    for indicator in array(raw, "indicators") {
        for tactic in array(indicator, "tactics") {
            let name = string(tactic, "name");
            let source = string(tactic, "source").unwrap_or_else(|| "SentinelOne".to_owned());
            let techniques = array(tactic, "techniques");
            if techniques.is_empty() {
                b.add(name.clone(), None, Some(source.as_str()), None);
            }
            for t in techniques {
                let tname = string(t, "name").unwrap_or_default();
                let tech = if is_technique_id(&tname.to_ascii_uppercase()) {
                    technique(Some(tname), None)
                } else {
                    technique(None, Some(tname)).map(|mut x| {
                        x.technique_link = string(t, "link");
                        x
                    })
                };
                b.add(name.clone(), None, Some(source.as_str()), tech);
            }
        }
    }
    b.build()
}

fn observables(a: &Alert, ti: &View) -> Vec<tributary_model::edr::Observable> {
    let mut o = Observables::default();
    o.alert_file(a);
    o.add(
        "process.cmd_line",
        T::CommandLine,
        a.process_command_line.as_deref(),
    );
    let parent = string(ti, "originatorProcess");
    o.add(
        "process.parent_process.name",
        T::ProcessName,
        parent.as_deref(),
    );
    o.add("actor.user.name", T::UserName, a.user_name.as_deref());
    if let Some(d) = &a.device {
        o.device(d);
    }
    o.build()
}

#[cfg(test)]
#[path = "alert_tests.rs"]
mod tests;

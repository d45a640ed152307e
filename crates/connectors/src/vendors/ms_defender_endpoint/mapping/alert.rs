//! An `/api/alerts` value item (with `$expand=evidence`) → an alert.

use tributary_model::edr::{Alert, Device, MitreTactic, Observable, ObservableType as T};

use super::{device::group, severity, status, VENDOR};
use crate::view::View;
use crate::{
    mapping::{MapContext, MappedAlert, MappingError},
    normalize::{
        array,
        host::{ad_domain, host_names, is_sid, qualified_user},
        join_path,
        mitre::{tactic, technique, MitreBuilder},
        nested_array, nested_object,
        observables::Observables,
        real_hash, record, require_id, string, strings, time, watermark,
    },
};

/// Maps an `/api/alerts` value item. Refused: a non-object, a missing `id`, an
/// `evidence` that is not a list, a `relatedUser` that is not an object, an unreadable
/// `lastUpdateTime`.
pub fn map_alert(raw: &View, ctx: &MapContext) -> Result<MappedAlert, MappingError> {
    let id = require_id(raw, &["id"])?;
    let evidence = nested_array(raw, "evidence")?;
    nested_object(raw, "relatedUser")?;
    let vendor_updated_at = watermark(raw, "lastUpdateTime")?;
    let device_vendor_id = string(raw, "machineId");
    let mut a = record::alert(ctx, VENDOR, &id);
    a.device = device_vendor_id.as_deref().map(|m| device(ctx, m, raw));
    describe(&mut a, raw);
    if let Some(p) = process_evidence(evidence) {
        process(&mut a, p);
    }
    user(&mut a, raw, evidence);
    a.mitre = mitre(raw);
    a.observables = Some(observables(&a, evidence));
    Ok(MappedAlert {
        vendor_id: id,
        device_vendor_id,
        vendor_updated_at,
        alert: a,
    })
}

/// An alert names its machine only by id, DNS name and device group; the synced
/// machine has the rest.
fn device(ctx: &MapContext, machine_id: &str, raw: &View) -> Device {
    let mut d = record::device(ctx, VENDOR, machine_id);
    (d.hostnames, d.fqdns) = host_names(string(raw, "computerDnsName").as_deref(), None);
    d.device_groups = Some(group(raw).into_iter().collect());
    d
}

/// Title, description, assignee, severity, status and times.
fn describe(a: &mut Alert, raw: &View) {
    a.title = string(raw, "title");
    a.description = string(raw, "description");
    a.assigned_user = string(raw, "assignedTo");
    a.vendor_severity = string(raw, "severity");
    a.severity = severity(a.vendor_severity.as_deref());
    a.vendor_status = string(raw, "status");
    a.status = status(a.vendor_status.as_deref());
    a.first_event_time = time(raw, "firstEventTime");
    a.last_event_time = time(raw, "lastEventTime");
    a.resolved_time = time(raw, "resolvedTime");
}

fn entity_is(e: &View, kind: &str) -> bool {
    string(e, "entityType").is_some_and(|t| t.eq_ignore_ascii_case(kind))
}

/// The evidence describing the detected process: the first `Process` item with a
/// `detectionStatus`, else the first `Process` item.
fn process_evidence<'v, 'a>(evidence: &'v [View<'a>]) -> Option<&'v View<'a>> {
    let processes = || evidence.iter().filter(|e| entity_is(e, "Process"));
    processes()
        .find(|e| string(e, "detectionStatus").is_some())
        .or_else(|| processes().next())
}

fn process(a: &mut Alert, p: &View) {
    a.pid = string(p, "processId");
    a.parent_pid = string(p, "parentProcessId");
    a.process_created_at = time(p, "processCreationTime");
    a.process_filename = string(p, "fileName");
    a.process_command_line = string(p, "processCommandLine");
    // `filePath` is the folder only.
    a.process_filepath = join_path(
        string(p, "filePath").as_deref(),
        a.process_filename.as_deref(),
    );
    a.process_sha1 = real_hash(string(p, "sha1"));
    a.process_sha256 = real_hash(string(p, "sha256"));
}

/// The user: `relatedUser`, else the `User` evidence, else the first logged-on user,
/// as `DOMAIN\name`; SID and Entra ID user id from the `User` evidence.
fn user(a: &mut Alert, raw: &View, evidence: &[View]) {
    let ev = evidence.iter().find(|e| entity_is(e, "User"));
    let logged_on = array(raw, "loggedOnUsers").first();
    let candidates = [
        raw.get("relatedUser")
            .map(|u| (u, "domainName", "userName")),
        ev.map(|u| (u, "domainName", "accountName")),
        logged_on.map(|u| (u, "domainName", "accountName")),
    ];
    let (domain, name) = candidates
        .into_iter()
        .flatten()
        .map(|(u, d, n)| (string(u, d), string(u, n)))
        .find(|(_, n)| n.is_some())
        .unwrap_or_default();
    a.user_name = qualified_user(domain.as_deref(), name.as_deref());
    a.windows_sid = ev.and_then(|u| string(u, "userSid")).filter(|s| is_sid(s));
    a.active_directory_user_id = ev.and_then(|u| string(u, "aadUserId"));
    let host = a.device.as_ref().and_then(|d| d.hostnames.first().cloned());
    a.active_directory_domain = ad_domain(domain, host.as_deref());
}

/// `mitreTechniques[]` (ids only). Defender gives no tactic: `category` is used when it
/// names an ATT&CK tactic (`Execution`, `CredentialAccess`), else the tactic is null.
fn mitre(raw: &View) -> Vec<MitreTactic> {
    let known = string(raw, "category").as_deref().and_then(tactic);
    let mut b = MitreBuilder::default();
    for t in strings(raw, "mitreTechniques") {
        b.add(
            known.map(|k| k.1.to_owned()),
            known.map(|k| k.0.to_owned()),
            None,
            technique(Some(t), None),
        );
    }
    b.build()
}

fn observables(a: &Alert, evidence: &[View]) -> Vec<Observable> {
    let mut o = Observables::default();
    o.alert_file(a);
    o.alert_process(a);
    o.add("actor.user.name", T::UserName, a.user_name.as_deref());
    if let Some(d) = &a.device {
        o.device(d);
    }
    for e in evidence {
        evidence_observables(&mut o, e);
    }
    o.build()
}

/// Every evidence item's files, processes, addresses, URLs, users and registry keys.
fn evidence_observables(o: &mut Observables, e: &View) {
    let s = |k: &str| string(e, k);
    let name = s("fileName");
    o.hash("file", "sha256", s("sha256").as_deref());
    o.hash("file", "sha1", s("sha1").as_deref());
    o.file_name("file", name.as_deref());
    if s("filePath").is_some() {
        o.file_path(
            "file",
            join_path(s("filePath").as_deref(), name.as_deref()).as_deref(),
        );
    }
    if entity_is(e, "Process") {
        o.add("process.name", T::ProcessName, name.as_deref());
        o.add(
            "process.cmd_line",
            T::CommandLine,
            s("processCommandLine").as_deref(),
        );
        o.add("process.pid", T::ProcessId, s("processId").as_deref());
    }
    let parent = "process.parent_process";
    o.add(
        &format!("{parent}.name"),
        T::ProcessName,
        s("parentProcessFileName").as_deref(),
    );
    o.add(
        &format!("{parent}.pid"),
        T::ProcessId,
        s("parentProcessId").as_deref(),
    );
    o.ip("endpoint.ip", s("ipAddress").as_deref());
    o.add("url.url_string", T::UrlString, s("url").as_deref());
    let user = qualified_user(s("domainName").as_deref(), s("accountName").as_deref());
    o.add("user.name", T::UserName, user.as_deref());
    o.add("reg_key.path", T::RegistryKey, s("registryKey").as_deref());
    o.add(
        "reg_value.data",
        T::RegistryValue,
        s("registryValue").as_deref(),
    );
}

#[cfg(test)]
#[path = "alert_tests.rs"]
mod tests;

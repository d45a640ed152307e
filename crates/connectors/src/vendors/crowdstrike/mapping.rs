//! CrowdStrike Falcon device entities → devices and alert entities → alerts
//! (`docs/mapping.md` has the tables).
//!
//! This file holds the enum tables; `mapping/device.rs` maps hosts (and the `device{}`
//! snapshot inside alerts, which has the same fields), `mapping/alert.rs` maps alerts.

mod alert;
mod device;

pub use alert::map_alert;
pub use device::map_device;

use tributary_model::{
    edr::{AlertSeverity, AlertStatus, DeviceStatus, Platform},
    SourceVendor,
};

const VENDOR: SourceVendor = super::endpoints::VENDOR.source();

/// `tactic_source` of CrowdStrike's own tactics (`CSTA0004` "Machine Learning").
const OWN_FRAMEWORK: &str = "CrowdStrike";

fn lower(s: Option<&str>) -> Option<String> {
    s.map(|x| x.trim().to_ascii_lowercase())
}

/// `platform_name` → platform (`Windows`, `Mac`, `Linux`); without a name, `platform_id`
/// `0` is Windows and `1` Mac; anything else → unknown.
pub fn platform(name: Option<&str>, platform_id: Option<&str>) -> Platform {
    match lower(name).as_deref() {
        Some("windows") => Platform::Windows,
        Some("mac") => Platform::Mac,
        Some("linux") => Platform::Linux,
        Some(_) => Platform::Unknown,
        None => match platform_id.map(str::trim) {
            Some("0") => Platform::Windows,
            Some("1") => Platform::Mac,
            _ => Platform::Unknown,
        },
    }
}

/// Host `status` (network containment) → device status: `normal` and
/// `containment_pending` → active, `contained` and `lift_containment_pending` →
/// quarantined, anything else → null.
pub fn device_status(status: Option<&str>) -> Option<DeviceStatus> {
    match lower(status).as_deref() {
        Some("normal" | "containment_pending") => Some(DeviceStatus::Active),
        Some("contained" | "lift_containment_pending") => Some(DeviceStatus::Quarantined),
        _ => None,
    }
}

/// Numeric `severity` (1–100) → severity: ≥90 critical, ≥70 high, ≥50 medium, ≥20 low,
/// 1–19 info, 0 or below none. Without a number, `severity_name` decides
/// (`Critical`/`High`/`Medium`/`Low`/`Informational`); with neither, none.
pub fn severity(score: Option<i64>, name: Option<&str>) -> AlertSeverity {
    match score {
        Some(s) if s >= 90 => AlertSeverity::Critical,
        Some(s) if s >= 70 => AlertSeverity::High,
        Some(s) if s >= 50 => AlertSeverity::Medium,
        Some(s) if s >= 20 => AlertSeverity::Low,
        Some(s) if s >= 1 => AlertSeverity::Info,
        Some(_) => AlertSeverity::None,
        None => match lower(name).as_deref() {
            Some("critical") => AlertSeverity::Critical,
            Some("high") => AlertSeverity::High,
            Some("medium") => AlertSeverity::Medium,
            Some("low") => AlertSeverity::Low,
            Some("informational" | "info") => AlertSeverity::Info,
            _ => AlertSeverity::None,
        },
    }
}

/// Alert `status` → status: `new` → new, `in_progress` → in_progress, `reopened` →
/// unresolved, `closed` → resolved, anything else → unknown.
pub fn status(s: Option<&str>) -> AlertStatus {
    match lower(s).as_deref() {
        Some("new") => AlertStatus::New,
        Some("in_progress") => AlertStatus::InProgress,
        Some("reopened") => AlertStatus::Unresolved,
        Some("closed") => AlertStatus::Resolved,
        _ => AlertStatus::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_table() {
        for (name, id, want) in [
            (Some("Windows"), None, Platform::Windows),
            (Some("Mac"), None, Platform::Mac),
            (Some("Linux"), Some("0"), Platform::Linux),
            (Some("Android"), Some("0"), Platform::Unknown),
            (None, Some("0"), Platform::Windows),
            (None, Some("1"), Platform::Mac),
            (None, Some("9"), Platform::Unknown),
            (None, None, Platform::Unknown),
        ] {
            assert_eq!(platform(name, id), want, "{name:?} {id:?}");
        }
    }

    #[test]
    fn device_status_table() {
        for (raw, want) in [
            (Some("normal"), Some(DeviceStatus::Active)),
            (Some("containment_pending"), Some(DeviceStatus::Active)),
            (Some("contained"), Some(DeviceStatus::Quarantined)),
            (
                Some("lift_containment_pending"),
                Some(DeviceStatus::Quarantined),
            ),
            (Some("hibernating"), None),
            (None, None),
        ] {
            assert_eq!(device_status(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn severity_table() {
        use AlertSeverity::*;
        for (score, want) in [
            (100, Critical),
            (90, Critical),
            (89, High),
            (70, High),
            (69, Medium),
            (50, Medium),
            (49, Low),
            (20, Low),
            (19, Info),
            (1, Info),
            (0, None),
            (-3, None),
        ] {
            assert_eq!(severity(Some(score), Some("Critical")), want, "{score}");
        }
        for (name, want) in [
            (Some("Critical"), Critical),
            (Some("High"), High),
            (Some("Medium"), Medium),
            (Some("Low"), Low),
            (Some("Informational"), Info),
            (Some("Severe"), None),
            (Option::None, None),
        ] {
            assert_eq!(severity(Option::None, name), want, "{name:?}");
        }
    }

    #[test]
    fn status_table() {
        for (raw, want) in [
            (Some("new"), AlertStatus::New),
            (Some("in_progress"), AlertStatus::InProgress),
            (Some("reopened"), AlertStatus::Unresolved),
            (Some("closed"), AlertStatus::Resolved),
            (Some("snoozed"), AlertStatus::Unknown),
            (None, AlertStatus::Unknown),
        ] {
            assert_eq!(status(raw), want, "{raw:?}");
        }
    }
}

//! Microsoft Defender for Endpoint machines → devices and alerts (with
//! `$expand=evidence`) → alerts (`docs/mapping.md` has the tables).
//!
//! This file holds the enum tables; `mapping/device.rs` maps machines,
//! `mapping/alert.rs` maps alerts.

mod alert;
mod device;

pub use alert::map_alert;
pub use device::map_device;

use tributary_model::{
    edr::{AlertSeverity, AlertStatus, DeviceStatus, Platform},
    SourceVendor,
};

const VENDOR: SourceVendor = super::endpoints::VENDOR.source();

/// `osPlatform` values that name a Linux distribution (Defender reports the
/// distribution, e.g. `Ubuntu`, `RedHatEnterpriseLinux`, rather than `Linux`).
const LINUX: [&str; 14] = [
    "linux",
    "ubuntu",
    "redhat",
    "rhel",
    "debian",
    "centos",
    "suse",
    "sles",
    "opensuse",
    "oracle",
    "amazonlinux",
    "fedora",
    "almalinux",
    "rocky",
];

fn lower(s: Option<&str>) -> Option<String> {
    s.map(|x| x.trim().to_ascii_lowercase())
}

/// `osPlatform` → platform: `Windows*` (Windows10, WindowsServer2019, …) → windows,
/// `macOS` → mac, Linux distributions → linux, anything else (iOS, Android) → unknown.
pub fn platform(os_platform: Option<&str>) -> Platform {
    let Some(os) = lower(os_platform) else {
        return Platform::Unknown;
    };
    if os.starts_with("windows") {
        Platform::Windows
    } else if os.starts_with("macos") || os == "mac" || os == "osx" {
        Platform::Mac
    } else if LINUX.iter().any(|l| os.starts_with(l)) {
        Platform::Linux
    } else {
        Platform::Unknown
    }
}

/// `healthStatus` → device status: `Inactive` → offline; `Active` and the other
/// reporting states (`ImpairedCommunication`, `NoSensorData`,
/// `NoSensorDataImpairedCommunication`) → active; `Unknown` or anything else → null.
pub fn device_status(health: Option<&str>) -> Option<DeviceStatus> {
    match lower(health).as_deref() {
        Some("inactive") => Some(DeviceStatus::Offline),
        Some(
            "active"
            | "impairedcommunication"
            | "nosensordata"
            | "nosensordataimpairedcommunication",
        ) => Some(DeviceStatus::Active),
        _ => None,
    }
}

/// Alert `severity` → severity (Defender has no Critical): `High`, `Medium`, `Low` map
/// to themselves, `Informational` → info, `UnSpecified` or anything else → none.
pub fn severity(s: Option<&str>) -> AlertSeverity {
    match lower(s).as_deref() {
        Some("high") => AlertSeverity::High,
        Some("medium") => AlertSeverity::Medium,
        Some("low") => AlertSeverity::Low,
        Some("informational") => AlertSeverity::Info,
        _ => AlertSeverity::None,
    }
}

/// Alert `status` → status: `New` → new, `InProgress` → in_progress, `Resolved` →
/// resolved, `Unknown` or anything else → unknown.
pub fn status(s: Option<&str>) -> AlertStatus {
    match lower(s).as_deref() {
        Some("new") => AlertStatus::New,
        Some("inprogress") => AlertStatus::InProgress,
        Some("resolved") => AlertStatus::Resolved,
        _ => AlertStatus::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_table() {
        for (raw, want) in [
            (Some("Windows10"), Platform::Windows),
            (Some("Windows11"), Platform::Windows),
            (Some("WindowsServer2019"), Platform::Windows),
            (Some("macOS"), Platform::Mac),
            (Some("Linux"), Platform::Linux),
            (Some("Ubuntu"), Platform::Linux),
            (Some("RedHatEnterpriseLinux"), Platform::Linux),
            (Some("iOS"), Platform::Unknown),
            (Some("Android"), Platform::Unknown),
            (None, Platform::Unknown),
        ] {
            assert_eq!(platform(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn device_status_table() {
        for (raw, want) in [
            (Some("Active"), Some(DeviceStatus::Active)),
            (Some("Inactive"), Some(DeviceStatus::Offline)),
            (Some("ImpairedCommunication"), Some(DeviceStatus::Active)),
            (Some("NoSensorData"), Some(DeviceStatus::Active)),
            (
                Some("NoSensorDataImpairedCommunication"),
                Some(DeviceStatus::Active),
            ),
            (Some("Unknown"), None),
            (Some("Sleeping"), None),
            (None, None),
        ] {
            assert_eq!(device_status(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn severity_and_status_tables() {
        for (raw, want) in [
            (Some("High"), AlertSeverity::High),
            (Some("Medium"), AlertSeverity::Medium),
            (Some("Low"), AlertSeverity::Low),
            (Some("Informational"), AlertSeverity::Info),
            (Some("UnSpecified"), AlertSeverity::None),
            (Some("Severe"), AlertSeverity::None),
            (None, AlertSeverity::None),
        ] {
            assert_eq!(severity(raw), want, "{raw:?}");
        }
        for (raw, want) in [
            (Some("New"), AlertStatus::New),
            (Some("InProgress"), AlertStatus::InProgress),
            (Some("Resolved"), AlertStatus::Resolved),
            (Some("Unknown"), AlertStatus::Unknown),
            (Some("Closed"), AlertStatus::Unknown),
            (None, AlertStatus::Unknown),
        ] {
            assert_eq!(status(raw), want, "{raw:?}");
        }
    }
}

//! Acme hosts → devices, Acme detections → alerts.

use tributary_connectors::{
    mapping::{MapContext, MappedAlert, MappedDevice, MappingError},
    normalize::{self, record},
    view::View,
};
use tributary_model::edr::{AlertSeverity, AlertStatus, DeviceStatus, Platform};

use super::endpoints::VENDOR;

pub fn host(raw: &View, ctx: &MapContext) -> Result<MappedDevice, MappingError> {
    let id = normalize::require_id(raw, &["id"])?;
    let mut device = record::device(ctx, VENDOR.source(), &id);
    device.hostnames = normalize::string(raw, "name").into_iter().collect();
    device.platform = match normalize::string(raw, "os").as_deref() {
        Some("windows") => Platform::Windows,
        Some("linux") => Platform::Linux,
        Some("mac") => Platform::Mac,
        _ => Platform::Unknown,
    };
    device.status = Some(DeviceStatus::Active);
    device.ipv4s = normalize::string(raw, "ip").into_iter().collect();
    device.last_seen = normalize::time(raw, "updated");
    Ok(MappedDevice {
        vendor_id: id,
        vendor_updated_at: normalize::watermark(raw, "updated")?,
        device,
    })
}

pub fn detection(raw: &View, ctx: &MapContext) -> Result<MappedAlert, MappingError> {
    let id = normalize::require_id(raw, &["id"])?;
    let mut alert = record::alert(ctx, VENDOR.source(), &id);
    alert.title = normalize::string(raw, "title");
    alert.severity = match normalize::int(raw, "severity") {
        Some(4) => AlertSeverity::Critical,
        Some(3) => AlertSeverity::High,
        Some(2) => AlertSeverity::Medium,
        Some(1) => AlertSeverity::Low,
        _ => AlertSeverity::None,
    };
    alert.status = match normalize::string(raw, "state").as_deref() {
        Some("open") => AlertStatus::New,
        Some("closed") => AlertStatus::Resolved,
        _ => AlertStatus::Unknown,
    };
    alert.first_event_time = normalize::time(raw, "updated");
    Ok(MappedAlert {
        vendor_id: id,
        device_vendor_id: normalize::string(raw, "host_id"),
        vendor_updated_at: normalize::watermark(raw, "updated")?,
        alert,
    })
}

//! Empty normalized records with their ids set, for the vendor mappings to fill in.
//! Starting from a record where every field is present but unknown keeps each vendor's
//! mapping to the fields that vendor can actually fill.

use tributary_model::{
    edr::{Alert, AlertSeverity, AlertStatus, Device, Platform, SourceVendorInfo},
    ids::record_id,
    vms::{Finding, FindingSeverity, FindingState, FindingType, Product, ResourceRelated},
    DataExportType, SourceVendor,
};

use crate::mapping::MapContext;

/// A device with its record id and one `source_vendors` entry, everything else unknown.
/// `device_groups` is `Some`: mappings always fill it; the API strips it unless asked.
pub fn device(ctx: &MapContext, vendor: SourceVendor, vendor_id: &str) -> Device {
    Device {
        id: record_id(ctx.connection_id, DataExportType::Devices, vendor_id),
        status: None,
        platform: Platform::Unknown,
        hostnames: vec![],
        os_version: None,
        os_major_version: None,
        os_minor_version: None,
        fqdns: vec![],
        ipv4s: vec![],
        ipv6s: vec![],
        mac_addresses: vec![],
        last_seen: None,
        first_seen: None,
        source_vendors: vec![SourceVendorInfo {
            vendor,
            vendor_id: vendor_id.to_owned(),
            agent_info: None,
        }],
        installed_software: vec![],
        ad_info: None,
        cloud_metadata: None,
        tags: vec![],
        identities: vec![],
        vendor_data: serde_json::json!({}),
        device_groups: Some(vec![]),
        updated_at: None,
    }
}

/// An alert with its record id, severity `none`, status `unknown`, no device, and
/// an empty (present) observables list.
pub fn alert(ctx: &MapContext, vendor: SourceVendor, vendor_id: &str) -> Alert {
    Alert {
        id: record_id(ctx.connection_id, DataExportType::Alerts, vendor_id),
        vendor_id: vendor_id.to_owned(),
        title: None,
        description: None,
        assigned_user: None,
        severity: AlertSeverity::None,
        vendor_severity: None,
        status: AlertStatus::Unknown,
        vendor_status: None,
        first_event_time: None,
        last_event_time: None,
        resolved_time: None,
        vendor,
        pid: None,
        process_created_at: None,
        process_filename: None,
        process_command_line: None,
        process_filepath: None,
        process_sha1: None,
        process_sha256: None,
        process_md5: None,
        parent_pid: None,
        user_name: None,
        windows_sid: None,
        active_directory_user_id: None,
        active_directory_domain: None,
        device: None,
        mitre: vec![],
        observables: Some(vec![]),
        updated_at: None,
    }
}

/// A finding with its record id, severity and state unknown, type `HOST`, reported by
/// `product` (`(vendor name, product name)`).
pub fn finding(
    ctx: &MapContext,
    vendor: SourceVendor,
    vendor_id: &str,
    product: (&str, &str),
) -> Finding {
    Finding {
        id: record_id(
            ctx.connection_id,
            DataExportType::Vulnerabilities,
            vendor_id,
        ),
        title: None,
        description: None,
        analytic_output: None,
        severity: FindingSeverity::Unknown,
        state: FindingState::Unknown,
        finding_type: FindingType::Host,
        first_seen: None,
        last_seen: None,
        ticket: None,
        has_fix: None,
        remediation: None,
        product: Product {
            vendor_name: product.0.to_owned(),
            name: product.1.to_owned(),
        },
        analytic: None,
        resource_related: ResourceRelated::default(),
        vendor_data: serde_json::json!({}),
        vulnerabilities: vec![],
        vendor,
        vendor_id: vendor_id.to_owned(),
        state_updated_at: None,
        fixed_at: None,
        resource_id: None,
        resource: None,
        updated_at: None,
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn skeletons_carry_the_record_ids() {
        let ctx = MapContext {
            connection_id: Uuid::from_u128(3),
        };
        let d = device(&ctx, crate::vendors::crowdstrike::VENDOR.source(), "aid");
        assert_eq!(
            d.id,
            record_id(ctx.connection_id, DataExportType::Devices, "aid")
        );
        assert_eq!(d.source_vendors[0].vendor_id, "aid");
        assert_eq!(d.device_groups, Some(vec![]));
        let a = alert(&ctx, crate::vendors::sentinelone::VENDOR.source(), "t1");
        assert_eq!(
            a.id,
            record_id(ctx.connection_id, DataExportType::Alerts, "t1")
        );
        assert_eq!(
            (a.severity, a.status),
            (AlertSeverity::None, AlertStatus::Unknown)
        );
        assert_eq!(a.observables, Some(vec![]));
    }
}

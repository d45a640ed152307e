use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::SourceVendor;

/// Normalized device status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Active,
    Offline,
    Quarantined,
}

impl DeviceStatus {
    pub const ALL: [DeviceStatus; 3] = [
        DeviceStatus::Active,
        DeviceStatus::Offline,
        DeviceStatus::Quarantined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Active => "active",
            DeviceStatus::Offline => "offline",
            DeviceStatus::Quarantined => "quarantined",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceStatus> {
        DeviceStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Normalized operating-system family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Mac,
    Windows,
    Linux,
    Unknown,
}

impl Platform {
    pub const ALL: [Platform; 4] = [
        Platform::Mac,
        Platform::Windows,
        Platform::Linux,
        Platform::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Mac => "mac",
            Platform::Windows => "windows",
            Platform::Linux => "linux",
            Platform::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A normalized device (the `device` of an alert, and the items of `/v1/edr/devices`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: Uuid,
    pub status: Option<DeviceStatus>,
    pub platform: Platform,
    pub hostnames: Vec<String>,
    pub os_version: Option<String>,
    pub os_major_version: Option<String>,
    pub os_minor_version: Option<String>,
    pub fqdns: Vec<String>,
    pub ipv4s: Vec<String>,
    pub ipv6s: Vec<String>,
    /// Lowercase, colon-separated (`aa:bb:cc:dd:ee:ff`) whatever the vendor's format.
    pub mac_addresses: Vec<String>,
    pub last_seen: Option<DateTime<Utc>>,
    pub first_seen: Option<DateTime<Utc>>,
    pub source_vendors: Vec<SourceVendorInfo>,
    pub installed_software: Vec<String>,
    pub ad_info: Option<AdInfo>,
    /// Currently only AWS is supported.
    pub cloud_metadata: Option<CloudMetadata>,
    pub tags: Vec<Tag>,
    pub identities: Vec<Identity>,
    /// Vendor-specific pass-through data; the values vary by vendor.
    pub vendor_data: serde_json::Value,
    /// The vendor's device groups; only with `includeDeviceGroups=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_groups: Option<Vec<DeviceGroup>>,
    /// When Tributary last stored a change to this device (additive: present on the items
    /// of `/v1/edr/devices`, absent on an alert's `device`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::micros"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}

/// The vendor a device was seen by, and its agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceVendorInfo {
    pub vendor: SourceVendor,
    /// The vendor's id of the device (agent id, AID, machine id).
    pub vendor_id: String,
    pub agent_info: Option<AgentInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentInfo {
    pub agent_version: Option<String>,
    pub signature_version: Option<String>,
    /// The vendor's policy objects as the vendor sends them.
    pub policies: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdInfo {
    pub org_unit: Option<String>,
    pub site_name: Option<String>,
    pub domain: Option<String>,
    pub device_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloudProvider {
    Aws,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CloudMetadata {
    pub cloud_provider: CloudProvider,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub availability_zone: Option<String>,
    pub instance_id: Option<String>,
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
    pub kernel_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
}

/// A tag; `source` says where it comes from (`aws`, or the vendor that set it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tag {
    pub key: String,
    pub value: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Identity {
    pub username: Option<String>,
    pub user_sid: Option<String>,
}

/// A vendor device group (SentinelOne group, Falcon host group, Defender device group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceGroup {
    pub vendor_id: Option<String>,
    pub name: String,
}

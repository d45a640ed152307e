//! Generators of normalized records for the documents' round-trip property tests.

use chrono::{DateTime, TimeZone, Utc};
use proptest::{option, prelude::*};
use serde_json::json;
use tributary_model::{
    edr::{Device, DeviceGroup, DeviceStatus, Platform, SourceVendorInfo, Tag},
    SourceVendor,
};
use uuid::Uuid;

pub fn text() -> impl Strategy<Value = String> {
    // Quotes, backslashes, braces and non-ASCII exercise the JSON splicing.
    "[a-zA-Z0-9 \"\\\\{}é😀]{0,12}"
}

pub fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000, 0u32..1_000_000_000)
        .prop_map(|(s, ns)| Utc.timestamp_opt(s, ns).single().expect("in range"))
}

pub fn device() -> impl Strategy<Value = Device> {
    (
        (
            option::of(prop::sample::select(DeviceStatus::ALL.to_vec())),
            prop::sample::select(Platform::ALL.to_vec()),
            prop::collection::vec(text(), 0..3),
            option::of(text()),
            option::of(time()),
        ),
        (
            prop::collection::vec(text(), 0..3),
            option::of(prop::collection::vec(
                (option::of(text()), text())
                    .prop_map(|(vendor_id, name)| DeviceGroup { vendor_id, name }),
                0..3,
            )),
            prop::collection::vec(
                (text(), option::of(text())).prop_map(|(key, value)| Tag {
                    key,
                    value,
                    source: "aws".into(),
                }),
                0..2,
            ),
            any::<u128>(),
        ),
    )
        .prop_map(|((status, platform, hostnames, os, seen), rest)| {
            let (ipv4s, device_groups, tags, id) = rest;
            Device {
                id: Uuid::from_u128(id),
                status,
                platform,
                hostnames,
                os_version: os,
                os_major_version: None,
                os_minor_version: None,
                fqdns: vec![],
                ipv4s,
                ipv6s: vec![],
                mac_addresses: vec![],
                last_seen: seen,
                first_seen: None,
                source_vendors: vec![SourceVendorInfo {
                    vendor: SourceVendor::parse("sentinelone").unwrap(),
                    vendor_id: "a1".into(),
                    agent_info: None,
                }],
                installed_software: vec![],
                ad_info: None,
                cloud_metadata: None,
                tags,
                identities: vec![],
                vendor_data: json!({"k": "v"}),
                device_groups,
                updated_at: None,
            }
        })
}

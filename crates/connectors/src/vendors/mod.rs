//! The vendors Tributary connects to, one folder each. This file is the list behind
//! [`crate::registry::Registry::builtin`]: a vendor exists once its folder is declared
//! here and its spec is in [`BUILTIN`].

pub mod crowdstrike;
pub mod crowdstrike_spotlight;
pub mod ms_defender_endpoint;
pub mod ms_defender_vms;
pub mod ms_entra;
pub mod okta_idp;
pub mod qualys;
pub mod sentinelone;
pub mod tenable;

use crate::spec::VendorSpec;

/// Every built-in vendor.
pub static BUILTIN: &[&VendorSpec] = &[
    &crowdstrike::SPEC,
    &crowdstrike_spotlight::SPEC,
    &ms_defender_endpoint::SPEC,
    &ms_defender_vms::SPEC,
    &ms_entra::SPEC,
    &okta_idp::SPEC,
    &qualys::SPEC,
    &sentinelone::SPEC,
    &tenable::SPEC,
];

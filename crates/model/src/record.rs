//! A normalized record of any category, as a connector's mapping produces it: the record
//! in its category's schema plus the facts the engine needs to store it (the vendor's id,
//! the vendor's update time, links to other records).

use crate::{
    edr::{MappedAlert, MappedDevice},
    idp::{MappedIdpApplication, MappedIdpGroup, MappedIdpPolicy, MappedIdpUser},
    vms::MappedFinding,
};

/// One normalized record.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// A device: an EDR device, or a vulnerability scanner's asset.
    Device(Box<MappedDevice>),
    Alert(Box<MappedAlert>),
    Finding(Box<MappedFinding>),
    IdpUser(Box<MappedIdpUser>),
    IdpGroup(Box<MappedIdpGroup>),
    IdpApplication(Box<MappedIdpApplication>),
    IdpPolicy(Box<MappedIdpPolicy>),
}

//! CrowdStrike Falcon: hosts (devices) and alerts.

pub mod client;
pub mod mapping;

//! Microsoft Defender for Endpoint: machines (devices) and alerts.

pub mod client;
pub mod mapping;

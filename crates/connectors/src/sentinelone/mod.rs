//! SentinelOne Management API v2.1: agents (devices) and threats (alerts).

pub mod client;
pub mod mapping;

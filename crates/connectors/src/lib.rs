//! Vendor connectors: one module per vendor (auth, pagination, rate limits and the
//! mapping of vendor records to the normalized model), plus what they share: the
//! outbound URL guard, retrying HTTP with pacing, OAuth tokens and normalization helpers.

pub mod catalogue;
pub mod connector;
pub mod crowdstrike;
pub mod error;
pub mod guard;
pub mod http;
pub mod mapping;
pub mod ms_defender_endpoint;
pub mod normalize;
pub mod oauth;
pub mod pacing;
pub mod sentinelone;

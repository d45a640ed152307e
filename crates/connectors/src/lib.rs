//! Vendor connectors: one module per vendor (auth, pagination, rate limits and the
//! mapping of vendor records to the normalized model).

pub mod mapping;
pub mod guard;
pub mod catalogue;

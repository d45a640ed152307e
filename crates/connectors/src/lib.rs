//! Vendor connectors: one folder per vendor under [`vendors`] (its client with auth,
//! pagination and rate limits, the mapping of its records to the normalized model, and
//! its [`spec::VendorSpec`]), listed in the [`registry`]; plus what they share: the
//! outbound URL guard, retrying HTTP with pacing, OAuth tokens, the watermark path and
//! normalization helpers.

pub mod connector;
pub mod envelope;
pub mod error;
pub mod guard;
pub mod http;
pub mod mapping;
pub mod normalize;
pub mod oauth;
pub mod pacing;
pub mod records;
pub mod registry;
pub mod spec;
pub mod url_shape;
pub mod vendors;
pub mod view;
pub mod watermark;

pub use registry::Registry;
pub use spec::{ExportSpec, VendorSpec};

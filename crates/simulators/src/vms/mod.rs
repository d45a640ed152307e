//! The vulnerability-management category: assets (scanned hosts) and the findings on them
//! (a plugin or CVE detected on an asset, which opens, gets fixed and reopens over time),
//! generated once from the seed and rendered by each VMS vendor folder in its own shape.

pub mod catalog;
pub mod collections;
pub mod profiles;

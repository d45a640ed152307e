//! Route modules, one per resource.

pub mod connections;
pub mod connectors;
pub mod ops;
pub mod organizations;

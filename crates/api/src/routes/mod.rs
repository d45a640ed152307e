//! Route modules, one per resource.

pub mod audit;
pub mod connections;
pub mod connectors;
pub mod edr;
pub mod health;
pub mod jobs;
pub mod ops;
pub mod organizations;
pub mod webhooks;

//! Route modules, one per resource.

pub mod audit;
pub mod connections;
pub mod connectors;
mod data;
pub mod edr;
pub mod health;
pub mod idp;
pub mod incidents;
pub mod invites;
pub mod jobs;
pub mod ops;
pub mod organizations;
pub mod vms;
pub mod webhooks;

//! The application layer: what Tributary does for a caller, whatever the request came
//! through. API routes and dashboard pages are thin adapters: they translate HTTP into
//! calls here and the results back, and neither imports the other.

pub mod audit;
pub mod connection_bodies;
pub mod connections;
pub mod destinations;
pub mod findings;
pub mod health;
pub mod idp;
pub mod invites;
pub mod jobs;
pub mod organizations;
pub mod quarantine;
pub mod records;
pub mod webhooks;
pub mod wire;

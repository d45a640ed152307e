//! The sync engine: scheduler, workers with leases, health derivation and webhook
//! delivery; plus the keyring that seals credentials.

pub mod keyring;

pub use keyring::Keyring;

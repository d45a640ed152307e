//! One module per CLI command.

pub(crate) mod accounts;
pub(crate) mod api_client;
pub(crate) mod bench;
pub(crate) mod demo;
pub(crate) mod healthcheck;
pub(crate) mod openapi;
pub(crate) mod serve;
pub(crate) mod sync;

pub use accounts::{create_key, AccountCommand, ApiKeyCommand, ApiKeyCreate};

//! Integration tests of the whole application over real HTTP.

mod bad_input;
mod ops;
mod provisioning;
mod receiver;
mod secrets;
mod support;
#[allow(dead_code)] // used by the dashboard browser tests
mod webdriver;
mod webhooks;

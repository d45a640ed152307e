//! Integration tests of the whole application over real HTTP.

mod audit;
mod bad_input;
mod crash;
mod dashboard;
mod demo;
mod edr;
mod fictional;
mod health;
mod new_vendor;
mod ops;
mod process;
mod provisioning;
mod receiver;
mod scale_out;
mod secrets;
pub mod security;
mod support;
mod sync;
#[allow(dead_code)] // used by the dashboard browser tests
mod webdriver;
mod webhooks;

//! Integration tests of the whole application over real HTTP.

mod advisories;
mod audit;
mod bad_input;
mod connect_page;
mod crash;
mod dashboard;
mod demo;
mod edr;
mod fictional;
mod fictional_idp;
mod health;
mod idp;
mod idp_api;
mod idp_dashboard;
mod idp_health;
mod idp_vendors;
mod invites;
mod new_vendor;
mod ops;
mod probes;
mod process;
mod provisioning;
mod receiver;
mod scale_out;
mod secrets;
pub mod security;
mod support;
mod sync;
mod vms;
mod vms_api;
mod vms_dashboard;
mod vms_health;
#[allow(dead_code)] // used by the dashboard browser tests
mod webdriver;
mod webhooks;

//! Integration tests of the simulators over real HTTP (one test binary).

mod cli;
mod collections;
mod control;
mod crowdstrike;
mod defender;
mod defender_vms;
mod entra;
mod faults;
mod idp_sdk;
mod idp_support;
mod okta;
mod qualys;
mod samples;
mod sdk;
mod sentinelone;
mod spotlight;
mod support;
mod tenable;
mod vms_support;

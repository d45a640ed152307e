//! Integration tests of the whole application over real HTTP.

mod bad_input;
mod ops;
mod provisioning;
mod secrets;
mod support;

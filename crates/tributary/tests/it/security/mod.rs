//! What an attacker and a careless client found (issue 19), each with its regression
//! test over real HTTP against the real app.

mod destinations;
mod files;
mod http;
mod input;
mod rate_limit;
pub mod sessions;

//! What every CrowdStrike Falcon API shares, whichever product a vendor folder serves
//! (hosts and alerts in `crowdstrike`, vulnerabilities in `crowdstrike_spotlight`): the
//! OAuth2 token endpoint, the `{meta, resources, errors}` envelope, the Falcon Query
//! Language, and the gateway's credentials, error bodies and rate-limit headers.

pub mod auth;
pub mod envelope;
pub mod fql;
pub mod gateway;

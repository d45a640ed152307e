//! The vendor registry: the only place outside a vendor's own folder that names a vendor.
//! Each vendor is a folder here implementing [`VendorApi`]; adding one is its folder, a
//! `mod` line, a [`SimVendor`] variant, and its entries in [`SimVendor::ALL`] and
//! [`SimVendor::api`]. `docs/simulators.md` ("Adding a vendor") says what a folder holds.

mod crowdstrike;
mod crowdstrike_spotlight;
mod falcon;
mod ms_defender_endpoint;
mod ms_defender_vms;
mod ms_entra;
mod okta_idp;
mod qualys;
mod sentinelone;
mod tenable;

use std::{fmt, str::FromStr};

use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::VendorApi;

/// The vendor API a simulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimVendor {
    /// CrowdStrike Falcon.
    Crowdstrike,
    /// SentinelOne Management API v2.1.
    Sentinelone,
    /// Microsoft Defender for Endpoint.
    MsDefenderEndpoint,
    /// Tenable Vulnerability Management.
    Tenable,
    /// CrowdStrike Falcon Spotlight.
    CrowdstrikeSpotlight,
    /// Okta Management API (identity provider).
    OktaIdp,
    /// Microsoft Entra ID through Microsoft Graph v1.0 (identity provider).
    MsEntra,
    /// Qualys VMDR (XML Host List Detection and KnowledgeBase).
    Qualys,
    /// Microsoft Defender Vulnerability Management.
    MsDefenderVms,
}

impl SimVendor {
    /// Every simulated vendor, in the order `--help` lists them.
    pub const ALL: &'static [SimVendor] = &[
        SimVendor::Crowdstrike,
        SimVendor::Sentinelone,
        SimVendor::MsDefenderEndpoint,
        SimVendor::Tenable,
        SimVendor::CrowdstrikeSpotlight,
        SimVendor::OktaIdp,
        SimVendor::MsEntra,
        SimVendor::Qualys,
        SimVendor::MsDefenderVms,
    ];

    /// The vendor's implementation.
    pub(crate) fn api(self) -> &'static dyn VendorApi {
        match self {
            SimVendor::Crowdstrike => &crowdstrike::CrowdStrike,
            SimVendor::Sentinelone => &sentinelone::SentinelOne,
            SimVendor::MsDefenderEndpoint => &ms_defender_endpoint::Defender,
            SimVendor::Tenable => &tenable::Tenable,
            SimVendor::CrowdstrikeSpotlight => &crowdstrike_spotlight::Spotlight,
            SimVendor::OktaIdp => &okta_idp::Okta,
            SimVendor::MsEntra => &ms_entra::Entra,
            SimVendor::Qualys => &qualys::Qualys,
            SimVendor::MsDefenderVms => &ms_defender_vms::DefenderVms,
        }
    }

    /// The lowercase name (`crowdstrike`, `sentinelone`, `ms_defender_endpoint`).
    pub fn as_str(self) -> &'static str {
        self.api().spec().name
    }

    /// The endpoint names faults can target (besides `all`).
    pub fn endpoints(self) -> &'static [&'static str] {
        self.api().spec().endpoints
    }
}

impl fmt::Display for SimVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a simulated vendor's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown vendor {0:?}: expected one of {names}", names = names().join(", "))]
pub struct UnknownVendor(pub String);

fn names() -> Vec<&'static str> {
    SimVendor::ALL.iter().map(|v| v.as_str()).collect()
}

impl FromStr for SimVendor {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SimVendor::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownVendor(s.to_owned()))
    }
}

impl Serialize for SimVendor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SimVendor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(D::Error::custom)
    }
}

impl clap::ValueEnum for SimVendor {
    fn value_variants<'a>() -> &'a [Self] {
        SimVendor::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()).help(self.api().spec().title))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for v in SimVendor::ALL {
            assert!(seen.insert(v.as_str()), "{v} twice");
            assert_eq!(v.as_str().parse::<SimVendor>(), Ok(*v));
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
            let back: SimVendor = serde_json::from_value(serde_json::json!(v.as_str())).unwrap();
            assert_eq!(back, *v);
            assert!(!v.endpoints().is_empty());
        }
        assert!("nope".parse::<SimVendor>().is_err());
    }

    /// What every vendor folder must honour: each collection it declares has ids and a
    /// renderer, ids of distinct records differ, and its endpoints name no fault keyword.
    #[test]
    fn every_vendor_serves_what_it_declares() {
        for v in SimVendor::ALL {
            let sim = crate::SimConfig::new(*v)
                .build("http://127.0.0.1:9")
                .expect("the default configuration is valid");
            let spec = v.api().spec();
            assert!(!spec.collections.is_empty(), "{v}");
            assert!(
                !spec.endpoints.contains(&"all"),
                "{v}: `all` is every endpoint"
            );
            for c in spec.collections {
                let data = sim.world.records(c.name);
                let render = v.api().renderer(&sim, c.name).expect("a renderer");
                assert!(
                    render(&data.get(0).expect("a record")).is_object(),
                    "{v} {}",
                    c.name
                );
                let id = |i| v.api().record_id(&sim, c.name, i).expect("an id");
                assert_ne!(id(0), id(1), "{v} {}", c.name);
            }
            assert!(v.api().renderer(&sim, "no such collection").is_none());
            assert!(v.api().record_id(&sim, "no such collection", 0).is_none());
        }
    }
}

//! The vendors Tributary connects to.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A vendor as it appears on a connection (`CROWDSTRIKE`, …), the documented enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Vendor {
    Crowdstrike,
    Sentinelone,
    MsDefenderEndpoint,
}

impl Vendor {
    pub const ALL: [Vendor; 3] = [
        Vendor::Crowdstrike,
        Vendor::Sentinelone,
        Vendor::MsDefenderEndpoint,
    ];

    /// The wire name on connections, e.g. `MS_DEFENDER_ENDPOINT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Crowdstrike => "CROWDSTRIKE",
            Vendor::Sentinelone => "SENTINELONE",
            Vendor::MsDefenderEndpoint => "MS_DEFENDER_ENDPOINT",
        }
    }

    /// The lowercase name used inside normalized records.
    pub fn source(self) -> SourceVendor {
        match self {
            Vendor::Crowdstrike => SourceVendor::Crowdstrike,
            Vendor::Sentinelone => SourceVendor::Sentinelone,
            Vendor::MsDefenderEndpoint => SourceVendor::MsDefenderEndpoint,
        }
    }

    /// A human name for logs and the dashboard.
    pub fn display_name(self) -> &'static str {
        match self {
            Vendor::Crowdstrike => "CrowdStrike Falcon",
            Vendor::Sentinelone => "SentinelOne",
            Vendor::MsDefenderEndpoint => "Microsoft Defender for Endpoint",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a vendor name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown vendor `{0}`; expected one of CROWDSTRIKE, SENTINELONE, MS_DEFENDER_ENDPOINT")]
pub struct UnknownVendor(pub String);

impl FromStr for Vendor {
    type Err = UnknownVendor;

    /// Accepts the connection name (`CROWDSTRIKE`) and the record name (`crowdstrike`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "CROWDSTRIKE" => Ok(Vendor::Crowdstrike),
            "SENTINELONE" => Ok(Vendor::Sentinelone),
            "MS_DEFENDER_ENDPOINT" => Ok(Vendor::MsDefenderEndpoint),
            _ => Err(UnknownVendor(s.to_owned())),
        }
    }
}

/// A vendor as it appears inside normalized records (`crowdstrike`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceVendor {
    Crowdstrike,
    MsDefenderEndpoint,
    Sentinelone,
}

impl SourceVendor {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceVendor::Crowdstrike => "crowdstrike",
            SourceVendor::MsDefenderEndpoint => "ms_defender_endpoint",
            SourceVendor::Sentinelone => "sentinelone",
        }
    }

    pub fn vendor(self) -> Vendor {
        match self {
            SourceVendor::Crowdstrike => Vendor::Crowdstrike,
            SourceVendor::MsDefenderEndpoint => Vendor::MsDefenderEndpoint,
            SourceVendor::Sentinelone => Vendor::Sentinelone,
        }
    }
}

impl fmt::Display for SourceVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for v in Vendor::ALL {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.as_str()));
            assert_eq!(v.as_str().parse::<Vendor>().unwrap(), v);
            let src = serde_json::to_string(&v.source()).unwrap();
            assert_eq!(src, format!("\"{}\"", v.source().as_str()));
            assert_eq!(v.source().vendor(), v);
        }
        assert!("QUALYS".parse::<Vendor>().is_err());
    }
}

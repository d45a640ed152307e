//! The finding enums, upper-case on the wire as documented (`CRITICAL,HIGH`,
//! `OPEN,REOPENED`, `DEPENDENCY`).

use crate::wire_enum::wire_enum;

wire_enum! {
    /// How severe a finding is (OCSF severity names, upper-case).
    FindingSeverity {
        Unknown = "UNKNOWN",
        Informational = "INFORMATIONAL",
        Low = "LOW",
        Medium = "MEDIUM",
        High = "HIGH",
        Critical = "CRITICAL",
    }
}

impl FindingSeverity {
    /// Order for sorting and "at least": UNKNOWN < INFORMATIONAL < … < CRITICAL.
    pub fn rank(self) -> i64 {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) as i64
    }
}

wire_enum! {
    /// Where a finding stands.
    FindingState {
        /// Found and not fixed (new or still active).
        Open = "OPEN",
        /// Fixed once, found again.
        Reopened = "REOPENED",
        /// No longer found: the vendor reports it remediated.
        Fixed = "FIXED",
        /// Risk accepted, a false positive or a compensating control: the vendor stopped
        /// counting it.
        Suppressed = "SUPPRESSED",
        Unknown = "UNKNOWN",
    }
}

wire_enum! {
    /// What kind of weakness a finding is.
    FindingType {
        /// A vulnerability of a host: its operating system or installed software, found
        /// by a network scan or an agent.
        Host = "HOST",
        /// A vulnerable package in an application's dependencies.
        Dependency = "DEPENDENCY",
        /// A vulnerability in a container image.
        Container = "CONTAINER",
        /// A weakness in source code (static analysis).
        Code = "CODE",
        /// A misconfiguration.
        Configuration = "CONFIGURATION",
        /// A secret exposed in code or configuration.
        Secret = "SECRET",
        Other = "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for s in FindingSeverity::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(FindingSeverity::parse(&s.as_str().to_lowercase()), Some(*s));
        }
        assert!(FindingSeverity::Critical.rank() > FindingSeverity::High.rank());
        assert_eq!(
            FindingState::parse("reopened"),
            Some(FindingState::Reopened)
        );
        assert_eq!(
            FindingType::parse("DEPENDENCY"),
            Some(FindingType::Dependency)
        );
        assert_eq!(FindingState::parse("closed"), None);
    }
}

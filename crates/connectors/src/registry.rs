//! The vendor registry: `Vendor` → its [`VendorSpec`]. The catalogue, pacing, the
//! connector factory, credential and option parsing, `GET /v1/connectors` and the runbook
//! text all read from here, so a new vendor is its folder plus its line in
//! [`crate::vendors`]. The registry is passed as state (not a global), so a test can run
//! the whole application with a vendor of its own.

use std::fmt;

use tributary_model::{Category, Vendor};

use crate::{spec::VendorSpec, vendors};

/// The vendors a process knows.
#[derive(Clone)]
pub struct Registry {
    specs: Vec<&'static VendorSpec>,
}

/// A vendor name the registry does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown vendor `{name}`; expected one of {expected}")]
pub struct UnknownVendor {
    pub name: String,
    /// The known names, quoted and comma-separated.
    pub expected: String,
}

impl Registry {
    /// Every vendor Tributary ships with.
    pub fn builtin() -> Registry {
        Registry {
            specs: vendors::BUILTIN.to_vec(),
        }
    }

    /// This registry and one more vendor (a later spec for the same name replaces the
    /// earlier one).
    pub fn with(mut self, spec: &'static VendorSpec) -> Registry {
        self.specs.retain(|s| s.vendor != spec.vendor);
        self.specs.push(spec);
        self
    }

    /// The spec of `vendor`, if it is known.
    pub fn get(&self, vendor: Vendor) -> Option<&'static VendorSpec> {
        self.specs.iter().copied().find(|s| s.vendor == vendor)
    }

    /// Resolves a vendor name (`CROWDSTRIKE` or `crowdstrike`).
    pub fn parse(&self, name: &str) -> Result<&'static VendorSpec, UnknownVendor> {
        Vendor::parse(name)
            .ok()
            .and_then(|v| self.get(v))
            .ok_or_else(|| UnknownVendor {
                name: name.chars().take(64).collect(),
                expected: self.names(),
            })
    }

    /// The product name of `vendor` (`CrowdStrike Falcon`), or its wire name when this
    /// build does not know it.
    pub fn display_name(&self, vendor: Vendor) -> String {
        self.get(vendor)
            .map_or_else(|| vendor.to_string(), |s| s.name.to_owned())
    }

    /// Every known vendor, in name order.
    pub fn all(&self) -> Vec<&'static VendorSpec> {
        let mut all = self.specs.clone();
        all.sort_by_key(|s| s.vendor);
        all
    }

    /// The known vendors of one category, in name order.
    pub fn in_category(&self, category: Category) -> Vec<&'static VendorSpec> {
        self.all()
            .into_iter()
            .filter(|s| s.category == category)
            .collect()
    }

    /// `'A', 'B' or 'C'`: the known names, for error messages.
    pub fn names(&self) -> String {
        let names: Vec<String> = self
            .all()
            .iter()
            .map(|s| format!("'{}'", s.vendor))
            .collect();
        match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.specs.iter().map(|s| s.vendor))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use tributary_model::{credentials::FieldKind, DataExportType};

    use super::*;

    #[test]
    fn builtin_vendors_are_complete_and_consistent() {
        let r = Registry::builtin();
        let names: HashSet<_> = r.all().iter().map(|s| s.vendor).collect();
        assert_eq!(names.len(), r.all().len(), "one spec per vendor");
        for spec in r.all() {
            assert_eq!(r.parse(spec.vendor.as_str()).unwrap().vendor, spec.vendor);
            let lower = spec.vendor.as_str().to_ascii_lowercase();
            assert_eq!(r.parse(&lower).unwrap().vendor, spec.vendor);
            // A job syncs exports of the vendor's category, in the category's order (a
            // vendor may lack one: Spotlight has no asset listing of its own).
            let exports: Vec<DataExportType> =
                spec.exports.iter().map(|e| e.data_export_type).collect();
            let order: Vec<DataExportType> = spec
                .category
                .data_exports()
                .iter()
                .copied()
                .filter(|e| exports.contains(e))
                .collect();
            assert!(!exports.is_empty(), "{}", spec.vendor);
            assert_eq!(exports, order, "{}", spec.vendor);
            for e in spec.exports {
                assert!(!e.endpoints.is_empty() && !e.permission.is_empty());
            }
            assert!(spec.credentials.iter().any(|f| f.kind == FieldKind::Secret));
            let resolution = spec.resolution(tributary_model::HealthName::Unauthorized);
            assert!(
                resolution.contains(spec.exports[0].permission),
                "{resolution}"
            );
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = Registry::builtin().parse("QUALYSX").unwrap_err();
        assert!(
            err.expected.starts_with("'CROWDSTRIKE', "),
            "{}",
            err.expected
        );
        assert!(err.expected.contains(", 'SENTINELONE'"), "{}", err.expected);
        let last = Registry::builtin().all().last().unwrap().vendor;
        assert!(
            err.expected.ends_with(&format!(" or '{last}'")),
            "{}",
            err.expected
        );
        assert!(Registry::builtin().parse("not a name").is_err());
    }
}

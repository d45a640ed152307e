//! Helpers for the mapping unit tests.

use tributary_model::edr::{Alert, MitreTactic};
use uuid::Uuid;

use crate::mapping::MapContext;

/// The connection every unit test maps for.
pub fn ctx() -> MapContext {
    MapContext {
        connection_id: Uuid::from_u128(0x7e57),
    }
}

/// The alert's observables as `(name, type_id, value)`.
pub fn observables(a: &Alert) -> Vec<(String, u8, String)> {
    a.observables
        .iter()
        .flatten()
        .map(|o| (o.name.clone(), o.kind().type_id(), o.value.clone()))
        .collect()
}

/// `(name, type_id, value)` rows from literals.
pub fn rows(v: &[(&str, u8, &str)]) -> Vec<(String, u8, String)> {
    v.iter()
        .map(|(n, t, x)| (n.to_string(), *t, x.to_string()))
        .collect()
}

/// The tactics as `(name, id, source, [(technique id, name, link)])`.
pub type TacticRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Vec<(Option<String>, Option<String>, Option<String>)>,
);

/// The alert's MITRE tactics flattened for comparison.
pub fn mitre(t: &[MitreTactic]) -> Vec<TacticRow> {
    t.iter()
        .map(|t| {
            (
                t.tactic_name.clone(),
                t.tactic_id.clone(),
                t.tactic_source.clone(),
                t.techniques
                    .iter()
                    .map(|x| {
                        (
                            x.technique_id.clone(),
                            x.technique_name.clone(),
                            x.technique_link.clone(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

/// `Some(s.to_owned())`, for building expected rows.
pub fn s(x: &str) -> Option<String> {
    Some(x.to_owned())
}

/// An attack.mitre.org technique link, for expected rows.
pub fn link(path: &str) -> Option<String> {
    Some(format!("https://attack.mitre.org/techniques/{path}/"))
}

/// Parses a fixture given by `include_str!`.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

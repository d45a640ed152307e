use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A MITRE ATT&CK tactic and the techniques seen under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MitreTactic {
    /// E.g. `Defense Evasion`.
    pub tactic_name: Option<String>,
    /// E.g. `TA0005`.
    pub tactic_id: Option<String>,
    /// Where the mapping comes from, e.g. `MITRE`, or the vendor's own framework (`CrowdStrike`).
    pub tactic_source: Option<String>,
    pub techniques: Vec<MitreTechnique>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MitreTechnique {
    pub technique_name: Option<String>,
    /// E.g. `T1055` or `T1055.012`.
    pub technique_id: Option<String>,
    /// E.g. `https://attack.mitre.org/techniques/T1055/012/`.
    pub technique_link: Option<String>,
}

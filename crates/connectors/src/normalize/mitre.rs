//! MITRE ATT&CK: the Enterprise tactics, technique links, and a builder that groups
//! techniques under their tactics without duplicates.

use tributary_model::edr::{MitreTactic, MitreTechnique};

/// The 14 Enterprise tactics (id, name).
pub const TACTICS: [(&str, &str); 14] = [
    ("TA0043", "Reconnaissance"),
    ("TA0042", "Resource Development"),
    ("TA0001", "Initial Access"),
    ("TA0002", "Execution"),
    ("TA0003", "Persistence"),
    ("TA0004", "Privilege Escalation"),
    ("TA0005", "Defense Evasion"),
    ("TA0006", "Credential Access"),
    ("TA0007", "Discovery"),
    ("TA0008", "Lateral Movement"),
    ("TA0009", "Collection"),
    ("TA0011", "Command and Control"),
    ("TA0010", "Exfiltration"),
    ("TA0040", "Impact"),
];

fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The tactic named `name` in any spelling (`Credential Access`, `CredentialAccess`,
/// `credential-access`), or with id `name`.
pub fn tactic(name: &str) -> Option<(&'static str, &'static str)> {
    let key = squash(name);
    TACTICS
        .iter()
        .copied()
        .find(|(id, n)| squash(n) == key || id.eq_ignore_ascii_case(name.trim()))
}

/// True for an ATT&CK technique id (`T1055`, `T1055.012`).
pub fn is_technique_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix('T') else {
        return false;
    };
    let (main, sub) = rest
        .split_once('.')
        .map_or((rest, None), |(m, s)| (m, Some(s)));
    main.len() == 4
        && main.chars().all(|c| c.is_ascii_digit())
        && sub.is_none_or(|s| s.len() == 3 && s.chars().all(|c| c.is_ascii_digit()))
}

/// The attack.mitre.org page of a technique id; None for vendor-specific ids.
pub fn technique_link(id: &str) -> Option<String> {
    if !is_technique_id(id) {
        return None;
    }
    Some(match id.split_once('.') {
        Some((main, sub)) => format!("https://attack.mitre.org/techniques/{main}/{sub}/"),
        None => format!("https://attack.mitre.org/techniques/{id}/"),
    })
}

/// Collects tactics and techniques, merging repeats.
#[derive(Debug, Default)]
pub struct MitreBuilder {
    tactics: Vec<MitreTactic>,
}

impl MitreBuilder {
    /// Adds a technique under a tactic (either may be partly unknown).
    pub fn add(
        &mut self,
        tactic_name: Option<String>,
        tactic_id: Option<String>,
        source: Option<&str>,
        technique: Option<MitreTechnique>,
    ) {
        let known = tactic_name
            .as_deref()
            .and_then(tactic)
            .or_else(|| tactic_id.as_deref().and_then(tactic));
        let tactic_id = tactic_id.or_else(|| known.map(|k| k.0.to_owned()));
        let tactic_name = tactic_name.or_else(|| known.map(|k| k.1.to_owned()));
        let entry = match self
            .tactics
            .iter_mut()
            .position(|t| t.tactic_id == tactic_id && t.tactic_name == tactic_name)
        {
            Some(i) => &mut self.tactics[i],
            None => {
                self.tactics.push(MitreTactic {
                    tactic_name,
                    tactic_id,
                    tactic_source: source.map(str::to_owned),
                    techniques: vec![],
                });
                self.tactics.last_mut().expect("just pushed")
            }
        };
        if let Some(t) = technique {
            if !entry
                .techniques
                .iter()
                .any(|x| x.technique_id == t.technique_id && x.technique_name == t.technique_name)
            {
                entry.techniques.push(t);
            }
        }
    }

    pub fn build(self) -> Vec<MitreTactic> {
        self.tactics
    }
}

/// A technique from an id and an optional name; the link is derived from the id.
pub fn technique(id: Option<String>, name: Option<String>) -> Option<MitreTechnique> {
    if id.is_none() && name.is_none() {
        return None;
    }
    let technique_link = id.as_deref().and_then(technique_link);
    Some(MitreTechnique {
        technique_name: name,
        technique_id: id,
        technique_link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tactics_and_links() {
        assert_eq!(
            tactic("CredentialAccess"),
            Some(("TA0006", "Credential Access"))
        );
        assert_eq!(tactic("defense-evasion").unwrap().0, "TA0005");
        assert_eq!(tactic("TA0002").unwrap().1, "Execution");
        assert_eq!(tactic("SuspiciousActivity"), None);
        assert_eq!(
            technique_link("T1055.012").as_deref(),
            Some("https://attack.mitre.org/techniques/T1055/012/")
        );
        assert_eq!(
            technique_link("T1064").as_deref(),
            Some("https://attack.mitre.org/techniques/T1064/")
        );
        assert_eq!(technique_link("CST0001"), None);
        let mut b = MitreBuilder::default();
        b.add(
            Some("Execution".into()),
            None,
            Some("MITRE"),
            technique(Some("T1064".into()), None),
        );
        b.add(
            None,
            Some("TA0002".into()),
            Some("MITRE"),
            technique(Some("T1064".into()), None),
        );
        b.add(
            Some("Execution".into()),
            None,
            Some("MITRE"),
            technique(Some("T1085".into()), None),
        );
        let t = b.build();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].tactic_id.as_deref(), Some("TA0002"));
        assert_eq!(t[0].techniques.len(), 2);
    }
}

//! MITRE ATT&CK: the Enterprise tactics, technique links, and a builder that groups
//! techniques under their tactics without duplicates.

use tributary_model::edr::{MitreTactic, MitreTechnique};

/// `tactic_source` of a tactic that is one of the ATT&CK Enterprise tactics.
pub const MITRE_SOURCE: &str = "MITRE";

/// The 14 ATT&CK Enterprise tactics, in kill-chain order: (id, name).
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

/// Letters and digits only, lowercased: `Credential Access`, `CredentialAccess` and
/// `credential-access` all become `credentialaccess`.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The ATT&CK tactic named `name_or_id` in any spelling, or with that id: (id, name).
pub fn tactic(name_or_id: &str) -> Option<(&'static str, &'static str)> {
    let key = squash(name_or_id);
    if key.is_empty() {
        return None;
    }
    TACTICS
        .iter()
        .copied()
        .find(|(id, name)| squash(name) == key || squash(id) == key)
}

/// True for an ATT&CK technique id (`T1055`) or sub-technique id (`T1055.012`).
pub fn is_technique_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix('T') else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    match rest.split_once('.') {
        Some((main, sub)) => digits(main, 4) && digits(sub, 3),
        None => digits(rest, 4),
    }
}

/// The attack.mitre.org page of a technique id; None for vendor-specific ids (`CST0007`).
pub fn technique_link(id: &str) -> Option<String> {
    if !is_technique_id(id) {
        return None;
    }
    Some(match id.split_once('.') {
        Some((main, sub)) => format!("https://attack.mitre.org/techniques/{main}/{sub}/"),
        None => format!("https://attack.mitre.org/techniques/{id}/"),
    })
}

/// A technique from an id and a name (either may be missing). An ATT&CK id is
/// uppercased and gets its attack.mitre.org link.
pub fn technique(id: Option<String>, name: Option<String>) -> Option<MitreTechnique> {
    let id = id.map(|i| i.trim().to_owned()).filter(|i| !i.is_empty());
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if id.is_none() && name.is_none() {
        return None;
    }
    let id = id.map(|i| {
        let upper = i.to_ascii_uppercase();
        if is_technique_id(&upper) {
            upper
        } else {
            i
        }
    });
    Some(MitreTechnique {
        technique_link: id.as_deref().and_then(technique_link),
        technique_name: name,
        technique_id: id,
    })
}

/// Collects tactics and their techniques, merging repeats.
#[derive(Debug, Default)]
pub struct MitreBuilder {
    tactics: Vec<MitreTactic>,
}

impl MitreBuilder {
    /// Adds `technique` (or just the tactic) under a tactic given by name and/or id.
    ///
    /// An ATT&CK Enterprise tactic (found by id, else by name in any spelling) gets its
    /// canonical name and id and source `MITRE`. Any other tactic (CrowdStrike's
    /// `CSTA0004`) keeps the vendor's name and id with `other_source` as its source. A
    /// tactic with neither name nor id collects techniques whose tactic is unknown.
    pub fn add(
        &mut self,
        tactic_name: Option<String>,
        tactic_id: Option<String>,
        other_source: Option<&str>,
        technique: Option<MitreTechnique>,
    ) {
        let head = resolve(tactic_name, tactic_id, other_source);
        let key = tactic_key(&head);
        let i = match self.tactics.iter().position(|t| tactic_key(t) == key) {
            Some(i) => i,
            None => {
                self.tactics.push(head);
                self.tactics.len() - 1
            }
        };
        if let Some(t) = technique {
            merge_technique(&mut self.tactics[i].techniques, t);
        }
    }

    /// The tactics in first-seen order.
    pub fn build(self) -> Vec<MitreTactic> {
        self.tactics
    }
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|x| x.trim().to_owned()).filter(|x| !x.is_empty())
}

fn resolve(name: Option<String>, id: Option<String>, other_source: Option<&str>) -> MitreTactic {
    let (name, id) = (clean(name), clean(id));
    // An id decides alone: a vendor id with an ATT&CK-like name stays the vendor's.
    let known = match &id {
        Some(i) => tactic(i).filter(|(tid, _)| tid.eq_ignore_ascii_case(i)),
        None => name.as_deref().and_then(tactic),
    };
    let (tactic_name, tactic_id, tactic_source) = match known {
        Some((tid, tname)) => (
            Some(tname.to_owned()),
            Some(tid.to_owned()),
            Some(MITRE_SOURCE.to_owned()),
        ),
        None if name.is_none() && id.is_none() => (None, None, None),
        None => (name, id, other_source.map(str::to_owned)),
    };
    MitreTactic {
        tactic_name,
        tactic_id,
        tactic_source,
        techniques: vec![],
    }
}

fn tactic_key(t: &MitreTactic) -> (Option<String>, Option<String>) {
    match &t.tactic_id {
        Some(id) => (Some(id.to_ascii_uppercase()), None),
        None => (None, t.tactic_name.as_deref().map(squash)),
    }
}

/// Adds `t` unless the list has it (same id, or same name where ids are missing); a
/// repeat fills in a name or link the first one lacked.
fn merge_technique(list: &mut Vec<MitreTechnique>, t: MitreTechnique) {
    let same = |x: &MitreTechnique| match (&x.technique_id, &t.technique_id) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => {
            x.technique_name.as_deref().map(squash) == t.technique_name.as_deref().map(squash)
        }
        _ => false,
    };
    match list.iter_mut().find(|x| same(x)) {
        Some(x) => {
            if x.technique_name.is_none() {
                x.technique_name = t.technique_name;
            }
            if x.technique_link.is_none() {
                x.technique_link = t.technique_link;
            }
        }
        None => list.push(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tactic_in_every_spelling() {
        for (id, name) in TACTICS {
            let camel: String = name
                .split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            let kebab = name.to_ascii_lowercase().replace(' ', "-");
            for spelling in [name, &camel, &kebab, id, &id.to_ascii_lowercase()] {
                assert_eq!(tactic(spelling), Some((id, name)), "{spelling}");
            }
        }
        assert_eq!(tactic("CommandAndControl").unwrap().0, "TA0011");
        assert_eq!(tactic("SuspiciousActivity"), None);
        assert_eq!(tactic("CSTA0004"), None);
        assert_eq!(tactic(" - "), None);
    }

    #[test]
    fn technique_ids_and_links() {
        assert_eq!(
            technique_link("T1055.012").as_deref(),
            Some("https://attack.mitre.org/techniques/T1055/012/")
        );
        assert_eq!(
            technique_link("T1055").as_deref(),
            Some("https://attack.mitre.org/techniques/T1055/")
        );
        for bad in [
            "CST0007", "T105", "T1055.12", "T10555", "t1055", "T1055.", "",
        ] {
            assert_eq!(technique_link(bad), None, "{bad}");
        }
        let t = technique(Some(" t1059.001 ".into()), None).unwrap();
        assert_eq!(t.technique_id.as_deref(), Some("T1059.001"));
        assert_eq!(
            t.technique_link.as_deref(),
            Some("https://attack.mitre.org/techniques/T1059/001/")
        );
        assert_eq!(technique(Some(" ".into()), None), None);
    }

    #[test]
    fn builder_merges_tactics_and_techniques() {
        let mut b = MitreBuilder::default();
        let s = |x: &str| Some(x.to_owned());
        b.add(
            s("CredentialAccess"),
            None,
            s("X").as_deref(),
            technique(s("T1003"), None),
        );
        b.add(
            s("Credential Access"),
            s("TA0006"),
            None,
            technique(s("T1003"), s("OS Credential Dumping")),
        );
        b.add(
            None,
            s("ta0006"),
            None,
            technique(s("T1003.001"), s("LSASS Memory")),
        );
        b.add(
            s("Machine Learning"),
            s("CSTA0004"),
            Some("CrowdStrike"),
            technique(s("CST0007"), s("Sensor-based ML")),
        );
        b.add(
            s("MachineLearning"),
            s("CSTA0004"),
            Some("CrowdStrike"),
            None,
        );
        b.add(
            s("Credential Access"),
            s("CSTA0099"),
            Some("CrowdStrike"),
            None,
        );
        b.add(
            None,
            None,
            s("ignored").as_deref(),
            technique(s("T1064"), None),
        );
        let t = b.build();
        assert_eq!(t.len(), 4);
        assert_eq!(
            (
                t[0].tactic_name.as_deref(),
                t[0].tactic_id.as_deref(),
                t[0].tactic_source.as_deref()
            ),
            (Some("Credential Access"), Some("TA0006"), Some("MITRE"))
        );
        assert_eq!(t[0].techniques.len(), 2);
        assert_eq!(
            t[0].techniques[0].technique_name.as_deref(),
            Some("OS Credential Dumping")
        );
        assert_eq!(
            (
                t[1].tactic_id.as_deref(),
                t[1].tactic_source.as_deref(),
                t[1].techniques[0].technique_link.as_deref()
            ),
            (Some("CSTA0004"), Some("CrowdStrike"), None)
        );
        assert_eq!(
            (t[2].tactic_id.as_deref(), t[2].tactic_source.as_deref()),
            (Some("CSTA0099"), Some("CrowdStrike")),
            "a vendor id decides over an ATT&CK-like name"
        );
        assert_eq!(
            (&t[3].tactic_name, &t[3].tactic_id, &t[3].tactic_source),
            (&None, &None, &None)
        );
        assert_eq!(t[3].techniques[0].technique_id.as_deref(), Some("T1064"));
    }
}

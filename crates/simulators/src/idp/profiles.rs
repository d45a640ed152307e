//! What a directory record is, independent of any vendor's format: a user's names, login,
//! job, office and lifecycle status; a group's name and kind; an application; a policy.
//! Each is a pure function of (seed, index, version), and each version step is one kind
//! of change (a profile edit, a status change, a deactivation), so a record's history
//! can be replayed from its version alone.

use super::{
    catalog::{
        AppEntry, APPS, COMPANIES, DEPARTMENTS, FIRST_NAMES, GROUP_PATTERNS, LAST_NAMES, OFFICES,
        POLICY_NAMES, POLICY_TYPES,
    },
    collections::{stream, users},
};
use crate::{
    dataset::RecordRef,
    fake::{Rng, DAY, HOUR, MIN},
    ids::feistel,
    world::World,
};

/// A user's lifecycle status (Okta's names; Entra shows `accountEnabled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Staged,
    Provisioned,
    Active,
    Recovery,
    PasswordExpired,
    LockedOut,
    Suspended,
    Deprovisioned,
}

impl Status {
    /// Whether the account can sign in (Entra `accountEnabled`).
    pub fn enabled(self) -> bool {
        !matches!(self, Status::Suspended | Status::Deprovisioned)
    }

    /// Whether the user has been activated at some point.
    pub fn activated(self) -> bool {
        !matches!(self, Status::Staged | Status::Provisioned)
    }
}

/// What one version step did to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Title, department, office or phone changed.
    Profile,
    /// Suspended, locked out, password expired, or back to active.
    Status,
    /// Deactivated (Okta `DEPROVISIONED`, Entra `accountEnabled: false`); the next step
    /// reactivates.
    Deactivated,
    Reactivated,
}

/// A user as the simulated directory knows it.
#[derive(Debug, Clone)]
pub struct UserCore {
    pub index: u64,
    pub first: &'static str,
    pub last: &'static str,
    /// The part before the `@`: `priya.tanaka` or `priya.tanaka27`.
    pub local: String,
    /// The tenant's domain, e.g. `acme.example.com`.
    pub domain: String,
    pub department: &'static str,
    pub title: &'static str,
    pub office: (&'static str, &'static str, &'static str, &'static str),
    pub mobile: String,
    pub office_phone: String,
    pub employee_number: String,
    /// A guest from another organisation (Entra `userType: Guest`).
    pub guest: bool,
    /// Synchronised from on-premises Active Directory.
    pub synced: bool,
    pub status: Status,
    /// The last step, if any.
    pub last_step: Option<Step>,
    pub created: i64,
    pub activated: Option<i64>,
    pub status_changed: Option<i64>,
    pub last_login: Option<i64>,
    pub password_changed: Option<i64>,
    pub updated: i64,
}

impl UserCore {
    /// The sign-in name and primary email, `local@domain`.
    pub fn login(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

/// The tenant's login domain, per seed.
pub fn tenant_domain(seed: u64) -> String {
    let mut r = Rng::for_record(seed, stream::TENANT, 0);
    format!("{}.example.com", r.pick(COMPANIES))
}

/// Names from a permutation of a million, so every user's login is distinct.
fn names(seed: u64, index: u64) -> (&'static str, &'static str, String) {
    let p = feistel(index % MILLION, 1_000, seed ^ 0x05e7);
    let (f, l) = (FIRST_NAMES.len() as u64, LAST_NAMES.len() as u64);
    let first = FIRST_NAMES[(p % f) as usize];
    let last = LAST_NAMES[(p / f % l) as usize];
    let n = p / (f * l);
    let mut local = format!("{first}.{last}").to_ascii_lowercase();
    if n > 0 {
        local.push_str(&n.to_string());
    }
    (first, last, local)
}

const MILLION: u64 = 1_000_000;

/// The user behind record `r` of the users collection.
pub fn user(world: &World, r: &RecordRef) -> UserCore {
    let mut g = Rng::for_record(world.seed, stream::USER, r.index);
    let (first, last, local) = names(world.seed, r.index);
    let fresh = r.index >= users(world).base_count();
    let (department, titles) = g.pick(DEPARTMENTS);
    let office = g.pick(OFFICES);
    let initial = initial_status(&mut g, fresh);
    let created = if fresh {
        r.origin
    } else {
        r.origin - g.range(1, 700) * DAY - g.range(0, 86_399) * crate::fake::SEC
    };
    let mut u = UserCore {
        index: r.index,
        first,
        last,
        local,
        domain: tenant_domain(world.seed),
        department,
        title: g.pick(titles),
        office,
        mobile: format!("{} {:04}", office.2, g.below(10_000)),
        office_phone: format!("{} {:04}", office.2, g.below(10_000)),
        employee_number: format!("{}", 100_000 + r.index),
        guest: !fresh && g.chance(3),
        synced: g.chance(40),
        status: initial,
        last_step: None,
        created,
        activated: initial
            .activated()
            .then_some(created + g.range(1, 120) * MIN),
        status_changed: None,
        last_login: None,
        password_changed: Some(created + g.range(0, 60) * MIN),
        updated: r.updated,
    };
    u.status_changed = u.activated;
    if u.status == Status::Active && !fresh {
        // Signing in does not move lastUpdated.
        u.last_login = Some(r.origin - g.range(0, 14 * 24) * HOUR);
    }
    replay(world.seed, r, &mut u);
    u
}

/// A user's first status: new hires are staged, provisioned or active; the existing
/// directory is mostly active.
fn initial_status(g: &mut Rng, fresh: bool) -> Status {
    if fresh {
        return g.weighted(&[
            (Status::Staged, 20),
            (Status::Provisioned, 30),
            (Status::Active, 50),
        ]);
    }
    g.weighted(&[
        (Status::Active, 86),
        (Status::Staged, 3),
        (Status::Provisioned, 4),
        (Status::Suspended, 2),
        (Status::LockedOut, 2),
        (Status::PasswordExpired, 2),
        (Status::Recovery, 1),
    ])
}

/// Applies version steps 1..=version: each step's kind comes from its own roll.
fn replay(seed: u64, r: &RecordRef, u: &mut UserCore) {
    for step in 1..=r.version {
        let mut g = Rng::for_record(seed ^ u64::from(step), stream::USER_CHANGE, r.index);
        let kind = if u.status == Status::Deprovisioned {
            Step::Reactivated
        } else {
            g.weighted(&[
                (Step::Profile, 60),
                (Step::Status, 15),
                (Step::Deactivated, 25),
            ])
        };
        match kind {
            Step::Profile => {
                let (department, titles) = g.pick(DEPARTMENTS);
                u.department = department;
                u.title = g.pick(titles);
                u.mobile = format!("{} {:04}", u.office.2, g.below(10_000));
            }
            Step::Status => {
                u.status = if u.status == Status::Active {
                    g.pick(&[
                        Status::Suspended,
                        Status::LockedOut,
                        Status::PasswordExpired,
                    ])
                } else {
                    Status::Active
                };
            }
            Step::Deactivated => u.status = Status::Deprovisioned,
            Step::Reactivated => u.status = Status::Active,
        }
        u.last_step = Some(kind);
    }
    if r.version > 0 {
        // Only the latest step's time is known; earlier ones fall between.
        let last_status_time = if u.last_step != Some(Step::Profile) {
            r.updated
        } else {
            r.origin + (r.updated - r.origin) / 2
        };
        if u.last_step != Some(Step::Profile) || u.status_changed.is_some() {
            u.status_changed = Some(last_status_time);
        }
        if u.status.activated() && u.activated.is_none() {
            u.activated = Some(last_status_time);
        }
    }
}

/// The kind of group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// A security group managed in the IdP (Okta `OKTA_GROUP`).
    Security,
    /// Imported from a directory or app (Okta `APP_GROUP`, Entra synced from AD).
    Imported,
    /// A Microsoft 365 group (Entra `groupTypes: ["Unified"]`; Okta `OKTA_GROUP`).
    Unified,
}

/// A group as the simulated directory knows it.
#[derive(Debug, Clone)]
pub struct GroupCore {
    pub index: u64,
    pub name: String,
    pub description: Option<String>,
    pub kind: GroupKind,
    /// A short mail nickname (`eng-managers`).
    pub nickname: String,
    pub created: i64,
    pub updated: i64,
    /// When membership last changed before any simulated change (`members` adds later ones).
    pub membership_base: i64,
}

/// The group behind record `r` of the groups collection.
pub fn group(world: &World, r: &RecordRef) -> GroupCore {
    let mut g = Rng::for_record(world.seed, stream::GROUP, r.index);
    let combos = (DEPARTMENTS.len() * GROUP_PATTERNS.len()) as u64;
    let combo = feistel(r.index % combos, combos, world.seed ^ 0x6a0) % combos;
    let pattern = GROUP_PATTERNS[(combo % GROUP_PATTERNS.len() as u64) as usize];
    let department = DEPARTMENTS[(combo / GROUP_PATTERNS.len() as u64) as usize].0;
    let city = g.pick(OFFICES).0;
    let app = g.pick(APPS).label;
    let mut name = pattern
        .replace("{d}", department)
        .replace("{c}", city)
        .replace("{a}", app);
    if pattern.starts_with("sg-") || pattern.starts_with("app-") || pattern.starts_with("vpn-") {
        name = name.to_ascii_lowercase().replace([' ', '.'], "-");
    }
    let round = r.index / combos;
    if round > 0 {
        name.push_str(&format!(" {round}"));
    }
    let kind = g.weighted(&[
        (GroupKind::Security, 70),
        (GroupKind::Imported, 15),
        (GroupKind::Unified, 15),
    ]);
    let fresh = r.index >= world.records(super::collections::GROUPS).base_count();
    let created = if fresh {
        r.origin
    } else {
        r.origin - g.range(1, 900) * DAY
    };
    let description = match r.version {
        0 if g.chance(25) => None,
        0 => Some(format!("{department} team access")),
        v => Some(format!("{department} team access (revision {v})")),
    };
    GroupCore {
        index: r.index,
        nickname: name.to_ascii_lowercase().replace([' ', '.', '/'], "-"),
        name,
        description,
        kind,
        created,
        updated: r.updated,
        membership_base: if fresh {
            r.origin
        } else {
            created + (r.origin - created) / 3
        },
    }
}

/// An application as the simulated directory knows it.
#[derive(Debug, Clone)]
pub struct AppCore {
    pub index: u64,
    pub entry: AppEntry,
    /// The label, with a number past the catalog (`Slack 2`).
    pub label: String,
    pub active: bool,
    pub created: i64,
    pub updated: i64,
    pub version: u32,
}

/// The application behind record `r` of the applications collection.
pub fn application(world: &World, r: &RecordRef) -> AppCore {
    let mut g = Rng::for_record(world.seed, stream::APP, r.index);
    let entry = APPS[(r.index % APPS.len() as u64) as usize];
    let round = r.index / APPS.len() as u64;
    let label = match round {
        0 => entry.label.to_owned(),
        n => format!("{} {}", entry.label, n + 1),
    };
    // Each change may switch the app off or on again (`active` follows the version).
    let switched = (1..=r.version)
        .filter(|v| Rng::for_record(world.seed ^ u64::from(*v), stream::APP, r.index).chance(30))
        .count();
    let initially_active = r.index < 2 || g.chance(90);
    AppCore {
        index: r.index,
        entry,
        label,
        active: initially_active ^ (switched % 2 == 1),
        created: r.origin - g.range(1, 900) * DAY,
        updated: r.updated,
        version: r.version,
    }
}

/// A policy as the simulated directory knows it.
#[derive(Debug, Clone)]
pub struct PolicyCore {
    pub index: u64,
    /// Okta's policy type (one of [`POLICY_TYPES`]).
    pub kind: &'static str,
    pub name: String,
    /// The type's default policy (Okta `system: true`).
    pub system: bool,
    pub active: bool,
    /// 1 is evaluated first; the default policy comes last.
    pub priority: u32,
    pub created: i64,
    pub updated: i64,
    pub version: u32,
}

/// The policy behind record `r` of the policies collection: the first nine are each
/// type's default policy, the rest custom ones.
pub fn policy(world: &World, r: &RecordRef) -> PolicyCore {
    let mut g = Rng::for_record(world.seed, stream::POLICY, r.index);
    let types = POLICY_TYPES.len() as u64;
    let system = r.index < types;
    let kind = POLICY_TYPES[(r.index % types) as usize];
    let name = if system {
        "Default Policy".to_owned()
    } else {
        let base = POLICY_NAMES[((r.index - types) / types % POLICY_NAMES.len() as u64) as usize];
        format!("{base} {}", r.index / types)
    };
    PolicyCore {
        index: r.index,
        kind,
        name,
        system,
        active: system || (g.chance(85) ^ (r.version % 3 == 2)),
        priority: if system {
            99
        } else {
            1 + (r.index / types) as u32
        },
        created: r.origin - g.range(1, 900) * DAY,
        updated: r.updated,
        version: r.version,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::idp::collections::all_specs;

    #[test]
    fn logins_are_unique_and_updates_replay_from_the_version() {
        let logins: HashSet<String> = (0..20_000).map(|i| names(3, i).2).collect();
        assert_eq!(logins.len(), 20_000);
        let [u, ..] = all_specs(1_000_000);
        let w = World::new(3, 1_700_000_000_000_000_000, &[(u, 10)]);
        let r = users(&w).get(4).unwrap();
        let steps: Vec<Option<Step>> = (0..12)
            .map(|v| {
                let at = RecordRef {
                    version: v,
                    updated: r.updated + i64::from(v),
                    ..r
                };
                let u = user(&w, &at);
                assert_eq!(
                    u.status == Status::Deprovisioned,
                    u.last_step == Some(Step::Deactivated)
                );
                assert!(u.status_changed.is_none_or(|t| t <= at.updated));
                u.last_step
            })
            .collect();
        assert!(steps.contains(&Some(Step::Profile)));
        assert!(steps.contains(&Some(Step::Deactivated)), "{steps:?}");
        assert_eq!(
            user(&w, &r).login(),
            user(&w, &r).login(),
            "a pure function"
        );
    }
}

//! App assignments and policy targets: which groups and users an application is assigned
//! to, which groups and applications a policy applies to. They follow the app's or
//! policy's version: a change re-draws them, so app and policy changes show in their
//! update times.

use super::{
    catalog::POLICY_TYPES,
    collections::{applications, groups, policies, stream, users},
    members::permuted,
    profiles,
};
use crate::{dataset::RecordRef, fake::Rng, world::World};

/// Okta's authentication-policy type: the one policy type apps are mapped to.
pub const ACCESS_POLICY: &str = "ACCESS_POLICY";

/// The groups assigned to application `app` at `version` (0–4, skewed to big groups),
/// existing ones only, in priority order.
pub fn app_groups(world: &World, app: u64, version: u32) -> Vec<u64> {
    let data = groups(world);
    let n = data.base_count();
    let mut g = Rng::for_record(world.seed ^ u64::from(version), stream::ASSIGNMENT, app);
    let count = if n == 0 {
        0
    } else {
        g.weighted(&[(0u64, 25), (1, 35), (2, 25), (3, 10), (4, 5)])
    };
    let mut out: Vec<u64> = Vec::new();
    for _ in 0..count {
        let pick = if g.chance(60) {
            g.below((n / 10).max(1))
        } else {
            g.below(n)
        };
        if !out.contains(&pick) && data.get(pick).is_some() {
            out.push(pick);
        }
    }
    out
}

/// The users assigned to application `app` directly (not through a group) at `version`:
/// a skewed number of initial users, a few more with each change.
pub fn app_direct_users(world: &World, app: u64, version: u32) -> Vec<u64> {
    let data = users(world);
    let n = data.base_count();
    let mut g = Rng::for_record(world.seed, stream::ASSIGNMENT, app);
    let base = match g.below(10) {
        0..=5 => g.range(1, 20) as u64,
        6..=8 => g.range(20, 500) as u64,
        _ => n / 10 + g.below(n / 3 + 1),
    };
    let count = (base + 3 * u64::from(version)).min(n);
    (0..count)
        .filter_map(|k| permuted(world.seed ^ app.wrapping_mul(0x5851_F42D), k, n))
        .filter(|u| data.get(*u).is_some())
        .collect()
}

/// The groups policy `policy` applies to at `version` (1–3).
pub fn policy_groups(world: &World, policy: u64, version: u32) -> Vec<u64> {
    let data = groups(world);
    let n = data.base_count();
    let mut g = Rng::for_record(world.seed ^ u64::from(version), stream::POLICY, policy);
    let mut out: Vec<u64> = Vec::new();
    for _ in 0..g.range(1, 3) {
        let pick = g.below(n.max(1));
        if n > 0 && !out.contains(&pick) && data.get(pick).is_some() {
            out.push(pick);
        }
    }
    out
}

/// The applications conditional-access policy `policy` targets at `version`: None for
/// every application (`All`), else one to three existing ones.
pub fn policy_apps(world: &World, policy: u64, version: u32) -> Option<Vec<u64>> {
    let data = applications(world);
    let n = data.base_count();
    let mut g = Rng::for_record(world.seed ^ u64::from(version), stream::POLICY_APPS, policy);
    if n == 0 || g.chance(40) {
        return None;
    }
    let mut out: Vec<u64> = Vec::new();
    for _ in 0..g.range(1, 4) {
        let pick = g.below(n);
        if !out.contains(&pick) && data.get(pick).is_some() {
            out.push(pick);
        }
    }
    out.sort_unstable();
    Some(out)
}

/// The authentication policy (an `ACCESS_POLICY`) app `app` is mapped to: every app has
/// exactly one, a custom one for most apps when the org has any, else the type's default
/// policy. None when the org has no access policy at all.
pub fn app_access_policy(world: &World, app: &RecordRef) -> Option<u64> {
    let data = policies(world);
    let access: Vec<u64> = (0..data.created())
        .filter_map(|i| data.get(i))
        .filter(|r| POLICY_TYPES[(r.index % POLICY_TYPES.len() as u64) as usize] == ACCESS_POLICY)
        .map(|r| r.index)
        .collect();
    let (default, custom): (Vec<u64>, Vec<u64>) =
        access.iter().partition(|i| **i < POLICY_TYPES.len() as u64);
    let mut g = Rng::for_record(
        world.seed ^ u64::from(app.version),
        stream::POLICY_APPS,
        app.index,
    );
    if !custom.is_empty() && g.chance(70) {
        return Some(custom[g.below(custom.len() as u64) as usize]);
    }
    default.first().or(custom.first()).copied()
}

/// The apps mapped to authentication policy `policy` (none for other policy types), in
/// index order.
pub fn access_policy_apps(world: &World, policy: &profiles::PolicyCore) -> Vec<u64> {
    if policy.kind != ACCESS_POLICY {
        return vec![];
    }
    let data = applications(world);
    (0..data.created())
        .filter_map(|i| data.get(i))
        .filter(|a| app_access_policy(world, a) == Some(policy.index))
        .map(|a| a.index)
        .collect()
}

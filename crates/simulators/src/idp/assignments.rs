//! App assignments and policy targets: which groups and users an application is assigned
//! to, and which groups a policy applies to. They follow the app's or policy's version: a
//! change re-draws them, so app and policy changes show in their update times.

use super::{
    collections::{groups, stream, users},
    members::permuted,
};
use crate::{fake::Rng, world::World};

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

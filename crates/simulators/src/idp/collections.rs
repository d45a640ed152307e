//! The IdP collections: users, groups, applications, policies and memberships (group
//! members). Memberships are edges: record *i* puts one user in one group (see
//! `members`); adding records adds members, deleting records removes them.

use crate::{
    collection::{Change, CollectionSpec},
    dataset::Dataset,
    fake::DAY,
    world::{stream::named, World},
};

/// The users collection.
pub const USERS: &str = "users";
/// The groups collection.
pub const GROUPS: &str = "groups";
/// The applications collection (Okta apps, Entra app registrations and their service
/// principals).
pub const APPLICATIONS: &str = "applications";
/// The policies collection (Okta policies, Entra conditional-access policies).
pub const POLICIES: &str = "policies";
/// The memberships collection: one record per (group, user) edge.
pub const MEMBERSHIPS: &str = "memberships";

/// Stream numbers of the IdP record kinds (see [`crate::world::stream`]).
pub mod stream {
    use super::named;

    pub const USER: u64 = named("idp-user");
    pub const USER_CHANGE: u64 = named("idp-user-change");
    pub const GROUP: u64 = named("idp-group");
    pub const APP: u64 = named("idp-app");
    pub const POLICY: u64 = named("idp-policy");
    pub const MEMBER: u64 = named("idp-member");
    pub const ASSIGNMENT: u64 = named("idp-assignment");
    pub const POLICY_APPS: u64 = named("idp-policy-apps");
    pub const TENANT: u64 = named("idp-tenant");
}

/// Users at most: login names come from a permutation of a million.
pub const MAX_USERS: u64 = 1_000_000;

/// The users collection at the vendor's timestamp precision: a few join, change and leave
/// each tick.
pub const fn users_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: USERS,
        default_count: 200,
        max: MAX_USERS,
        span_ns: 180 * DAY,
        resolution_ns,
        refers_to: None,
        tick: Change {
            new: 2,
            updated: 3,
            deleted: 1,
        },
    }
}

/// The groups collection.
pub const fn groups_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: GROUPS,
        default_count: 20,
        max: 1_000_000,
        span_ns: 365 * DAY,
        resolution_ns,
        refers_to: None,
        tick: Change {
            new: 0,
            updated: 1,
            deleted: 0,
        },
    }
}

/// The applications collection.
pub const fn applications_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: APPLICATIONS,
        default_count: 12,
        max: 100_000,
        span_ns: 365 * DAY,
        resolution_ns,
        refers_to: None,
        tick: Change {
            new: 0,
            updated: 1,
            deleted: 0,
        },
    }
}

/// The policies collection (the first nine are each Okta policy type's default policy).
pub const fn policies_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: POLICIES,
        default_count: 12,
        max: 10_000,
        span_ns: 365 * DAY,
        resolution_ns,
        refers_to: None,
        tick: Change {
            new: 0,
            updated: 0,
            deleted: 0,
        },
    }
}

/// The memberships collection: `new` adds members, `deleted` removes them (`updated` has
/// nothing to change: a membership has no properties).
pub const fn memberships_spec(resolution_ns: i64) -> CollectionSpec {
    CollectionSpec {
        name: MEMBERSHIPS,
        default_count: 1_000,
        max: 50_000_000,
        span_ns: 365 * DAY,
        resolution_ns,
        refers_to: Some(GROUPS),
        tick: Change {
            new: 4,
            updated: 0,
            deleted: 2,
        },
    }
}

/// The five IdP collections at one timestamp precision, in declaration order.
pub const fn all_specs(resolution_ns: i64) -> [CollectionSpec; 5] {
    [
        users_spec(resolution_ns),
        groups_spec(resolution_ns),
        applications_spec(resolution_ns),
        policies_spec(resolution_ns),
        memberships_spec(resolution_ns),
    ]
}

/// The world's users.
pub fn users(world: &World) -> &Dataset {
    world.records(USERS)
}

/// The world's groups.
pub fn groups(world: &World) -> &Dataset {
    world.records(GROUPS)
}

/// The world's applications.
pub fn applications(world: &World) -> &Dataset {
    world.records(APPLICATIONS)
}

/// The world's policies.
pub fn policies(world: &World) -> &Dataset {
    world.records(POLICIES)
}

/// The world's membership edges.
pub fn memberships(world: &World) -> &Dataset {
    world.records(MEMBERSHIPS)
}

//! What the store reads and writes for the identity category (re-exported from
//! [`crate::models`]): the four record kinds, the membership lists between them, the rows
//! a page commit writes and what the `/v1/idp/*` reads return.

use tributary_model::DataExportType;
use uuid::Uuid;

/// The identity record kinds, one table each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdpKind {
    Users,
    Groups,
    Applications,
    Policies,
}

impl IdpKind {
    pub const ALL: [IdpKind; 4] = [
        IdpKind::Users,
        IdpKind::Groups,
        IdpKind::Applications,
        IdpKind::Policies,
    ];

    /// The kind an export's records are, if it is an identity export.
    pub fn of(export: DataExportType) -> Option<IdpKind> {
        IdpKind::ALL.into_iter().find(|k| k.export() == export)
    }

    /// The export that syncs this kind (and that its record ids derive from).
    pub fn export(self) -> DataExportType {
        match self {
            IdpKind::Users => DataExportType::Users,
            IdpKind::Groups => DataExportType::Groups,
            IdpKind::Applications => DataExportType::Applications,
            IdpKind::Policies => DataExportType::Policies,
        }
    }

    pub(crate) fn table(self) -> &'static str {
        match self {
            IdpKind::Users => "idp_users",
            IdpKind::Groups => "idp_groups",
            IdpKind::Applications => "idp_applications",
            IdpKind::Policies => "idp_policies",
        }
    }
}

/// A membership list: the kind that owns it (the parent) and the kind it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdpRelation {
    /// A group's users.
    GroupUsers,
    /// The users assigned to an application directly.
    ApplicationUsers,
    /// The groups assigned to an application.
    ApplicationGroups,
    /// The groups a policy targets.
    PolicyGroups,
    /// The applications a policy targets.
    PolicyApplications,
    /// The users a policy targets.
    PolicyUsers,
}

impl IdpRelation {
    pub const ALL: [IdpRelation; 6] = [
        IdpRelation::GroupUsers,
        IdpRelation::ApplicationUsers,
        IdpRelation::ApplicationGroups,
        IdpRelation::PolicyGroups,
        IdpRelation::PolicyApplications,
        IdpRelation::PolicyUsers,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdpRelation::GroupUsers => "group_users",
            IdpRelation::ApplicationUsers => "application_users",
            IdpRelation::ApplicationGroups => "application_groups",
            IdpRelation::PolicyGroups => "policy_groups",
            IdpRelation::PolicyApplications => "policy_applications",
            IdpRelation::PolicyUsers => "policy_users",
        }
    }

    /// The kind that owns the list.
    pub fn parent(self) -> IdpKind {
        match self {
            IdpRelation::GroupUsers => IdpKind::Groups,
            IdpRelation::ApplicationUsers | IdpRelation::ApplicationGroups => IdpKind::Applications,
            IdpRelation::PolicyGroups
            | IdpRelation::PolicyApplications
            | IdpRelation::PolicyUsers => IdpKind::Policies,
        }
    }

    /// The kind the list names.
    pub fn member(self) -> IdpKind {
        match self {
            IdpRelation::GroupUsers | IdpRelation::ApplicationUsers | IdpRelation::PolicyUsers => {
                IdpKind::Users
            }
            IdpRelation::ApplicationGroups | IdpRelation::PolicyGroups => IdpKind::Groups,
            IdpRelation::PolicyApplications => IdpKind::Applications,
        }
    }
}

/// Which side of a membership list a read starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpSide {
    /// From parents, listing their members (a group's users).
    Parent,
    /// From members, listing their parents (a user's groups).
    Member,
}

/// A member by its record id and the provider's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemberId {
    pub id: Uuid,
    pub vendor_id: String,
}

/// How one membership list of a record changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipOp {
    /// Exactly these members from now on.
    Replace(Vec<MemberId>),
    /// These members join and these (record ids) leave; the others stay.
    Delta {
        added: Vec<MemberId>,
        removed: Vec<Uuid>,
    },
}

/// A change of one of a record's membership lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipChange {
    pub relation: IdpRelation,
    pub op: MembershipOp,
}

/// A present record's stored document and the columns beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct IdpDocument {
    pub is_deleted: bool,
    /// What a membership reference shows: a user's username, otherwise the name.
    pub label: Option<String>,
    /// A user's email (None for other kinds).
    pub email: Option<String>,
    pub content_hash: i64,
    /// The record's JSON without `is_deleted`, `updated_at` and membership lists.
    pub data: String,
}

/// An identity record ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct IdpRow {
    pub id: Uuid,
    pub vendor_id: String,
    /// None: a tombstone (the record is gone; keep its fields and mark it deleted).
    pub document: Option<IdpDocument>,
    /// The membership lists this record owns that the page reports, in order.
    pub memberships: Vec<MembershipChange>,
}

/// Records of one kind related to one record through a membership list: a group's users
/// are `{relation: GroupUsers, anchor: group id}` listed as `Users`; a user's groups the
/// same relation listed as `Groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdpRelated {
    pub relation: IdpRelation,
    pub anchor: Uuid,
}

/// A page of one kind of a connection's identity records, oldest change first.
#[derive(Debug, Clone)]
pub struct IdpQuery {
    pub connection_id: Uuid,
    pub kind: IdpKind,
    pub related: Option<IdpRelated>,
    /// Only records whose stored content changed at or after this instant (microseconds).
    pub updated_since: Option<i64>,
    pub window: crate::ListWindow,
}

/// A stored identity record with what the API needs to render it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredIdpRecord {
    pub id: Uuid,
    /// `updated_at`, the keyset's sort key.
    pub sort_key: i64,
    pub updated_at: i64,
    pub is_deleted: bool,
    pub data: String,
}

/// One membership as seen from `anchor_id`: the record on the other side, by reference.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredIdpRef {
    /// The record the membership was read from (a parent or a member).
    pub anchor_id: Uuid,
    /// The record on the other side.
    pub id: Uuid,
    pub vendor_id: String,
    /// Its username or name; None when it is not synced yet.
    pub label: Option<String>,
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_relations_are_consistent() {
        for k in IdpKind::ALL {
            assert_eq!(IdpKind::of(k.export()), Some(k));
        }
        assert_eq!(IdpKind::of(DataExportType::Alerts), None);
        for r in IdpRelation::ALL {
            assert_ne!(r.parent(), r.member(), "{r:?}");
            assert_ne!(r.parent(), IdpKind::Users, "users own no list");
        }
    }
}

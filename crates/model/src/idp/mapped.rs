//! Identity records as a mapping produces them, with what the engine needs to store them:
//! the object (or only the news that it is gone) and, for the objects that own a
//! membership list, the members — either the whole list or what changed.
//!
//! Members are named by the provider's ids; the store derives their record ids with
//! [`crate::ids::record_id`] (connection, the member's export, vendor id), so a group can
//! name a user before or after that user is synced.

use chrono::{DateTime, Utc};

use super::{IdpApplication, IdpGroup, IdpPolicy, IdpUser};

/// What a mapping says about one object.
#[derive(Debug, Clone, PartialEq)]
pub enum IdpObject<T> {
    /// The object as the provider lists it now (which may itself say `is_deleted`).
    Present(T),
    /// The provider says the object is gone and sends nothing else (a Graph delta
    /// `@removed` entry): the stored record keeps its last known fields and turns
    /// `is_deleted: true`, and its memberships end. Unknown to the store: nothing happens.
    Deleted,
}

impl<T> IdpObject<T> {
    /// The object, unless this is a tombstone.
    pub fn present(&self) -> Option<&T> {
        match self {
            IdpObject::Present(t) => Some(t),
            IdpObject::Deleted => None,
        }
    }
}

/// The members of one list (a group's users, an application's users or groups, a
/// policy's targets), by the provider's ids of the members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// The complete list: replaces what is stored (Okta lists a group's members).
    Replace(Vec<String>),
    /// What changed since the last sync (Graph `members@delta`): applied on top of what is
    /// stored. Several deltas of one object in a page apply in order.
    Delta {
        added: Vec<String>,
        removed: Vec<String>,
    },
}

/// A user and the facts the engine needs to store it.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedIdpUser {
    /// The provider's id of the user (the upsert key).
    pub vendor_id: String,
    /// The provider's last-modified time of this record, for the incremental watermark.
    pub vendor_updated_at: Option<DateTime<Utc>>,
    pub user: IdpObject<IdpUser>,
}

/// A group, and its members when the record carries them.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedIdpGroup {
    pub vendor_id: String,
    pub vendor_updated_at: Option<DateTime<Utc>>,
    pub group: IdpObject<IdpGroup>,
    /// The group's users; None leaves the stored members as they are.
    pub members: Option<Membership>,
}

/// An application, and its assignments when the record carries them.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedIdpApplication {
    pub vendor_id: String,
    pub vendor_updated_at: Option<DateTime<Utc>>,
    pub application: IdpObject<IdpApplication>,
    /// Users assigned directly; None leaves the stored assignments as they are.
    pub users: Option<Membership>,
    /// Groups assigned; None leaves the stored assignments as they are.
    pub groups: Option<Membership>,
}

/// A policy, and the groups, applications and users it targets when the record says.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedIdpPolicy {
    pub vendor_id: String,
    pub vendor_updated_at: Option<DateTime<Utc>>,
    pub policy: IdpObject<IdpPolicy>,
    pub groups: Option<Membership>,
    pub applications: Option<Membership>,
    pub users: Option<Membership>,
}

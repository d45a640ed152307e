//! The normalized identity records served by `/v1/idp/*`: users, groups, applications and
//! policies of one identity provider (Okta, Microsoft Entra ID), and the memberships
//! between them (a group's users, an application's assigned users and groups, a policy's
//! targets). Groups and applications follow the documented pages field for field; users
//! and policies are designed in the same style (`docs/idp.md` says which is which). Every
//! object carries `is_deleted`: a provider's deletion is kept as a record marked deleted.

mod enums;
mod mapped;
mod objects;
mod refs;

pub use enums::{
    IdpApplicationStatus, IdpGroupType, IdpPolicyStatus, IdpPolicyType, IdpUserStatus,
};
pub use mapped::{
    IdpObject, MappedIdpApplication, MappedIdpGroup, MappedIdpPolicy, MappedIdpUser, Membership,
};
pub use objects::{IdpApplication, IdpGroup, IdpPolicy, IdpUser};
pub use refs::{IdpRef, IdpUserRef};

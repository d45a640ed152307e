//! Compact references, the items of the membership lists an include flag adds: enough to
//! recognise the other side (its id, the provider's id and its human name) without
//! repeating whole records. A reference can name a record Tributary has not synced yet
//! (it is named by the provider's id and gets its `id` from it): its name fields are then
//! null.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user as a membership names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IdpUserRef {
    /// The user's id (as in `/v1/idp/users`).
    pub id: Uuid,
    pub vendor_id: String,
    pub username: Option<String>,
    pub email: Option<String>,
}

/// A group or an application as a membership names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IdpRef {
    /// The group's or application's id (as in `/v1/idp/groups` or `/v1/idp/applications`).
    pub id: Uuid,
    pub vendor_id: String,
    pub name: Option<String>,
}

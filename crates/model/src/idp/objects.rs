//! The four identity objects. Groups and applications carry exactly the documented fields
//! first; users and policies (whose documented pages could not be seen) are designed in
//! the same style. After `is_deleted` every field is additive: `vendor_data` (the vendor's
//! record, passed through), Tributary's `updated_at`, and the membership lists an include
//! flag asks for (absent otherwise).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    IdpApplicationStatus, IdpGroupType, IdpPolicyStatus, IdpPolicyType, IdpRef, IdpUserRef,
    IdpUserStatus,
};

/// A person's (or a service's) account at the identity provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdpUser {
    pub id: Uuid,
    /// The provider's id of the user.
    pub vendor_id: String,
    /// The sign-in name (Okta `login`, Entra `userPrincipalName`).
    pub username: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub status: IdpUserStatus,
    /// The provider's own status value (e.g. Okta `LOCKED_OUT`).
    pub vendor_status: Option<String>,
    /// Job title.
    pub title: Option<String>,
    pub department: Option<String>,
    /// The manager as the provider names them (a name, a login or an id).
    pub manager: Option<String>,
    /// Holds an administrator role at the provider; null when the provider does not say.
    pub is_admin: Option<bool>,
    /// Has enrolled a second factor; null when the provider does not say.
    pub mfa_enrolled: Option<bool>,
    pub vendor_created_at: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// When the provider last changed the user.
    pub last_updated_at: Option<DateTime<Utc>>,
    /// The provider deleted the user (Tributary keeps its last known fields).
    pub is_deleted: bool,
    /// Vendor-specific pass-through data; the values vary by vendor (additive).
    pub vendor_data: serde_json::Value,
    /// When Tributary last stored a change to this user (additive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::micros"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A group of users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdpGroup {
    pub id: Uuid,
    pub types: Vec<IdpGroupType>,
    pub description: Option<String>,
    pub name: Option<String>,
    /// The provider's id of the group.
    pub vendor_id: String,
    pub vendor_created_at: Option<DateTime<Utc>>,
    /// When the provider last changed the group's members.
    pub last_membership_updated_at: Option<DateTime<Utc>>,
    /// When the provider last changed the group.
    pub last_updated_at: Option<DateTime<Utc>>,
    /// The provider deleted the group (Tributary keeps its last known fields).
    pub is_deleted: bool,
    /// Vendor-specific pass-through data; the values vary by vendor (additive).
    pub vendor_data: serde_json::Value,
    /// When Tributary last stored a change to this group, its members included (additive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::micros"
    )]
    pub updated_at: Option<DateTime<Utc>>,
    /// The group's members; only with `includeIdpUsers=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<IdpUserRef>>,
    /// The applications assigned to the group; only with `includeIdpApplications=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applications: Option<Vec<IdpRef>>,
}

/// An application users sign in to through the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdpApplication {
    pub id: Uuid,
    /// Other names of the application (e.g. Okta's app key beside its label).
    pub labels: Vec<String>,
    pub name: Option<String>,
    /// The provider's id of the application.
    pub vendor_id: String,
    pub version: Option<String>,
    /// The provider's own status value (e.g. Okta `ACTIVE`).
    pub vendor_status: Option<String>,
    pub vendor_created_at: Option<DateTime<Utc>>,
    /// When the provider last changed the application.
    pub last_updated_at: Option<DateTime<Utc>>,
    /// The provider deleted the application (Tributary keeps its last known fields).
    pub is_deleted: bool,
    /// `vendor_status` normalized (additive).
    pub status: IdpApplicationStatus,
    /// Vendor-specific pass-through data; the values vary by vendor (additive).
    pub vendor_data: serde_json::Value,
    /// When Tributary last stored a change to this application, its assignments included
    /// (additive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::micros"
    )]
    pub updated_at: Option<DateTime<Utc>>,
    /// The users assigned to it directly; only with `includeIdpUsers=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<IdpUserRef>>,
    /// The groups assigned to it; only with `includeIdpGroups=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<IdpRef>>,
}

/// A policy (sign-on, password, MFA enrollment, conditional access, …) and, through the
/// sub-resources, the groups, applications and users it targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdpPolicy {
    pub id: Uuid,
    /// The provider's id of the policy.
    pub vendor_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub policy_type: IdpPolicyType,
    /// The provider's own type value (e.g. Okta `OKTA_SIGN_ON`).
    pub vendor_type: Option<String>,
    pub status: IdpPolicyStatus,
    /// The provider's own status value.
    pub vendor_status: Option<String>,
    /// Evaluation order among policies of its type (1 first); null when unordered.
    pub priority: Option<i64>,
    pub vendor_created_at: Option<DateTime<Utc>>,
    /// When the provider last changed the policy.
    pub last_updated_at: Option<DateTime<Utc>>,
    /// The provider deleted the policy (Tributary keeps its last known fields).
    pub is_deleted: bool,
    /// Vendor-specific pass-through data (conditions, settings); the values vary by vendor.
    pub vendor_data: serde_json::Value,
    /// When Tributary last stored a change to this policy, its targets included
    /// (additive).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::micros"
    )]
    pub updated_at: Option<DateTime<Utc>>,
}

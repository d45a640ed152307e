//! Okta's name and Management API paths: what the client and the spec share.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("OKTA_IDP");

pub const USERS: &str = "/api/v1/users";
pub const GROUPS: &str = "/api/v1/groups";
pub const GROUP_USERS: &str = "/api/v1/groups/{id}/users";
pub const APPS: &str = "/api/v1/apps";
pub const APP_USERS: &str = "/api/v1/apps/{id}/users";
pub const APP_GROUPS: &str = "/api/v1/apps/{id}/groups";
pub const POLICIES: &str = "/api/v1/policies";
/// The apps mapped to a policy (only authentication policies, `ACCESS_POLICY`, have any).
pub const POLICY_APPS: &str = "/api/v1/policies/{id}/app";

/// The one policy type apps are mapped to: each app has exactly one authentication policy.
pub const ACCESS_POLICY: &str = "ACCESS_POLICY";

/// The policy types `GET /api/v1/policies?type=` lists (it takes exactly one).
pub const POLICY_TYPES: [&str; 9] = [
    "OKTA_SIGN_ON",
    "PASSWORD",
    "MFA_ENROLL",
    "IDP_DISCOVERY",
    "ACCESS_POLICY",
    "PROFILE_ENROLLMENT",
    "POST_AUTH_SESSION",
    "ENTITY_RISK",
    "DEVICE_SIGNAL_COLLECTION",
];

/// Page sizes: each list's documented maximum (members and assignments are read whole).
pub const USERS_LIMIT: u32 = 200;
pub const GROUPS_LIMIT: u32 = 10_000;
pub const GROUP_USERS_LIMIT: u32 = 1_000;
pub const APPS_LIMIT: u32 = 200;
pub const APP_USERS_LIMIT: u32 = 500;
pub const APP_GROUPS_LIMIT: u32 = 200;
pub const POLICIES_LIMIT: u32 = 200;
pub const POLICY_APPS_LIMIT: u32 = 200;

/// The key under which the reader folds what it fetched beside a record (a group's
/// members, an app's assignments, an authentication policy's apps) into that record, for
/// the mapping to read.
pub const FOLDED: &str = "_tributary";

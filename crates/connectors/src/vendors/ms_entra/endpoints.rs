//! Microsoft Entra ID's name, default hosts and Microsoft Graph paths: what the client and
//! the spec share.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("MS_ENTRA");

pub use crate::oauth::microsoft::{DEFAULT_LOGIN_BASE_URL, TOKEN};

/// Microsoft Graph's global endpoint.
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.microsoft.com";
/// The resource the token is for.
pub const SCOPE: &str = "https://graph.microsoft.com/.default";

pub const USERS_DELTA: &str = "/v1.0/users/delta";
pub const GROUPS_DELTA: &str = "/v1.0/groups/delta";
pub const GROUP: &str = "/v1.0/groups/{id}";
pub const APPLICATIONS: &str = "/v1.0/applications";
pub const POLICIES: &str = "/v1.0/identity/conditionalAccess/policies";

/// The user properties a sync reads (delta returns only what is selected).
pub const USER_SELECT: &str = "id,displayName,givenName,surname,mail,userPrincipalName,\
accountEnabled,userType,createdDateTime,department,jobTitle,employeeId,\
onPremisesSyncEnabled,companyName,officeLocation";
/// The group properties a sync reads; `members` makes delta report membership changes
/// (`members@delta`).
pub const GROUP_SELECT: &str = "id,displayName,description,groupTypes,mailEnabled,\
securityEnabled,onPremisesSyncEnabled,createdDateTime,membershipRule,mailNickname,members";
/// Page size of the plain lists (Graph's maximum is 999).
pub const TOP: u32 = 999;

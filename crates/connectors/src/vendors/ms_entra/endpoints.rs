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
/// Applications are read as the tenant's service principals (enterprise applications):
/// what users and groups are assigned to, and what conditional access targets.
pub const SERVICE_PRINCIPALS: &str = "/v1.0/servicePrincipals";
/// The users, groups and client service principals assigned to an app.
pub const APP_ROLE_ASSIGNED_TO: &str = "/v1.0/servicePrincipals/{id}/appRoleAssignedTo";
pub const POLICIES: &str = "/v1.0/identity/conditionalAccess/policies";

/// The user properties a sync reads (delta returns only what is selected).
pub const USER_SELECT: &str = "id,displayName,givenName,surname,mail,userPrincipalName,\
accountEnabled,userType,createdDateTime,department,jobTitle,employeeId,\
onPremisesSyncEnabled,companyName,officeLocation";
/// The group properties a sync reads; `members` makes delta report membership changes
/// (`members@delta`).
pub const GROUP_SELECT: &str = "id,displayName,description,groupTypes,mailEnabled,\
securityEnabled,onPremisesSyncEnabled,createdDateTime,membershipRule,mailNickname,members";
/// The service principal properties a sync reads.
pub const SERVICE_PRINCIPAL_SELECT: &str = "id,appId,displayName,appDisplayName,accountEnabled,\
servicePrincipalType,servicePrincipalNames,appOwnerOrganizationId,appRoleAssignmentRequired,\
preferredSingleSignOnMode,signInAudience,tags,deletedDateTime";
/// What an assignment names: who (an id and whether a user, a group or a service principal).
pub const ASSIGNMENT_SELECT: &str = "principalId,principalType";
/// The key under which the reader folds an application's assignments into its service
/// principal, for the mapping to read.
pub const FOLDED: &str = "_tributary";
/// Page size of the plain lists (Graph's maximum is 999).
pub const TOP: u32 = 999;

//! Graph's directory objects — user, group, application, servicePrincipal,
//! conditionalAccessPolicy — and `$select`: each type's full set of properties, the
//! smaller set a list returns without `$select` (users: the documented eleven), and the
//! 400 for a property the type does not have.

use serde_json::{json, Map, Value};

use super::ids::{self, APPLICATION, APP_ID, GROUP, POLICY, SERVICE_PRINCIPAL, USER};
use crate::{
    fake::fmt_ts,
    idp::{
        assignments::{policy_apps, policy_groups},
        catalog::SignOn,
        profiles::{AppCore, GroupCore, GroupKind, PolicyCore, UserCore},
    },
    world::World,
};

/// A directory object type: its OData name, every property, and what a list returns.
#[derive(Debug)]
pub struct Type {
    /// `user`, `group`, … (`#microsoft.graph.<name>`).
    pub name: &'static str,
    /// The entity set in `@odata.context` (`users`, `identity/conditionalAccess/policies`).
    pub set: &'static str,
    pub properties: &'static [&'static str],
    /// Returned without `$select` (None: every property).
    pub defaults: Option<&'static [&'static str]>,
}

pub const USER_TYPE: Type = Type {
    name: "user",
    set: "users",
    properties: &[
        "id",
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
        "accountEnabled",
        "userType",
        "createdDateTime",
        "department",
        "employeeId",
        "companyName",
        "city",
        "country",
        "usageLocation",
        "mailNickname",
        "onPremisesSyncEnabled",
        "onPremisesSamAccountName",
        "onPremisesImmutableId",
        "lastPasswordChangeDateTime",
        "otherMails",
        "proxyAddresses",
        "deletedDateTime",
        "signInActivity",
    ],
    defaults: Some(&[
        "id",
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
    ]),
};

pub const GROUP_TYPE: Type = Type {
    name: "group",
    set: "groups",
    properties: &[
        "id",
        "deletedDateTime",
        "classification",
        "createdDateTime",
        "description",
        "displayName",
        "groupTypes",
        "isAssignableToRole",
        "mail",
        "mailEnabled",
        "mailNickname",
        "membershipRule",
        "membershipRuleProcessingState",
        "onPremisesSyncEnabled",
        "onPremisesSamAccountName",
        "onPremisesLastSyncDateTime",
        "proxyAddresses",
        "renewedDateTime",
        "securityEnabled",
        "securityIdentifier",
        "visibility",
        "members",
    ],
    defaults: None,
};

pub const APPLICATION_TYPE: Type = Type {
    name: "application",
    set: "applications",
    properties: &[
        "id",
        "appId",
        "deletedDateTime",
        "displayName",
        "createdDateTime",
        "description",
        "signInAudience",
        "publisherDomain",
        "identifierUris",
        "tags",
        "keyCredentials",
        "passwordCredentials",
        "requiredResourceAccess",
        "web",
    ],
    defaults: None,
};

pub const SERVICE_PRINCIPAL_TYPE: Type = Type {
    name: "servicePrincipal",
    set: "servicePrincipals",
    properties: &[
        "id",
        "deletedDateTime",
        "accountEnabled",
        "appDisplayName",
        "appId",
        "appOwnerOrganizationId",
        "appRoleAssignmentRequired",
        "displayName",
        "servicePrincipalNames",
        "servicePrincipalType",
        "signInAudience",
        "tags",
        "preferredSingleSignOnMode",
        "appRoles",
        "keyCredentials",
        "passwordCredentials",
    ],
    defaults: None,
};

pub const APP_ROLE_ASSIGNMENT_TYPE: Type = Type {
    name: "appRoleAssignment",
    set: "appRoleAssignments",
    properties: &[
        "id",
        "deletedDateTime",
        "appRoleId",
        "createdDateTime",
        "principalDisplayName",
        "principalId",
        "principalType",
        "resourceDisplayName",
        "resourceId",
    ],
    defaults: None,
};

pub const POLICY_TYPE: Type = Type {
    name: "conditionalAccessPolicy",
    set: "identity/conditionalAccess/policies",
    properties: &[
        "id",
        "displayName",
        "createdDateTime",
        "modifiedDateTime",
        "state",
        "conditions",
        "grantControls",
        "sessionControls",
    ],
    defaults: None,
};

/// Graph's times: whole seconds and `Z`.
pub fn ts(ns: i64) -> String {
    fmt_ts(ns, 0)
}

/// Parses `$select` against `t` (None: the type's defaults).
pub fn parse_select(t: &Type, text: Option<&str>) -> Result<Option<Vec<String>>, String> {
    let Some(text) = text.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for p in text.split(',').map(str::trim) {
        let known = t.properties.iter().find(|k| k.eq_ignore_ascii_case(p));
        match known {
            Some(k) => out.push((*k).to_owned()),
            None => {
                return Err(format!(
                    "Could not find a property named '{p}' on type 'microsoft.graph.{}'.",
                    t.name
                ))
            }
        }
    }
    Ok(Some(out))
}

/// `full` cut down to `select` (or `t`'s defaults); `id` always stays.
pub fn project(t: &Type, full: Value, select: Option<&[String]>) -> Value {
    let Value::Object(mut all) = full else {
        return full;
    };
    let keep: Vec<&str> = match (select, t.defaults) {
        (Some(s), _) => s.iter().map(String::as_str).collect(),
        (None, Some(d)) => d.to_vec(),
        (None, None) => return Value::Object(all),
    };
    let mut out = Map::new();
    for k in std::iter::once("id").chain(keep.into_iter().filter(|k| *k != "id")) {
        if let Some(v) = all.remove(k) {
            out.insert(k.to_owned(), v);
        }
    }
    Value::Object(out)
}

/// A user, every property.
pub fn user(world: &World, u: &UserCore) -> Value {
    let upn = if u.guest {
        format!("{}_partner.example.net#EXT#@{}", u.local, u.domain)
    } else {
        u.login()
    };
    json!({
        "id": ids::encode(USER, world.seed, u.index),
        "businessPhones": [u.office_phone],
        "displayName": u.display_name(),
        "givenName": u.first,
        "jobTitle": u.title,
        "mail": if u.guest { format!("{}@partner.example.net", u.local) } else { u.login() },
        "mobilePhone": u.mobile,
        "officeLocation": u.office.0,
        "preferredLanguage": u.office.3,
        "surname": u.last,
        "userPrincipalName": upn,
        "accountEnabled": u.status.enabled(),
        "userType": if u.guest { "Guest" } else { "Member" },
        "createdDateTime": ts(u.created),
        "department": u.department,
        "employeeId": u.employee_number,
        "companyName": null,
        "city": u.office.0,
        "country": u.office.1,
        "usageLocation": u.office.1,
        "mailNickname": u.local.replace('.', ""),
        "onPremisesSyncEnabled": if u.synced { json!(true) } else { Value::Null },
        "onPremisesSamAccountName": if u.synced { json!(u.local.chars().take(20).collect::<String>()) } else { Value::Null },
        "onPremisesImmutableId": null,
        "lastPasswordChangeDateTime": u.password_changed.map(ts),
        "otherMails": [],
        "proxyAddresses": [format!("SMTP:{}", u.login())],
        "deletedDateTime": null,
        "signInActivity": {
            "lastSignInDateTime": u.last_login.map(ts),
            "lastNonInteractiveSignInDateTime": u.last_login.map(ts),
        },
    })
}

/// A group, every property but `members`.
pub fn group(world: &World, g: &GroupCore) -> Value {
    let unified = g.kind == GroupKind::Unified;
    let synced = g.kind == GroupKind::Imported;
    json!({
        "id": ids::encode(GROUP, world.seed, g.index),
        "deletedDateTime": null,
        "classification": null,
        "createdDateTime": ts(g.created),
        "description": g.description,
        "displayName": g.name,
        "groupTypes": if unified { json!(["Unified"]) } else { json!([]) },
        "isAssignableToRole": null,
        "mail": if unified { json!(format!("{}@{}", g.nickname, crate::idp::profiles::tenant_domain(world.seed))) } else { Value::Null },
        "mailEnabled": unified,
        "mailNickname": g.nickname,
        "membershipRule": null,
        "membershipRuleProcessingState": null,
        "onPremisesSyncEnabled": if synced { json!(true) } else { Value::Null },
        "onPremisesSamAccountName": if synced { json!(g.nickname) } else { Value::Null },
        "onPremisesLastSyncDateTime": if synced { json!(ts(g.updated)) } else { Value::Null },
        "proxyAddresses": [],
        "renewedDateTime": ts(g.created),
        "securityEnabled": !unified,
        "securityIdentifier": format!("S-1-12-1-{}", g.index + 1_000_000),
        "visibility": if unified { json!("Private") } else { Value::Null },
    })
}

fn audience(a: &AppCore) -> &'static str {
    match a.entry.sign_on {
        SignOn::Oidc if a.index % 3 == 0 => "AzureADMultipleOrgs",
        _ => "AzureADMyOrg",
    }
}

/// An app registration.
pub fn application(world: &World, a: &AppCore) -> Value {
    let app_id = ids::encode(APP_ID, world.seed, a.index);
    json!({
        "id": ids::encode(APPLICATION, world.seed, a.index),
        "appId": app_id,
        "deletedDateTime": null,
        "displayName": a.label,
        "createdDateTime": ts(a.created),
        "description": null,
        "signInAudience": audience(a),
        "publisherDomain": crate::idp::profiles::tenant_domain(world.seed),
        "identifierUris": [format!("api://{app_id}")],
        "tags": [],
        "keyCredentials": [],
        "passwordCredentials": [{
            "displayName": "sync",
            "endDateTime": ts(a.created + 2 * 365 * crate::fake::DAY),
            "startDateTime": ts(a.created),
            "keyId": ids::encode(POLICY, world.seed ^ 0x5ec, a.index),
            "hint": "8Q~",
        }],
        "requiredResourceAccess": [{"resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}]}],
        "web": {"redirectUris": [format!("https://{}.example.net/sso/callback", a.entry.key)], "homePageUrl": null},
    })
}

/// The service principal of an app registration (same index).
pub fn service_principal(world: &World, a: &AppCore) -> Value {
    let app_id = ids::encode(APP_ID, world.seed, a.index);
    json!({
        "id": ids::encode(SERVICE_PRINCIPAL, world.seed, a.index),
        "deletedDateTime": null,
        "accountEnabled": a.active,
        "appDisplayName": a.label,
        "appId": app_id,
        "appOwnerOrganizationId": super::login::tenant_id(world.seed),
        "appRoleAssignmentRequired": a.index % 2 == 0,
        "displayName": a.label,
        "servicePrincipalNames": [app_id, format!("api://{app_id}")],
        "servicePrincipalType": "Application",
        "signInAudience": audience(a),
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        "preferredSingleSignOnMode": match a.entry.sign_on { SignOn::Saml2 => json!("saml"), SignOn::SecurePasswordStore => json!("password"), _ => Value::Null },
        "appRoles": [],
        "keyCredentials": [],
        "passwordCredentials": [],
    })
}

/// A conditional-access policy.
pub fn policy(world: &World, p: &PolicyCore) -> Value {
    let groups: Vec<String> = policy_groups(world, p.index, p.version)
        .into_iter()
        .map(|g| ids::encode(GROUP, world.seed, g))
        .collect();
    // Policies name applications by client id (`appId`), or all of them by keyword.
    let apps = match policy_apps(world, p.index, p.version) {
        None => json!(["All"]),
        Some(apps) => json!(apps
            .into_iter()
            .map(|a| ids::encode(APP_ID, world.seed, a))
            .collect::<Vec<_>>()),
    };
    let state = match (p.active, p.index % 4) {
        (false, _) => "disabled",
        (true, 3) => "enabledForReportingButNotEnforced",
        _ => "enabled",
    };
    json!({
        "id": ids::encode(POLICY, world.seed, p.index),
        "displayName": format!("{} ({})", p.name, p.kind.to_lowercase().replace('_', " ")),
        "createdDateTime": ts(p.created),
        "modifiedDateTime": ts(p.updated),
        "state": state,
        "conditions": {
            "clientAppTypes": ["all"],
            "applications": {"includeApplications": apps, "excludeApplications": []},
            "users": {"includeUsers": [], "excludeUsers": [], "includeGroups": groups, "excludeGroups": []},
        },
        "grantControls": {"operator": "OR", "builtInControls": if p.kind == "PASSWORD" { json!(["passwordChange"]) } else { json!(["mfa"]) }},
        "sessionControls": null,
    })
}

/// Who an app role assignment is for.
pub enum Principal<'a> {
    User(&'a UserCore),
    Group(&'a GroupCore),
}

/// Graph's default app role ("default access"), what an assignment names when the app
/// defines no roles.
pub const DEFAULT_ACCESS: &str = "00000000-0000-0000-0000-000000000000";

/// An appRoleAssignment of `principal` to app `a`'s service principal. Its id is Graph's
/// opaque 43-character key, fixed per (app, principal).
pub fn app_role_assignment(world: &World, a: &AppCore, principal: Principal) -> Value {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let (kind, index, name, id, created) = match principal {
        Principal::User(u) => (
            "User",
            u.index,
            u.display_name(),
            ids::encode(USER, world.seed, u.index),
            u.created,
        ),
        Principal::Group(g) => (
            "Group",
            g.index,
            g.name.clone(),
            ids::encode(GROUP, world.seed, g.index),
            g.created,
        ),
    };
    let mut key = [0u8; 32];
    let mut g = crate::fake::Rng::for_record(
        world.seed ^ a.index,
        if kind == "User" {
            0xa55_0001
        } else {
            0xa55_0002
        },
        index,
    );
    for chunk in key.chunks_mut(8) {
        chunk.copy_from_slice(&g.next_u64().to_le_bytes());
    }
    json!({
        "id": URL_SAFE_NO_PAD.encode(key),
        "deletedDateTime": null,
        "appRoleId": DEFAULT_ACCESS,
        "createdDateTime": ts(a.created.max(created)),
        "principalDisplayName": name,
        "principalId": id,
        "principalType": kind,
        "resourceDisplayName": a.label,
        "resourceId": ids::encode(SERVICE_PRINCIPAL, world.seed, a.index),
    })
}

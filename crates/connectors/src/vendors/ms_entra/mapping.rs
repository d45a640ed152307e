//! Microsoft Graph users and groups (delta entries: objects, `@removed` tombstones and
//! `members@delta` membership changes), applications (service principals with the
//! assignments the reader folded in) and conditional-access policies → the identity model
//! (`docs/mapping.md` has the tables).

use tributary_model::idp::{
    IdpApplicationStatus, IdpGroupType, IdpObject, IdpPolicyStatus, IdpPolicyType, IdpUserStatus,
    MappedIdpApplication, MappedIdpGroup, MappedIdpPolicy, MappedIdpUser, Membership,
};

use super::endpoints::FOLDED;
use crate::view::View;
use crate::{
    mapping::{MapContext, MappingError},
    normalize::{self, idp},
};

/// A delta entry for an object that left the directory.
fn removed(raw: &View) -> bool {
    raw.get("@removed").is_some()
}

pub fn user(raw: &View, ctx: &MapContext) -> Result<MappedIdpUser, MappingError> {
    normalize::require_object(raw)?;
    let id = normalize::require_id(raw, &["id"])?;
    if removed(raw) {
        return Ok(MappedIdpUser {
            vendor_id: id,
            vendor_updated_at: None,
            user: IdpObject::Deleted,
        });
    }
    let mut u = idp::user(ctx, &id);
    u.username = normalize::string(raw, "userPrincipalName");
    u.email = normalize::string(raw, "mail");
    u.first_name = normalize::string(raw, "givenName");
    u.last_name = normalize::string(raw, "surname");
    u.display_name = normalize::string(raw, "displayName");
    let enabled = normalize::boolean(raw, "accountEnabled");
    u.vendor_status = enabled.map(|e| format!("accountEnabled: {e}"));
    u.status = match enabled {
        Some(true) => IdpUserStatus::Active,
        Some(false) => IdpUserStatus::Disabled,
        None => IdpUserStatus::Unknown,
    };
    u.title = normalize::string(raw, "jobTitle");
    u.department = normalize::string(raw, "department");
    u.vendor_created_at = normalize::time(raw, "createdDateTime");
    u.last_login_at = normalize::time(raw, "signInActivity.lastSignInDateTime");
    u.is_deleted = !raw.get("deletedDateTime").is_none_or(View::is_null);
    u.vendor_data = normalize::pick(
        raw,
        &[
            "userType",
            "employeeId",
            "onPremisesSyncEnabled",
            "companyName",
            "officeLocation",
        ],
    );
    Ok(MappedIdpUser {
        vendor_id: id,
        // Graph users carry no modification time; delta links are the watermark.
        vendor_updated_at: None,
        user: IdpObject::Present(u),
    })
}

/// A group's kinds: `securityEnabled` → SECURITY, mail-enabled without `Unified` →
/// DISTRIBUTION, `groupTypes` `Unified` → MICROSOFT_365 and `DynamicMembership` →
/// DYNAMIC, `onPremisesSyncEnabled` → SYNCED.
pub fn group_types(raw: &View) -> Vec<IdpGroupType> {
    let kinds = normalize::strings(raw, "groupTypes");
    let unified = kinds.iter().any(|k| k == "Unified");
    let mut types = Vec::new();
    if normalize::boolean(raw, "securityEnabled") == Some(true) {
        types.push(IdpGroupType::Security);
    }
    if normalize::boolean(raw, "mailEnabled") == Some(true) && !unified {
        types.push(IdpGroupType::Distribution);
    }
    if unified {
        types.push(IdpGroupType::Microsoft365);
    }
    if kinds.iter().any(|k| k == "DynamicMembership") {
        types.push(IdpGroupType::Dynamic);
    }
    if normalize::boolean(raw, "onPremisesSyncEnabled") == Some(true) {
        types.push(IdpGroupType::Synced);
    }
    if types.is_empty() {
        types.push(IdpGroupType::Other);
    }
    types
}

/// `members@delta`: users added and removed (other member kinds — nested groups,
/// devices, service principals — are not users and are left out).
fn member_changes(raw: &View) -> Option<Membership> {
    let entries = raw.get("members@delta")?.as_array()?;
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for e in entries {
        let is_user = e
            .get("@odata.type")
            .and_then(View::as_str)
            .is_none_or(|t| t == "#microsoft.graph.user");
        let Some(id) = normalize::string(e, "id").filter(|_| is_user) else {
            continue;
        };
        if e.get("@removed").is_some() {
            removed.push(id);
        } else {
            added.push(id);
        }
    }
    Some(Membership::Delta { added, removed })
}

pub fn group(raw: &View, ctx: &MapContext) -> Result<MappedIdpGroup, MappingError> {
    normalize::require_object(raw)?;
    let id = normalize::require_id(raw, &["id"])?;
    if removed(raw) {
        return Ok(MappedIdpGroup {
            vendor_id: id,
            vendor_updated_at: None,
            members: None,
            group: IdpObject::Deleted,
        });
    }
    let mut g = idp::group(ctx, &id);
    g.name = normalize::string(raw, "displayName");
    g.description = normalize::string(raw, "description");
    g.types = group_types(raw);
    g.vendor_created_at = normalize::time(raw, "createdDateTime");
    g.vendor_data = normalize::pick(
        raw,
        &[
            "groupTypes",
            "mailNickname",
            "membershipRule",
            "mailEnabled",
            "securityEnabled",
        ],
    );
    Ok(MappedIdpGroup {
        vendor_id: id,
        vendor_updated_at: None,
        members: member_changes(raw),
        group: IdpObject::Present(g),
    })
}

/// A list the reader folded in, whole (absent: not reported).
fn folded(raw: &View, name: &str) -> Option<Membership> {
    let path = format!("{FOLDED}.{name}");
    normalize::at(raw, &path)
        .is_some()
        .then(|| Membership::Replace(normalize::strings(raw, &path)))
}

/// An application is the tenant's service principal for it, keyed on its `appId` (the
/// application's client id): the one id conditional-access policies and sign-ins name it
/// by, the same for the app registration and its service principal.
pub fn application(raw: &View, ctx: &MapContext) -> Result<MappedIdpApplication, MappingError> {
    normalize::require_object(raw)?;
    let app_id = normalize::require_id(raw, &["appId"])?;
    let mut a = idp::application(ctx, &app_id);
    a.name = normalize::string(raw, "displayName").or(normalize::string(raw, "appDisplayName"));
    // Its other names: the identifier URIs among `servicePrincipalNames` (the client id
    // is already `vendor_id`).
    a.labels = normalize::strings(raw, "servicePrincipalNames")
        .into_iter()
        .filter(|n| *n != app_id)
        .collect();
    let enabled = normalize::boolean(raw, "accountEnabled");
    a.vendor_status = enabled.map(|e| format!("accountEnabled: {e}"));
    a.status = match enabled {
        Some(true) => IdpApplicationStatus::Active,
        Some(false) => IdpApplicationStatus::Inactive,
        None => IdpApplicationStatus::Unknown,
    };
    a.is_deleted = !raw.get("deletedDateTime").is_none_or(View::is_null);
    a.vendor_data = normalize::pick(
        raw,
        &[
            "id",
            "servicePrincipalType",
            "appOwnerOrganizationId",
            "appRoleAssignmentRequired",
            "preferredSingleSignOnMode",
            "signInAudience",
            "tags",
        ],
    );
    Ok(MappedIdpApplication {
        vendor_id: app_id,
        // Service principals carry no modification time.
        vendor_updated_at: None,
        users: folded(raw, "users"),
        groups: folded(raw, "groups"),
        application: IdpObject::Present(a),
    })
}

/// Conditional-access `state` → status.
pub fn policy_status(s: Option<&str>) -> IdpPolicyStatus {
    match s {
        Some("enabled") => IdpPolicyStatus::Active,
        Some("disabled") => IdpPolicyStatus::Inactive,
        Some("enabledForReportingButNotEnforced") => IdpPolicyStatus::ReportOnly,
        _ => IdpPolicyStatus::Unknown,
    }
}

/// Graph's keywords among a policy's included users (`All`, `None`,
/// `GuestsOrExternalUsers`) name no user.
fn named_ids(raw: &View, path: &str) -> Vec<String> {
    normalize::strings(raw, path)
        .into_iter()
        .filter(|id| !matches!(id.as_str(), "All" | "None" | "GuestsOrExternalUsers"))
        .collect()
}

/// Graph's keywords among a policy's included applications (`All`, `None`, `Office365`,
/// `MicrosoftAdminPortals`) name no one application; the rest are client ids (`appId`),
/// which is how applications are keyed.
fn named_apps(raw: &View) -> Vec<String> {
    normalize::strings(raw, "conditions.applications.includeApplications")
        .into_iter()
        .filter(|id| {
            !matches!(
                id.as_str(),
                "All" | "None" | "Office365" | "MicrosoftAdminPortals"
            )
        })
        .collect()
}

pub fn policy(raw: &View, ctx: &MapContext) -> Result<MappedIdpPolicy, MappingError> {
    normalize::require_object(raw)?;
    let id = normalize::require_id(raw, &["id"])?;
    let mut p = idp::policy(ctx, &id);
    p.name = normalize::string(raw, "displayName");
    p.description = normalize::string(raw, "description");
    p.policy_type = IdpPolicyType::ConditionalAccess;
    p.vendor_type = Some("conditionalAccessPolicy".to_owned());
    p.vendor_status = normalize::string(raw, "state");
    p.status = policy_status(p.vendor_status.as_deref());
    p.vendor_created_at = normalize::time(raw, "createdDateTime");
    p.last_updated_at = normalize::watermark(raw, "modifiedDateTime")?;
    p.vendor_data = normalize::pick(raw, &["conditions", "grantControls", "sessionControls"]);
    Ok(MappedIdpPolicy {
        vendor_id: id,
        vendor_updated_at: p.last_updated_at,
        groups: Some(Membership::Replace(named_ids(
            raw,
            "conditions.users.includeGroups",
        ))),
        users: Some(Membership::Replace(named_ids(
            raw,
            "conditions.users.includeUsers",
        ))),
        applications: Some(Membership::Replace(named_apps(raw))),
        policy: IdpObject::Present(p),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::normalize::testkit::ctx;

    #[test]
    fn removed_entries_are_tombstones() {
        let u = user(
            &View::from(&json!({"id": "u1", "@removed": {"reason": "changed"}})),
            &ctx(),
        )
        .unwrap();
        assert_eq!(u.user, IdpObject::Deleted);
        let g = group(
            &View::from(&json!({"id": "g1", "@removed": {"reason": "deleted"}})),
            &ctx(),
        )
        .unwrap();
        assert_eq!(g.group, IdpObject::Deleted);
        assert!(user(&View::from(&json!({"displayName": "x"})), &ctx()).is_err());
    }

    #[test]
    fn users_map_enabled_and_disabled_accounts() {
        let raw = json!({"id": "u1", "userPrincipalName": "a@t.example.com", "accountEnabled": false,
                         "givenName": "A", "surname": "B", "displayName": "A B", "userType": "Guest"});
        let u = user(&View::from(&raw), &ctx()).unwrap();
        let u = u.user.present().unwrap();
        assert_eq!(u.status, IdpUserStatus::Disabled);
        assert_eq!(u.vendor_status.as_deref(), Some("accountEnabled: false"));
        assert_eq!(u.vendor_data, json!({"userType": "Guest"}));
    }

    #[test]
    fn member_deltas_keep_users_only() {
        let raw = json!({"id": "g1", "displayName": "G", "groupTypes": ["Unified"], "mailEnabled": true,
            "securityEnabled": false, "members@delta": [
            {"@odata.type": "#microsoft.graph.user", "id": "u1"},
            {"@odata.type": "#microsoft.graph.group", "id": "g2"},
            {"@odata.type": "#microsoft.graph.user", "id": "u3", "@removed": {"reason": "deleted"}}]});
        let g = group(&View::from(&raw), &ctx()).unwrap();
        assert_eq!(
            g.members,
            Some(Membership::Delta {
                added: vec!["u1".into()],
                removed: vec!["u3".into()]
            })
        );
        assert_eq!(
            g.group.present().unwrap().types,
            [IdpGroupType::Microsoft365]
        );
        let plain = json!({"id": "g3", "securityEnabled": true, "onPremisesSyncEnabled": true});
        assert_eq!(
            group_types(&View::from(&plain)),
            [IdpGroupType::Security, IdpGroupType::Synced]
        );
        assert_eq!(group(&View::from(&plain), &ctx()).unwrap().members, None);
    }

    #[test]
    fn policies_name_their_groups_and_users_not_keywords() {
        let raw = json!({"id": "p1", "state": "enabledForReportingButNotEnforced",
            "modifiedDateTime": "2026-01-01T00:00:00Z",
            "conditions": {"users": {"includeUsers": ["All"], "includeGroups": ["g1"]}}});
        let p = policy(&View::from(&raw), &ctx()).unwrap();
        assert_eq!(p.users, Some(Membership::Replace(vec![])));
        assert_eq!(p.groups, Some(Membership::Replace(vec!["g1".into()])));
        assert_eq!(
            p.policy.present().unwrap().status,
            IdpPolicyStatus::ReportOnly
        );
        assert_eq!(p.applications, Some(Membership::Replace(vec![])), "All");
        let named = json!({"id": "p2", "conditions": {"applications": {
            "includeApplications": ["Office365", "c1e1", "c2e2"]}}});
        assert_eq!(
            policy(&View::from(&named), &ctx()).unwrap().applications,
            Some(Membership::Replace(vec!["c1e1".into(), "c2e2".into()]))
        );
    }

    #[test]
    fn applications_are_service_principals_keyed_on_their_client_id() {
        let raw = json!({"id": "sp1", "appId": "c1e1", "displayName": "Slack",
            "accountEnabled": false, "servicePrincipalNames": ["c1e1", "api://c1e1"],
            "servicePrincipalType": "Application",
            "_tributary": {"users": ["u1"], "groups": ["g1", "g2"]}});
        let a = application(&View::from(&raw), &ctx()).unwrap();
        assert_eq!(a.vendor_id, "c1e1");
        assert_eq!(a.users, Some(Membership::Replace(vec!["u1".into()])));
        assert_eq!(
            a.groups,
            Some(Membership::Replace(vec!["g1".into(), "g2".into()]))
        );
        let body = a.application.present().unwrap();
        assert_eq!(body.labels, ["api://c1e1"]);
        assert_eq!(body.status, IdpApplicationStatus::Inactive);
        assert_eq!(
            body.vendor_data,
            json!({"id": "sp1", "servicePrincipalType": "Application"})
        );
        assert!(
            application(&View::from(&json!({"id": "sp2"})), &ctx()).is_err(),
            "no appId"
        );
        assert_eq!(
            application(&View::from(&json!({"appId": "c3"})), &ctx())
                .unwrap()
                .users,
            None
        );
    }
}

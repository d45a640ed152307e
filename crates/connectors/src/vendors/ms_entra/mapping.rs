//! Microsoft Graph users and groups (delta entries: objects, `@removed` tombstones and
//! `members@delta` membership changes), applications and conditional-access policies →
//! the identity model (`docs/mapping.md` has the tables).

use serde_json::Value;
use tributary_model::idp::{
    IdpApplicationStatus, IdpGroupType, IdpObject, IdpPolicyStatus, IdpPolicyType, IdpUserStatus,
    MappedIdpApplication, MappedIdpGroup, MappedIdpPolicy, MappedIdpUser, Membership,
};

use crate::{
    mapping::{MapContext, MappingError},
    normalize::{self, idp},
};

/// A delta entry for an object that left the directory.
fn removed(raw: &Value) -> bool {
    raw.get("@removed").is_some()
}

pub fn user(raw: &Value, ctx: &MapContext) -> Result<MappedIdpUser, MappingError> {
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
    u.is_deleted = !raw.get("deletedDateTime").is_none_or(Value::is_null);
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
pub fn group_types(raw: &Value) -> Vec<IdpGroupType> {
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
fn member_changes(raw: &Value) -> Option<Membership> {
    let entries = raw.get("members@delta")?.as_array()?;
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for e in entries {
        let is_user = e
            .get("@odata.type")
            .and_then(Value::as_str)
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

pub fn group(raw: &Value, ctx: &MapContext) -> Result<MappedIdpGroup, MappingError> {
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

pub fn application(raw: &Value, ctx: &MapContext) -> Result<MappedIdpApplication, MappingError> {
    normalize::require_object(raw)?;
    let id = normalize::require_id(raw, &["id"])?;
    let mut a = idp::application(ctx, &id);
    a.name = normalize::string(raw, "displayName");
    // The application (client) id is how sign-in logs, service principals and
    // conditional-access policies name the application.
    a.labels = normalize::string(raw, "appId").into_iter().collect();
    a.vendor_created_at = normalize::time(raw, "createdDateTime");
    a.is_deleted = !raw.get("deletedDateTime").is_none_or(Value::is_null);
    a.status = IdpApplicationStatus::Unknown;
    a.vendor_data = normalize::pick(
        raw,
        &[
            "appId",
            "signInAudience",
            "publisherDomain",
            "identifierUris",
        ],
    );
    Ok(MappedIdpApplication {
        vendor_id: id,
        vendor_updated_at: None,
        // Assignments live on the application's service principal (app role
        // assignments), which this sync does not read.
        users: None,
        groups: None,
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
fn named_ids(raw: &Value, path: &str) -> Vec<String> {
    normalize::strings(raw, path)
        .into_iter()
        .filter(|id| !matches!(id.as_str(), "All" | "None" | "GuestsOrExternalUsers"))
        .collect()
}

pub fn policy(raw: &Value, ctx: &MapContext) -> Result<MappedIdpPolicy, MappingError> {
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
        // Policies name applications by application (client) id, not by object id.
        applications: None,
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
            &json!({"id": "u1", "@removed": {"reason": "changed"}}),
            &ctx(),
        )
        .unwrap();
        assert_eq!(u.user, IdpObject::Deleted);
        let g = group(
            &json!({"id": "g1", "@removed": {"reason": "deleted"}}),
            &ctx(),
        )
        .unwrap();
        assert_eq!(g.group, IdpObject::Deleted);
        assert!(user(&json!({"displayName": "x"}), &ctx()).is_err());
    }

    #[test]
    fn users_map_enabled_and_disabled_accounts() {
        let raw = json!({"id": "u1", "userPrincipalName": "a@t.example.com", "accountEnabled": false,
                         "givenName": "A", "surname": "B", "displayName": "A B", "userType": "Guest"});
        let u = user(&raw, &ctx()).unwrap();
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
        let g = group(&raw, &ctx()).unwrap();
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
            group_types(&plain),
            [IdpGroupType::Security, IdpGroupType::Synced]
        );
        assert_eq!(group(&plain, &ctx()).unwrap().members, None);
    }

    #[test]
    fn policies_name_their_groups_and_users_not_keywords() {
        let raw = json!({"id": "p1", "state": "enabledForReportingButNotEnforced",
            "modifiedDateTime": "2026-01-01T00:00:00Z",
            "conditions": {"users": {"includeUsers": ["All"], "includeGroups": ["g1"]}}});
        let p = policy(&raw, &ctx()).unwrap();
        assert_eq!(p.users, Some(Membership::Replace(vec![])));
        assert_eq!(p.groups, Some(Membership::Replace(vec!["g1".into()])));
        assert_eq!(
            p.policy.present().unwrap().status,
            IdpPolicyStatus::ReportOnly
        );
    }
}

//! Okta users, groups (with the members the reader folded in), apps (with their directly
//! assigned users and assigned groups) and policies (with the groups and users their
//! conditions include, and an authentication policy's apps) → the identity model (`docs/mapping.md` has the tables).

use serde_json::json;
use tributary_model::idp::{
    IdpApplicationStatus, IdpGroupType, IdpObject, IdpPolicyStatus, IdpPolicyType, IdpUserStatus,
    MappedIdpApplication, MappedIdpGroup, MappedIdpPolicy, MappedIdpUser, Membership,
};

use super::endpoints::{ACCESS_POLICY, FOLDED};
use crate::view::View;
use crate::{
    mapping::{MapContext, MappingError},
    normalize::{self, idp},
};

/// A list the reader folded in, whole (absent: not reported).
fn folded(raw: &View, name: &str) -> Option<Membership> {
    let path = format!("{FOLDED}.{name}");
    normalize::at(raw, &path)
        .is_some()
        .then(|| Membership::Replace(normalize::strings(raw, &path)))
}

/// User `status` → status. `DEPROVISIONED` is a deactivated user, who still exists (not a
/// deletion).
pub fn user_status(s: Option<&str>) -> IdpUserStatus {
    match s {
        Some("ACTIVE" | "PASSWORD_EXPIRED" | "RECOVERY") => IdpUserStatus::Active,
        Some("STAGED" | "PROVISIONED") => IdpUserStatus::Pending,
        Some("LOCKED_OUT") => IdpUserStatus::Locked,
        Some("SUSPENDED") => IdpUserStatus::Suspended,
        Some("DEPROVISIONED") => IdpUserStatus::Deprovisioned,
        _ => IdpUserStatus::Unknown,
    }
}

pub fn user(raw: &View, ctx: &MapContext) -> Result<MappedIdpUser, MappingError> {
    normalize::require_object(raw)?;
    let id = normalize::require_id(raw, &["id"])?;
    let vendor_updated_at = normalize::watermark(raw, "lastUpdated")?;
    let mut u = idp::user(ctx, &id);
    u.username = normalize::string(raw, "profile.login");
    u.email = normalize::string(raw, "profile.email");
    u.first_name = normalize::string(raw, "profile.firstName");
    u.last_name = normalize::string(raw, "profile.lastName");
    u.display_name = normalize::string(raw, "profile.displayName").or_else(|| {
        match (&u.first_name, &u.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            _ => None,
        }
    });
    u.vendor_status = normalize::string(raw, "status");
    u.status = user_status(u.vendor_status.as_deref());
    u.title = normalize::string(raw, "profile.title");
    u.department = normalize::string(raw, "profile.department");
    u.manager = normalize::first_string(raw, &["profile.manager", "profile.managerId"]);
    u.vendor_created_at = normalize::time(raw, "created");
    u.last_login_at = normalize::time(raw, "lastLogin");
    u.last_updated_at = vendor_updated_at;
    let mut data = normalize::pick(raw, &["activated", "statusChanged", "passwordChanged"]);
    for (key, path) in [
        ("employeeNumber", "profile.employeeNumber"),
        ("userType", "profile.userType"),
        ("city", "profile.city"),
        ("countryCode", "profile.countryCode"),
        ("provider", "credentials.provider.type"),
    ] {
        if let Some(v) = normalize::string(raw, path) {
            data[key] = json!(v);
        }
    }
    u.vendor_data = data;
    Ok(MappedIdpUser {
        vendor_id: id,
        vendor_updated_at,
        user: IdpObject::Present(u),
    })
}

/// Group `type` → types.
pub fn group_type(s: Option<&str>) -> IdpGroupType {
    match s {
        Some("OKTA_GROUP") => IdpGroupType::Native,
        Some("APP_GROUP") => IdpGroupType::Application,
        Some("BUILT_IN") => IdpGroupType::BuiltIn,
        _ => IdpGroupType::Other,
    }
}

pub fn group(raw: &View, ctx: &MapContext) -> Result<MappedIdpGroup, MappingError> {
    normalize::require_object(raw)?;
    let id = normalize::require_id(raw, &["id"])?;
    let mut g = idp::group(ctx, &id);
    g.name = normalize::string(raw, "profile.name");
    g.description = normalize::string(raw, "profile.description");
    g.types = vec![group_type(normalize::string(raw, "type").as_deref())];
    g.vendor_created_at = normalize::time(raw, "created");
    g.last_updated_at = normalize::watermark(raw, "lastUpdated")?;
    g.last_membership_updated_at = normalize::time(raw, "lastMembershipUpdated");
    g.vendor_data = normalize::pick(raw, &["type", "objectClass"]);
    Ok(MappedIdpGroup {
        vendor_id: id,
        vendor_updated_at: g.last_updated_at.max(g.last_membership_updated_at),
        members: folded(raw, "members"),
        group: IdpObject::Present(g),
    })
}

pub fn app(raw: &View, ctx: &MapContext) -> Result<MappedIdpApplication, MappingError> {
    normalize::require_object(raw)?;
    let id = normalize::require_id(raw, &["id"])?;
    let mut a = idp::application(ctx, &id);
    a.name = normalize::string(raw, "label");
    // `name` is the app's key in Okta's catalog (`salesforce`, `okta_org2org`).
    a.labels = normalize::string(raw, "name").into_iter().collect();
    a.vendor_status = normalize::string(raw, "status");
    a.status = match a.vendor_status.as_deref() {
        Some("ACTIVE") => IdpApplicationStatus::Active,
        Some("INACTIVE") => IdpApplicationStatus::Inactive,
        _ => IdpApplicationStatus::Unknown,
    };
    // Okta deletes an app outright; a `DELETED` status, where one is served, is the same.
    a.is_deleted = a.vendor_status.as_deref() == Some("DELETED");
    a.vendor_created_at = normalize::time(raw, "created");
    a.last_updated_at = normalize::watermark(raw, "lastUpdated")?;
    a.vendor_data = normalize::pick(raw, &["signOnMode", "orn", "features"]);
    Ok(MappedIdpApplication {
        vendor_id: id,
        vendor_updated_at: a.last_updated_at,
        users: folded(raw, "users"),
        groups: folded(raw, "groups"),
        application: IdpObject::Present(a),
    })
}

/// Policy `type` → type.
pub fn policy_type(s: Option<&str>) -> IdpPolicyType {
    match s {
        Some("OKTA_SIGN_ON") => IdpPolicyType::SignOn,
        Some("PASSWORD") => IdpPolicyType::Password,
        Some("MFA_ENROLL") => IdpPolicyType::MfaEnrollment,
        Some("ACCESS_POLICY") => IdpPolicyType::Access,
        Some("IDP_DISCOVERY") => IdpPolicyType::IdpDiscovery,
        Some("PROFILE_ENROLLMENT") => IdpPolicyType::ProfileEnrollment,
        Some("POST_AUTH_SESSION") => IdpPolicyType::Session,
        Some("ENTITY_RISK") => IdpPolicyType::Risk,
        _ => IdpPolicyType::Other,
    }
}

pub fn policy(raw: &View, ctx: &MapContext) -> Result<MappedIdpPolicy, MappingError> {
    normalize::require_object(raw)?;
    let id = normalize::require_id(raw, &["id"])?;
    let mut p = idp::policy(ctx, &id);
    p.name = normalize::string(raw, "name");
    p.description = normalize::string(raw, "description");
    p.vendor_type = normalize::string(raw, "type");
    p.policy_type = policy_type(p.vendor_type.as_deref());
    p.vendor_status = normalize::string(raw, "status");
    p.status = match p.vendor_status.as_deref() {
        Some("ACTIVE") => IdpPolicyStatus::Active,
        Some("INACTIVE") => IdpPolicyStatus::Inactive,
        _ => IdpPolicyStatus::Unknown,
    };
    p.priority = normalize::int(raw, "priority");
    p.vendor_created_at = normalize::time(raw, "created");
    p.last_updated_at = normalize::watermark(raw, "lastUpdated")?;
    p.vendor_data = normalize::pick(raw, &["system", "conditions", "settings"]);
    // What the policy applies to: the people its conditions include (absent conditions
    // include nobody by name), and for an authentication policy the apps mapped to it
    // (other types apply to no app in particular).
    let include = |path: &str| Some(Membership::Replace(normalize::strings(raw, path)));
    let applications = if p.vendor_type.as_deref() == Some(ACCESS_POLICY) {
        folded(raw, "applications")
    } else {
        Some(Membership::Replace(vec![]))
    };
    Ok(MappedIdpPolicy {
        vendor_id: id,
        vendor_updated_at: p.last_updated_at,
        groups: include("conditions.people.groups.include"),
        users: include("conditions.people.users.include"),
        applications,
        policy: IdpObject::Present(p),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::testkit::ctx;

    #[test]
    fn a_user_maps_with_its_profile() {
        let raw = json!({
            "id": "00u1", "status": "DEPROVISIONED", "created": "2025-01-01T00:00:00.000Z",
            "lastLogin": null, "lastUpdated": "2026-01-02T03:04:05.678Z",
            "profile": {"login": "a@x.example.com", "email": "a@x.example.com",
                        "firstName": "Ann", "lastName": "Lee", "title": "CFO",
                        "department": "Finance", "employeeNumber": "E7"},
            "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}
        });
        let m = user(&View::from(&raw), &ctx()).unwrap();
        let u = m.user.present().unwrap();
        assert_eq!(u.status, IdpUserStatus::Deprovisioned);
        assert!(!u.is_deleted, "deprovisioned is not deleted");
        assert_eq!(u.display_name.as_deref(), Some("Ann Lee"));
        assert_eq!(u.username.as_deref(), Some("a@x.example.com"));
        assert_eq!(u.vendor_data["employeeNumber"], "E7");
        assert_eq!(u.vendor_data["provider"], "OKTA");
        assert!(m.vendor_updated_at.is_some());
        assert!(user(&View::from(&json!({"status": "ACTIVE"})), &ctx()).is_err());
        assert!(user(&View::from(&json!("00u1")), &ctx()).is_err());
    }

    #[test]
    fn folded_lists_are_whole_lists_and_absent_ones_are_not_reported() {
        let raw = json!({"id": "00g1", "type": "APP_GROUP", "profile": {"name": "Eng"},
                         "_tributary": {"members": ["00u1", "00u2"]}});
        let g = group(&View::from(&raw), &ctx()).unwrap();
        assert_eq!(
            g.members,
            Some(Membership::Replace(vec!["00u1".into(), "00u2".into()]))
        );
        assert_eq!(
            g.group.present().unwrap().types,
            [IdpGroupType::Application]
        );
        let bare = group(&View::from(&json!({"id": "00g2"})), &ctx()).unwrap();
        assert_eq!(bare.members, None);
    }

    #[test]
    fn policies_target_the_groups_their_conditions_include() {
        let raw = json!({"id": "00p1", "type": "MFA_ENROLL", "status": "INACTIVE",
                         "priority": 2, "conditions": {"people": {"groups": {"include": ["00g1"]}}}});
        let p = policy(&View::from(&raw), &ctx()).unwrap();
        assert_eq!(p.groups, Some(Membership::Replace(vec!["00g1".into()])));
        assert_eq!(p.users, Some(Membership::Replace(vec![])));
        let body = p.policy.present().unwrap();
        assert_eq!(
            (body.policy_type, body.status, body.priority),
            (
                IdpPolicyType::MfaEnrollment,
                IdpPolicyStatus::Inactive,
                Some(2)
            )
        );
    }
}

//! Acme Directory's users, groups (with their members), apps (with their assigned users
//! and groups) and policies (with their targets) → the identity model.

use tributary_connectors::{
    mapping::{MapContext, MappingError},
    normalize::{self, idp},
    view::View,
};
use tributary_model::idp::{
    IdpApplicationStatus, IdpGroupType, IdpObject, IdpPolicyStatus, IdpPolicyType, IdpUserStatus,
    MappedIdpApplication, MappedIdpGroup, MappedIdpPolicy, MappedIdpUser, Membership,
};

/// A whole membership list, when the record carries it.
fn list(raw: &View, path: &str) -> Option<Membership> {
    normalize::at(raw, path)
        .is_some()
        .then(|| Membership::Replace(normalize::strings(raw, path)))
}

pub fn user(raw: &View, ctx: &MapContext) -> Result<MappedIdpUser, MappingError> {
    let id = normalize::require_id(raw, &["id"])?;
    let vendor_updated_at = normalize::watermark(raw, "updated")?;
    if normalize::boolean(raw, "removed") == Some(true) {
        return Ok(MappedIdpUser {
            vendor_id: id,
            vendor_updated_at,
            user: IdpObject::Deleted,
        });
    }
    let mut u = idp::user(ctx, &id);
    u.username = normalize::string(raw, "login");
    u.email = normalize::string(raw, "email");
    u.first_name = normalize::string(raw, "first");
    u.last_name = normalize::string(raw, "last");
    u.display_name = normalize::string(raw, "display");
    u.vendor_status = normalize::string(raw, "status");
    u.status = match u.vendor_status.as_deref() {
        Some("active") => IdpUserStatus::Active,
        Some("locked") => IdpUserStatus::Locked,
        Some("staged") => IdpUserStatus::Pending,
        Some("deactivated") => IdpUserStatus::Deprovisioned,
        _ => IdpUserStatus::Unknown,
    };
    u.title = normalize::string(raw, "title");
    u.department = normalize::string(raw, "department");
    u.manager = normalize::string(raw, "manager");
    u.is_admin = normalize::boolean(raw, "admin");
    u.mfa_enrolled = normalize::boolean(raw, "mfa");
    u.vendor_created_at = normalize::time(raw, "created");
    u.last_login_at = normalize::time(raw, "last_login");
    u.last_updated_at = normalize::time(raw, "updated");
    u.vendor_data = normalize::pick(raw, &["employee_number"]);
    Ok(MappedIdpUser {
        vendor_id: id,
        vendor_updated_at,
        user: IdpObject::Present(u),
    })
}

pub fn group(raw: &View, ctx: &MapContext) -> Result<MappedIdpGroup, MappingError> {
    let id = normalize::require_id(raw, &["id"])?;
    let mut g = idp::group(ctx, &id);
    g.name = normalize::string(raw, "name");
    g.description = normalize::string(raw, "description");
    g.types = vec![match normalize::string(raw, "kind").as_deref() {
        Some("native") => IdpGroupType::Native,
        Some("imported") => IdpGroupType::Application,
        Some("builtin") => IdpGroupType::BuiltIn,
        _ => IdpGroupType::Other,
    }];
    g.vendor_created_at = normalize::time(raw, "created");
    g.last_updated_at = normalize::time(raw, "updated");
    g.last_membership_updated_at = normalize::time(raw, "membership_updated");
    Ok(MappedIdpGroup {
        vendor_id: id,
        vendor_updated_at: g.last_updated_at,
        members: list(raw, "members"),
        group: IdpObject::Present(g),
    })
}

pub fn app(raw: &View, ctx: &MapContext) -> Result<MappedIdpApplication, MappingError> {
    let id = normalize::require_id(raw, &["id"])?;
    let mut a = idp::application(ctx, &id);
    a.name = normalize::string(raw, "name");
    a.labels = normalize::string(raw, "key").into_iter().collect();
    a.version = normalize::string(raw, "version");
    a.vendor_status = normalize::string(raw, "status");
    a.status = match a.vendor_status.as_deref() {
        Some("on") => IdpApplicationStatus::Active,
        Some("off") => IdpApplicationStatus::Inactive,
        _ => IdpApplicationStatus::Unknown,
    };
    a.vendor_created_at = normalize::time(raw, "created");
    a.last_updated_at = normalize::time(raw, "updated");
    a.vendor_data = normalize::pick(raw, &["sign_on"]);
    Ok(MappedIdpApplication {
        vendor_id: id,
        vendor_updated_at: a.last_updated_at,
        users: list(raw, "users"),
        groups: list(raw, "groups"),
        application: IdpObject::Present(a),
    })
}

pub fn policy(raw: &View, ctx: &MapContext) -> Result<MappedIdpPolicy, MappingError> {
    let id = normalize::require_id(raw, &["id"])?;
    let mut p = idp::policy(ctx, &id);
    p.name = normalize::string(raw, "name");
    p.description = normalize::string(raw, "description");
    p.vendor_type = normalize::string(raw, "type");
    p.policy_type = match p.vendor_type.as_deref() {
        Some("sign_on") => IdpPolicyType::SignOn,
        Some("password") => IdpPolicyType::Password,
        _ => IdpPolicyType::Other,
    };
    p.vendor_status = normalize::string(raw, "status");
    p.status = match p.vendor_status.as_deref() {
        Some("on") => IdpPolicyStatus::Active,
        Some("off") => IdpPolicyStatus::Inactive,
        _ => IdpPolicyStatus::Unknown,
    };
    p.priority = normalize::int(raw, "priority");
    p.vendor_created_at = normalize::time(raw, "created");
    p.last_updated_at = normalize::time(raw, "updated");
    Ok(MappedIdpPolicy {
        vendor_id: id,
        vendor_updated_at: p.last_updated_at,
        groups: list(raw, "targets.groups"),
        applications: list(raw, "targets.apps"),
        users: list(raw, "targets.users"),
        policy: IdpObject::Present(p),
    })
}

//! Okta's objects: User, Group, Application, AppUser, ApplicationGroupAssignment and
//! Policy, in the shapes of the published samples (ISO times with milliseconds, `_links`
//! with absolute hrefs, nulls where Okta sends nulls).

use serde_json::{json, Value};

use super::ids::{self, APP, GROUP, POLICY, USER, USER_TYPE};
use crate::{
    fake::fmt_ts,
    idp::{
        assignments::{app_groups, policy_groups},
        catalog::SignOn,
        members::{membership_updated, Changes},
        profiles::{AppCore, GroupCore, GroupKind, PolicyCore, Status, UserCore},
    },
    sim::Sim,
};

/// Okta's times: milliseconds and `Z`.
pub fn ts(ns: i64) -> String {
    fmt_ts(ns, 3)
}

fn opt_ts(ns: Option<i64>) -> Value {
    ns.map_or(Value::Null, |t| json!(ts(t)))
}

fn href(sim: &Sim, path: &str) -> Value {
    json!({"href": format!("{}/api/v1/{path}", sim.base_url)})
}

/// Okta's spelling of a status.
pub fn status(s: Status) -> &'static str {
    match s {
        Status::Staged => "STAGED",
        Status::Provisioned => "PROVISIONED",
        Status::Active => "ACTIVE",
        Status::Recovery => "RECOVERY",
        Status::PasswordExpired => "PASSWORD_EXPIRED",
        Status::LockedOut => "LOCKED_OUT",
        Status::Suspended => "SUSPENDED",
        Status::Deprovisioned => "DEPROVISIONED",
    }
}

/// A User.
pub fn user(sim: &Sim, u: &UserCore) -> Value {
    let id = ids::encode(USER, sim.seed(), u.index);
    let login = u.login();
    json!({
        "id": id,
        "status": status(u.status),
        "created": ts(u.created),
        "activated": opt_ts(u.activated),
        "statusChanged": opt_ts(u.status_changed),
        "lastLogin": opt_ts(u.last_login),
        "lastUpdated": ts(u.updated),
        "passwordChanged": opt_ts(u.password_changed),
        "type": {"id": ids::encode(USER_TYPE, sim.seed(), 0)},
        "profile": {
            "firstName": u.first,
            "lastName": u.last,
            "mobilePhone": u.mobile,
            "secondEmail": null,
            "login": login,
            "email": login,
            "displayName": u.display_name(),
            "title": u.title,
            "department": u.department,
            "employeeNumber": u.employee_number,
            "city": u.office.0,
            "countryCode": u.office.1,
            "preferredLanguage": u.office.3,
            "userType": if u.guest { "Contractor" } else { "Employee" },
        },
        "credentials": {
            "password": {},
            "emails": [{"value": login, "status": "VERIFIED", "type": "PRIMARY"}],
            "provider": if u.synced {
                json!({"type": "ACTIVE_DIRECTORY", "name": "corp.local"})
            } else {
                json!({"type": "OKTA", "name": "OKTA"})
            },
        },
        "_links": {"self": href(sim, &format!("users/{id}"))},
    })
}

/// A Group; `changes` give its membership's last change.
pub fn group(sim: &Sim, g: &GroupCore, changes: &Changes) -> Value {
    let id = ids::encode(GROUP, sim.seed(), g.index);
    let logo = |size: &str| json!({"name": size, "href": format!("https://ok12static.oktacdn.com/assets/img/logos/groups/okta-{size}.png"), "type": "image/png"});
    json!({
        "id": id,
        "created": ts(g.created),
        "lastUpdated": ts(g.updated),
        "lastMembershipUpdated": ts(membership_updated(changes, g.index, g.membership_base)),
        "objectClass": if g.kind == GroupKind::Imported { json!(["okta:windows_security_principal"]) } else { json!(["okta:user_group"]) },
        "type": if g.kind == GroupKind::Imported { "APP_GROUP" } else { "OKTA_GROUP" },
        "profile": {"name": g.name, "description": g.description},
        "_links": {
            "logo": [logo("medium"), logo("large")],
            "users": href(sim, &format!("groups/{id}/users")),
            "apps": href(sim, &format!("groups/{id}/apps")),
        },
    })
}

fn sign_on_mode(s: SignOn) -> &'static str {
    match s {
        SignOn::Saml2 => "SAML_2_0",
        SignOn::Oidc => "OPENID_CONNECT",
        SignOn::Bookmark => "BOOKMARK",
        SignOn::SecurePasswordStore => "SECURE_PASSWORD_STORE",
        SignOn::WsFederation => "WS_FEDERATION",
    }
}

/// An Application.
pub fn app(sim: &Sim, a: &AppCore) -> Value {
    let id = ids::encode(APP, sim.seed(), a.index);
    let org = ids::encode(ids::ORG, sim.seed(), 0);
    let base = |p: &str| href(sim, &format!("apps/{id}/{p}"));
    json!({
        "id": id,
        "orn": format!("orn:okta:idp:{org}:apps:{}:{id}", a.entry.key),
        "name": a.entry.key,
        "label": a.label,
        "status": if a.active { "ACTIVE" } else { "INACTIVE" },
        "lastUpdated": ts(a.updated),
        "created": ts(a.created),
        "accessibility": {"selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null},
        "visibility": {"autoSubmitToolbar": false, "hide": {"iOS": false, "web": false}, "appLinks": {}},
        "features": [],
        "signOnMode": sign_on_mode(a.entry.sign_on),
        "credentials": {"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"}, "signing": {"kid": format!("sim-{}", a.index)}},
        "universalLogout": null,
        "settings": {"app": {}, "notifications": {"vpn": {"network": {"connection": "DISABLED"}, "message": null, "helpUrl": null}}, "manualProvisioning": false, "implicitAssignment": false},
        "_links": {
            "groups": base("groups"),
            "users": base("users"),
            "logo": [{"name": "medium", "href": "https://ok12static.oktacdn.com/assets/img/logos/default.png", "type": "image/png"}],
            "deactivate": base("lifecycle/deactivate"),
        },
    })
}

/// An AppUser: `scope` `USER` (assigned directly) or `GROUP` (through a group).
pub fn app_user(sim: &Sim, app: &AppCore, u: &UserCore, direct: bool) -> Value {
    let id = ids::encode(USER, sim.seed(), u.index);
    let app_id = ids::encode(APP, sim.seed(), app.index);
    let assigned = app.created.max(u.created);
    json!({
        "id": id,
        "externalId": null,
        "created": ts(assigned),
        "lastUpdated": ts(assigned.max(app.updated.min(u.updated))),
        "scope": if direct { "USER" } else { "GROUP" },
        "status": if u.status.activated() { "ACTIVE" } else { "STAGED" },
        "statusChanged": ts(assigned),
        "passwordChanged": null,
        "syncState": "DISABLED",
        "credentials": {"userName": u.login()},
        "profile": {},
        "_links": {
            "app": href(sim, &format!("apps/{app_id}")),
            "user": href(sim, &format!("users/{id}")),
        },
    })
}

/// An ApplicationGroupAssignment.
pub fn app_group(sim: &Sim, app: &AppCore, group: u64, priority: usize) -> Value {
    let id = ids::encode(GROUP, sim.seed(), group);
    let app_id = ids::encode(APP, sim.seed(), app.index);
    json!({
        "id": id,
        "lastUpdated": ts(app.updated),
        "priority": priority,
        "profile": {},
        "_links": {
            "app": href(sim, &format!("apps/{app_id}")),
            "self": href(sim, &format!("apps/{app_id}/groups/{id}")),
            "group": href(sim, &format!("groups/{id}")),
        },
    })
}

/// A Policy of its type, with the settings that type has.
pub fn policy(sim: &Sim, p: &PolicyCore) -> Value {
    let id = ids::encode(POLICY, sim.seed(), p.index);
    let groups: Vec<String> = policy_groups(&sim.world, p.index, p.version)
        .into_iter()
        .map(|g| ids::encode(GROUP, sim.seed(), g))
        .collect();
    let mut v = json!({
        "type": p.kind,
        "id": id,
        "status": if p.active { "ACTIVE" } else { "INACTIVE" },
        "name": p.name,
        "description": if p.system { "The default policy applies in all situations if no other policy applies.".to_owned() } else { format!("{} policy", p.name) },
        "priority": p.priority,
        "system": p.system,
        "conditions": {"people": {"groups": {"include": groups}}},
        "created": ts(p.created),
        "lastUpdated": ts(p.updated),
        "_links": {
            "self": href(sim, &format!("policies/{id}")),
            "rules": href(sim, &format!("policies/{id}/rules")),
        },
    });
    if p.kind == crate::idp::assignments::ACCESS_POLICY {
        v["_links"]["applications"] = href(sim, &format!("policies/{id}/app"));
    }
    if p.kind == "PASSWORD" {
        v["conditions"]["authProvider"] = json!({"provider": "OKTA"});
        v["settings"] = json!({"password": {
            "complexity": {"minLength": 8 + p.version % 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0, "excludeUsername": true},
            "age": {"maxAgeDays": 0, "expireWarnDays": 0, "minAgeMinutes": 0, "historyCount": 4},
            "lockout": {"maxAttempts": 10, "autoUnlockMinutes": 0, "showLockoutFailures": false},
        }});
    } else if p.kind == "MFA_ENROLL" {
        v["settings"] = json!({"type": "AUTHENTICATORS", "authenticators": [
            {"key": "okta_verify", "enroll": {"self": "REQUIRED"}},
            {"key": "phone_number", "enroll": {"self": if p.version % 2 == 0 { "OPTIONAL" } else { "NOT_ALLOWED" }}},
        ]});
    }
    v
}

/// The groups assigned to `app` now.
pub fn assigned_groups(sim: &Sim, a: &AppCore) -> Vec<u64> {
    app_groups(&sim.world, a.index, a.version)
}

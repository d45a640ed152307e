//! The audit trail: every change a caller makes through the API or the dashboard is
//! recorded here, by the application layer, with who (API key or dashboard session),
//! from where, and what changed. Credentials are write-only: only the names of the
//! fields that changed are recorded, never a value.

use serde::Serialize;
use serde_json::{Map, Value};
use tributary_store::{
    audit::{ActorType, AuditEvent, AuditFilter, NewAuditEvent},
    ListPage, ListWindow,
};
use uuid::Uuid;

use crate::{auth::Caller, error::ApiResult, state::AppState, validate::QueryParams};

/// What an audited change targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Organization(Uuid),
    Connection(Uuid),
    Webhook(Uuid),
    ApiKey(Uuid),
    DashboardSession(Uuid),
    ConnectionInvite(Uuid),
}

/// The target types, as stored and filtered on.
pub const TARGET_TYPES: [&str; 6] = [
    "organization",
    "connection",
    "webhook",
    "api_key",
    "dashboard_session",
    "connection_invite",
];

/// The actions recorded.
pub const ACTIONS: [&str; 13] = [
    "created",
    "updated",
    "deleted",
    "tested",
    "run",
    "secret_rotated",
    "redelivered",
    "revoked",
    "logged_in",
    "logged_out",
    "used",
    "refused",
    "checked",
];

impl Target {
    fn parts(self) -> (&'static str, Uuid) {
        match self {
            Target::Organization(id) => ("organization", id),
            Target::Connection(id) => ("connection", id),
            Target::Webhook(id) => ("webhook", id),
            Target::ApiKey(id) => ("api_key", id),
            Target::DashboardSession(id) => ("dashboard_session", id),
            Target::ConnectionInvite(id) => ("connection_invite", id),
        }
    }
}

/// The fields a change touched: `{field: {from, to}}`, and for credentials
/// `{"credentials": {"changed": [field names]}}`.
#[derive(Debug, Default)]
pub struct Changes(Map<String, Value>);

impl Changes {
    /// Records `field` when `from` and `to` differ.
    pub fn field(&mut self, field: &str, from: impl Serialize, to: impl Serialize) -> &mut Self {
        let (from, to) = (json(from), json(to));
        if from != to {
            self.0.insert(
                field.to_owned(),
                serde_json::json!({"from": from, "to": to}),
            );
        }
        self
    }

    /// Records the names (never the values) of credential fields that changed.
    pub fn credentials(&mut self, changed: Vec<String>) -> &mut Self {
        if !changed.is_empty() {
            self.0.insert(
                "credentials".into(),
                serde_json::json!({ "changed": changed }),
            );
        }
        self
    }

    pub fn into_value(self) -> Option<Value> {
        (!self.0.is_empty()).then_some(Value::Object(self.0))
    }
}

fn json(v: impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The event for `caller` doing `action` to `target`.
pub fn event(caller: &Caller, action: &str, target: Target, changes: Changes) -> NewAuditEvent {
    let (target_type, target_id) = target.parts();
    NewAuditEvent {
        account_id: caller.account_id,
        actor_type: if caller.invite_id.is_some() {
            ActorType::InviteToken
        } else if caller.session_id.is_some() {
            ActorType::Dashboard
        } else {
            ActorType::ApiKey
        },
        api_key_id: Some(caller.key_id),
        session_id: caller.session_id,
        client_addr: caller.addr.map(|a| a.to_string()),
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id,
        changes: changes.into_value(),
    }
}

/// Records that `caller` did `action` to `target`. The change itself has happened: a
/// failure to record it is logged as an error, not shown to the caller.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: Target,
    changes: Changes,
) {
    debug_assert!(ACTIONS.contains(&action), "unknown audit action {action}");
    if let Err(e) = state
        .store
        .record_audit(event(caller, action, target, changes))
        .await
    {
        tracing::error!(error = %e, action, "could not record an audit event");
    }
}

/// The caller's account's audit events, newest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: &AuditFilter,
    window: ListWindow,
) -> ApiResult<ListPage<AuditEvent>> {
    Ok(state
        .store
        .list_audit(caller.account_id, filter, window)
        .await?)
}

/// Reads the audit filters of a query string (the API's and the dashboard's), recording
/// problems on `params`.
pub fn parse_filter(params: &mut QueryParams) -> AuditFilter {
    let uuid = |params: &mut QueryParams, name: &str| {
        let (_, raw) = params.get(&[name])?;
        match raw.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                params.error(name, "uuid_parsing", "Input should be a valid UUID");
                None
            }
        }
    };
    let target_id = uuid(params, "targetId");
    let api_key_id = uuid(params, "apiKeyId");
    let session_id = uuid(params, "sessionId");
    let one_of = |list: &[&str]| format!("one of {}", list.join(", "));
    AuditFilter {
        target_types: params.enum_list(
            "targetType",
            |s| TARGET_TYPES.contains(&s).then(|| s.to_owned()),
            &one_of(&TARGET_TYPES),
        ),
        actions: params.enum_list(
            "action",
            |s| ACTIONS.contains(&s).then(|| s.to_owned()),
            &one_of(&ACTIONS),
        ),
        target_id,
        api_key_id,
        session_id,
        since: params.timestamp("since"),
        until: params.timestamp("until"),
    }
}

/// The names of the fields whose values differ between two credential objects
/// (sealable JSON objects of field → value). Values are compared, never returned.
pub fn changed_credential_fields(old: &Value, new: &Value) -> Vec<String> {
    let empty = Map::new();
    let (old, new) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut names: Vec<String> = old
        .keys()
        .chain(new.keys())
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn changes_name_fields_and_never_credential_values() {
        let old = json!({"base_url": "https://a", "api_token": "s3cret"});
        let new = json!({"base_url": "https://a", "api_token": "n3w", "x": "1"});
        let names = changed_credential_fields(&old, &new);
        assert_eq!(names, ["api_token", "x"]);
        let mut c = Changes::default();
        c.field("identifier", "a", "b")
            .field("state", "ACTIVE", "ACTIVE")
            .credentials(names);
        let v = c.into_value().unwrap().to_string();
        assert!(!v.contains("s3cret") && !v.contains("n3w"), "{v}");
        assert!(v.contains("identifier") && !v.contains("state"), "{v}");
        assert!(Changes::default().into_value().is_none());
    }
}

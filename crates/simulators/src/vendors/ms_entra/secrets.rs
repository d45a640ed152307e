//! The app registration behind each credential, as Graph shows it to an app granted
//! `Application.Read.All`: `GET /v1.0/applications?$filter=appId eq '{client id}'`
//! (optionally `$select=id,appId,passwordCredentials`) lists it with its
//! `passwordCredentials[]` (`keyId`, `displayName`, `hint` — the secret's first three
//! characters —, `startDateTime`, `endDateTime`, `secretText: null`). Each registration
//! holds the secret in use, which expires two years after the simulator started unless a
//! `token_expires_in=DAYS` fault says otherwise for the credential, and a second secret
//! (being rotated out) that expires in 3 days: a reader that does not match the secret
//! in use by its `hint` reports the wrong one. Without the permission Graph answers 403
//! `Authorization_RequestDenied`: the `applications:403` fault.

use std::sync::Arc;

use axum::{http::Uri, response::Response};
use serde_json::{json, Value};

use super::{errors::bad_request, lists, lists::Set, login::client_pair};
use crate::{
    auth::label_key,
    fake::{fmt_ts, Rng},
    respond::{self, Params},
    sim::Sim,
    world::stream,
};

const DAY_NS: i64 = 86_400 * 1_000_000_000;
/// Days the secret in use lives when no fault says otherwise (Entra's longest choice).
const DEFAULT_LIFETIME_DAYS: i64 = 730;
/// Days until the other secret, being rotated out, expires.
const OLD_SECRET_DAYS: i64 = 3;

/// `GET /v1.0/applications`: with `$filter=appId eq '…'`, the registration of that
/// client id (if one of this tenant's credentials); otherwise the directory's list.
pub async fn applications(sim: Arc<Sim>, uri: Uri) -> Response {
    let now = sim.world.clock.now_ns();
    let params = match Params::parse(&uri) {
        Ok(p) => p,
        Err(e) => return bad_request(now, &e),
    };
    let Some(filter) = params.get("$filter") else {
        return lists::list(sim, Set::Applications, uri).await;
    };
    let Some(app_id) = app_id_filter(filter) else {
        return bad_request(
            now,
            &format!("Invalid filter clause: unsupported filter '{filter}'."),
        );
    };
    let select: Option<Vec<&str>> = params
        .get("$select")
        .map(|s| s.split(',').map(str::trim).collect());
    let items: Vec<Value> = registration(&sim, &app_id)
        .map(|app| project(app, select.as_deref()))
        .into_iter()
        .collect();
    let context = match &select {
        Some(fields) => format!(
            "{}/v1.0/$metadata#applications({})",
            sim.base_url,
            fields.join(",")
        ),
        None => format!("{}/v1.0/$metadata#applications", sim.base_url),
    };
    respond::json(200, &json!({"@odata.context": context, "value": items}))
}

/// The app id of `appId eq '…'` (Graph's quoting: a quote inside is doubled).
fn app_id_filter(filter: &str) -> Option<String> {
    let rest = filter.trim().strip_prefix("appId")?.trim_start();
    let quoted = rest.strip_prefix("eq")?.trim();
    let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// The registration of the credential whose client id is `app_id`.
fn registration(sim: &Sim, app_id: &str) -> Option<Value> {
    let (label, secret) = sim.creds.labels().into_iter().find_map(|label| {
        let (id, secret) = client_pair(&sim.creds.secret(&label)?);
        (id == app_id).then_some((label, secret))
    })?;
    let start = sim.world.clock.start_ns();
    let now = sim.world.clock.now_ns();
    let end = match sim.faults.token_expires_in(Some(&label)) {
        Some(days) => now + i64::from(days) * DAY_NS,
        None => start + DEFAULT_LIFETIME_DAYS * DAY_NS,
    };
    let mut r = Rng::for_record(
        sim.seed(),
        stream::named("entra-app-secret"),
        label_key(&label),
    );
    let hint: String = secret.chars().take(3).collect();
    // The older secret's hint: three other characters.
    let old_hint = format!("{}~", r.chars(2, b"abcdefghijklmnopqrstuvwxyz"));
    let old_hint = if old_hint == hint {
        "zz_".to_owned()
    } else {
        old_hint
    };
    Some(json!({
        "id": r.guid(),
        "appId": app_id,
        "displayName": format!("tributary-{label}"),
        "passwordCredentials": [
            {
                "customKeyIdentifier": null,
                "displayName": "previous",
                "endDateTime": fmt_ts(now + OLD_SECRET_DAYS * DAY_NS, 0),
                "hint": old_hint,
                "keyId": r.guid(),
                "secretText": null,
                "startDateTime": fmt_ts(start - 700 * DAY_NS, 0),
            },
            {
                "customKeyIdentifier": null,
                "displayName": "tributary",
                "endDateTime": fmt_ts(end, 0),
                "hint": hint,
                "keyId": r.guid(),
                "secretText": null,
                "startDateTime": fmt_ts(start, 0),
            },
        ],
    }))
}

/// Only the `$select`ed properties (all without one).
fn project(app: Value, select: Option<&[&str]>) -> Value {
    let (Some(fields), Value::Object(map)) = (select, &app) else {
        return app;
    };
    Value::Object(
        map.iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::app_id_filter;

    #[test]
    fn the_app_id_filter_is_read_as_graph_quotes_it() {
        assert_eq!(app_id_filter("appId eq 'a-b'").as_deref(), Some("a-b"));
        assert_eq!(
            app_id_filter(" appId  eq  'it''s' ").as_deref(),
            Some("it's")
        );
        assert_eq!(app_id_filter("displayName eq 'x'"), None);
        assert_eq!(app_id_filter("appId eq x"), None);
    }
}

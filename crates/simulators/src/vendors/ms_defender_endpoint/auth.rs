//! The Entra ID token endpoint for one tenant: v2.0 (`scope=…/.default`) and v1
//! (`resource=…`), client credentials only, with AAD's error shape
//! (`{"error", "error_description": "AADSTS…", "error_codes", …}`).

use std::{
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use axum::{
    extract::{Path, State},
    response::Response,
};
use bytes::Bytes;
use serde_json::json;

use super::data::tenant_id;
use crate::{
    auth::{jwt_like, Refusal},
    fake::fmt_ts,
    identity::{form_field as field, token_form as form},
    respond,
    sim::Sim,
};

/// Defender tokens live an hour; the response says 3599 seconds.
const DEFAULT_TTL: Duration = Duration::from_secs(3599);

/// Resources a Defender token may be for (the documented one and its aliases).
const RESOURCES: &[&str] = &[
    "https://api.securitycenter.microsoft.com",
    "https://api.security.microsoft.com",
    "https://securitycenter.onmicrosoft.com/windowsatpservice",
    "https://api-gcc.securitycenter.microsoft.us",
    "https://api-gov.securitycenter.microsoft.us",
];

/// An AAD error: `status` picks the error and AADSTS code unless `detail` gives them.
pub fn aad_error(sim: &Sim, status: u16, detail: Option<(&str, u32, String)>) -> Response {
    let (error, code, text) = detail.unwrap_or_else(|| match status {
        400 => ("invalid_request", 900_144, "The request body must contain the following parameter: 'grant_type'.".into()),
        401 => ("invalid_client", 7_000_215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.".into()),
        403 => ("unauthorized_client", 700_016, "Application was not found in the directory.".into()),
        429 => ("temporarily_unavailable", 50_196, "The server temporarily throttled the request.".into()),
        _ => ("temporarily_unavailable", 90_033, "A transient error has occurred. Please try again.".into()),
    });
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    let now = fmt_ts(sim.world.clock.now_ns(), 0).replace('T', " ");
    respond::json(
        status,
        &json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {now}"),
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

pub async fn token_v2(
    State(sim): State<Arc<Sim>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let scope = field(&form, "scope").unwrap_or("");
    let resource = scope
        .strip_suffix("/.default")
        .map(|r| r.trim_end_matches('/'));
    match resource {
        Some(r) if RESOURCES.contains(&r) => issue(&sim, &tenant, &form, r, false),
        _ if scope.is_empty() => aad_error(&sim, 400, Some(("invalid_request", 90_014, "The request body must contain the following parameter: 'scope'.".into()))),
        _ => aad_error(&sim, 400, Some(("invalid_scope", 1_002_012, format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")))),
    }
}

pub async fn token_v1(
    State(sim): State<Arc<Sim>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form = form(&body);
    match field(&form, "resource").map(|r| r.trim_end_matches('/')) {
        Some(r) if RESOURCES.contains(&r) => issue(&sim, &tenant, &form, r, true),
        Some(r) => aad_error(
            &sim,
            400,
            Some((
                "invalid_resource",
                500_011,
                format!("The resource principal named {r} was not found in the tenant."),
            )),
        ),
        None => aad_error(
            &sim,
            400,
            Some((
                "invalid_request",
                900_144,
                "The request body must contain the following parameter: 'resource'.".into(),
            )),
        ),
    }
}

fn issue(sim: &Sim, tenant: &str, form: &[(String, String)], resource: &str, v1: bool) -> Response {
    let tid = tenant_id(sim.seed());
    if !tenant.eq_ignore_ascii_case(&tid) {
        return aad_error(sim, 400, Some(("invalid_request", 90_002, format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."))));
    }
    if field(form, "grant_type") != Some("client_credentials") {
        return aad_error(
            sim,
            400,
            Some((
                "unsupported_grant_type",
                70_003,
                "The app requested an unsupported grant type.".into(),
            )),
        );
    }
    let (Some(id), Some(secret)) = (field(form, "client_id"), field(form, "client_secret")) else {
        return aad_error(sim, 400, Some(("invalid_request", 900_144, "The request body must contain the following parameter: 'client_id' and 'client_secret'.".into())));
    };
    let ttl = sim.settings.token_ttl.unwrap_or(DEFAULT_TTL);
    let n = sim.tokens_issued.fetch_add(1, Ordering::Relaxed);
    let now_s = sim.world.clock.now_ns() / 1_000_000_000;
    let claims = json!({
        "aud": resource, "iss": format!("https://sts.windows.net/{tid}/"), "iat": now_s, "nbf": now_s,
        "exp": now_s + ttl.as_secs() as i64, "appid": id, "tid": tid, "oid": uuid::Uuid::new_v4().to_string(),
        "roles": ["Machine.Read.All", "Alert.Read.All"], "ver": if v1 { "1.0" } else { "2.0" },
    });
    let token = jwt_like(&claims, sim.seed(), n);
    match sim
        .creds
        .issue(id, secret, ttl, token.clone(), Instant::now())
    {
        Ok(_) if v1 => respond::json(
            200,
            &json!({
                "token_type": "Bearer", "expires_in": ttl.as_secs().to_string(), "ext_expires_in": ttl.as_secs().to_string(),
                "expires_on": (now_s + ttl.as_secs() as i64).to_string(), "not_before": now_s.to_string(),
                "resource": resource, "access_token": token,
            }),
        ),
        Ok(_) => respond::json(
            200,
            &json!({
                "token_type": "Bearer", "expires_in": ttl.as_secs(), "ext_expires_in": ttl.as_secs(), "access_token": token,
            }),
        ),
        Err(Refusal::Unknown) => aad_error(
            sim,
            400,
            Some((
                "unauthorized_client",
                700_016,
                format!(
                    "Application with identifier '{id}' was not found in the directory '{tid}'."
                ),
            )),
        ),
        Err(Refusal::BadSecret) => aad_error(sim, 401, None),
        Err(_) => aad_error(
            sim,
            401,
            Some((
                "invalid_client",
                7_000_222,
                format!("The provided client secret keys for app '{id}' are expired."),
            )),
        ),
    }
}

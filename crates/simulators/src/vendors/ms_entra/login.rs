//! The Entra ID login host, shared by every Microsoft API simulated here (Graph, Defender
//! for Endpoint): the client-credentials token endpoint for one tenant — v2.0
//! (`scope=…/.default`) and v1 (`resource=…`) — with AAD's error shape (`{"error",
//! "error_description": "AADSTS…", "error_codes", …}`), the OpenID discovery document
//! MSAL reads first, the tenant id and the shape of app secrets.

use std::{
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use axum::{
    extract::{Path, State},
    http::HeaderMap,
    response::Response,
};
use bytes::Bytes;
use serde_json::{json, Value};

use crate::{
    auth::{jwt_like, label_key, Refusal, Secret},
    fake::{fmt_ts, Rng, ALNUM},
    identity::{form_field as field, token_form as form},
    respond,
    sim::Sim,
    world::stream,
};

/// Tokens live an hour; the response says 3599 seconds.
const DEFAULT_TTL: Duration = Duration::from_secs(3599);

/// What one API accepts at the login host: the resources a token may be for and the app
/// roles the token carries.
#[derive(Debug)]
pub struct LoginSpec {
    /// Resource URIs (`scope` is one of them plus `/.default`); the first is the canonical.
    pub resources: &'static [&'static str],
    /// The `roles` claim of issued tokens.
    pub roles: &'static [&'static str],
}

/// The Entra tenant id (a GUID), per seed.
pub fn tenant_id(seed: u64) -> String {
    Rng::for_record(seed, stream::TENANT, 0x7e4a).guid()
}

/// An app registration's client id and secret, deterministic from the seed and label.
pub fn new_secret(seed: u64, label: &str) -> Secret {
    let mut r = Rng::for_record(seed, stream::CREDENTIAL, label_key(label));
    let client_id = r.guid();
    // Entra secrets: three characters, `8Q~`, then 34 more.
    let secret = format!(
        "{}8Q~{}",
        r.chars(3, ALNUM),
        r.chars(
            34,
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~"
        )
    );
    Secret::Client {
        client_id,
        client_secret: secret,
    }
}

/// The client id and secret of `secret`.
pub fn client_pair(secret: &Secret) -> (String, String) {
    match secret {
        Secret::Client {
            client_id,
            client_secret,
        } => (client_id.clone(), client_secret.clone()),
        Secret::ApiToken(t) => (String::new(), t.clone()),
    }
}

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

/// `POST /{tenant}/oauth2/v2.0/token`.
pub fn token_v2(spec: &LoginSpec, sim: &Sim, tenant: &str, body: &[u8]) -> Response {
    let form = form(body);
    let scope = field(&form, "scope").unwrap_or("");
    let resource = scope
        .strip_suffix("/.default")
        .map(|r| r.trim_end_matches('/'));
    match resource {
        Some(r) if spec.resources.contains(&r) => issue(spec, sim, tenant, &form, r, false),
        _ if scope.is_empty() => aad_error(sim, 400, Some(("invalid_request", 90_014, "The request body must contain the following parameter: 'scope'.".into()))),
        _ => aad_error(sim, 400, Some(("invalid_scope", 1_002_012, format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")))),
    }
}

/// `POST /{tenant}/oauth2/token` (v1, `resource=`).
pub fn token_v1(spec: &LoginSpec, sim: &Sim, tenant: &str, body: &[u8]) -> Response {
    let form = form(body);
    match field(&form, "resource").map(|r| r.trim_end_matches('/')) {
        Some(r) if spec.resources.contains(&r) => issue(spec, sim, tenant, &form, r, true),
        Some(r) => aad_error(
            sim,
            400,
            Some((
                "invalid_resource",
                500_011,
                format!("The resource principal named {r} was not found in the tenant."),
            )),
        ),
        None => aad_error(
            sim,
            400,
            Some((
                "invalid_request",
                900_144,
                "The request body must contain the following parameter: 'resource'.".into(),
            )),
        ),
    }
}

fn issue(
    spec: &LoginSpec,
    sim: &Sim,
    tenant: &str,
    form: &[(String, String)],
    resource: &str,
    v1: bool,
) -> Response {
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
        "roles": spec.roles, "ver": if v1 { "1.0" } else { "2.0" },
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

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`: what MSAL (and so
/// azure-identity) reads before asking for a token.
/// Behind a TLS-terminating proxy (`X-Forwarded-Proto` and `Host`) the endpoints name
/// the proxy, as MSAL insists on https endpoints.
pub async fn openid_configuration(
    State(sim): State<Arc<Sim>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let tid = tenant_id(sim.seed());
    if !tenant.eq_ignore_ascii_case(&tid) {
        return aad_error(&sim, 400, Some(("invalid_tenant", 90_002, format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."))));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let base = match (header("x-forwarded-proto"), header("host")) {
        (Some(proto), Some(host)) => format!("{proto}://{host}"),
        _ => sim.base_url.clone(),
    };
    respond::json(200, &discovery(&base, &tid))
}

/// The OpenID provider metadata of tenant `tid` at `base`.
fn discovery(base: &str, tid: &str) -> Value {
    json!({
        "token_endpoint": format!("{base}/{tid}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tid}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tid}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })
}

/// Which login path `segments` is (`token` for the token endpoints and discovery).
pub fn endpoint(segments: &[&str]) -> Option<&'static str> {
    match segments {
        [_, "oauth2", "v2.0", "token"]
        | [_, "oauth2", "token"]
        | [_, "v2.0", ".well-known", "openid-configuration"] => Some("token"),
        _ => None,
    }
}

/// Handlers for `spec`'s token endpoints, to mount at `/{tenant}/oauth2/…`.
pub fn router(spec: &'static LoginSpec) -> axum::Router<Arc<Sim>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(
                move |State(sim): State<Arc<Sim>>, Path(t): Path<String>, body: Bytes| async move {
                    token_v2(spec, &sim, &t, &body)
                },
            ),
        )
        .route(
            "/{tenant}/oauth2/token",
            post(
                move |State(sim): State<Arc<Sim>>, Path(t): Path<String>, body: Bytes| async move {
                    token_v1(spec, &sim, &t, &body)
                },
            ),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration),
        )
}

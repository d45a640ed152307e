//! The hosted connect page, `/connect/{token}`: where a customer enters credentials with
//! an invite token alone. Server-rendered like the dashboard, no JavaScript. The form
//! shows where to find each value and which permission each data export needs; "Check"
//! tests the credentials with the vendor export by export and shows which exports they
//! can and cannot read (the permission matrix) before anything is saved; credentials
//! that read every export wait on the invite, sealed, for "Save"; after saving, the page
//! follows the connection's first sync until it is HEALTHY. An update token's page says
//! why the connection needs new credentials, and never shows the current ones.
//!
//! Forms carry a CSRF token derived from a per-browser cookie nonce and the invite (a
//! page of another browser or another token does not match). Secrets are never sent back:
//! after a failed check the secret fields are empty. Every use goes through
//! [`crate::app::invites`], so the scope checks, the outbound URL guard, the limits and
//! the audit trail are the API's.

use std::{collections::HashMap, net::IpAddr};

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Extension, Form, Router,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{Duration, Utc};
use rand::RngCore;
use serde_json::{json, Map, Value};
use tower_http::set_header::SetResponseHeaderLayer;
use tributary_connectors::VendorSpec;
use tributary_engine::keyring::macs_equal;
use tributary_model::{ConnectionState, HealthName};
use tributary_store::{
    invites::{Invite, InviteKind, InviteRefusal},
    models::ConnectionRecord,
};

use crate::{
    app::{
        connections::{self, ParseContext},
        destinations, invites,
    },
    dashboard::{
        render, session,
        view::{badge_class, when},
    },
    layers::ClientAddr,
    state::AppState,
    ApiError,
};

const CSRF_COOKIE: &str = "trb_connect_csrf";
/// Set on the browser that used a token: only it sees the connection the token made
/// (anyone else opening a used link is refused).
const RESULT_COOKIE: &str = "trb_connect_result";
/// How long after its use a token's page still shows the connection it made.
const RESULT_PAGE_MINUTES: i64 = 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/connect/{token}", get(page))
        .route("/connect/{token}/check", post(check))
        .route("/connect/{token}/save", post(save))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        // The token is in the URL: never send it on to another site.
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

pub struct FieldView {
    pub name: &'static str,
    pub help: &'static str,
    pub required: bool,
    pub secret: bool,
    pub url: bool,
    pub value: String,
    pub error: Option<String>,
}

pub struct ExportView {
    pub name: String,
    pub permission: String,
}

pub struct MatrixRow {
    pub name: String,
    pub permission: String,
    pub readable: bool,
    pub message: String,
}

/// Why an update token's connection needs new credentials.
pub struct ReasonView {
    pub label: String,
    pub health: String,
    pub summary: String,
    pub failing: Vec<String>,
}

/// The connection a used token made or fixed, as its first sync goes.
pub struct ResultView {
    pub label: String,
    pub health: String,
    pub class: &'static str,
    pub summary: String,
    pub syncing: bool,
}

#[derive(Template)]
#[template(path = "connect/page.html")]
struct Page {
    token: String,
    csrf: String,
    vendor: String,
    kind: &'static str,
    expires: String,
    reason: Option<ReasonView>,
    fields: Vec<FieldView>,
    exports: Vec<ExportView>,
    matrix: Vec<MatrixRow>,
    /// Every export readable: the credentials wait for "Save".
    ready: bool,
    errors: Vec<String>,
    result: Option<ResultView>,
}

#[derive(Template)]
#[template(path = "connect/refused.html")]
struct Refused {
    status: u16,
    detail: String,
}

fn refused(e: ApiError) -> Response {
    let status = e.status();
    let detail = match &e {
        ApiError::Validation(_) => "The request was not valid.".to_owned(),
        ApiError::Internal(_) => "Something went wrong on our side. Try again later.".to_owned(),
        other => other.to_string(),
    };
    if status.is_server_error() {
        tracing::error!(error = %e, "connect page failed");
    }
    let mut r = render(&Refused {
        status: status.as_u16(),
        detail,
    });
    *r.status_mut() = status;
    if let ApiError::RateLimited(budget) = &e {
        budget.write_headers(r.headers_mut());
    }
    r
}

fn addr(a: Option<Extension<ClientAddr>>) -> Option<IpAddr> {
    a.map(|Extension(ClientAddr(ip))| ip)
}

/// The form token for `invite` in the browser holding `nonce`.
fn csrf_token(state: &AppState, invite: &Invite, nonce: &str) -> String {
    let mac = state
        .keyring
        .sign_session(format!("connect-csrf:{}:{nonce}", invite.id).as_bytes());
    URL_SAFE_NO_PAD.encode(&mac[..18])
}

/// The result cookie's value for `invite`.
fn result_mac(state: &AppState, invite: &Invite) -> String {
    let mac = state
        .keyring
        .sign_session(format!("connect-result:{}", invite.id).as_bytes());
    URL_SAFE_NO_PAD.encode(&mac[..18])
}

fn check_csrf(
    state: &AppState,
    invite: &Invite,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> bool {
    let (Some(nonce), Some(token)) = (
        session::cookie_value(headers, CSRF_COOKIE),
        form.get("csrf"),
    ) else {
        return false;
    };
    macs_equal(
        csrf_token(state, invite, nonce).as_bytes(),
        token.as_bytes(),
    )
}

/// The browser's nonce, and the cookie to set when it has none yet.
fn nonce(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    if let Some(n) = session::cookie_value(headers, CSRF_COOKIE).filter(|n| n.len() == 22) {
        return (n.to_owned(), None);
    }
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let n = URL_SAFE_NO_PAD.encode(bytes);
    let secure = session::secure(state, headers);
    let cookie = session::cookie(CSRF_COOKIE, &n, "/connect", 86_400, secure);
    (n, Some(cookie))
}

/// What the page shows besides its form state.
struct Context {
    invite: Invite,
    spec: &'static VendorSpec,
    connection: Option<ConnectionRecord>,
}

async fn context(state: &AppState, invite: Invite) -> Result<Context, ApiError> {
    let spec = connections::spec_of(state, invite.vendor)?;
    let id = invite.used_connection_id.or(invite.connection_id);
    let connection = match id {
        Some(id) => state.store.get_connection(invite.account_id, id).await?,
        None => None,
    };
    Ok(Context {
        invite,
        spec,
        connection,
    })
}

/// The health of `c` in words a customer understands.
fn in_plain_words(spec: &VendorSpec, c: &ConnectionRecord) -> (String, String, Vec<String>) {
    let Some(h) = &c.health else {
        return (
            "NOT CHECKED YET".into(),
            "The connection has not synced yet.".into(),
            vec![],
        );
    };
    let failing: Vec<String> = h
        .details
        .iter()
        .flatten()
        .map(|d| {
            let needs = spec
                .export(d.data_export_type)
                .map(|e| format!(" (needs: {})", e.permission))
                .unwrap_or_default();
            let why = match (d.name, d.http_status) {
                (HealthName::Unauthorized, Some(s)) => {
                    format!("{} refused access (HTTP {s})", spec.name)
                }
                (HealthName::Unauthorized, None) => format!("{} refused access", spec.name),
                (_, _) => d.message.clone(),
            };
            format!("{}: {why}{needs}", d.data_export_type)
        })
        .collect();
    let summary = match h.name {
        HealthName::Healthy => format!(
            "The connection reads everything it needs from {}.",
            spec.name
        ),
        HealthName::Unauthorized if failing.len() < spec.exports.len() => format!(
            "{} accepts the saved credentials for some data but not all: they lack a permission. \
             Enter credentials that have every permission listed below.",
            spec.name
        ),
        HealthName::Unauthorized => format!(
            "{} no longer accepts the saved credentials: they were revoked, expired or \
             changed. Enter new ones.",
            spec.name
        ),
        _ => format!(
            "{} — this is not something your credentials can fix, but new ones are accepted.",
            h.description
        ),
    };
    (h.name.to_string(), summary, failing)
}

fn result_view(state: &AppState, spec: &VendorSpec, c: &ConnectionRecord) -> ResultView {
    let name = c.health.as_ref().map(|h| h.name);
    let (health, summary, _) = in_plain_words(spec, c);
    // A fresh connection syncs at once; fixed credentials reset the failure streak.
    let syncing = name != Some(HealthName::Healthy)
        && c.state == ConnectionState::Active
        && c.health
            .as_ref()
            .is_none_or(|h| h.checked_at < c.credentials_updated_at);
    ResultView {
        label: connections::label(state, c),
        health,
        class: badge_class(name),
        summary: if syncing {
            format!("Saved. The first sync with {} is running…", spec.name)
        } else {
            summary
        },
        syncing,
    }
}

struct FormState {
    values: Map<String, Value>,
    field_errors: HashMap<String, String>,
    matrix: Vec<MatrixRow>,
    ready: bool,
    errors: Vec<String>,
}

impl FormState {
    fn empty() -> Self {
        FormState {
            values: Map::new(),
            field_errors: HashMap::new(),
            matrix: vec![],
            ready: false,
            errors: vec![],
        }
    }
}

fn render_page(
    state: &AppState,
    cx: &Context,
    token: &str,
    csrf: String,
    form: FormState,
) -> Response {
    let spec = cx.spec;
    let reason = match (cx.invite.kind, &cx.connection) {
        (InviteKind::Update, Some(c)) if cx.invite.used_at.is_none() => {
            let (health, summary, failing) = in_plain_words(spec, c);
            Some(ReasonView {
                label: connections::label(state, c),
                health,
                summary,
                failing,
            })
        }
        _ => None,
    };
    let result = match (&cx.connection, cx.invite.used_at) {
        (Some(c), Some(_)) => Some(result_view(state, spec, c)),
        _ => None,
    };
    let page = Page {
        token: token.to_owned(),
        csrf,
        vendor: spec.name.to_owned(),
        kind: match cx.invite.kind {
            InviteKind::Create => "create",
            InviteKind::Update => "update",
        },
        expires: when(Some(cx.invite.expires_at)),
        reason,
        fields: spec
            .credentials
            .iter()
            .map(|f| FieldView {
                name: f.name,
                help: f.description,
                required: f.is_required(),
                secret: f.is_secret(),
                url: f.kind == tributary_model::credentials::FieldKind::Url,
                // Secrets are never sent back, not even after a failed check.
                value: if f.is_secret() {
                    String::new()
                } else {
                    form.values
                        .get(f.name)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                },
                error: form.field_errors.get(f.name).cloned(),
            })
            .collect(),
        exports: invites::export_permissions(spec)
            .into_iter()
            .map(|e| ExportView {
                name: e.data_export_type.to_string(),
                permission: e.permission,
            })
            .collect(),
        matrix: form.matrix,
        ready: form.ready,
        errors: form.errors,
        result,
    };
    render(&page)
}

/// GET: the form (or, for a token just used, the connection it made).
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    client: Option<Extension<ClientAddr>>,
) -> Response {
    let addr = addr(client);
    let invite = match invites::lookup(&state, &token, addr).await {
        Ok(i) => i,
        Err(e) => return refused(e),
    };
    let recently_used = invite
        .used_at
        .is_some_and(|t| Utc::now() - t < Duration::minutes(RESULT_PAGE_MINUTES));
    let own = session::cookie_value(&headers, RESULT_COOKIE)
        .is_some_and(|v| macs_equal(v.as_bytes(), result_mac(&state, &invite).as_bytes()));
    let shows_result =
        invite.refusal(Utc::now()) == Some(InviteRefusal::Used) && recently_used && own;
    if !shows_result {
        if let Some(e) = invites::refusal_error(&invite) {
            return refused(invites::refuse(&state, &invite, addr, e).await);
        }
    }
    let cx = match context(&state, invite).await {
        Ok(cx) => cx,
        Err(e) => return refused(e),
    };
    let (nonce, set_cookie) = nonce(&state, &headers);
    let csrf = csrf_token(&state, &cx.invite, &nonce);
    let mut r = render_page(&state, &cx, &token, csrf, FormState::empty());
    if let Some(c) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

/// A usable invite for a form post, with a valid CSRF token; or the refusal page.
async fn posted(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    addr: Option<IpAddr>,
) -> Result<(Context, String), Response> {
    let invite = invites::resolve(state, token, addr)
        .await
        .map_err(refused)?;
    if !check_csrf(state, &invite, headers, form) {
        return Err((
            StatusCode::FORBIDDEN,
            "Invalid form token: reload the page and try again",
        )
            .into_response());
    }
    let nonce = session::cookie_value(headers, CSRF_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let csrf = csrf_token(state, &invite, &nonce);
    let cx = context(state, invite).await.map_err(refused)?;
    if cx.invite.kind == InviteKind::Update {
        if let Err(e) = invites::target_connection(state, &cx.invite, addr).await {
            return Err(refused(e));
        }
    }
    Ok((cx, csrf))
}

/// The options the connection has (or, for a create token, will have).
fn options(cx: &Context) -> Option<Value> {
    match cx.invite.kind {
        InviteKind::Create => cx.invite.options.clone(),
        InviteKind::Update => cx.connection.as_ref().and_then(|c| c.options.clone()),
    }
}

/// POST check: the credentials are checked with the vendor, export by export, and the
/// matrix shown; when every export is readable they wait (sealed) for "Save".
pub async fn check(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    client: Option<Extension<ClientAddr>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let addr = addr(client);
    let (cx, csrf) = match posted(&state, &token, &headers, &form, addr).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let spec = cx.spec;
    let values: Map<String, Value> = spec
        .credentials
        .iter()
        .filter_map(|f| {
            form.get(f.name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (f.name.to_owned(), Value::String(v.clone())))
        })
        .collect();
    let mut state_out = FormState::empty();
    state_out.values = values.clone();
    // Nothing waits from an earlier check while this one runs.
    if let Err(e) = state.store.set_invite_pending(cx.invite.id, None).await {
        return refused(e.into());
    }
    let parsed = ParseContext::of(&state).credentials(spec, &Value::Object(values.clone()));
    let creds = match parsed {
        Ok(c) => match destinations::check_credentials(&state, &c).await {
            Ok(()) => Ok(c),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let creds = match creds {
        Ok(c) => c,
        Err(ApiError::Validation(list)) => {
            for e in list {
                let name = e
                    .loc
                    .last()
                    .and_then(|l| serde_json::to_value(l).ok())
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                state_out.field_errors.insert(name, e.msg);
            }
            state_out.errors.push("Some fields need attention.".into());
            let mut r = render_page(&state, &cx, &token, csrf, state_out);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
        Err(e) => return refused(e),
    };
    let options = options(&cx);
    let result = state
        .engine
        .check_credentials(spec, &creds, options.as_ref())
        .await;
    invites::record_check(&state, &cx.invite, addr, result.is_valid).await;
    let failures: HashMap<_, _> = result
        .details
        .iter()
        .flatten()
        .map(|f| (f.data_export_type, f))
        .collect();
    state_out.matrix = spec
        .exports
        .iter()
        .map(|e| {
            let failure = failures.get(&e.data_export_type);
            MatrixRow {
                name: e.data_export_type.to_string(),
                permission: e.permission.to_owned(),
                readable: failure.is_none(),
                message: failure.map_or_else(
                    || "Readable".to_owned(),
                    |f| match f.http_status {
                        Some(s) => format!("Cannot read (HTTP {s}): {}", f.message),
                        None => format!("Cannot read: {}", f.message),
                    },
                ),
            }
        })
        .collect();
    if result.is_valid {
        let sealed = state.keyring.seal(
            cx.invite.id,
            creds.to_sealable_json().to_string().as_bytes(),
        );
        match state
            .store
            .set_invite_pending(cx.invite.id, Some(sealed))
            .await
        {
            Ok(true) => state_out.ready = true,
            Ok(false) => {
                return refused(ApiError::Conflict(
                    "Connection invite token was already used: each token works once".into(),
                ))
            }
            Err(e) => return refused(e.into()),
        }
    } else if result.refused() {
        state_out.errors.push(format!(
            "{} did not let these credentials read everything. Nothing was saved. Grant the \
             permissions marked below (or use other credentials) and check again.",
            spec.name
        ));
    } else {
        state_out.errors.push(format!(
            "{} could not be reached to check the credentials: {}. Nothing was saved; try again.",
            spec.name, result.message
        ));
    }
    render_page(&state, &cx, &token, csrf, state_out)
}

/// POST save: the credentials that passed the check are used with the token (verified
/// with the vendor once more, then the token is consumed); the page then follows the
/// first sync.
pub async fn save(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    client: Option<Extension<ClientAddr>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let addr = addr(client);
    let (cx, csrf) = match posted(&state, &token, &headers, &form, addr).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let opened = cx
        .invite
        .pending_credentials
        .as_ref()
        .and_then(|sealed| state.keyring.open(cx.invite.id, sealed).ok())
        .and_then(|plain| serde_json::from_slice::<Value>(&plain).ok());
    let Some(credentials) = opened else {
        let mut s = FormState::empty();
        s.errors.push("Check the credentials first.".into());
        let mut r = render_page(&state, &cx, &token, csrf, s);
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    };
    let org = cx.invite.organization_id.to_string();
    let result = match cx.invite.kind {
        InviteKind::Create => {
            let body = json!({"vendor": cx.invite.vendor, "credentials": credentials});
            invites::create_connection(&state, &cx.invite, addr, &org, &body).await
        }
        InviteKind::Update => {
            let conn = cx.invite.connection_id.unwrap_or_default().to_string();
            let body = json!({"credentials": credentials});
            invites::update_connection(&state, &cx.invite, addr, &org, &conn, &body).await
        }
    };
    match result {
        Ok(_) => {
            let secure = session::secure(&state, &headers);
            let value = result_mac(&state, &cx.invite);
            let cookie = session::cookie(
                RESULT_COOKIE,
                &value,
                "/connect",
                RESULT_PAGE_MINUTES * 60,
                secure,
            );
            let mut r = Redirect::to(&format!("/connect/{token}")).into_response();
            if let Ok(c) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, c);
            }
            r
        }
        Err(e @ (ApiError::BadRequest(_) | ApiError::Unavailable(_))) => {
            let mut s = FormState::empty();
            s.errors.push(format!("{e} Check the credentials again."));
            let mut r = render_page(&state, &cx, &token, csrf, s);
            *r.status_mut() = e.status();
            r
        }
        Err(e) => refused(e),
    }
}

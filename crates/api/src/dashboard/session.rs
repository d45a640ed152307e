//! Dashboard sessions: an API key logs in and a session row is stored on the server; the
//! cookie (HttpOnly, SameSite=Strict, `Secure` behind https) names it, signed. Every
//! request checks the row, so logging out, expiry or revoking the key ends the session
//! everywhere, even for a copied cookie. Forms carry a CSRF token derived from the
//! session; the login form's token is signed by the server (login CSRF).

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Utc;
use rand::RngCore;
use tributary_engine::keyring::macs_equal;
use uuid::Uuid;

use crate::{
    app::audit::{self, Changes, Target},
    auth::Caller,
    layers::ClientAddr,
    state::AppState,
};

pub const COOKIE: &str = "trb_session";
pub const LOGIN_CSRF_COOKIE: &str = "trb_login_csrf";
/// How long a login form stays valid.
const LOGIN_FORM_SECS: i64 = 3600;

fn sign(state: &AppState, body: &[u8]) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(body),
        URL_SAFE_NO_PAD.encode(&state.keyring.sign_session(body)[..16])
    )
}

fn open_signed(state: &AppState, value: &str, len: usize) -> Option<Vec<u8>> {
    let (body, mac) = value.split_once('.')?;
    let body = URL_SAFE_NO_PAD.decode(body).ok()?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    (body.len() == len && macs_equal(&state.keyring.sign_session(&body)[..16], &mac))
        .then_some(body)
}

/// True when cookies must be `Secure`: the configured public URL is https, or the
/// request reached the proxy in front of Tributary over TLS.
pub fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
        || headers
            .get(header::FORWARDED)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|f| f.to_ascii_lowercase().contains("proto=https"));
    state.settings.public_https() || forwarded_https
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, `Secure` when `secure`.
pub fn cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Opens a session for `caller` (audited) and returns the cookie value.
pub async fn issue(state: &AppState, caller: &Caller) -> anyhow::Result<(String, i64)> {
    let lifetime = chrono::Duration::from_std(state.settings.session_lifetime)?;
    let expires = Utc::now() + lifetime;
    let session = state
        .store
        .create_session(caller.account_id, caller.key_id, expires)
        .await?;
    let caller = Caller {
        session_id: Some(session.id),
        ..*caller
    };
    let target = Target::DashboardSession(session.id);
    audit::record(state, &caller, "logged_in", target, Changes::default()).await;
    let mut body = session.id.as_bytes().to_vec();
    body.extend_from_slice(&expires.timestamp().to_le_bytes());
    Ok((sign(state, &body), lifetime.num_seconds()))
}

/// Ends `session` on the server (audited): its cookie no longer opens anything.
pub async fn end(state: &AppState, session: &Session) -> anyhow::Result<()> {
    let id = session.caller.session_id.expect("a dashboard session");
    state
        .store
        .end_session(session.caller.account_id, id)
        .await?;
    let target = Target::DashboardSession(id);
    audit::record(
        state,
        &session.caller,
        "logged_out",
        target,
        Changes::default(),
    )
    .await;
    Ok(())
}

/// A fresh login form token: the nonce for the cookie and the token for the form, which
/// only the server can derive from the nonce.
pub fn login_csrf(state: &AppState) -> (String, String) {
    let mut body = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut body[..16]);
    body[16..].copy_from_slice(&Utc::now().timestamp().to_le_bytes());
    let nonce = URL_SAFE_NO_PAD.encode(body);
    let token = login_token(state, &nonce);
    (nonce, token)
}

fn login_token(state: &AppState, nonce: &str) -> String {
    let mac = state
        .keyring
        .sign_session(format!("login-csrf:{nonce}").as_bytes());
    URL_SAFE_NO_PAD.encode(&mac[..18])
}

/// Checks a login form: the cookie's nonce is recent and the form's token is the one the
/// server derived from it (a cookie and form an attacker made up do not match).
pub fn check_login_csrf(state: &AppState, nonce: Option<&str>, token: Option<&str>) -> bool {
    let (Some(nonce), Some(token)) = (nonce, token) else {
        return false;
    };
    let fresh = URL_SAFE_NO_PAD
        .decode(nonce)
        .ok()
        .filter(|b| b.len() == 24)
        .map(|b| i64::from_le_bytes(b[16..].try_into().expect("8 bytes")))
        .is_some_and(|t| (0..=LOGIN_FORM_SECS).contains(&(Utc::now().timestamp() - t)));
    fresh && macs_equal(login_token(state, nonce).as_bytes(), token.as_bytes())
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session id a cookie names, if its signature holds and it has not expired.
fn verify(state: &AppState, value: &str) -> Option<Uuid> {
    let body = open_signed(state, value, 24)?;
    let expires = i64::from_le_bytes(body[16..24].try_into().ok()?);
    (expires > Utc::now().timestamp()).then_some(())?;
    Uuid::from_slice(&body[..16]).ok()
}

/// A logged-in dashboard user. Without a valid session, handlers redirect to the login page.
pub struct Session {
    /// The API key's account and the session, as the application layer sees them.
    pub caller: Caller,
    /// The token every form must send back.
    pub csrf: String,
}

impl Session {
    pub fn check_csrf(&self, token: Option<&String>) -> bool {
        token.is_some_and(|t| macs_equal(t.as_bytes(), self.csrf.as_bytes()))
    }
}

/// Rejection: go log in.
pub struct LoginRequired;

impl axum::response::IntoResponse for LoginRequired {
    fn into_response(self) -> axum::response::Response {
        axum::response::Redirect::to("/dashboard/login").into_response()
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = LoginRequired;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, LoginRequired> {
        let value = cookie_value(&parts.headers, COOKIE).ok_or(LoginRequired)?;
        let id = verify(state, value).ok_or(LoginRequired)?;
        // The session must still be live on the server: logout, expiry and revoking the
        // key each end it.
        let session = state
            .store
            .live_session(id, Utc::now())
            .await
            .map_err(|_| LoginRequired)?
            .ok_or(LoginRequired)?;
        let csrf = URL_SAFE_NO_PAD.encode(
            &state
                .keyring
                .sign_session(format!("csrf:{value}").as_bytes())[..18],
        );
        Ok(Session {
            caller: Caller {
                account_id: session.account_id,
                key_id: session.key_id,
                session_id: Some(session.id),
                addr: parts.extensions.get::<ClientAddr>().map(|a| a.0),
                invite_id: None,
            },
            csrf,
        })
    }
}

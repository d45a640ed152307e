//! Dashboard sessions: an API key logs in; the session is a signed cookie (HttpOnly,
//! SameSite=Strict) naming the account and key, checked against the key on every
//! request so revoking the key ends the session. Forms carry a CSRF token derived from
//! the session.

use axum::{extract::FromRequestParts, http::request::Parts};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Utc;
use tributary_engine::keyring::macs_equal;
use uuid::Uuid;

use crate::{auth::Caller, state::AppState};

pub const COOKIE: &str = "trb_session";
/// Sessions last twelve hours.
const LIFETIME_SECS: i64 = 12 * 3600;

/// Makes the cookie value for a logged-in caller.
pub fn issue(state: &AppState, caller: &Caller) -> String {
    let mut body = Vec::with_capacity(40);
    body.extend_from_slice(caller.account_id.as_bytes());
    body.extend_from_slice(caller.key_id.as_bytes());
    body.extend_from_slice(&(Utc::now().timestamp() + LIFETIME_SECS).to_le_bytes());
    let mac = state.keyring.sign_session(&body);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&body),
        URL_SAFE_NO_PAD.encode(&mac[..16])
    )
}

/// The `Set-Cookie` header for a session value (empty value: log out).
pub fn set_cookie(value: &str, secure: bool) -> String {
    let max_age = if value.is_empty() { 0 } else { LIFETIME_SECS };
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}

fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn verify(state: &AppState, value: &str) -> Option<(Uuid, Uuid)> {
    let (body, mac) = value.split_once('.')?;
    let body = URL_SAFE_NO_PAD.decode(body).ok()?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    if body.len() != 40 || !macs_equal(&state.keyring.sign_session(&body)[..16], &mac) {
        return None;
    }
    let expires = i64::from_le_bytes(body[32..40].try_into().ok()?);
    if expires < Utc::now().timestamp() {
        return None;
    }
    Some((
        Uuid::from_slice(&body[..16]).ok()?,
        Uuid::from_slice(&body[16..32]).ok()?,
    ))
}

/// A logged-in dashboard user. Without a valid session, handlers redirect to the login page.
pub struct Session {
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
        let value = cookie_value(parts, COOKIE).ok_or(LoginRequired)?;
        let (account_id, key_id) = verify(state, value).ok_or(LoginRequired)?;
        // The key must still be valid: revoking it ends the session.
        let keys = state
            .store
            .list_api_keys(account_id)
            .await
            .map_err(|_| LoginRequired)?;
        if !keys
            .iter()
            .any(|k| k.id == key_id && k.revoked_at.is_none())
        {
            return Err(LoginRequired);
        }
        let csrf = URL_SAFE_NO_PAD.encode(
            &state
                .keyring
                .sign_session(format!("csrf:{value}").as_bytes())[..18],
        );
        Ok(Session {
            caller: Caller {
                account_id,
                key_id,
                session_id: None,
                addr: None,
            },
            csrf,
        })
    }
}

//! Logging in and out of the dashboard.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{FromRequest, Request, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};

use super::{
    render,
    session::{self, Session, COOKIE, LOGIN_CSRF_COOKIE},
};
use crate::{auth::Caller, layers::client_addr, state::AppState};

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    csrf: String,
    error: Option<String>,
}

fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (nonce, csrf) = session::login_csrf(state);
    let secure = session::secure(state, headers);
    let cookie = session::cookie(LOGIN_CSRF_COOKIE, &nonce, "/dashboard/login", 3600, secure);
    (
        status,
        [(header::SET_COOKIE, cookie)],
        render(&LoginPage { csrf, error }),
    )
        .into_response()
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_form(&state, &headers, StatusCode::OK, None)
}

/// The login form: the server-signed CSRF token, the address's failed-login budget, then
/// the API key.
pub async fn login(State(state): State<AppState>, req: Request) -> Response {
    let addr = client_addr(&req);
    let headers = req.headers().clone();
    let Ok(Form(form)) = Form::<HashMap<String, String>>::from_request(req, &state).await else {
        return login_form(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            Some("The form could not be read.".into()),
        );
    };
    let nonce = session::cookie_value(&headers, LOGIN_CSRF_COOKIE);
    if !session::check_login_csrf(&state, nonce, form.get("csrf").map(String::as_str)) {
        let msg = "The form expired; please try again.";
        return login_form(&state, &headers, StatusCode::UNAUTHORIZED, Some(msg.into()));
    }
    let limits = state.limiter.settings().enabled;
    let too_many = |wait: Option<u64>| {
        let msg = format!(
            "Too many failed logins; try again in {} s.",
            wait.unwrap_or(60)
        );
        login_form(&state, &headers, StatusCode::TOO_MANY_REQUESTS, Some(msg))
    };
    if let Some(refusal) = limits.then(|| state.limiter.blocked(addr)).flatten() {
        return too_many(refusal.retry_after_secs);
    }
    let mut caller = match Caller::from_key(&state, form.get("api_key").map(String::as_str)).await {
        Ok(caller) => caller,
        Err(_) => {
            if let Some(refusal) = limits.then(|| state.limiter.failed_auth(addr)).flatten() {
                return too_many(refusal.retry_after_secs);
            }
            let msg = "That API key is not valid.";
            return login_form(&state, &headers, StatusCode::UNAUTHORIZED, Some(msg.into()));
        }
    };
    caller.addr = Some(addr);
    let (value, max_age) = match session::issue(&state, &caller).await {
        Ok(issued) => issued,
        Err(e) => {
            tracing::error!(error = %e, "could not open a dashboard session");
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response();
        }
    };
    let set = session::cookie(
        COOKIE,
        &value,
        "/dashboard",
        max_age,
        session::secure(&state, &headers),
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, set),
            (header::LOCATION, "/dashboard".to_owned()),
        ],
    )
        .into_response()
}

/// Ends the session on the server, then clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !session.check_csrf(form.get("csrf")) {
        return (StatusCode::FORBIDDEN, "Invalid form token").into_response();
    }
    if let Err(e) = session::end(&state, &session).await {
        tracing::error!(error = %e, "could not end a dashboard session");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response();
    }
    let clear = session::cookie(
        COOKIE,
        "",
        "/dashboard",
        0,
        session::secure(&state, &headers),
    );
    (
        [(header::SET_COOKIE, clear)],
        Redirect::to("/dashboard/login"),
    )
        .into_response()
}

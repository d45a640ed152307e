//! The operator dashboard at `/dashboard`: server-rendered pages, no JavaScript. Log in
//! with an API key; see every connection's health coloured by who must act, open one to
//! read its failing exports, resolution, job history ("error logs") and uptime, run it
//! now, fix its credentials, and browse its alerts and devices.

mod connection;
mod connections;
mod findings;
mod identity;
mod records;
mod session;
mod view;

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{auth::Caller, state::AppState};
pub use session::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(connections::page))
        .route("/dashboard/login", get(login_page).post(login))
        .route("/dashboard/logout", post(logout))
        .route("/dashboard/connections/{id}", get(connection::page))
        .route("/dashboard/connections/{id}/run", post(connection::run_now))
        .route("/dashboard/connections/{id}/credentials", post(connection::save_credentials))
        .route("/dashboard/connections/{id}/alerts", get(records::alerts))
        .route("/dashboard/connections/{id}/devices", get(records::devices))
        .route("/dashboard/connections/{id}/findings", get(findings::page))
        .route("/dashboard/connections/{id}/users", get(identity::users))
        .route("/dashboard/connections/{id}/groups", get(identity::groups))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

/// Renders a template, or a plain 500 (logged) if rendering fails.
pub(crate) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "dashboard template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response()
        }
    }
}

const LOGIN_CSRF_COOKIE: &str = "trb_login_csrf";

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    csrf: String,
    error: Option<String>,
}

fn login_form(error: Option<String>) -> Response {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let csrf = URL_SAFE_NO_PAD.encode(bytes);
    let cookie = format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/dashboard/login; HttpOnly; SameSite=Strict; Max-Age=3600");
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    (
        status,
        [(header::SET_COOKIE, cookie)],
        render(&LoginPage { csrf, error }),
    )
        .into_response()
}

async fn login_page() -> Response {
    login_form(None)
}

/// Double-submit CSRF check for the login form, then the API key.
async fn login(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_CSRF_COOKIE)
        .map(|(_, v)| v.to_owned());
    if cookie.is_none() || cookie.as_ref() != form.get("csrf") {
        return login_form(Some("The form expired; please try again.".into()));
    }
    match Caller::from_key(&state, form.get("api_key").map(String::as_str)).await {
        Ok(caller) => {
            let value = session::issue(&state, &caller);
            let set = session::set_cookie(&value, false);
            (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, set),
                    (header::LOCATION, "/dashboard".to_owned()),
                ],
            )
                .into_response()
        }
        Err(_) => login_form(Some("That API key is not valid.".into())),
    }
}

async fn logout(session: Session, Form(form): Form<HashMap<String, String>>) -> Response {
    if !session.check_csrf(form.get("csrf")) {
        return (StatusCode::FORBIDDEN, "Invalid form token").into_response();
    }
    (
        [(header::SET_COOKIE, session::set_cookie("", false))],
        Redirect::to("/dashboard/login"),
    )
        .into_response()
}

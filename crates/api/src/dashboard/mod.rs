//! The operator dashboard at `/dashboard`: server-rendered pages, no JavaScript. Log in
//! with an API key; see every connection's health coloured by who must act, open one to
//! read its failing exports, resolution, job history ("error logs") and uptime, run it
//! now, fix its credentials, and browse its alerts and devices.

mod audit;
mod connection;
mod connections;
mod findings;
mod identity;
mod login;
mod records;
pub(crate) mod session;
pub(crate) mod view;

use askama::Template;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
    Router,
};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;
pub use session::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(connections::page))
        .route("/dashboard/login", get(login::login_page).post(login::login))
        .route("/dashboard/logout", post(login::logout))
        .route("/dashboard/audit", get(audit::page))
        .route("/dashboard/connections/{id}", get(connection::page))
        .route("/dashboard/connections/{id}/run", post(connection::run_now))
        .route("/dashboard/connections/{id}/credentials", post(connection::save_credentials))
        .route("/dashboard/connections/{id}/fix-link", post(connection::fix_link))
        .route("/dashboard/connections/{id}/alerts", get(records::alerts))
        .route("/dashboard/connections/{id}/devices", get(records::devices))
        .route("/dashboard/connections/{id}/findings", get(findings::page))
        .route(
            "/dashboard/connections/{id}/findings/{finding_id}",
            get(findings::finding),
        )
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

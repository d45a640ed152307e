//! Tributary's HTTP API: `/v1` (provisioning, EDR data, jobs, health, webhooks), the
//! OpenAPI document and interactive docs, operational endpoints and the dashboard.

pub mod app;
pub mod auth;
mod connect;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod layers;
pub mod openapi;
mod openapi_strict;
pub mod pagination;
pub mod rate_limit;
pub mod routes;
mod server;
pub mod state;
pub mod telemetry;
pub mod validate;

use std::future::Future;

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Request},
    middleware,
    response::IntoResponse,
    routing::get,
    Json, Router,
};
use tokio::net::TcpListener;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use utoipa_swagger_ui::SwaggerUi;

pub use error::{ApiError, ApiResult};
pub use state::{ApiSettings, AppState};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let openapi::Versions {
        v1,
        v2,
        doc: openapi,
    } = openapi::versions();
    let body_limit = state.settings.body_limit_bytes;
    let spec = openapi.clone();
    // Every /v1 and /v2 answer is the caller's own data (some carry secrets): rate-limited
    // per key, never cached.
    let protect = |router: Router<AppState>| {
        router
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                layers::authenticate,
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
    };
    let (v1, v2) = (protect(v1), protect(v2));
    Router::new()
        .nest("/v1", v1)
        .nest("/v2", v2)
        .route("/openapi.json", get(move || async move { Json(spec) }))
        .merge(SwaggerUi::new("/docs").external_url_unchecked("/docs/openapi.json", openapi))
        .merge(routes::ops::router())
        .merge(dashboard::router())
        .merge(connect::router())
        .route("/", get(|| async { axum::response::Redirect::to("/dashboard") }))
        .route_layer(middleware::from_fn(telemetry::track))
        .fallback(|| async { ApiError::NotFound("Not Found".into()) })
        .method_not_allowed_fallback(|| async {
            (axum::http::StatusCode::METHOD_NOT_ALLOWED, Json(serde_json::json!({"detail": "Method Not Allowed"}))).into_response()
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(layers::limit_uri))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            layers::nosniff(),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn(layers::sanitize_request_id))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` resolves, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_read_timeout = state.settings.header_read_timeout;
    server::run(listener, app(state), header_read_timeout, shutdown).await
}

//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::router::OpenApiRouter;

use tributary_model::validation::FieldError;
use utoipa::ToSchema;

use crate::{routes, state::AppState};

/// A validation error: every problem of the request, each with its location.
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
#[derive(ToSchema)]
pub struct HTTPValidationError {
    pub detail: Vec<FieldError>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tributary",
        description = "A self-hostable unified API for security tools: provisioning, \
            normalized EDR data, connection health, jobs and webhooks. Wire-compatible with \
            the documented commercial API; everything beyond it is additive.",
        license(name = "Apache-2.0")
    ),
    servers((url = "/v1")),
    modifiers(&SecurityAddon),
    tags(
        (name = "Provisioning", description = "Organizations and connections"),
        (name = "EDR", description = "Normalized alerts and devices of one connection"),
        (name = "Jobs", description = "Sync runs of a connection (additive)"),
        (name = "Health", description = "Health history, uptime and the account summary (additive)"),
        (name = "Webhooks", description = "Signed event notifications (additive)"),
        (name = "Connectors", description = "Supported vendors"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-KEY"))),
        );
    }
}

/// Every `/v1` route with its documentation; paths are relative to `/v1`.
pub fn v1_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/provisioning",
            routes::organizations::router()
                .merge(routes::connections::router())
                .merge(routes::jobs::router())
                .merge(routes::health::connection_router()),
        )
        .merge(routes::edr::router())
        .merge(routes::health::summary_router())
        .merge(routes::webhooks::router())
        .merge(routes::connectors::router())
}

/// The OpenAPI document as pretty JSON (what `tributary openapi` prints and CI compares).
pub fn document() -> utoipa::openapi::OpenApi {
    v1_router().split_for_parts().1
}

pub fn document_json() -> String {
    document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}

//! `GET /v1/connectors`: the catalogue of vendors (from the vendor registry), their
//! credential fields and options, and their data exports with the endpoints each calls
//! and the permission each needs.

use axum::{extract::State, Json};
use serde::Serialize;
use tributary_model::{options::COMMON, Category, DataExportType, Vendor};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{auth::Caller, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_connectors))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorInfo {
    pub vendor: Vendor,
    pub vendor_name: &'static str,
    pub category: Category,
    pub credentials: Vec<CredentialField>,
    /// The `options` a connection of this vendor takes.
    pub options: Vec<OptionInfo>,
    pub data_exports: Vec<DataExportInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialField {
    pub name: &'static str,
    pub required: bool,
    /// Write-only secret (never returned by the API).
    pub secret: bool,
    /// The value used when the field is left out.
    pub default: Option<&'static str>,
    /// Where to find the value.
    pub description: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionInfo {
    pub name: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataExportInfo {
    pub data_export_type: DataExportType,
    pub endpoints: Vec<&'static str>,
    /// What the credentials must be allowed to do for this export.
    pub permission: &'static str,
}

/// List the supported connectors.
#[utoipa::path(get, path = "/connectors", tag = "Connectors",
    responses((status = 200, body = Vec<ConnectorInfo>), (status = 401)),
    security(("api_key" = [])))]
async fn list_connectors(
    State(state): State<AppState>,
    _caller: Caller,
) -> Json<Vec<ConnectorInfo>> {
    let items = state
        .engine
        .registry()
        .all()
        .into_iter()
        .map(|spec| ConnectorInfo {
            vendor: spec.vendor,
            vendor_name: spec.name,
            category: spec.category,
            credentials: spec
                .credentials
                .iter()
                .map(|f| CredentialField {
                    name: f.name,
                    required: f.is_required(),
                    secret: f.is_secret(),
                    default: f.default,
                    description: f.description,
                })
                .collect(),
            options: COMMON
                .iter()
                .chain(spec.options)
                .map(|o| OptionInfo {
                    name: o.name,
                    description: o.description,
                })
                .collect(),
            data_exports: spec
                .exports
                .iter()
                .map(|e| DataExportInfo {
                    data_export_type: e.data_export_type,
                    endpoints: e.endpoints.to_vec(),
                    permission: e.permission,
                })
                .collect(),
        })
        .collect();
    Json(items)
}

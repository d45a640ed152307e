//! `GET /v1/connectors`: the catalogue of vendors, their credential fields and their
//! data exports with the endpoints each calls.

use axum::Json;
use serde::Serialize;
use tributary_connectors::catalogue;
use tributary_model::{credentials::field_names, DataExportType, Vendor};
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
    pub category: &'static str,
    pub credentials: Vec<CredentialField>,
    pub data_exports: Vec<DataExportInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialField {
    pub name: &'static str,
    pub required: bool,
    /// Write-only secret (never returned by the API).
    pub secret: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataExportInfo {
    pub data_export_type: DataExportType,
    pub endpoints: Vec<&'static str>,
}

/// List the supported connectors.
#[utoipa::path(get, path = "/connectors", tag = "Connectors",
    responses((status = 200, body = Vec<ConnectorInfo>), (status = 401)),
    security(("api_key" = [])))]
async fn list_connectors(_caller: Caller) -> Json<Vec<ConnectorInfo>> {
    let items = Vendor::ALL
        .into_iter()
        .map(|vendor| ConnectorInfo {
            vendor,
            vendor_name: vendor.display_name(),
            category: "EDR",
            credentials: field_names(vendor)
                .into_iter()
                .map(|(name, required)| CredentialField {
                    name,
                    required,
                    secret: matches!(name, "api_token" | "client_secret"),
                })
                .collect(),
            data_exports: catalogue::exports(vendor)
                .iter()
                .map(|e| DataExportInfo {
                    data_export_type: e.data_export_type,
                    endpoints: e.endpoints.to_vec(),
                })
                .collect(),
        })
        .collect();
    Json(items)
}

//! Checking credentials against the vendor: one minimal request per data export. Used by
//! the credential-fix flow (PATCH) and `GET …/connections/{id}/test`.

use std::time::Duration;

use serde::Serialize;
use tributary_connectors::VendorSpec;
use tributary_model::{credentials::Credentials, DataExportType, HealthName};
use utoipa::ToSchema;

use crate::Engine;

/// One export the vendor did not let the credentials read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProbeFailure {
    pub data_export_type: DataExportType,
    pub endpoint: String,
    /// How the failure classifies (UNAUTHORIZED when the vendor refused the credentials).
    pub name: HealthName,
    pub http_status: Option<u16>,
    pub message: String,
}

/// The result of a credential check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CredentialCheck {
    /// True when every data export could be read.
    pub is_valid: bool,
    pub message: String,
    /// The exports that failed; null when valid.
    pub details: Option<Vec<ProbeFailure>>,
}

impl CredentialCheck {
    /// The vendor refused the credentials (or their URL) for at least one export.
    pub fn refused(&self) -> bool {
        self.failures().any(|f| {
            matches!(
                f.name,
                HealthName::Unauthorized | HealthName::VendorClientError
            )
        })
    }

    fn failures(&self) -> impl Iterator<Item = &ProbeFailure> {
        self.details.iter().flatten()
    }
}

impl Engine {
    /// Probes every data export of `spec` with `credentials`, concurrently, with few
    /// retries.
    pub async fn check_credentials(
        &self,
        spec: &'static VendorSpec,
        credentials: &Credentials,
        options: Option<&serde_json::Value>,
    ) -> CredentialCheck {
        let mut settings = self.settings.http.clone();
        settings.max_retries = settings.max_retries.min(1);
        settings.retry_max_wait = settings.retry_max_wait.min(Duration::from_secs(5));
        let conn = self.connector_with(spec, credentials, options, settings);
        let checks = spec.exports.iter().map(|export| {
            let conn = conn.clone();
            async move { (export, conn.probe(export.data_export_type).await) }
        });
        let failures: Vec<ProbeFailure> = futures::future::join_all(checks)
            .await
            .into_iter()
            .filter_map(|(spec, result)| {
                result.err().map(|e| ProbeFailure {
                    data_export_type: spec.data_export_type,
                    endpoint: e.endpoint.clone(),
                    name: e.health(),
                    http_status: e.http_status,
                    message: e.message.clone(),
                })
            })
            .collect();
        if failures.is_empty() {
            return CredentialCheck {
                is_valid: true,
                message: format!(
                    "{} accepted the credentials for every data export",
                    spec.name
                ),
                details: None,
            };
        }
        let names: Vec<&str> = failures
            .iter()
            .map(|f| f.data_export_type.as_str())
            .collect();
        CredentialCheck {
            is_valid: false,
            message: format!("{} did not allow: {}", spec.name, names.join(", ")),
            details: Some(failures),
        }
    }
}

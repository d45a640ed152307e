//! Qualys VMDR: vulnerability findings through the Host List Detection API (XML, paged by
//! truncation), with each QID's title, CVEs, CVSS and solution from the KnowledgeBase.
//! Qualys throttles with 409 and reports errors in its own `SIMPLE_RETURN` envelope,
//! sometimes inside a 200.

pub mod api;
pub mod client;
pub mod endpoints;
pub mod mapping;
pub mod simple_return;
pub mod xml;

pub use endpoints::VENDOR;
use endpoints::*;
use tributary_model::{
    credentials::{CredentialField, FieldKind},
    options::{OptionField, OptionKind},
    record::Mapped,
    Category, DataExportType,
};

use crate::{
    pacing::PaceLimits,
    spec::{ExportSpec, VendorSpec},
};

pub static SPEC: VendorSpec = VendorSpec {
    vendor: VENDOR,
    name: "Qualys VMDR",
    category: Category::Vms,
    exports: &[ExportSpec {
        data_export_type: DataExportType::Vulnerabilities,
        endpoints: &[DETECTIONS, KNOWLEDGE_BASE],
        permission: "API access and the VM module for a Manager (all hosts) or a Unit Manager, \
                     Scanner or Reader (the hosts of their scope); Auditors see no hosts",
        map: |raw, ctx| Ok(Mapped::Finding(Box::new(mapping::finding(raw, ctx)?))),
    }],
    credentials: &[
        CredentialField::required(
            "username",
            FieldKind::Text,
            "The Qualys user's login (an API user, not a person's account)",
        ),
        CredentialField::required("password", FieldKind::Secret, "The Qualys user's password"),
        CredentialField::required(
            "base_url",
            FieldKind::Url,
            "The API server of the customer's platform, e.g. https://qualysapi.qg2.apps.qualys.com \
             (Help > About in the Qualys UI names it)",
        ),
    ],
    options: &[OptionField {
        name: "hosts_per_batch",
        kind: OptionKind::Integer {
            min: 1,
            max: 1_000_000,
        },
        description: "Hosts per Host List Detection answer (its truncation_limit; 1,000 by \
                      default): smaller batches make shorter calls",
    }],
    // Qualys allows 300 calls per hour per API on most subscriptions, and two at once;
    // a job makes few, long calls. Its headers say when to wait (see `api`).
    pacing: PaceLimits::new(30.0, 300.0 / 3600.0),
    token_endpoint: None,
    credential_help: "A Qualys Manager creates the user (Users > New User) with the \
                      Manager role, or a narrower role scoped to the hosts to sync, and \
                      ticks \"Allow access to: API\" under Permissions; the account must have \
                      completed its registration (first login) and must not require \
                      SecureID.",
    connect: client::connect,
};

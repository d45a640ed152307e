//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use tributary_connectors::Registry;
use tributary_model::{AdvisoryCode, Category, HealthName};
use tributary_store::incidents::IncidentStatus;
use utoipa::{
    openapi::{
        security::{ApiKey, ApiKeyValue, SecurityScheme},
        ContentBuilder, Ref, RefOr, ResponseBuilder, Schema,
    },
    Modify, OpenApi,
};
use utoipa_axum::router::OpenApiRouter;

use tributary_model::validation::FieldError;
use utoipa::ToSchema;

use crate::{app, openapi_strict, routes, state::AppState};

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
    components(schemas(HTTPValidationError)),
    modifiers(&SecurityAddon),
    tags(
        (name = "Provisioning", description = "Organizations and connections"),
        (name = "EDR", description = "Normalized alerts and devices of one connection"),
        (name = "VMS", description = "Vulnerability findings of one connection (v2: served under `/v2`)"),
        (name = "IDP", description = "Users, groups, applications and policies of one identity provider connection, and the memberships between them"),
        (name = "Jobs", description = "Sync runs of a connection (additive)"),
        (name = "Health", description = "Health history, uptime and the account summary (additive)"),
        (name = "Webhooks", description = "Signed event notifications (additive)"),
        (name = "Connectors", description = "Supported vendors"),
        (name = "Audit", description = "Who changed what, when and from where (additive)"),
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
        components.add_security_scheme(
            "connection_invite_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CONNECTION-INVITE-TOKEN",
                "A connection invite token, instead of X-API-KEY, on Create Connection (a \
                 create token) and Update Connection (an update token)",
            ))),
        );
    }
}

/// Every operation that takes input (parameters or a body) can answer 422 with the
/// documented `{"detail": [{"loc", "msg", "type"}]}` body: say so on each of them.
struct ValidationErrors;

impl Modify for ValidationErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let takes_input = !item.parameters.as_ref().is_none_or(Vec::is_empty);
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let own_input =
                    op.request_body.is_some() || !op.parameters.as_ref().is_none_or(Vec::is_empty);
                if !(takes_input || own_input) {
                    continue;
                }
                let response = ResponseBuilder::new()
                    .description("Validation error: every problem, each with its location")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("HTTPValidationError")))
                            .build(),
                    )
                    .build();
                op.responses
                    .responses
                    .insert("422".into(), RefOr::T(response));
            }
        }
    }
}

/// The vendor names are the registry's: the `Vendor` schema lists every built-in vendor,
/// `SourceVendor` (inside records) the same in lower case.
struct VendorNames;

impl Modify for VendorNames {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let registry = Registry::builtin();
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let names = |specs: Vec<&tributary_connectors::VendorSpec>, lower: bool| {
            specs
                .iter()
                .map(|s| {
                    let name = s.vendor.as_str();
                    if lower {
                        name.to_ascii_lowercase()
                    } else {
                        name.to_owned()
                    }
                })
                .collect::<Vec<_>>()
        };
        for (schema, values) in [
            ("Vendor", names(registry.all(), false)),
            (
                "SourceVendor",
                names(registry.in_category(Category::Edr), true),
            ),
        ] {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(schema) {
                o.enum_values = Some(values.into_iter().map(Into::into).collect());
            }
        }
    }
}

/// Every `/v1` route with its documentation; paths are relative to `/v1`.
pub fn v1_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/provisioning",
            routes::organizations::router()
                .merge(routes::connections::router())
                .merge(routes::invites::router())
                .merge(routes::jobs::router())
                .merge(routes::health::connection_router()),
        )
        .merge(routes::edr::router())
        .merge(routes::idp::router())
        .merge(routes::health::summary_router())
        .merge(routes::incidents::router())
        .merge(routes::webhooks::router())
        .merge(routes::connectors::router())
        .merge(routes::audit::router())
}

/// The versioned API: the `/v1` and `/v2` routers and their finished OpenAPI document.
pub struct Versions {
    pub v1: axum::Router<AppState>,
    pub v2: axum::Router<AppState>,
    pub doc: serde_json::Value,
}

/// The values of each comma-separated filter, by parameter name.
fn list_filters() -> Vec<(&'static str, Vec<String>)> {
    let registry = Registry::builtin();
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        (
            "healthStatusCodes",
            HealthName::ALL
                .iter()
                .map(|h| h.as_str().to_owned())
                .collect(),
        ),
        (
            "advisoryCodes",
            AdvisoryCode::ALL
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        ),
        (
            "vendor",
            registry
                .all()
                .iter()
                .map(|s| s.vendor.to_string())
                .collect(),
        ),
        (
            "state",
            strings(&["PENDING", "ACTIVE", "PAUSED", "DELETED"]),
        ),
        // Vendor incidents' filter (the EDR lists' `status` takes the records' own names
        // and is left out of these rules).
        (
            "status",
            IncidentStatus::ALL
                .iter()
                .map(|s| s.wire().to_owned())
                .collect(),
        ),
        ("targetType", strings(&app::audit::TARGET_TYPES)),
        ("action", strings(&app::audit::ACTIONS)),
    ]
}

/// Both API versions and one document: the route annotations, the v2 paths with their
/// own server (`/v2`; the document's default server is `/v1`), what only the whole
/// document can say (422 bodies everywhere, the registry's vendor names), then the
/// strictness rules ([`openapi_strict`]), applied to the JSON because they use JSON
/// Schema that utoipa's types do not model.
pub fn versions() -> Versions {
    let (v1, mut doc) = v1_router().split_for_parts();
    let (v2, v2_doc) = OpenApiRouter::<AppState>::new()
        .merge(routes::vms::router())
        .split_for_parts();
    let v2_server = utoipa::openapi::server::Server::new("/v2");
    for (path, mut item) in v2_doc.paths.paths {
        item.servers = Some(vec![v2_server.clone()]);
        doc.paths.paths.insert(path, item);
    }
    if let (Some(components), Some(v2_components)) = (doc.components.as_mut(), v2_doc.components) {
        components.schemas.extend(v2_components.schemas);
    }
    ValidationErrors.modify(&mut doc);
    VendorNames.modify(&mut doc);
    let mut json = serde_json::to_value(&doc).expect("the document serializes");
    let events = tributary_engine::webhooks::events::ALL_EVENT_TYPES;
    openapi_strict::tighten(&mut json, &Registry::builtin(), &list_filters(), events);
    Versions { v1, v2, doc: json }
}

/// The OpenAPI document (what `tributary openapi` prints and CI compares).
pub fn document() -> serde_json::Value {
    versions().doc
}

pub fn document_json() -> String {
    serde_json::to_string_pretty(&document()).expect("the OpenAPI document serializes")
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn doc() -> Value {
        serde_json::from_str(&document_json()).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, &Value)> {
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                // Path-level `servers` (the v2 paths') is not an operation.
                if method != "servers" {
                    ops.push((format!("{method} {path}"), op));
                }
            }
        }
        ops
    }

    #[test]
    fn the_document_is_as_strict_as_the_server() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["WebhookCreate"]["required"],
            serde_json::json!(["url"])
        );
        for body in [
            "OrganizationCreate",
            "WebhookCreate",
            "WebhookUpdate",
            "ConnectionUpdate",
        ] {
            assert_eq!(schemas[body]["additionalProperties"], false, "{body}");
        }
        for (name, op) in operations(&doc) {
            for p in op["parameters"].as_array().into_iter().flatten() {
                match p["name"].as_str().unwrap() {
                    "limit" => {
                        assert_eq!(p["schema"]["minimum"], 1, "{name}");
                        assert_eq!(p["schema"]["maximum"], 1000, "{name}");
                    }
                    "offset" => assert_eq!(p["schema"]["minimum"], 0, "{name}"),
                    _ => {}
                }
            }
            let responses = &op["responses"];
            for code in ["401", "429"] {
                assert!(responses[code]["content"].is_object(), "{name} {code}");
            }
            assert!(
                responses["429"]["headers"]["Retry-After"].is_object(),
                "{name}"
            );
            if op.get("requestBody").is_some() {
                assert!(responses["415"].is_object(), "{name} documents 415");
            }
        }
        let create = &schemas["ConnectionCreate"];
        assert_eq!(create["discriminator"]["propertyName"], "vendor");
        let vendors = Registry::builtin().all().len();
        assert_eq!(create["oneOf"].as_array().unwrap().len(), vendors);
        let s1 = &schemas["ConnectionCreate_SENTINELONE"];
        assert_eq!(s1["additionalProperties"], false);
        let creds = &schemas["Credentials_SENTINELONE"];
        assert_eq!(
            creds["required"],
            serde_json::json!(["base_url", "api_token"])
        );
        assert_eq!(creds["additionalProperties"], false);
        let update = &schemas["ConnectionUpdate"]["properties"]["credentials"]["oneOf"];
        assert_eq!(update.as_array().unwrap().len(), vendors + 1);
    }

    #[test]
    fn every_operation_with_input_documents_its_422_body() {
        let doc = doc();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let input = op.get("parameters").is_some() || op.get("requestBody").is_some();
                if !input {
                    continue;
                }
                let schema = &op["responses"]["422"]["content"]["application/json"]["schema"];
                assert_eq!(
                    schema["$ref"], "#/components/schemas/HTTPValidationError",
                    "{method} {path}"
                );
            }
        }
    }

    #[test]
    fn records_and_pages_are_documented_as_served() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        for record in ["Alert", "Device"] {
            assert!(
                schemas[record]["properties"]["updated_at"].is_object(),
                "{record}"
            );
        }
        let observable = &schemas["Observable"]["properties"];
        assert_eq!(observable["type_id"]["enum"].as_array().unwrap().len(), 32);
        assert_eq!(observable["type"]["enum"][2], "IP_ADDRESS");
        let page = &schemas["Page_Alert"];
        assert!(page["required"]
            .as_array()
            .unwrap()
            .contains(&Value::from("total")));
        assert_eq!(page["properties"]["total"]["type"][1], "null");
        let vendors: Vec<String> = Registry::builtin()
            .all()
            .iter()
            .map(|s| s.vendor.to_string())
            .collect();
        assert_eq!(schemas["Vendor"]["enum"], serde_json::json!(vendors));
    }

    #[test]
    fn identity_lists_are_documented_with_their_fields_and_includes() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        let lists = [
            ("/idp/users", "IdpUser", &[][..]),
            (
                "/idp/users/{user_id}/groups",
                "IdpGroup",
                &["includeIdpUsers", "includeIdpApplications"][..],
            ),
            (
                "/idp/groups",
                "IdpGroup",
                &["includeIdpUsers", "includeIdpApplications"][..],
            ),
            ("/idp/groups/{group_id}/users", "IdpUser", &[][..]),
            (
                "/idp/applications",
                "IdpApplication",
                &["includeIdpUsers", "includeIdpGroups"][..],
            ),
            (
                "/idp/applications/{application_id}/users",
                "IdpUser",
                &[][..],
            ),
            (
                "/idp/applications/{application_id}/groups",
                "IdpGroup",
                &["includeIdpUsers"][..],
            ),
            ("/idp/policies", "IdpPolicy", &[][..]),
            ("/idp/policies/{policy_id}/groups", "IdpGroup", &[][..]),
            (
                "/idp/policies/{policy_id}/applications",
                "IdpApplication",
                &[][..],
            ),
            ("/idp/policies/{policy_id}/users", "IdpUser", &[][..]),
        ];
        for (path, item, includes) in lists {
            let op = &doc["paths"][path]["get"];
            assert_eq!(op["tags"][0], "IDP", "{path}");
            let body = &op["responses"]["200"]["content"]["application/json"]["schema"];
            assert_eq!(
                body["$ref"],
                format!("#/components/schemas/Page_{item}"),
                "{path}"
            );
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            for p in [
                "X-CONNECTION-ID",
                "limit",
                "offset",
                "excludeTotal",
                "skipTotal",
            ] {
                assert!(params.contains(&p), "{path}: {p}");
            }
            for p in ["enableCursor", "cursor", "updatedSince"]
                .iter()
                .chain(includes)
            {
                assert!(params.contains(p), "{path}: {p}");
            }
        }
        let documented = |schema: &str, fields: &[&str]| {
            for f in fields {
                assert!(
                    schemas[schema]["properties"][*f].is_object(),
                    "{schema}.{f}"
                );
            }
        };
        documented(
            "IdpGroup",
            &[
                "id",
                "types",
                "description",
                "name",
                "vendor_id",
                "vendor_created_at",
                "last_membership_updated_at",
                "last_updated_at",
                "is_deleted",
                "users",
                "applications",
            ],
        );
        documented(
            "IdpApplication",
            &[
                "id",
                "labels",
                "name",
                "vendor_id",
                "version",
                "vendor_status",
                "vendor_created_at",
                "last_updated_at",
                "is_deleted",
                "users",
                "groups",
            ],
        );
        assert_eq!(schemas["IdpGroupType"]["enum"][0], "NATIVE");
        assert_eq!(
            schemas["IdpUserRef"]["required"],
            serde_json::json!(["id", "vendor_id"])
        );
    }
}

//! Per-vendor credential schemas. Parsing reports every problem with its location,
//! so a create or PATCH with bad credentials gets one complete 422.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;
use utoipa::ToSchema;

use crate::{
    validation::{FieldError, LocItem},
    Secret, Vendor,
};

/// The CrowdStrike US-1 cloud, the default when no `base_url` is given.
pub const CROWDSTRIKE_DEFAULT_BASE_URL: &str = "https://api.crowdstrike.com";
/// Microsoft Entra ID's public-cloud sign-in host.
pub const MS_DEFAULT_LOGIN_BASE_URL: &str = "https://login.microsoftonline.com";
/// The classic Defender for Endpoint API host.
pub const MS_DEFAULT_API_BASE_URL: &str = "https://api.securitycenter.microsoft.com";

/// SentinelOne: a console URL and an API token (a Viewer service user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SentinelOneCredentials {
    /// The console URL, e.g. `https://usea1-acme.sentinelone.net`.
    pub base_url: String,
    /// The API token, sent as `Authorization: ApiToken <token>`.
    #[schema(value_type = String, format = Password)]
    pub api_token: Secret,
}

/// CrowdStrike Falcon: an API client (OAuth2 client credentials).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdStrikeCredentials {
    pub client_id: String,
    #[schema(value_type = String, format = Password)]
    pub client_secret: Secret,
    /// The cloud's API URL; defaults to US-1 `https://api.crowdstrike.com`.
    pub base_url: String,
}

/// Microsoft Defender for Endpoint: an Entra ID app registration with
/// `Machine.Read.All` and `Alert.Read.All` application permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MsDefenderEndpointCredentials {
    pub tenant_id: String,
    pub client_id: String,
    #[schema(value_type = String, format = Password)]
    pub client_secret: Secret,
    /// Sign-in host; defaults to `https://login.microsoftonline.com`.
    pub login_base_url: String,
    /// API host; defaults to `https://api.securitycenter.microsoft.com`.
    pub api_base_url: String,
}

/// Credentials for one connection, parsed for its vendor.
#[derive(Debug, Clone, PartialEq)]
pub enum Credentials {
    Crowdstrike(CrowdStrikeCredentials),
    Sentinelone(SentinelOneCredentials),
    MsDefenderEndpoint(MsDefenderEndpointCredentials),
}

/// What a field must hold.
#[derive(Clone, Copy)]
enum FieldKind {
    Text,
    Url,
}

struct FieldSpec {
    name: &'static str,
    kind: FieldKind,
    /// `None` when required.
    default: Option<&'static str>,
}

const fn required(name: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        default: None,
    }
}

const fn optional(name: &'static str, default: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind: FieldKind::Url,
        default: Some(default),
    }
}

const SENTINELONE_FIELDS: &[FieldSpec] = &[
    required("base_url", FieldKind::Url),
    required("api_token", FieldKind::Text),
];
const CROWDSTRIKE_FIELDS: &[FieldSpec] = &[
    required("client_id", FieldKind::Text),
    required("client_secret", FieldKind::Text),
    optional("base_url", CROWDSTRIKE_DEFAULT_BASE_URL),
];
const MS_DEFENDER_ENDPOINT_FIELDS: &[FieldSpec] = &[
    required("tenant_id", FieldKind::Text),
    required("client_id", FieldKind::Text),
    required("client_secret", FieldKind::Text),
    optional("login_base_url", MS_DEFAULT_LOGIN_BASE_URL),
    optional("api_base_url", MS_DEFAULT_API_BASE_URL),
];

fn specs(vendor: Vendor) -> &'static [FieldSpec] {
    match vendor {
        Vendor::Sentinelone => SENTINELONE_FIELDS,
        Vendor::Crowdstrike => CROWDSTRIKE_FIELDS,
        Vendor::MsDefenderEndpoint => MS_DEFENDER_ENDPOINT_FIELDS,
    }
}

/// The credential field names a vendor takes, for the connectors catalogue.
pub fn field_names(vendor: Vendor) -> Vec<(&'static str, bool)> {
    specs(vendor)
        .iter()
        .map(|s| (s.name, s.default.is_none()))
        .collect()
}

impl Credentials {
    /// Parses `value` as `vendor`'s credentials. Errors carry locations relative to the
    /// credentials object (prefix them with `["body", "credentials"]`).
    pub fn parse(vendor: Vendor, value: &Value) -> Result<Credentials, Vec<FieldError>> {
        let Some(obj) = value.as_object() else {
            return Err(vec![FieldError::new(
                vec![],
                "model_attributes_type",
                "Input should be an object",
            )]);
        };
        let specs = specs(vendor);
        let mut errors = Vec::new();
        for key in obj.keys() {
            if !specs.iter().any(|s| s.name == key) {
                errors.push(FieldError::new(
                    vec![LocItem::from(key.as_str())],
                    "extra_forbidden",
                    format!("Extra inputs are not permitted for {vendor} credentials"),
                ));
            }
        }
        let mut fields = Map::new();
        for spec in specs {
            match read_field(obj, spec) {
                Ok(v) => {
                    fields.insert(spec.name.to_owned(), Value::String(v));
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let fields = Value::Object(fields);
        let parsed = match vendor {
            Vendor::Sentinelone => serde_json::from_value(fields).map(Credentials::Sentinelone),
            Vendor::Crowdstrike => serde_json::from_value(fields).map(Credentials::Crowdstrike),
            Vendor::MsDefenderEndpoint => {
                serde_json::from_value(fields).map(Credentials::MsDefenderEndpoint)
            }
        };
        // Every field was checked above, so this cannot fail; report it as a 422 anyway.
        parsed.map_err(|e| vec![FieldError::new(vec![], "value_error", e.to_string())])
    }

    pub fn vendor(&self) -> Vendor {
        match self {
            Credentials::Crowdstrike(_) => Vendor::Crowdstrike,
            Credentials::Sentinelone(_) => Vendor::Sentinelone,
            Credentials::MsDefenderEndpoint(_) => Vendor::MsDefenderEndpoint,
        }
    }

    /// The JSON form, secrets included. Only for sealing: never send or log it.
    pub fn to_sealable_json(&self) -> Value {
        let v = match self {
            Credentials::Crowdstrike(c) => serde_json::to_value(c),
            Credentials::Sentinelone(c) => serde_json::to_value(c),
            Credentials::MsDefenderEndpoint(c) => serde_json::to_value(c),
        };
        v.unwrap_or(Value::Null)
    }

    /// Every customer-supplied base URL, for the outbound URL guard.
    pub fn base_urls(&self) -> Vec<(&'static str, &str)> {
        match self {
            Credentials::Crowdstrike(c) => vec![("base_url", c.base_url.as_str())],
            Credentials::Sentinelone(c) => vec![("base_url", c.base_url.as_str())],
            Credentials::MsDefenderEndpoint(c) => vec![
                ("login_base_url", c.login_base_url.as_str()),
                ("api_base_url", c.api_base_url.as_str()),
            ],
        }
    }

    /// The secret values, so tests and log scrubbing can look for them.
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Credentials::Crowdstrike(c) => vec![c.client_secret.expose()],
            Credentials::Sentinelone(c) => vec![c.api_token.expose()],
            Credentials::MsDefenderEndpoint(c) => vec![c.client_secret.expose()],
        }
    }
}

fn read_field(obj: &Map<String, Value>, spec: &FieldSpec) -> Result<String, FieldError> {
    let loc = vec![LocItem::from(spec.name)];
    let raw = match obj.get(spec.name) {
        None | Some(Value::Null) => {
            return match spec.default {
                Some(d) => Ok(d.to_owned()),
                None => Err(FieldError::new(loc, "missing", "Field required")),
            }
        }
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => {
            return Err(FieldError::new(
                loc,
                "string_type",
                "Input should be a valid string",
            ))
        }
    };
    if raw.is_empty() {
        return Err(FieldError::new(
            loc,
            "string_too_short",
            "Value must not be empty",
        ));
    }
    if raw.len() > 4096 {
        return Err(FieldError::new(
            loc,
            "string_too_long",
            "Value is longer than 4096 characters",
        ));
    }
    match spec.kind {
        FieldKind::Text => Ok(raw),
        FieldKind::Url => {
            normalize_base_url(&raw).map_err(|msg| FieldError::new(loc, "url_parsing", msg))
        }
    }
}

/// Parses a base URL: http(s), a host, no credentials, query or fragment.
/// Returns it without a trailing slash. Whether the host may be called is the
/// outbound guard's decision, made later against configuration.
pub fn normalize_base_url(raw: &str) -> Result<String, String> {
    let url = Url::parse(raw).map_err(|e| format!("Input should be a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("URL scheme should be 'https'".to_owned());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("URL must have a host".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URL must not contain user information".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("URL must not contain a query or fragment".to_owned());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sentinelone_requires_both_fields() {
        let errs =
            Credentials::parse(Vendor::Sentinelone, &json!({"api_token": 5, "x": 1})).unwrap_err();
        let locs: Vec<_> = errs
            .iter()
            .map(|e| (e.loc.clone(), e.kind.clone()))
            .collect();
        assert!(locs.contains(&(vec!["x".into()], "extra_forbidden".into())));
        assert!(locs.contains(&(vec!["base_url".into()], "missing".into())));
        assert!(locs.contains(&(vec!["api_token".into()], "string_type".into())));
    }

    #[test]
    fn crowdstrike_defaults_to_us1() {
        let c = Credentials::parse(
            Vendor::Crowdstrike,
            &json!({"client_id": "id", "client_secret": "s3cret"}),
        )
        .unwrap();
        let Credentials::Crowdstrike(cs) = &c else {
            panic!("wrong vendor")
        };
        assert_eq!(cs.base_url, CROWDSTRIKE_DEFAULT_BASE_URL);
        assert_eq!(c.secrets(), vec!["s3cret"]);
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn defender_overrides_and_bad_urls() {
        let ok = Credentials::parse(
            Vendor::MsDefenderEndpoint,
            &json!({"tenant_id": "t", "client_id": "c", "client_secret": "s",
                    "api_base_url": "https://api.security.microsoft.com/"}),
        )
        .unwrap();
        assert_eq!(
            ok.base_urls(),
            vec![
                ("login_base_url", MS_DEFAULT_LOGIN_BASE_URL),
                ("api_base_url", "https://api.security.microsoft.com")
            ]
        );
        let errs = Credentials::parse(
            Vendor::MsDefenderEndpoint,
            &json!({"tenant_id": "t", "client_id": "c", "client_secret": "s",
                    "login_base_url": "ftp://x"}),
        )
        .unwrap_err();
        assert_eq!(errs[0].kind, "url_parsing");
    }

    #[test]
    fn not_an_object() {
        let errs = Credentials::parse(Vendor::Sentinelone, &json!("token")).unwrap_err();
        assert_eq!(errs[0].kind, "model_attributes_type");
    }
}

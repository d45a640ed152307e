//! Connection credentials, parsed against a vendor's credential fields (declared in the
//! vendor's spec in the connector registry). Parsing reports every problem with its
//! location, so a create or PATCH with bad credentials gets one complete 422.

use std::fmt;

use serde_json::{Map, Value};
use url::Url;

use crate::{
    validation::{FieldError, LocItem},
    Secret, Vendor,
};

/// What a credential field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Plain text (an id, a tenant, a domain).
    Text,
    /// Write-only text: never returned, never logged.
    Secret,
    /// A base URL the connector calls: checked by the outbound URL guard.
    Url,
}

/// One field of a vendor's credential object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialField {
    pub name: &'static str,
    pub kind: FieldKind,
    /// The value used when the field is absent; `None` when the field is required.
    pub default: Option<&'static str>,
    /// Where the customer finds the value, in words shown by the catalogue and docs.
    pub description: &'static str,
}

impl CredentialField {
    pub const fn required(name: &'static str, kind: FieldKind, description: &'static str) -> Self {
        CredentialField {
            name,
            kind,
            default: None,
            description,
        }
    }

    pub const fn optional(
        name: &'static str,
        kind: FieldKind,
        default: &'static str,
        description: &'static str,
    ) -> Self {
        CredentialField {
            name,
            kind,
            default: Some(default),
            description,
        }
    }

    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }

    pub fn is_secret(&self) -> bool {
        self.kind == FieldKind::Secret
    }
}

/// Credentials for one connection, parsed for its vendor: every field of the vendor's
/// spec, defaults filled in. `Debug` prints secrets as `***`.
#[derive(Clone, PartialEq)]
pub struct Credentials {
    vendor: Vendor,
    values: Vec<(&'static CredentialField, Secret)>,
}

impl Credentials {
    /// Parses `value` as `vendor`'s credentials with the fields `spec`. Errors carry
    /// locations relative to the credentials object (prefix them with
    /// `["body", "credentials"]`).
    pub fn parse(
        vendor: Vendor,
        spec: &'static [CredentialField],
        value: &Value,
    ) -> Result<Credentials, Vec<FieldError>> {
        let Some(obj) = value.as_object() else {
            return Err(vec![FieldError::new(
                vec![],
                "model_attributes_type",
                "Input should be an object",
            )]);
        };
        let mut errors = Vec::new();
        for key in obj.keys() {
            if !spec.iter().any(|s| s.name == key) {
                errors.push(FieldError::new(
                    vec![LocItem::from(key.as_str())],
                    "extra_forbidden",
                    format!("Extra inputs are not permitted for {vendor} credentials"),
                ));
            }
        }
        let mut values = Vec::with_capacity(spec.len());
        for field in spec {
            match read_field(obj, field) {
                Ok(v) => values.push((field, Secret::new(v))),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(Credentials { vendor, values })
        } else {
            Err(errors)
        }
    }

    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// The value of a text or URL field (secrets through [`Credentials::secret`]).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(f, _)| f.name == name && !f.is_secret())
            .map(|(_, v)| v.expose())
    }

    /// The value of a secret field.
    pub fn secret(&self, name: &str) -> Option<Secret> {
        self.values
            .iter()
            .find(|(f, _)| f.name == name && f.is_secret())
            .map(|(_, v)| v.clone())
    }

    /// The JSON form, secrets included. Only for sealing: never send or log it.
    pub fn to_sealable_json(&self) -> Value {
        Value::Object(
            self.values
                .iter()
                .map(|(f, v)| (f.name.to_owned(), Value::String(v.expose().to_owned())))
                .collect(),
        )
    }

    /// Every customer-supplied base URL, for the outbound URL guard.
    pub fn base_urls(&self) -> Vec<(&'static str, &str)> {
        self.values
            .iter()
            .filter(|(f, _)| f.kind == FieldKind::Url)
            .map(|(f, v)| (f.name, v.expose()))
            .collect()
    }

    /// The secret values, so tests and log scrubbing can look for them.
    pub fn secrets(&self) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(f, _)| f.is_secret())
            .map(|(_, v)| v.expose())
            .collect()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Credentials");
        s.field("vendor", &self.vendor);
        for (field, value) in &self.values {
            if field.is_secret() {
                s.field(field.name, value);
            } else {
                s.field(field.name, &value.expose());
            }
        }
        s.finish()
    }
}

fn read_field(obj: &Map<String, Value>, spec: &CredentialField) -> Result<String, FieldError> {
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
    if crate::validation::has_control_characters(&raw) {
        return Err(FieldError::control_characters(loc));
    }
    if raw.chars().count() > 4096 {
        return Err(FieldError::new(
            loc,
            "string_too_long",
            "Value is longer than 4096 characters",
        ));
    }
    match spec.kind {
        FieldKind::Text | FieldKind::Secret => Ok(raw),
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

    const TOKEN_VENDOR: Vendor = Vendor::named("TOKEN_VENDOR");
    const TOKEN_FIELDS: &[CredentialField] = &[
        CredentialField::required("base_url", FieldKind::Url, "console URL"),
        CredentialField::required("api_token", FieldKind::Secret, "API token"),
    ];
    const CLIENT_FIELDS: &[CredentialField] = &[
        CredentialField::required("client_id", FieldKind::Text, "client id"),
        CredentialField::required("client_secret", FieldKind::Secret, "secret"),
        CredentialField::optional(
            "base_url",
            FieldKind::Url,
            "https://api.example.com",
            "host",
        ),
        CredentialField::optional("login_url", FieldKind::Url, "https://login.example.com", ""),
    ];

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = Credentials::parse(TOKEN_VENDOR, TOKEN_FIELDS, &json!({"api_token": 5, "x": 1}))
            .unwrap_err();
        let locs: Vec<_> = errs
            .iter()
            .map(|e| (e.loc.clone(), e.kind.clone()))
            .collect();
        assert!(locs.contains(&(vec!["x".into()], "extra_forbidden".into())));
        assert!(locs.contains(&(vec!["base_url".into()], "missing".into())));
        assert!(locs.contains(&(vec!["api_token".into()], "string_type".into())));
    }

    #[test]
    fn defaults_fill_in_and_secrets_never_print() {
        let c = Credentials::parse(
            TOKEN_VENDOR,
            CLIENT_FIELDS,
            &json!({"client_id": "id", "client_secret": "s3cret",
                    "login_url": "https://login.example.org/"}),
        )
        .unwrap();
        assert_eq!(c.get("base_url"), Some("https://api.example.com"));
        assert_eq!(c.get("client_id"), Some("id"));
        assert_eq!(
            c.get("client_secret"),
            None,
            "secrets come through secret()"
        );
        assert_eq!(c.secret("client_secret").unwrap().expose(), "s3cret");
        assert_eq!(c.secrets(), vec!["s3cret"]);
        assert_eq!(
            c.base_urls(),
            vec![
                ("base_url", "https://api.example.com"),
                ("login_url", "https://login.example.org")
            ]
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        let sealed = c.to_sealable_json();
        assert_eq!(sealed["client_secret"], "s3cret");
        let again = Credentials::parse(TOKEN_VENDOR, CLIENT_FIELDS, &sealed).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn bad_urls_and_non_objects() {
        let errs = Credentials::parse(
            TOKEN_VENDOR,
            TOKEN_FIELDS,
            &json!({"base_url": "ftp://x", "api_token": "t"}),
        )
        .unwrap_err();
        assert_eq!(errs[0].kind, "url_parsing");
        let errs = Credentials::parse(TOKEN_VENDOR, TOKEN_FIELDS, &json!("token")).unwrap_err();
        assert_eq!(errs[0].kind, "model_attributes_type");
    }
}

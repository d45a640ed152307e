//! Who a request says it is: the `Authorization` header, bearer tokens, token-request
//! forms, and what of them the request log may show.

use std::time::Instant;

use axum::http::request::Parts;

use crate::auth::Registry;

/// Who a request says it is, worked out without side effects.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The credential label, if the request names a known credential or token.
    pub credential: Option<String>,
    /// Scheme and masked token, for the request log.
    pub auth: Option<String>,
    /// Token-request form fields with secrets masked.
    pub form: Option<Vec<(String, String)>>,
}

/// A credential's secret parts.
/// Form fields for the request log, secrets masked.
pub fn logged_form(form: &[(String, String)]) -> Vec<(String, String)> {
    form.iter()
        .map(|(k, v)| {
            let secret = k.contains("secret") || k == "token" || k == "password";
            (k.clone(), if secret { "***".to_owned() } else { v.clone() })
        })
        .collect()
}

/// A token for the request log: the scheme and the first characters only.
pub fn mask(scheme: &str, token: &str) -> String {
    let head: String = token.chars().take(4).collect();
    format!("{scheme} {head}… ({} chars)", token.chars().count())
}

/// Who a `Bearer` request claims to be (OAuth vendors), for the request log and faults.
pub fn bearer_identity(creds: &Registry, parts: &Parts) -> Identity {
    match authorization(parts) {
        Some((scheme, token)) => Identity {
            credential: scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| creds.identify(&token))
                .flatten(),
            auth: Some(mask(&scheme, &token)),
            form: None,
        },
        None => Identity::default(),
    }
}

/// Whether a request carries a live `Bearer` token this simulator issued.
pub fn bearer_authorized(creds: &Registry, parts: &Parts) -> bool {
    match authorization(parts) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            creds.check_bearer(&token, Instant::now()).is_ok()
        }
        _ => false,
    }
}

/// The `Authorization` header split into scheme and credentials.
pub fn authorization(parts: &Parts) -> Option<(String, String)> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    Some((scheme.to_owned(), token.trim().to_owned()))
}

/// The fields of a form-encoded token request (empty when it is not one).
pub fn token_form(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The first value of form field `name`.
pub fn form_field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The credential a client-credentials token request names (by `client_id`).
pub fn identify_form(creds: &Registry, body: &[u8]) -> Identity {
    let form = token_form(body);
    Identity {
        credential: form_field(&form, "client_id").and_then(|id| creds.identify(id)),
        auth: None,
        form: (!form.is_empty()).then(|| logged_form(&form)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_scheme_and_four_characters() {
        assert!(mask("Bearer", "abcdefgh").starts_with("Bearer abcd…"));
        let form = logged_form(&[
            ("client_secret".into(), "s".into()),
            ("a".into(), "b".into()),
        ]);
        assert_eq!(form[0].1, "***");
        assert_eq!(form[1].1, "b");
    }
}

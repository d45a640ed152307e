//! The Microsoft identity platform's client-credentials grant, shared by every Microsoft
//! vendor (Defender for Endpoint, Defender Vulnerability Management, Entra ID through
//! Graph): `POST {login}/{tenant}/oauth2/v2.0/token` with the app registration's id and
//! secret and the API's `.default` scope, the token cached and refreshed once on a 401.
//! The vendors differ only in the scope and the API host.

use chrono::{DateTime, Utc};
use reqwest::{RequestBuilder, Response};
use serde::Deserialize;
use tributary_model::{
    credentials::{CredentialField, Credentials, FieldKind},
    Secret,
};
use url::Url;

use super::{send_with_token, token_refused, TokenCache, TokenResponse};
use crate::{
    error::VendorError,
    http::{read_body, VendorHttp},
    normalize::parse_time,
};

/// Microsoft Entra ID's public-cloud sign-in host.
pub const DEFAULT_LOGIN_BASE_URL: &str = "https://login.microsoftonline.com";
/// The token endpoint (health details name it).
pub const TOKEN: &str = "/{tenant_id}/oauth2/v2.0/token";
/// Microsoft Graph's app registrations, where a client secret's expiry is read.
pub const APPLICATIONS: &str = "/v1.0/applications";

/// The app registration's fields every Microsoft vendor asks for, in the form's order; a
/// vendor appends its API host (`api_base_url`, `graph_base_url`).
pub const TENANT_ID: CredentialField = CredentialField::required(
    "tenant_id",
    FieldKind::Text,
    "The Microsoft Entra tenant (directory) id",
);
pub const CLIENT_ID: CredentialField = CredentialField::required(
    "client_id",
    FieldKind::Text,
    "The app registration's application (client) id",
);
pub const CLIENT_SECRET: CredentialField = CredentialField::required(
    "client_secret",
    FieldKind::Secret,
    "A client secret of the app registration (Certificates & secrets)",
);
pub const LOGIN_BASE_URL: CredentialField = CredentialField::optional(
    "login_base_url",
    FieldKind::Url,
    DEFAULT_LOGIN_BASE_URL,
    "The sign-in host (public cloud by default)",
);

/// An app registration's client credentials for one API (one scope), with its token.
pub struct ClientCredentials {
    login_base_url: String,
    tenant_id: String,
    client_id: String,
    client_secret: Secret,
    scope: &'static str,
    tokens: TokenCache,
}

/// A credential's host field (`login_base_url`, `api_base_url`, …), or `default`, without
/// a trailing slash.
pub fn host(creds: &Credentials, name: &str, default: &str) -> String {
    creds
        .get(name)
        .unwrap_or(default)
        .trim_end_matches('/')
        .to_owned()
}

impl ClientCredentials {
    /// The `tenant_id`, `client_id`, `client_secret` and optional `login_base_url` of a
    /// Microsoft vendor's credentials, for tokens of `scope`.
    pub fn new(creds: &Credentials, scope: &'static str) -> ClientCredentials {
        ClientCredentials {
            login_base_url: host(creds, "login_base_url", DEFAULT_LOGIN_BASE_URL),
            tenant_id: creds.get("tenant_id").unwrap_or_default().to_owned(),
            client_id: creds.get("client_id").unwrap_or_default().to_owned(),
            client_secret: creds.secret("client_secret").unwrap_or_default(),
            scope,
            tokens: TokenCache::default(),
        }
    }

    /// A new token from the tenant's token endpoint. Refusals of the credentials are
    /// UNAUTHORIZED whatever their status (Entra answers 400 `invalid_client`).
    async fn fetch_token(&self, http: &VendorHttp) -> Result<TokenResponse, VendorError> {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.login_base_url, self.tenant_id
        );
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
            ("scope", self.scope),
        ];
        let resp = http
            .send(TOKEN, || http.client.post(&url).form(&form))
            .await
            .map_err(token_refused)?;
        let body = read_body(TOKEN, resp).await?;
        serde_json::from_slice(&body).map_err(|e| VendorError::malformed(TOKEN, e))
    }

    /// Sends the request `build` makes with the bearer token (fetched or cached); on a
    /// 401 the token is fetched again once before UNAUTHORIZED is believed.
    pub async fn send(
        &self,
        http: &VendorHttp,
        endpoint: &str,
        build: impl Fn(&str) -> RequestBuilder,
    ) -> Result<Response, VendorError> {
        send_with_token(
            http,
            &self.tokens,
            endpoint,
            || self.fetch_token(http),
            build,
        )
        .await
    }
}

/// One of an app registration's client secrets as Graph lists it (never its value).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    /// The secret's first three characters.
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(default)]
    pub end_date_time: Option<String>,
}

impl ClientCredentials {
    /// When the client secret in use expires, as Microsoft Graph says: `GET
    /// {graph}/v1.0/applications?$filter=appId eq '{client_id}'&$select=id,appId,passwordCredentials`
    /// with a Graph token (this credential's scope must be Graph's). Readable when the
    /// app registration was granted `Application.Read.All`; Graph's 403 (not granted),
    /// an app it does not list or a secret without an end date mean Graph does not say:
    /// None, never a failure. See [`secret_in_use`] for which secret is the one in use.
    pub async fn secret_expiry(
        &self,
        http: &VendorHttp,
        graph_base_url: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, VendorError> {
        #[derive(Deserialize)]
        struct App {
            #[serde(rename = "passwordCredentials", default)]
            password_credentials: Vec<PasswordCredential>,
        }
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            value: Vec<App>,
        }
        let mut url = Url::parse(&format!("{graph_base_url}{APPLICATIONS}"))
            .map_err(|e| VendorError::malformed(APPLICATIONS, e))?;
        url.query_pairs_mut()
            .append_pair(
                "$filter",
                &format!("appId eq '{}'", self.client_id.replace('\'', "''")),
            )
            .append_pair("$select", "id,appId,passwordCredentials");
        let sent = self
            .send(http, APPLICATIONS, |token| {
                http.client.get(url.as_str()).bearer_auth(token)
            })
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) if e.http_status == Some(403) => return Ok(None),
            Err(e) => return Err(e),
        };
        let body = read_body(APPLICATIONS, resp).await?;
        let page: Page =
            serde_json::from_slice(&body).map_err(|e| VendorError::malformed(APPLICATIONS, e))?;
        let secrets: Vec<PasswordCredential> = page
            .value
            .into_iter()
            .flat_map(|a| a.password_credentials)
            .collect();
        Ok(secret_in_use(&secrets, self.client_secret.expose(), now))
    }
}

/// The expiry of the secret in use among an app registration's `secrets`: the ones whose
/// `hint` (Graph's first three characters) matches `secret`'s, else all of them; of
/// those, the earliest end date not yet passed (the secret in use works, so it has not
/// expired). None when none has an end date in the future.
pub fn secret_in_use(
    secrets: &[PasswordCredential],
    secret: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let hint: String = secret.chars().take(3).collect();
    let matching: Vec<&PasswordCredential> = secrets
        .iter()
        .filter(|s| s.hint.as_deref() == Some(hint.as_str()))
        .collect();
    let candidates: Vec<&PasswordCredential> = if matching.is_empty() {
        secrets.iter().collect()
    } else {
        matching
    };
    candidates
        .iter()
        .filter_map(|s| s.end_date_time.as_deref().and_then(parse_time))
        .filter(|end| *end > now)
        .min()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn secret(hint: &str, end: DateTime<Utc>) -> PasswordCredential {
        PasswordCredential {
            hint: Some(hint.to_owned()),
            end_date_time: Some(end.to_rfc3339()),
        }
    }

    #[test]
    fn the_secret_in_use_is_found_by_its_hint_else_the_earliest_live_one() {
        let now = Utc::now();
        let (soon, later) = (now + Duration::days(3), now + Duration::days(300));
        let both = [secret("ab~", soon), secret("Xy8", later)];
        let at = |s: &[PasswordCredential], secret| secret_in_use(s, secret, now);
        // The secret in use matches its hint, though another expires sooner.
        assert_eq!(
            at(&both, "Xy8Q~secret").map(|t| (t - later).num_seconds().abs() < 1),
            Some(true)
        );
        // No hint matches: the earliest that has not expired.
        assert_eq!(
            at(&both, "zzzQ~").map(|t| (t - soon).num_seconds().abs() < 1),
            Some(true)
        );
        let expired = [secret("ab~", now - Duration::days(1))];
        assert_eq!(at(&expired, "zzz"), None);
        assert_eq!(at(&[], "zzz"), None);
    }
}

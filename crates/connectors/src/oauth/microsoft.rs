//! The Microsoft identity platform's client-credentials grant, shared by every Microsoft
//! vendor (Defender for Endpoint, Defender Vulnerability Management, Entra ID through
//! Graph): `POST {login}/{tenant}/oauth2/v2.0/token` with the app registration's id and
//! secret and the API's `.default` scope, the token cached and refreshed once on a 401.
//! The vendors differ only in the scope and the API host.

use reqwest::{RequestBuilder, Response};
use tributary_model::{
    credentials::{CredentialField, Credentials, FieldKind},
    Secret,
};

use super::{send_with_token, token_refused, TokenCache, TokenResponse};
use crate::{
    error::VendorError,
    http::{read_body, VendorHttp},
};

/// Microsoft Entra ID's public-cloud sign-in host.
pub const DEFAULT_LOGIN_BASE_URL: &str = "https://login.microsoftonline.com";
/// The token endpoint (health details name it).
pub const TOKEN: &str = "/{tenant_id}/oauth2/v2.0/token";

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

//! The Falcon API as every CrowdStrike product speaks it: OAuth2 client credentials
//! (`POST /oauth2/token`, 201; an MSSP parent may name a child CID), the
//! `{meta, resources, errors}` envelope — whose `errors` can report a failure inside a
//! 2xx, which is never a success — and GET queries and POST entity lookups. Falcon and
//! Spotlight share it.

use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;
use tributary_model::{credentials::Credentials, Secret};

use super::endpoints::{DEFAULT_BASE_URL, TOKEN};
use crate::{
    error::{FailureKind, VendorError},
    http::{read_body, VendorHttp},
    oauth::{send_with_token, token_refused, TokenCache, TokenResponse},
    records::JsonRecords,
};

/// A Falcon API client for one tenant (its tokens are cached and refreshed).
pub struct Falcon {
    base_url: String,
    client_id: String,
    client_secret: Secret,
    member_cid: Option<String>,
    tokens: TokenCache,
    http: VendorHttp,
}

/// Falcon's envelope; `R` is how its resources are read (ids as a list of values,
/// records as their JSON texts for the pipeline to read one at a time).
#[derive(Deserialize)]
#[serde(bound = "R: Deserialize<'de>")]
pub struct Envelope<R = Vec<Value>> {
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub resources: Option<R>,
    #[serde(default)]
    pub errors: Option<Vec<FalconError>>,
}

#[derive(Deserialize, Default)]
pub struct Meta {
    #[serde(default)]
    pub pagination: Option<PageMeta>,
}

#[derive(Deserialize, Default)]
pub struct PageMeta {
    /// The scroll token (devices) — a string; a number on offset-paged endpoints.
    #[serde(default)]
    pub offset: Option<Value>,
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub total: Option<u64>,
}

#[derive(Deserialize, Debug, Clone)]
pub struct FalconError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

impl FalconError {
    /// The failure an error inside a 2xx stands for, classified by its code as the same
    /// HTTP status would be.
    pub fn to_vendor_error(&self, endpoint: &str) -> VendorError {
        let kind = match self.code {
            Some(401) => FailureKind::Unauthorized,
            Some(403) => FailureKind::Forbidden,
            Some(429) => FailureKind::RateLimited,
            Some(c) if c >= 500 => FailureKind::ServerError,
            _ => FailureKind::ClientError,
        };
        let status = self.code.and_then(|c| u16::try_from(c).ok());
        let message = self.message.clone().unwrap_or_else(|| "error".into());
        VendorError::new(
            kind,
            endpoint,
            status,
            format!("{message} (inside a 200 answer)"),
        )
    }
}

impl Falcon {
    pub fn new(creds: &Credentials, member_cid: Option<String>, http: VendorHttp) -> Falcon {
        Falcon {
            base_url: creds
                .get("base_url")
                .unwrap_or(DEFAULT_BASE_URL)
                .trim_end_matches('/')
                .to_owned(),
            client_id: creds.get("client_id").unwrap_or_default().to_owned(),
            client_secret: creds.secret("client_secret").unwrap_or_default(),
            member_cid,
            tokens: TokenCache::default(),
            http,
        }
    }

    async fn fetch_token(&self) -> Result<TokenResponse, VendorError> {
        let url = format!("{}{TOKEN}", self.base_url);
        let mut form = vec![
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        if let Some(cid) = &self.member_cid {
            form.push(("member_cid", cid));
        }
        let resp = self
            .http
            .send(TOKEN, || self.http.client.post(&url).form(&form))
            .await
            .map_err(token_refused)?;
        let body = read_body(TOKEN, resp).await?;
        serde_json::from_slice(&body).map_err(|e| VendorError::malformed(TOKEN, e))
    }

    async fn call<R: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        build: impl Fn(&str, String) -> reqwest::RequestBuilder,
    ) -> Result<Envelope<R>, VendorError> {
        let url = format!("{}{endpoint}", self.base_url);
        let resp = send_with_token(
            &self.http,
            &self.tokens,
            endpoint,
            || self.fetch_token(),
            |token| build(token, url.clone()),
        )
        .await?;
        let body = read_body(endpoint, resp).await?;
        serde_json::from_slice(&body).map_err(|e| VendorError::malformed(endpoint, e))
    }

    /// `GET endpoint?params`. An answer whose `errors` is not empty is the failure it
    /// reports, whatever its HTTP status.
    pub async fn query<R: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        params: &[(&str, String)],
    ) -> Result<Envelope<R>, VendorError> {
        let env = self
            .call(endpoint, |token, url| {
                self.http.client.get(url).bearer_auth(token).query(params)
            })
            .await?;
        match env.errors.as_deref().and_then(<[FalconError]>::first) {
            Some(e) => Err(e.to_vendor_error(endpoint)),
            None => Ok(env),
        }
    }

    /// `POST endpoint` with a JSON body of ids; the records, each as its JSON text.
    pub async fn entities(
        &self,
        endpoint: &'static str,
        body: Value,
    ) -> Result<JsonRecords, VendorError> {
        let env: Envelope<JsonRecords> = self
            .call(endpoint, |token, url| {
                self.http.client.post(url).bearer_auth(token).json(&body)
            })
            .await?;
        let resources = env.resources.unwrap_or_default();
        // An envelope with errors and no records reports a failure, whatever its status;
        // a 404 there only says the ids are gone (deleted since the query).
        match env.errors.as_deref().and_then(<[FalconError]>::first) {
            Some(e) if resources.is_empty() && e.code != Some(404) => {
                Err(e.to_vendor_error(endpoint))
            }
            _ => Ok(resources),
        }
    }
}

//! OAuth2 client-credentials tokens (CrowdStrike, and every Microsoft vendor through
//! [`microsoft`]): cached until shortly before expiry, and refreshed once when the API
//! answers 401 before a 401 is believed (a token can be revoked or rotated early).

pub mod microsoft;

use std::{
    future::Future,
    time::{Duration, Instant},
};

use reqwest::{RequestBuilder, Response};
use serde::Deserialize;
use tokio::sync::Mutex;
use tributary_model::Secret;

use crate::{
    error::{FailureKind, VendorError},
    http::VendorHttp,
};

/// Refresh this long before the vendor's stated expiry.
const EARLY_REFRESH: Duration = Duration::from_secs(60);

/// A token endpoint's success body (both vendors use this shape).
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    #[serde(default = "default_expiry")]
    pub expires_in: u64,
}

fn default_expiry() -> u64 {
    1799
}

#[derive(Default)]
pub struct TokenCache {
    token: Mutex<Option<(Secret, Instant)>>,
}

impl TokenCache {
    /// The cached token, or a new one from `fetch`.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Secret, VendorError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse, VendorError>>,
    {
        let mut slot = self.token.lock().await;
        if let Some((token, expires)) = slot.as_ref() {
            if Instant::now() < *expires {
                return Ok(token.clone());
            }
        }
        let fresh = fetch().await?;
        let lifetime = Duration::from_secs(fresh.expires_in).saturating_sub(EARLY_REFRESH);
        *slot = Some((fresh.access_token.clone(), Instant::now() + lifetime));
        Ok(fresh.access_token)
    }

    pub async fn invalidate(&self) {
        *self.token.lock().await = None;
    }
}

/// Sends an authenticated request; on 401, drops the token, fetches a new one and
/// tries once more before reporting UNAUTHORIZED.
pub async fn send_with_token<F, Fut, B>(
    http: &VendorHttp,
    cache: &TokenCache,
    endpoint: &str,
    fetch: F,
    build: B,
) -> Result<Response, VendorError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<TokenResponse, VendorError>>,
    B: Fn(&str) -> RequestBuilder,
{
    let token = cache.get(&fetch).await?;
    match http.send(endpoint, || build(token.expose())).await {
        Err(e) if e.kind == FailureKind::Unauthorized => {
            cache.invalidate().await;
            let token = cache.get(&fetch).await?;
            http.send(endpoint, || build(token.expose())).await
        }
        other => other,
    }
}

/// A token endpoint refusing the credentials is UNAUTHORIZED whatever its status (Entra
/// ID answers 400 `invalid_client` for a wrong secret or an unknown tenant).
pub fn token_refused(mut e: VendorError) -> VendorError {
    if matches!(e.kind, FailureKind::ClientError | FailureKind::Forbidden)
        && e.http_status
            .is_some_and(|s| s == 400 || s == 401 || s == 403)
    {
        e.kind = FailureKind::Unauthorized;
    }
    e
}

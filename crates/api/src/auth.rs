//! API keys: `trb_` followed by 48 random hex characters (192 bits). Shown once; stored
//! as a SHA-256 hash (the keys are high-entropy, so a slow hash adds nothing).

use std::net::IpAddr;

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{error::ApiError, state::AppState};

/// The header carrying the API key.
pub const API_KEY_HEADER: &str = "x-api-key";
const KEY_PREFIX: &str = "trb_";

/// A newly made key: the secret (shown once) and what is stored.
pub struct GeneratedKey {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

pub fn generate_key() -> GeneratedKey {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", hex::encode(bytes));
    GeneratedKey {
        prefix: secret[..KEY_PREFIX.len() + 8].to_owned(),
        hash: hash_key(&secret),
        secret,
    }
}

pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

/// The authenticated caller: every handler that takes this is scoped to `account_id`.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub account_id: Uuid,
    pub key_id: Uuid,
    /// The dashboard session acting, when the request came through the dashboard.
    pub session_id: Option<Uuid>,
    /// The client's address (the TCP peer), when known.
    pub addr: Option<IpAddr>,
    /// The connection invite token acting (its id), when a customer acts with one; then
    /// `key_id` is the key that minted the token. Never set by API-key authentication.
    pub invite_id: Option<Uuid>,
}

impl Caller {
    /// Resolves an API key to its account; 401 when missing, unknown or revoked.
    pub async fn from_key(state: &AppState, key: Option<&str>) -> Result<Caller, ApiError> {
        let key = key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("Missing API key: send it in the X-API-KEY header".into())
            })?;
        let found = state.store.find_api_key(&hash_key(key)).await?;
        let key = found.ok_or_else(|| ApiError::Unauthorized("Invalid API key".into()))?;
        // Record use (at most once a minute, so a busy client does not turn every read
        // into a write on SQLite's single writer), without holding up the request.
        let now = Utc::now();
        if key
            .last_used_at
            .is_none_or(|t| now - t >= chrono::Duration::seconds(60))
        {
            let store = state.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_api_key(key.id, now).await {
                    tracing::debug!(error = %e, "could not record API key use");
                }
            });
        }
        Ok(Caller {
            account_id: key.account_id,
            key_id: key.id,
            session_id: None,
            addr: None,
            invite_id: None,
        })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // `/v1` authenticates (and spends the key's budget) in `layers::authenticate`.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(*caller);
        }
        let header = parts
            .headers
            .get(API_KEY_HEADER)
            .map(|v| v.to_str().unwrap_or(""));
        Caller::from_key(state, header).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_random_and_hashed() {
        let a = generate_key();
        let b = generate_key();
        assert!(a.secret.starts_with("trb_") && a.secret.len() == 52);
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(&a.prefix));
        assert_eq!(a.hash, hash_key(&a.secret));
        assert_ne!(a.hash, a.secret);
    }
}

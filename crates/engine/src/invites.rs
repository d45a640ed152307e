//! Connection invite tokens: their one format and hash (the API mints them; the webhook
//! sender mints the fix links endpoints ask for), and the path of their hosted page.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tributary_store::{
    invites::{InviteKind, NewInvite},
    models::ConnectionRecord,
    Store,
};
use uuid::Uuid;

use crate::Keyring;

/// Every token starts with this; 48 hex characters (192 bits) follow.
pub const TOKEN_PREFIX: &str = "tci_";

/// A fresh random token.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The token derived from `seed` with the server's key: the same seed always gives the
/// same token (a webhook delivery retried carries the same fix link), and nobody without
/// the key can derive it.
pub fn derived_token(keyring: &Keyring, seed: &str) -> String {
    let mac = keyring.sign_session(format!("invite-token:{seed}").as_bytes());
    format!("{TOKEN_PREFIX}{}", hex::encode(&mac[..24]))
}

/// What is stored of a token: its SHA-256, hex (tokens are high-entropy: a slow hash
/// adds nothing).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// The hosted page of `token`: absolute under `public_url` when it is configured, else a
/// path on this server.
pub fn page_url(public_url: Option<&str>, token: &str) -> String {
    match public_url {
        Some(base) => format!("{}/connect/{token}", base.trim_end_matches('/')),
        None => format!("/connect/{token}"),
    }
}

/// The fix link of a webhook delivery: an update token for `conn`, derived from the
/// delivery (minted on the first attempt, the same on every retry).
pub async fn fix_link_for_delivery(
    store: &dyn Store,
    keyring: &Keyring,
    delivery_id: Uuid,
    conn: &ConnectionRecord,
    lifetime: Duration,
) -> Result<(String, DateTime<Utc>), tributary_store::StoreError> {
    let token = derived_token(keyring, &format!("fix-link:{delivery_id}"));
    let hash = token_hash(&token);
    if let Some(existing) = store.find_invite(&hash).await? {
        return Ok((token, existing.expires_at));
    }
    let invite = store
        .create_invite(
            conn.account_id,
            NewInvite {
                id: Uuid::now_v7(),
                organization_id: conn.organization_id,
                token_hash: hash,
                kind: InviteKind::Update,
                vendor: conn.vendor,
                connection_id: Some(conn.id),
                identifier: None,
                options: None,
                created_by_key_id: None,
                expires_at: Utc::now() + lifetime,
            },
        )
        .await?;
    Ok((token, invite.expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let (a, b) = (generate_token(), generate_token());
        assert!(a.starts_with("tci_") && a.len() == 52, "{a}");
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
        let k = Keyring::new([7; 32]);
        assert_eq!(derived_token(&k, "x"), derived_token(&k, "x"));
        assert_ne!(derived_token(&k, "x"), derived_token(&k, "y"));
        assert_ne!(
            derived_token(&k, "x"),
            derived_token(&Keyring::new([8; 32]), "x")
        );
        assert_eq!(derived_token(&k, "x").len(), 52);
        assert_eq!(
            page_url(Some("https://t.example/"), "tci_1"),
            "https://t.example/connect/tci_1"
        );
        assert_eq!(page_url(None, "tci_1"), "/connect/tci_1");
    }
}

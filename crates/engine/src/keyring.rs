//! The master key and everything derived from it: sealed credentials (XChaCha20-Poly1305
//! with the connection id as associated data), the key fingerprint stored in the database,
//! and HMAC keys for cursors and dashboard sessions.

use std::fmt;

use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use uuid::Uuid;

/// Sealed values start with this version byte, so the format can evolve.
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// Why a sealed value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value cannot be opened with this master key (wrong key or tampered data)")]
    Unauthentic,
    #[error("master key must be 32 bytes, given as 64 hex characters or base64")]
    BadKey,
}

/// The master key and its derived keys.
#[derive(Clone)]
pub struct Keyring {
    sealing: [u8; 32],
    cursor: [u8; 32],
    session: [u8; 32],
    fingerprint: String,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keyring(fingerprint {})", self.fingerprint)
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key size");
    mac.update(b"tributary/");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Keyring {
    pub fn new(master: [u8; 32]) -> Self {
        let fp = derive(&master, "fingerprint/v1");
        Keyring {
            sealing: derive(&master, "credentials/v1"),
            cursor: derive(&master, "cursor/v1"),
            session: derive(&master, "session/v1"),
            fingerprint: hex::encode(&fp[..16]),
        }
    }

    /// Parses a master key written as 64 hex characters or standard base64.
    pub fn parse_master_key(text: &str) -> Result<[u8; 32], KeyringError> {
        use base64::Engine;
        let text = text.trim();
        let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| KeyringError::BadKey)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| KeyringError::BadKey)?
        };
        bytes.try_into().map_err(|_| KeyringError::BadKey)
    }

    /// A fresh random master key, hex-encoded.
    pub fn generate_master_key() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        hex::encode(key)
    }

    /// Identifies the master key without revealing it; stored to refuse a changed key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Seals `plaintext` for `owner` (a connection id): only this key and that owner open it.
    pub fn seal(&self, owner: Uuid, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.sealing).into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: owner.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, owner: Uuid, sealed: &[u8]) -> Result<Vec<u8>, KeyringError> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != SEAL_VERSION {
            return Err(KeyringError::Malformed);
        }
        let cipher = XChaCha20Poly1305::new((&self.sealing).into());
        let nonce = XNonce::from_slice(&sealed[1..1 + NONCE_LEN]);
        cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| KeyringError::Unauthentic)
    }

    /// HMAC-SHA256 under the cursor key (tamper-evident pagination cursors).
    pub fn sign_cursor(&self, data: &[u8]) -> [u8; 32] {
        mac(&self.cursor, data)
    }

    /// HMAC-SHA256 under the session key (dashboard session cookies and CSRF tokens).
    pub fn sign_session(&self, data: &[u8]) -> [u8; 32] {
        mac(&self.session, data)
    }
}

fn mac(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key size");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Constant-time comparison of two MACs.
pub fn macs_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_per_owner_and_detects_tampering() {
        let k = Keyring::new([7; 32]);
        let owner = Uuid::new_v4();
        let sealed = k.seal(owner, b"hunter2");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(k.open(owner, &sealed).unwrap(), b"hunter2");
        assert!(matches!(
            k.open(Uuid::new_v4(), &sealed),
            Err(KeyringError::Unauthentic)
        ));
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(k.open(owner, &bad).is_err());
        let other = Keyring::new([8; 32]);
        assert!(other.open(owner, &sealed).is_err());
        assert_ne!(k.fingerprint(), other.fingerprint());
        assert_ne!(k.seal(owner, b"x"), k.seal(owner, b"x"), "random nonces");
    }

    #[test]
    fn master_key_formats() {
        let hex_key = Keyring::generate_master_key();
        assert_eq!(Keyring::parse_master_key(&hex_key).unwrap().len(), 32);
        let b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        assert_eq!(Keyring::parse_master_key(b64).unwrap()[31], 31);
        assert!(Keyring::parse_master_key("short").is_err());
    }
}

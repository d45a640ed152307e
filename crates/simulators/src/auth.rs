//! The credentials a simulator accepts, the tokens it has issued, and their state
//! (revoked, expired, restored — now, at a moment, or after a number of requests).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde::Serialize;

use crate::faults::When;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// A static API token, sent with every request.
    ApiToken(String),
    /// OAuth2 client credentials, exchanged for bearer tokens.
    Client {
        client_id: String,
        client_secret: String,
    },
}

impl Secret {
    /// The secret as two halves sent together (`id:secret` key pairs and Basic auth):
    /// an API token split at its first `:` (the second half empty when it has none), or
    /// the client's id and secret.
    pub fn halves(&self) -> (String, String) {
        match self {
            Secret::ApiToken(t) => {
                let (a, b) = t.split_once(':').unwrap_or((t, ""));
                (a.to_owned(), b.to_owned())
            }
            Secret::Client {
                client_id,
                client_secret,
            } => (client_id.clone(), client_secret.clone()),
        }
    }
}

/// Why a credential or token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a credential or token this simulator knows.
    Unknown,
    /// Known, but the secret does not match.
    BadSecret,
    Revoked,
    /// The token has expired (by age or by an injected expiry).
    Expired,
}

#[derive(Debug, Clone, Copy)]
enum Change {
    Revoke,
    Expire,
}

#[derive(Debug)]
struct Cred {
    label: String,
    secret: Secret,
    revoked: bool,
    /// Tokens (or the API token) issued before this instant no longer work.
    expired_before: Option<Instant>,
    pending: Vec<(Change, Pending)>,
}

#[derive(Debug, Clone, Copy)]
enum Pending {
    At(Instant),
    AfterRequests(u32),
}

#[derive(Debug)]
struct Token {
    cred: usize,
    issued: Instant,
    expires: Instant,
}

/// A credential's state for the control API.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialState {
    pub label: String,
    pub revoked: bool,
    pub expired: bool,
    /// Changes scheduled for later ("revoke_after=3", "expire_in=500").
    pub pending: Vec<String>,
}

#[derive(Default)]
struct Inner {
    creds: Vec<Cred>,
    tokens: HashMap<String, Token>,
}

/// Token issue beyond this many live tokens prunes expired ones first.
const PRUNE_AT: usize = 4096;

/// See the module documentation.
#[derive(Default)]
pub struct Registry {
    inner: Mutex<Inner>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a credential; false if the label is taken.
    pub fn add(&self, label: &str, secret: Secret) -> bool {
        let mut inner = self.lock();
        if inner.creds.iter().any(|c| c.label == label) {
            return false;
        }
        inner.creds.push(Cred {
            label: label.to_owned(),
            secret,
            revoked: false,
            expired_before: None,
            pending: vec![],
        });
        true
    }

    pub fn secret(&self, label: &str) -> Option<Secret> {
        self.lock()
            .creds
            .iter()
            .find(|c| c.label == label)
            .map(|c| c.secret.clone())
    }

    pub fn labels(&self) -> Vec<String> {
        self.lock().creds.iter().map(|c| c.label.clone()).collect()
    }

    /// The label of the credential an API token, client id or bearer token belongs to,
    /// without side effects (for fault matching and the request log).
    pub fn identify(&self, presented: &str) -> Option<String> {
        let inner = self.lock();
        let by_secret = inner.creds.iter().find(|c| match &c.secret {
            Secret::ApiToken(t) => t == presented,
            Secret::Client { client_id, .. } => client_id == presented,
        });
        by_secret
            .or_else(|| inner.tokens.get(presented).map(|t| &inner.creds[t.cred]))
            .map(|c| c.label.clone())
    }

    /// Checks a static API token; counts the request toward scheduled changes.
    pub fn check_api_token(&self, token: &str, now: Instant) -> Result<String, Refusal> {
        let mut inner = self.lock();
        let i = inner
            .creds
            .iter()
            .position(|c| matches!(&c.secret, Secret::ApiToken(t) if t == token))
            .ok_or(Refusal::Unknown)?;
        let cred = &mut inner.creds[i];
        settle(cred, now, true);
        if cred.revoked {
            Err(Refusal::Revoked)
        } else if cred.expired_before.is_some() {
            Err(Refusal::Expired)
        } else {
            Ok(cred.label.clone())
        }
    }

    /// Client-credentials grant: a new token for `ttl`, or why not.
    pub fn issue(
        &self,
        client_id: &str,
        client_secret: &str,
        ttl: Duration,
        token: String,
        now: Instant,
    ) -> Result<String, Refusal> {
        let mut inner = self.lock();
        let i = inner
            .creds
            .iter()
            .position(
                |c| matches!(&c.secret, Secret::Client { client_id: id, .. } if id == client_id),
            )
            .ok_or(Refusal::Unknown)?;
        let cred = &mut inner.creds[i];
        settle(cred, now, false);
        let Secret::Client {
            client_secret: expected,
            ..
        } = &cred.secret
        else {
            return Err(Refusal::Unknown);
        };
        if expected != client_secret {
            return Err(Refusal::BadSecret);
        }
        if cred.revoked {
            return Err(Refusal::Revoked);
        }
        let label = cred.label.clone();
        if inner.tokens.len() >= PRUNE_AT {
            inner.tokens.retain(|_, t| t.expires > now);
        }
        inner.tokens.insert(
            token,
            Token {
                cred: i,
                issued: now,
                expires: now + ttl,
            },
        );
        Ok(label)
    }

    /// Checks a bearer token; counts the request toward scheduled changes.
    pub fn check_bearer(&self, token: &str, now: Instant) -> Result<String, Refusal> {
        let mut inner = self.lock();
        let (cred_index, issued, expires) = match inner.tokens.get(token) {
            Some(t) => (t.cred, t.issued, t.expires),
            None => return Err(Refusal::Unknown),
        };
        let cred = &mut inner.creds[cred_index];
        settle(cred, now, true);
        if cred.revoked {
            return Err(Refusal::Revoked);
        }
        if now >= expires || cred.expired_before.is_some_and(|b| issued <= b) {
            return Err(Refusal::Expired);
        }
        Ok(cred.label.clone())
    }

    /// Invalidates one issued token (OAuth2 revoke); false if unknown.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.lock().tokens.remove(token).is_some()
    }

    /// Revokes (`expire: false`) or expires the credential `label`, now or later.
    pub fn schedule(&self, label: &str, expire: bool, when: When, now: Instant) -> bool {
        let mut inner = self.lock();
        let Some(cred) = inner.creds.iter_mut().find(|c| c.label == label) else {
            return false;
        };
        let change = if expire {
            Change::Expire
        } else {
            Change::Revoke
        };
        match when {
            When::Now => apply(cred, change, now),
            When::InMs(ms) => cred
                .pending
                .push((change, Pending::At(now + Duration::from_millis(ms)))),
            When::AfterRequests(n) => cred.pending.push((change, Pending::AfterRequests(n))),
        }
        true
    }

    /// Makes `label` work again and cancels scheduled changes. Tokens issued before a
    /// revocation stay invalid: clients fetch new ones, as after a real key rotation.
    pub fn restore(&self, label: &str, now: Instant) -> bool {
        let mut inner = self.lock();
        let Some(cred) = inner.creds.iter_mut().find(|c| c.label == label) else {
            return false;
        };
        if cred.revoked {
            cred.expired_before = Some(now);
        }
        cred.revoked = false;
        cred.pending.clear();
        if matches!(cred.secret, Secret::ApiToken(_)) {
            cred.expired_before = None;
        }
        true
    }

    pub fn states(&self, now: Instant) -> Vec<CredentialState> {
        let mut inner = self.lock();
        inner
            .creds
            .iter_mut()
            .map(|c| {
                settle(c, now, false);
                CredentialState {
                    label: c.label.clone(),
                    revoked: c.revoked,
                    expired: c.expired_before.is_some() && matches!(c.secret, Secret::ApiToken(_)),
                    pending: c.pending.iter().map(describe).collect(),
                }
            })
            .collect()
    }
}

/// Applies scheduled changes that are due; `request` counts one use of the credential.
fn settle(cred: &mut Cred, now: Instant, request: bool) {
    let mut due = Vec::new();
    cred.pending.retain_mut(|(change, p)| {
        let fire = match p {
            Pending::At(at) => now >= *at,
            Pending::AfterRequests(n) if request => {
                if *n == 0 {
                    true
                } else {
                    *n -= 1;
                    false
                }
            }
            Pending::AfterRequests(_) => false,
        };
        if fire {
            due.push(*change);
        }
        !fire
    });
    for change in due {
        apply(cred, change, now);
    }
}

fn apply(cred: &mut Cred, change: Change, now: Instant) {
    match change {
        Change::Revoke => cred.revoked = true,
        Change::Expire => cred.expired_before = Some(now),
    }
}

fn describe((change, p): &(Change, Pending)) -> String {
    let what = match change {
        Change::Revoke => "revoke",
        Change::Expire => "expire",
    };
    match p {
        Pending::At(_) => format!("{what} at a set time"),
        Pending::AfterRequests(n) => format!("{what} after {n} more requests"),
    }
}

/// A JWT-shaped bearer token: `header.claims.signature`, base64url. The signature is
/// random bytes: clients treat tokens as opaque.
pub fn jwt_like(claims: &serde_json::Value, seed: u64, n: u64) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let header = serde_json::json!({"alg": "RS256", "kid": "sim-key-1", "typ": "JWT"});
    let mut r = crate::fake::Rng::for_record(seed, crate::world::stream::TOKEN, n);
    let sig: Vec<u8> = (0..32).flat_map(|_| r.next_u64().to_le_bytes()).collect();
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// A stable number per credential label (seeds its secret).
pub fn label_key(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoke_expire_restore() {
        let r = Registry::default();
        let now = Instant::now();
        assert!(r.add(
            "a",
            Secret::Client {
                client_id: "id".into(),
                client_secret: "s".into()
            }
        ));
        assert!(!r.add("a", Secret::ApiToken("t".into())));
        let ttl = Duration::from_secs(60);
        assert_eq!(
            r.issue("id", "bad", ttl, "x".into(), now),
            Err(Refusal::BadSecret)
        );
        assert_eq!(
            r.issue("nope", "s", ttl, "x".into(), now),
            Err(Refusal::Unknown)
        );
        r.issue("id", "s", ttl, "t1".into(), now).unwrap();
        assert_eq!(r.identify("t1").as_deref(), Some("a"));
        assert_eq!(r.identify("id").as_deref(), Some("a"));
        assert!(r.check_bearer("t1", now).is_ok());
        assert_eq!(r.check_bearer("t1", now + ttl), Err(Refusal::Expired));
        // Expiry: old tokens die, a new one works.
        let later = now + Duration::from_millis(5);
        r.schedule("a", true, When::Now, later);
        assert_eq!(r.check_bearer("t1", later), Err(Refusal::Expired));
        r.issue(
            "id",
            "s",
            ttl,
            "t2".into(),
            later + Duration::from_millis(1),
        )
        .unwrap();
        assert!(r
            .check_bearer("t2", later + Duration::from_millis(2))
            .is_ok());
        // Revocation after two more requests.
        r.schedule("a", false, When::AfterRequests(2), later);
        assert!(r.check_bearer("t2", later).is_ok());
        assert!(r.check_bearer("t2", later).is_ok());
        assert_eq!(r.check_bearer("t2", later), Err(Refusal::Revoked));
        assert_eq!(
            r.issue("id", "s", ttl, "t3".into(), later),
            Err(Refusal::Revoked)
        );
        let back = later + Duration::from_millis(10);
        r.restore("a", back);
        assert_eq!(
            r.check_bearer("t2", back),
            Err(Refusal::Expired),
            "old tokens stay dead"
        );
        r.issue("id", "s", ttl, "t4".into(), back + Duration::from_millis(1))
            .unwrap();
        assert!(r
            .check_bearer("t4", back + Duration::from_millis(1))
            .is_ok());
    }

    #[test]
    fn api_tokens_expire_at_a_moment_and_restore() {
        let r = Registry::default();
        let now = Instant::now();
        r.add("s1", Secret::ApiToken("tok".into()));
        r.schedule("s1", true, When::InMs(100), now);
        assert!(r.check_api_token("tok", now).is_ok());
        let later = now + Duration::from_millis(100);
        assert_eq!(r.check_api_token("tok", later), Err(Refusal::Expired));
        assert!(r.states(later)[0].expired);
        r.restore("s1", later);
        assert!(r.check_api_token("tok", later).is_ok());
        assert_eq!(r.check_api_token("nope", later), Err(Refusal::Unknown));
    }
}

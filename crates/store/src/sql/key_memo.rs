//! Verified API keys remembered for a moment, so a busy client's requests do not each
//! begin with a read of `api_keys` (on PostgreSQL a round trip, whose tail was most of
//! the gap between an API page and its own SELECT under `bench api`).
//!
//! A key revoked through this store is forgotten at once; one revoked through another
//! process (the CLI, another node) is refused here once its memory expires:
//! `api_key_cache_secs`, 2 s by default, 0 to read `api_keys` on every request.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::models::ApiKey;

/// Keys remembered at most; beyond it the expired are dropped (and all, if none was).
const MAX_KEYS: usize = 10_000;

#[derive(Debug)]
pub(crate) struct KeyMemo {
    ttl: Duration,
    keys: Mutex<Keys>,
}

#[derive(Debug, Default)]
struct Keys {
    /// Verified keys by hash, with when they were read.
    by_hash: HashMap<String, (ApiKey, Instant)>,
    /// Counts revocations: a key read before one is not remembered after it.
    revocations: u64,
}

/// What [`KeyMemo::before_read`] saw: a key read under it may be remembered unless a
/// revocation came in between.
pub(crate) struct ReadTicket(u64);

impl KeyMemo {
    pub fn new(ttl: Duration) -> KeyMemo {
        KeyMemo {
            ttl,
            keys: Mutex::default(),
        }
    }

    /// The key with this hash, when it was verified less than the memory's span ago.
    pub fn get(&self, hash: &str) -> Option<ApiKey> {
        let keys = self.lock();
        let (key, read) = keys.by_hash.get(hash)?;
        (read.elapsed() < self.ttl).then(|| key.clone())
    }

    /// Taken before reading a key from the database, for [`KeyMemo::put`].
    pub fn before_read(&self) -> ReadTicket {
        ReadTicket(self.lock().revocations)
    }

    /// Remembers a key read under `ticket` — unless a revocation through this store came
    /// while it was being read (the read may predate it).
    pub fn put(&self, ticket: ReadTicket, hash: &str, key: &ApiKey) {
        let mut keys = self.lock();
        if self.ttl.is_zero() || keys.revocations != ticket.0 {
            return;
        }
        if keys.by_hash.len() >= MAX_KEYS {
            keys.by_hash
                .retain(|_, (_, read)| read.elapsed() < self.ttl);
            if keys.by_hash.len() >= MAX_KEYS {
                keys.by_hash.clear();
            }
        }
        keys.by_hash
            .insert(hash.to_owned(), (key.clone(), Instant::now()));
    }

    /// After a revocation: every key is read again.
    pub fn forget_all(&self) {
        let mut keys = self.lock();
        keys.by_hash.clear();
        keys.revocations += 1;
    }

    /// After recording a key's use.
    pub fn used(&self, id: Uuid, at: DateTime<Utc>) {
        let mut keys = self.lock();
        for (key, _) in keys.by_hash.values_mut().filter(|(k, _)| k.id == id) {
            key.last_used_at = Some(at);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Keys> {
        // The map is valid after any panic (each change is one insert or clear).
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ApiKey {
        ApiKey {
            id: Uuid::now_v7(),
            account_id: Uuid::now_v7(),
            name: "k".into(),
            prefix: "trb_k".into(),
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_key_read_across_a_revocation_is_not_remembered() {
        let memo = KeyMemo::new(Duration::from_secs(60));
        let ticket = memo.before_read();
        memo.forget_all();
        memo.put(ticket, "h", &key());
        assert!(memo.get("h").is_none(), "read before the revocation");
        let ticket = memo.before_read();
        memo.put(ticket, "h", &key());
        assert!(memo.get("h").is_some());
        memo.forget_all();
        assert!(memo.get("h").is_none());
        let never = KeyMemo::new(Duration::ZERO);
        let ticket = never.before_read();
        never.put(ticket, "h", &key());
        assert!(never.get("h").is_none(), "zero remembers nothing");
    }
}

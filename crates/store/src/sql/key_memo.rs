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
    /// Verified keys by hash, with when they were read.
    keys: Mutex<HashMap<String, (ApiKey, Instant)>>,
}

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
        let (key, read) = keys.get(hash)?;
        (read.elapsed() < self.ttl).then(|| key.clone())
    }

    pub fn put(&self, hash: &str, key: &ApiKey) {
        if self.ttl.is_zero() {
            return;
        }
        let mut keys = self.lock();
        if keys.len() >= MAX_KEYS {
            keys.retain(|_, (_, read)| read.elapsed() < self.ttl);
            if keys.len() >= MAX_KEYS {
                keys.clear();
            }
        }
        keys.insert(hash.to_owned(), (key.clone(), Instant::now()));
    }

    /// After a revocation: every key is read again.
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    /// After recording a key's use.
    pub fn used(&self, id: Uuid, at: DateTime<Utc>) {
        for (key, _) in self.lock().values_mut().filter(|(k, _)| k.id == id) {
            key.last_used_at = Some(at);
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (ApiKey, Instant)>> {
        // The map is valid after any panic (each change is one insert or clear).
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}

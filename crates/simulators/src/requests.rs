//! The requests a simulator received, for assertions: a bounded ring buffer that never
//! holds a full token or secret.

use std::{collections::VecDeque, sync::Mutex};

use serde::Serialize;

/// One received request.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// Increasing from 1 over the simulator's life.
    pub seq: u64,
    /// When it arrived (RFC 3339, simulated clock).
    pub at: String,
    pub method: String,
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The endpoint name faults use (`threats`, `token`, …), if the path is one.
    pub endpoint: Option<String>,
    /// The credential label the request was identified as, if any.
    pub credential: Option<String>,
    /// The `Authorization` scheme and a masked token, e.g. `Bearer eyJ0… (812 chars)`.
    pub auth: Option<String>,
    /// Token-request form fields, with secrets replaced by `***`.
    pub form: Option<Vec<(String, String)>>,
    /// The start of a JSON request body (up to 1 KiB).
    pub body: Option<String>,
    /// The response status (None while the request is in flight, e.g. hanging).
    pub status: Option<u16>,
    /// Faults that took effect.
    pub faults: Vec<String>,
    pub duration_ms: Option<u64>,
}

impl RecordedRequest {
    /// The first value of query parameter `name` (percent-decoded).
    pub fn param(&self, name: &str) -> Option<String> {
        self.params(name).into_iter().next()
    }

    /// Every value of query parameter `name` (percent-decoded).
    pub fn params(&self, name: &str) -> Vec<String> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(self.query.as_deref().unwrap_or("")).unwrap_or_default();
        pairs
            .into_iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect()
    }
}

/// Bounded log of requests (oldest dropped first).
pub struct RequestLog {
    capacity: usize,
    inner: Mutex<(VecDeque<RecordedRequest>, u64)>,
}

impl RequestLog {
    pub fn new(capacity: usize) -> RequestLog {
        RequestLog {
            capacity: capacity.max(1),
            inner: Mutex::new((VecDeque::new(), 0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (VecDeque<RecordedRequest>, u64)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a request as it arrives; returns its sequence number.
    pub fn start(&self, mut req: RecordedRequest) -> u64 {
        let mut inner = self.lock();
        inner.1 += 1;
        req.seq = inner.1;
        if inner.0.len() >= self.capacity {
            inner.0.pop_front();
        }
        inner.0.push_back(req);
        inner.1
    }

    /// Completes request `seq` (if still in the buffer).
    pub fn finish(&self, seq: u64, update: impl FnOnce(&mut RecordedRequest)) {
        let mut inner = self.lock();
        let Some(first) = inner.0.front().map(|r| r.seq) else {
            return;
        };
        if let Some(r) = seq
            .checked_sub(first)
            .and_then(|i| inner.0.get_mut(i as usize))
        {
            update(r);
        }
    }

    /// Every recorded request, oldest first.
    pub fn list(&self) -> Vec<RecordedRequest> {
        self.lock().0.iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.lock().0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str) -> RecordedRequest {
        RecordedRequest {
            seq: 0,
            at: String::new(),
            method: "GET".into(),
            path: path.into(),
            query: Some("limit=5&ids=a&ids=b%2Cc".into()),
            endpoint: None,
            credential: None,
            auth: None,
            form: None,
            body: None,
            status: None,
            faults: vec![],
            duration_ms: None,
        }
    }

    #[test]
    fn ring_buffer_drops_oldest_and_updates_by_seq() {
        let log = RequestLog::new(2);
        let a = log.start(req("/a"));
        let b = log.start(req("/b"));
        log.finish(b, |r| r.status = Some(200));
        log.start(req("/c"));
        log.finish(a, |r| r.status = Some(500));
        let all = log.list();
        assert_eq!(
            all.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
            ["/b", "/c"]
        );
        assert_eq!(all[0].status, Some(200));
        assert_eq!(all[0].params("ids"), ["a", "b,c"]);
        assert_eq!(all[0].param("limit").as_deref(), Some("5"));
        log.clear();
        assert!(log.list().is_empty());
    }
}

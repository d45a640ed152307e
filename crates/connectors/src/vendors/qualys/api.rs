//! Calling Qualys: HTTP Basic and the mandatory `X-Requested-With` on every request; its
//! rate-limit headers paced on (`X-RateLimit-Remaining` 0 → no call to that API before
//! `X-RateLimit-ToWait-Sec` has passed); its 409 refusals retried within the job's budget
//! (1965 rate limit after the wait Qualys names, 1960 concurrency limit after a backoff,
//! since a running call has to end first); and its `SIMPLE_RETURN` errors classified by
//! code. Limits are per API (each endpoint counts on its own), so is the pacing.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use reqwest::{header::HeaderMap, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tributary_model::Secret;

use super::{
    endpoints::KNOWLEDGE_BASE,
    simple_return::{self, SimpleReturn},
    xml::{Item, XmlError, XmlStream},
};
use crate::{
    error::{FailureKind, VendorError},
    http::{read_body, VendorHttp},
};

/// Qualys requires the header on every v2 call; any value will do.
const REQUESTED_WITH: &str = "Tributary";
/// The refusals Qualys explains in a `SIMPLE_RETURN` body: read here, not by the shared
/// client (which knows JSON bodies and 429).
const REFUSALS: &[StatusCode] = &[
    StatusCode::BAD_REQUEST,
    StatusCode::UNAUTHORIZED,
    StatusCode::FORBIDDEN,
    StatusCode::CONFLICT,
];
/// The longest a streamed answer may take (a 1 GB Host List Detection reads for many
/// minutes).
const STREAMED_ANSWER_LIMIT: Duration = Duration::from_secs(24 * 3600);
/// Containers of a KnowledgeBase answer.
const KB_CONTAINERS: &[&str] = &[
    "KNOWLEDGE_BASE_VULN_LIST_OUTPUT",
    "SIMPLE_RETURN",
    "RESPONSE",
    "VULN_LIST",
];

pub struct Api {
    pub base_url: String,
    pub username: String,
    pub password: Secret,
    pub http: VendorHttp,
    /// Per endpoint: no call before this instant (the window Qualys said is spent).
    not_before: Mutex<HashMap<&'static str, Instant>>,
}

/// The error a `SIMPLE_RETURN` stands for, answered with `status`.
pub fn envelope_error(endpoint: &str, status: u16, envelope: &SimpleReturn) -> VendorError {
    let kind = simple_return::kind(envelope.code, status);
    let message = if envelope.code.is_none() && envelope.text.is_empty() {
        StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_owned()
    } else if status == 200 {
        format!("{} (inside a 200 answer)", envelope.message())
    } else {
        envelope.message()
    };
    VendorError::new(kind, endpoint, Some(status), message)
}

fn header_secs(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The wait the response's headers ask for before the next call to the same API.
pub fn header_wait(headers: &HeaderMap) -> Option<Duration> {
    header_secs(headers, "x-ratelimit-towait-sec").map(Duration::from_secs)
}

impl Api {
    pub fn new(base_url: &str, username: &str, password: Secret, http: VendorHttp) -> Api {
        Api {
            base_url: base_url.trim_end_matches('/').to_owned(),
            username: username.to_owned(),
            password,
            http,
            not_before: Mutex::new(HashMap::new()),
        }
    }

    fn authed(&self, rb: RequestBuilder) -> RequestBuilder {
        rb.basic_auth(&self.username, Some(self.password.expose()))
            .header("X-Requested-With", REQUESTED_WITH)
    }

    /// `GET url` (absolute: Qualys' next-batch links are followed verbatim): the 2xx
    /// response, whose body the caller streams.
    pub async fn get(&self, endpoint: &'static str, url: &str) -> Result<Response, VendorError> {
        self.call(endpoint, || self.authed(self.http.client.get(url)))
            .await
    }

    /// `GET url` whose body the caller streams: the client's request timeout (which
    /// counts the whole body) would cut a long answer, so this request gets a day, and the
    /// caller bounds each stall instead ([`VendorHttp::request_timeout`]); the job's own
    /// timeout bounds the whole.
    pub async fn get_streamed(
        &self,
        endpoint: &'static str,
        url: &str,
    ) -> Result<Response, VendorError> {
        self.call(endpoint, || {
            self.authed(self.http.client.get(url))
                .timeout(STREAMED_ANSWER_LIMIT)
        })
        .await
    }

    /// `POST path` with a form body (long id lists do not fit a URL: Qualys answers 414).
    pub async fn post_form(
        &self,
        endpoint: &'static str,
        path: &str,
        form: &[(&str, String)],
    ) -> Result<Response, VendorError> {
        let url = format!("{}{path}", self.base_url);
        self.call(endpoint, || {
            self.authed(self.http.client.post(&url).form(form))
        })
        .await
    }

    async fn call(
        &self,
        endpoint: &'static str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, VendorError> {
        let mut attempt = 0;
        loop {
            self.pace(endpoint).await?;
            let resp = self.http.send_expecting(endpoint, &build, REFUSALS).await?;
            let headers = resp.headers().clone();
            self.note(endpoint, &headers);
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            let body = read_body(endpoint, resp).await.unwrap_or_default();
            let envelope = simple_return::parse(&body).await.unwrap_or_default();
            let err = envelope_error(endpoint, status.as_u16(), &envelope);
            if err.kind != FailureKind::RateLimited {
                return Err(err);
            }
            // A concurrency refusal names no wait (or 0): back off until a call ends.
            let wait = header_wait(&headers)
                .or(envelope.wait())
                .filter(|w| !w.is_zero());
            self.http.wait_to_retry(attempt, wait, err).await?;
            attempt += 1;
        }
    }

    /// Waits until Qualys' window for `endpoint` allows a call, or fails as rate-limited
    /// when that is further away than a job may wait.
    async fn pace(&self, endpoint: &'static str) -> Result<(), VendorError> {
        let until = self.lock().get(endpoint).copied();
        let Some(until) = until else { return Ok(()) };
        let wait = until.saturating_duration_since(Instant::now());
        if wait > self.http.retry_max_wait() {
            return Err(VendorError::new(
                FailureKind::RateLimited,
                endpoint,
                None,
                format!(
                    "Qualys' rate limit for this API is spent for another {} s",
                    wait.as_secs()
                ),
            ));
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Instant>> {
        self.not_before.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers the wait a response's headers announce once the window is spent.
    fn note(&self, endpoint: &'static str, headers: &HeaderMap) {
        let spent = header_secs(headers, "x-ratelimit-remaining") == Some(0);
        match header_wait(headers).filter(|w| spent && !w.is_zero()) {
            Some(wait) => {
                self.lock().insert(endpoint, Instant::now() + wait);
            }
            None => {
                self.lock().remove(endpoint);
            }
        }
    }

    /// The KnowledgeBase records of `qids` (unknown ids are simply absent).
    pub async fn knowledge_base(&self, qids: &[String]) -> Result<Vec<Value>, VendorError> {
        let form = [
            ("action", "list".to_owned()),
            ("details", "All".to_owned()),
            ("ids", qids.join(",")),
        ];
        let resp = self
            .post_form(KNOWLEDGE_BASE, KNOWLEDGE_BASE, &form)
            .await?;
        let body = read_body(KNOWLEDGE_BASE, resp).await?;
        read_knowledge_base(&body).await.map_err(|e| match e {
            KbError::Vendor(envelope) => envelope_error(KNOWLEDGE_BASE, 200, &envelope),
            KbError::Xml(x) => VendorError::malformed(KNOWLEDGE_BASE, x),
        })
    }
}

/// Why a KnowledgeBase answer gave no records.
#[derive(Debug)]
pub enum KbError {
    /// A `SIMPLE_RETURN` instead of the list.
    Vendor(SimpleReturn),
    Xml(XmlError),
}

/// The `VULN` records of a KnowledgeBase answer.
pub async fn read_knowledge_base(body: &[u8]) -> Result<Vec<Value>, KbError> {
    let mut stream = XmlStream::new(body, KB_CONTAINERS);
    let mut vulns = Vec::new();
    let mut envelope: Option<SimpleReturn> = None;
    while let Some(item) = stream.next().await.map_err(KbError::Xml)? {
        match item {
            Item::Open(root) if root == "SIMPLE_RETURN" => envelope = Some(SimpleReturn::default()),
            Item::Element {
                parent,
                name,
                value,
            } => match (&mut envelope, parent.as_str()) {
                (Some(e), _) => e.take(&name, &value),
                (None, "VULN_LIST") if name == "VULN" => vulns.push(value),
                _ => {}
            },
            Item::Open(_) => {}
        }
    }
    match envelope {
        Some(e) => Err(KbError::Vendor(e)),
        None => Ok(vulns),
    }
}

//! Calling a vendor: pacing, retries with backoff for 429 (honouring `Retry-After` and
//! CrowdStrike's `X-RateLimit-RetryAfter`), 5xx and network errors, a per-job retry
//! budget, bounded response sizes, and the classification of what finally failed.

use std::{
    sync::{
        atomic::{AtomicU32, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use rand::Rng;
use reqwest::{header::HeaderMap, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use tributary_model::Vendor;

use crate::{
    error::{FailureKind, VendorError},
    guard::{GuardError, UrlGuard},
    pacing::{PaceLimits, Pacer},
};

/// Largest vendor response Tributary reads.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Retry and timeout policy for vendor calls.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Time one request may take (connect, send, read the whole body).
    pub request_timeout: Duration,
    /// Retries of one request on 429, 5xx or a network error.
    pub max_retries: u32,
    /// First backoff; doubles with each retry, with ±50% jitter.
    pub retry_base: Duration,
    /// Longest single wait; a vendor asking for longer makes the export fail as rate-limited.
    pub retry_max_wait: Duration,
    /// Retries one job may spend across all its requests.
    pub job_retry_budget: u32,
    /// Overrides the vendors' published limits (benchmarks use `PaceLimits::unlimited()`).
    pub pacing: Option<PaceLimits>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            request_timeout: Duration::from_secs(60),
            max_retries: 4,
            retry_base: Duration::from_millis(500),
            retry_max_wait: Duration::from_secs(60),
            job_retry_budget: 40,
            pacing: None,
        }
    }
}

/// A reqwest client whose DNS resolution applies the URL guard, shared by every job.
pub fn build_client(guard: &UrlGuard, timeout: Duration) -> reqwest::Client {
    let redirect_guard = guard.clone();
    reqwest::Client::builder()
        .user_agent(concat!("tributary/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(guard.resolver())
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 {
                attempt.error("too many redirects")
            } else if let Err(refused) = redirect_guard.check_static(attempt.url().as_str()) {
                // The guard's own error, so the refusal is classified as one.
                attempt.error(refused)
            } else {
                attempt.follow()
            }
        }))
        .build()
        .expect("the HTTP client configuration is valid")
}

/// The HTTP side of one job against one vendor tenant.
#[derive(Debug, Clone)]
pub struct VendorHttp {
    pub client: reqwest::Client,
    pub vendor: Vendor,
    /// The vendor's record name, the `vendor` label of metrics.
    label: Arc<str>,
    settings: Arc<HttpSettings>,
    pacer: Arc<Pacer>,
    budget: Arc<AtomicU32>,
    rate_limits: Arc<RateLimitTally>,
}

/// The 429s a job's calls met and retried, and the time spent waiting on them: the
/// figures of the RATE_LIMITED advisory. Shared by every clone of one [`VendorHttp`];
/// the engine reads it before and after each export.
#[derive(Debug, Default)]
pub struct RateLimitTally {
    responses: AtomicU32,
    wait_ms: AtomicU64,
}

impl RateLimitTally {
    /// (429 answers retried, milliseconds waited on them) so far.
    pub fn snapshot(&self) -> (u32, u64) {
        (
            self.responses.load(Ordering::Relaxed),
            self.wait_ms.load(Ordering::Relaxed),
        )
    }

    fn add(&self, wait: Duration) {
        self.responses.fetch_add(1, Ordering::Relaxed);
        self.wait_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
    }
}

impl VendorHttp {
    /// `published` is the vendor's own limits (its spec's), unless the settings override
    /// them.
    pub fn new(
        client: reqwest::Client,
        vendor: Vendor,
        published: PaceLimits,
        settings: Arc<HttpSettings>,
    ) -> Self {
        let limits = settings.pacing.unwrap_or(published);
        VendorHttp {
            client,
            vendor,
            label: vendor.source().as_str().into(),
            budget: Arc::new(AtomicU32::new(settings.job_retry_budget)),
            pacer: Arc::new(Pacer::new(limits)),
            rate_limits: Arc::default(),
            settings,
        }
    }

    /// The 429s this job's calls met and retried.
    pub fn rate_limits(&self) -> Arc<RateLimitTally> {
        self.rate_limits.clone()
    }

    fn label(&self) -> String {
        self.label.to_string()
    }

    /// Sends the request built by `build` (called again for each retry) and returns a
    /// 2xx response. 401, 403 and other 4xx fail at once; 429, 5xx and network errors
    /// are retried within the budgets.
    pub async fn send(
        &self,
        endpoint: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, VendorError> {
        self.send_expecting(endpoint, build, &[]).await
    }

    /// Like [`send`](Self::send), but an answer whose status is in `expected` is returned
    /// as it came (neither retried nor classified): a refusal whose body the caller acts
    /// on, such as Tenable's 409 naming the export already running.
    pub async fn send_expecting(
        &self,
        endpoint: &str,
        build: impl Fn() -> RequestBuilder,
        expected: &[StatusCode],
    ) -> Result<Response, VendorError> {
        let mut attempt = 0u32;
        loop {
            let waited = self.pacer.acquire().await;
            if !waited.is_zero() {
                metrics::counter!("tributary_vendor_pacing_wait_seconds_total", "vendor" => self.label())
                    .increment(waited.as_millis() as u64 / 1000);
            }
            let outcome = build().send().await;
            let status_label = match &outcome {
                Ok(r) => r.status().as_u16().to_string(),
                Err(_) => "network_error".to_owned(),
            };
            metrics::counter!("tributary_vendor_requests_total", "vendor" => self.label(),
                "endpoint" => endpoint.to_owned(), "status" => status_label)
            .increment(1);
            let retry = match outcome {
                Ok(resp) if resp.status().is_success() || expected.contains(&resp.status()) => {
                    return Ok(resp)
                }
                Ok(resp) => self.classify_status(endpoint, resp).await?,
                Err(e) => Retry::after(
                    self.backoff(attempt),
                    "network",
                    network_error(endpoint, &e)?,
                ),
            };
            if attempt >= self.settings.max_retries
                || retry.wait > self.settings.retry_max_wait
                || !self.take_budget()
            {
                return Err(retry.error);
            }
            metrics::counter!("tributary_vendor_retries_total", "vendor" => self.label(), "reason" => retry.reason)
                .increment(1);
            if retry.reason == "rate_limit" {
                self.rate_limits.add(retry.wait);
                metrics::counter!("tributary_vendor_rate_limit_wait_seconds_total", "vendor" => self.label())
                    .increment(retry.wait.as_secs());
            }
            tracing::debug!(
                vendor = self.label(),
                endpoint,
                attempt,
                wait_ms = retry.wait.as_millis() as u64,
                reason = retry.reason,
                "retrying vendor request"
            );
            tokio::time::sleep(retry.wait).await;
            attempt += 1;
        }
    }

    /// Like [`send`](Self::send), then reads and parses the JSON body.
    pub async fn json<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<T, VendorError> {
        let resp = self.send(endpoint, build).await?;
        let bytes = read_body(endpoint, resp).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            // Not the page expected: the vendor's own error envelope inside a 2xx is the
            // failure it reports, classified by its code; anything else is unreadable.
            crate::envelope::error_inside_2xx(endpoint, &bytes)
                .unwrap_or_else(|| VendorError::malformed(endpoint, e))
        })
    }

    /// A refusal the caller read as throttling in the vendor's own terms (Qualys' 409
    /// and its codes): waits `wait` (else the backoff for `attempt`) and returns Ok to
    /// try again, or `error` once the retries, the longest wait or the job's retry budget
    /// are spent.
    pub async fn wait_to_retry(
        &self,
        attempt: u32,
        wait: Option<Duration>,
        error: VendorError,
    ) -> Result<(), VendorError> {
        let wait = wait.unwrap_or_else(|| self.backoff(attempt));
        if attempt >= self.settings.max_retries
            || wait > self.settings.retry_max_wait
            || !self.take_budget()
        {
            return Err(error);
        }
        let reason = if error.kind == FailureKind::RateLimited {
            "rate_limit"
        } else {
            "network"
        };
        metrics::counter!("tributary_vendor_retries_total", "vendor" => self.label(), "reason" => reason)
            .increment(1);
        tracing::debug!(
            vendor = self.label(),
            endpoint = error.endpoint,
            attempt,
            wait_ms = wait.as_millis() as u64,
            reason,
            "retrying vendor request"
        );
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// The backoff before retry `attempt` (doubling, with jitter).
    pub fn backoff_for(&self, attempt: u32) -> Duration {
        self.backoff(attempt)
    }

    /// Time one request may take; for a streamed body, the longest stall between chunks.
    pub fn request_timeout(&self) -> Duration {
        self.settings.request_timeout
    }

    /// The longest single wait a vendor may ask for before the export fails instead.
    pub fn retry_max_wait(&self) -> Duration {
        self.settings.retry_max_wait
    }

    fn take_budget(&self) -> bool {
        self.budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
            .is_ok()
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.settings.retry_base.as_secs_f64() * 2f64.powi(attempt.min(16) as i32);
        let jittered = base * rand::thread_rng().gen_range(0.5..1.5);
        Duration::from_secs_f64(jittered).min(self.settings.retry_max_wait)
    }

    /// A non-2xx answer: an error to return now, or a retry.
    async fn classify_status(&self, endpoint: &str, resp: Response) -> Result<Retry, VendorError> {
        let status = resp.status();
        let headers = resp.headers().clone();
        let message = error_message(resp).await;
        let code = Some(status.as_u16());
        match status {
            StatusCode::UNAUTHORIZED => Err(VendorError::new(
                FailureKind::Unauthorized,
                endpoint,
                code,
                message,
            )),
            StatusCode::FORBIDDEN => Err(VendorError::new(
                FailureKind::Forbidden,
                endpoint,
                code,
                message,
            )),
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = retry_after(&headers).unwrap_or_else(|| self.backoff(0));
                let err = VendorError::new(FailureKind::RateLimited, endpoint, code, message);
                Ok(Retry::after(wait, "rate_limit", err))
            }
            s if s.is_server_error() => {
                let err = VendorError::new(FailureKind::ServerError, endpoint, code, message);
                Ok(Retry::after(self.backoff(0), "server_error", err))
            }
            _ => Err(VendorError::new(
                FailureKind::ClientError,
                endpoint,
                code,
                message,
            )),
        }
    }
}

struct Retry {
    wait: Duration,
    reason: &'static str,
    error: VendorError,
}

impl Retry {
    fn after(wait: Duration, reason: &'static str, error: VendorError) -> Self {
        Retry {
            wait,
            reason,
            error,
        }
    }
}

/// A transport error: retryable (Ok) unless the guard refused the address.
fn network_error(endpoint: &str, e: &reqwest::Error) -> Result<VendorError, VendorError> {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if let Some(g) = s.downcast_ref::<GuardError>() {
            return Err(VendorError::new(
                FailureKind::Destination,
                endpoint,
                None,
                format!("destination not allowed: {g}"),
            ));
        }
        source = s.source();
    }
    let what = if e.is_timeout() {
        "the request timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the response"
    } else {
        "the connection failed"
    };
    Ok(VendorError::new(FailureKind::Network, endpoint, None, what))
}

/// The wait a 429 asks for: `Retry-After` (seconds or an HTTP date), CrowdStrike's
/// `X-RateLimit-RetryAfter` (epoch seconds) or Okta's `X-Rate-Limit-Reset` (epoch
/// seconds, counted from the response's `Date`, as Okta's SDKs do: the vendor's clock,
/// not ours).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let now = chrono::Utc::now().timestamp();
    if let Some(wait) = rate_limit_reset(headers) {
        return Some(wait);
    }
    if let Some(v) = headers
        .get("x-ratelimit-retryafter")
        .and_then(|v| v.to_str().ok())
    {
        if let Ok(epoch) = v.trim().parse::<i64>() {
            return Some(Duration::from_secs((epoch - now).max(0) as u64));
        }
    }
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<f64>() {
        return Some(Duration::from_secs_f64(secs.max(0.0)));
    }
    let date = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(Duration::from_secs((date.timestamp() - now).max(0) as u64))
}

/// Okta's `X-Rate-Limit-Reset` (epoch seconds) as a wait from the response's `Date` (or
/// now, without one).
pub fn rate_limit_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset: i64 = headers
        .get("x-rate-limit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let date = headers
        .get(reqwest::header::DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
        .map_or_else(|| chrono::Utc::now().timestamp(), |d| d.timestamp());
    Some(Duration::from_secs((reset - date).max(0) as u64))
}

/// Reads a body up to the size limit.
pub async fn read_body(endpoint: &str, mut resp: Response) -> Result<bytes::Bytes, VendorError> {
    // Sized from Content-Length when the vendor sends it: a page of several MB read into a
    // growing buffer would reallocate its way to twice its size.
    let expected = resp
        .content_length()
        .unwrap_or(0)
        .min(MAX_BODY_BYTES as u64) as usize;
    let mut buf = bytes::BytesMut::with_capacity(expected);
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(VendorError::malformed(
                        endpoint,
                        "response larger than 64 MiB",
                    ));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf.freeze()),
            Err(e) => {
                return Err(network_error(endpoint, &e).unwrap_or_else(|g| g));
            }
        }
    }
}

/// The vendor's own words for an error, from any of the three vendors' error shapes.
async fn error_message(resp: Response) -> String {
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    let text = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| vendor_message(&v));
    text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned())
}

fn vendor_message(v: &serde_json::Value) -> Option<String> {
    // Okta {errorCode, errorSummary, errorCauses}
    if let (Some(code), Some(summary)) = (
        v.get("errorCode").and_then(|c| c.as_str()),
        v.get("errorSummary").and_then(|s| s.as_str()),
    ) {
        return Some(format!("{code}: {summary}"));
    }
    // CrowdStrike {errors:[{code,message}]}; SentinelOne {errors:[{code,detail,title}]}
    if let Some(first) = v
        .get("errors")
        .and_then(|e| e.as_array())
        .and_then(|a| a.first())
    {
        let parts: Vec<&str> = ["message", "title", "detail"]
            .iter()
            .filter_map(|k| first.get(*k).and_then(|x| x.as_str()))
            .collect();
        if !parts.is_empty() {
            return Some(parts.join(": "));
        }
    }
    // Defender {error:{code,message}}; Entra ID {error, error_description}
    match v.get("error") {
        Some(serde_json::Value::Object(e)) => {
            e.get("message").and_then(|m| m.as_str()).map(str::to_owned)
        }
        // Entra ID {error, error_description}; Tenable {statusCode, error, message}
        Some(serde_json::Value::String(code)) => Some(
            v.get("error_description")
                .or_else(|| v.get("message"))
                .and_then(|d| d.as_str())
                .and_then(|d| d.lines().next())
                .map(str::trim)
                .map(|d| format!("{code}: {d}"))
                .unwrap_or_else(|| code.clone()),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn a_refused_destination_fails_at_once_as_the_customers() {
        let client = build_client(&UrlGuard::default(), Duration::from_secs(5));
        let settings = Arc::new(HttpSettings::default());
        let http = VendorHttp::new(
            client.clone(),
            Vendor::named("SENTINELONE"),
            PaceLimits::unlimited(),
            settings.clone(),
        );
        let err = http
            .send("/x", || client.get("https://localhost:1/x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, FailureKind::Destination, "{err}");
        assert_eq!(err.health(), tributary_model::HealthName::Unauthorized);
        assert!(err.message.contains("not allowed"), "{err}");
        // Not retried: the job's retry budget is untouched.
        assert_eq!(
            http.budget.load(Ordering::SeqCst),
            settings.job_retry_budget
        );
    }

    #[test]
    fn retry_after_formats() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        let at = chrono::Utc::now().timestamp() + 30;
        h.insert(
            "X-RateLimit-RetryAfter",
            HeaderValue::from_str(&at.to_string()).unwrap(),
        );
        let wait = retry_after(&h).unwrap().as_secs();
        assert!((29..=30).contains(&wait), "{wait}");
        assert_eq!(retry_after(&HeaderMap::new()), None);
        // Okta: the reset time less the response's own date.
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-reset", HeaderValue::from_static("1767225612"));
        h.insert(
            "date",
            HeaderValue::from_static("Thu, 01 Jan 2026 00:00:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(12)));
    }

    #[test]
    fn vendor_messages() {
        assert_eq!(vendor_message(&json!({"errors": [{"code": 401, "message": "access denied, invalid bearer token"}]})).unwrap(), "access denied, invalid bearer token");
        assert_eq!(vendor_message(&json!({"errors": [{"code": 4010010, "detail": null, "title": "Authentication Failed"}]})).unwrap(), "Authentication Failed");
        assert_eq!(
            vendor_message(&json!({"error": {"code": "Forbidden", "message": "Missing role"}}))
                .unwrap(),
            "Missing role"
        );
        assert_eq!(vendor_message(&json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"})).unwrap(), "invalid_client: AADSTS7000215: Invalid client secret provided.");
        assert_eq!(vendor_message(&json!({"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action", "errorCauses": []})).unwrap(), "E0000006: You do not have permission to perform the requested action");
        assert_eq!(
            vendor_message(
                &json!({"statusCode": 403, "error": "Forbidden", "message": "Insufficient scope"})
            )
            .unwrap(),
            "Forbidden: Insufficient scope"
        );
    }
}

//! Okta's Management API: `Authorization: SSWS <token>`, bare JSON arrays paged by the
//! `Link: <…>; rel="next"` header, and per-endpoint rate limits announced on every
//! response (`X-Rate-Limit-Limit`, `-Remaining`, `-Reset`): a request waits for the
//! window to reset when the last response said none remain, so a sync paces itself
//! before Okta answers 429 (`E0000047`). Errors come as Okta's error objects: `E0000011`
//! (401, invalid token) and `E0000006` (403, no permission for that resource) are
//! UNAUTHORIZED, the latter for the refusing export only.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use reqwest::{header::HeaderMap, Response};
use serde_json::Value;
use tokio::time::Instant;
use tributary_model::Secret;
use url::Url;

use super::endpoints::{APPS, GROUPS, USERS};
use crate::{
    error::{FailureKind, VendorError},
    http::{rate_limit_reset, read_body, VendorHttp},
};

/// The longest wait for a rate-limit window: longer, and the export fails as rate
/// limited instead (Okta's windows are a minute).
const MAX_PACING_WAIT: Duration = Duration::from_secs(60);

/// One Okta org.
pub struct Api {
    domain: String,
    token: Secret,
    http: VendorHttp,
    /// The last rate-limit window each endpoint family announced.
    windows: Mutex<HashMap<&'static str, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    remaining: u64,
    resets: Instant,
}

/// A page of an Okta list: its items and the next page's URL.
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

/// Okta's rate-limit family of an endpoint (limits are per family and minute).
fn family(endpoint: &'static str) -> &'static str {
    match endpoint {
        USERS => "users",
        GROUPS => "groups",
        e if e.starts_with(GROUPS) => "group",
        e if e.starts_with(APPS) => "apps",
        _ => "other",
    }
}

impl Api {
    /// `domain` + `path` with `query`.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url = Url::parse(&format!("{}{path}", self.domain)).expect("validated domain");
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        url.to_string()
    }

    /// GETs one page of `endpoint` (a path template, for errors and pacing) at `url`.
    pub async fn page(&self, endpoint: &'static str, url: &str) -> Result<Page, VendorError> {
        self.pace(endpoint).await?;
        let sent = self
            .http
            .send(endpoint, || {
                self.http
                    .client
                    .get(url)
                    .header("Authorization", format!("SSWS {}", self.token.expose()))
                    .header("Accept", "application/json")
            })
            .await;
        let resp = sent?;
        self.remember(endpoint, resp.headers());
        // A next page elsewhere is refused, never skipped: a listing that ended there
        // quietly would pass for complete and its unlisted records for deleted.
        let next = next_link(resp.headers());
        if next.as_deref().is_some_and(|l| !self.same_origin(l)) {
            return Err(VendorError::malformed(
                endpoint,
                "the next page's link leaves the org's origin",
            ));
        }
        let items = read_array(endpoint, resp).await?;
        Ok(Page { items, next })
    }

    /// The ids of every item of a list that `keep` accepts, following `Link` to the end
    /// (a group's members, an app's assignments). Only ids are kept, page by page: a
    /// large group's members are whole user objects.
    pub async fn all_ids(
        &self,
        endpoint: &'static str,
        url: String,
        keep: impl Fn(&Value) -> bool,
    ) -> Result<Vec<String>, VendorError> {
        let mut ids = Vec::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let page = self.page(endpoint, &url).await?;
            ids.extend(
                page.items
                    .iter()
                    .filter(|i| keep(i))
                    .filter_map(|i| i.get("id").and_then(Value::as_str).map(str::to_owned)),
            );
            next = page.next;
        }
        Ok(ids)
    }

    /// Waits for the endpoint family's window to reset when the last response said no
    /// request remains in it.
    async fn pace(&self, endpoint: &'static str) -> Result<(), VendorError> {
        let window = self.windows.lock().unwrap().get(family(endpoint)).copied();
        let Some(w) = window.filter(|w| w.remaining == 0) else {
            return Ok(());
        };
        let wait = w.resets.saturating_duration_since(Instant::now());
        if wait > MAX_PACING_WAIT {
            return Err(VendorError::new(
                FailureKind::RateLimited,
                endpoint,
                None,
                format!(
                    "no request left until Okta's rate-limit window resets in {}s",
                    wait.as_secs()
                ),
            ));
        }
        metrics::counter!("tributary_vendor_pacing_wait_seconds_total", "vendor" => "OKTA_IDP")
            .increment(wait.as_secs());
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn remember(&self, endpoint: &'static str, headers: &HeaderMap) {
        let remaining = headers
            .get("x-rate-limit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let (Some(remaining), Some(wait)) = (remaining, rate_limit_reset(headers)) else {
            return;
        };
        let w = Window {
            remaining,
            resets: Instant::now() + wait,
        };
        self.windows.lock().unwrap().insert(family(endpoint), w);
    }

    /// A `Link` is followed only on the org's own origin: the API token must not be sent
    /// anywhere else.
    fn same_origin(&self, link: &str) -> bool {
        match (Url::parse(link), Url::parse(&self.domain)) {
            (Ok(a), Ok(b)) => a.origin() == b.origin(),
            _ => false,
        }
    }
}

/// The `rel="next"` URL of the `Link` headers (Okta sends one header per relation).
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| {
            let (url, params) = part.trim().split_once(';')?;
            let is_next = params
                .split(';')
                .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
            let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| url.to_owned())
        })
}

async fn read_array(endpoint: &str, resp: Response) -> Result<Vec<Value>, VendorError> {
    let body = read_body(endpoint, resp).await?;
    serde_json::from_slice(&body).map_err(|e| VendorError::malformed(endpoint, e))
}

impl Api {
    pub fn new(domain: &str, token: Secret, http: VendorHttp) -> Api {
        Api {
            domain: domain.trim_end_matches('/').to_owned(),
            token,
            http,
            windows: Mutex::new(HashMap::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn the_next_link_is_read_from_any_link_header() {
        let mut h = HeaderMap::new();
        h.append(
            "link",
            HeaderValue::from_static("<https://x.okta.com/api/v1/users?limit=2>; rel=\"self\""),
        );
        h.append(
            "link",
            HeaderValue::from_static(
                "<https://x.okta.com/api/v1/users?after=00u2&limit=2>; rel=\"next\"",
            ),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://x.okta.com/api/v1/users?after=00u2&limit=2")
        );
        let mut one = HeaderMap::new();
        one.insert(
            "link",
            HeaderValue::from_static("<https://a/self>; rel=\"self\", <https://a/n>; rel=\"next\""),
        );
        assert_eq!(next_link(&one).as_deref(), Some("https://a/n"));
        assert_eq!(next_link(&HeaderMap::new()), None);
    }
}

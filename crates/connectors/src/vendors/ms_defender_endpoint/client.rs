//! Microsoft Defender for Endpoint: an Entra ID client-credentials token, then OData
//! lists (`$filter`, `$top`, `$skip`, `@odata.nextLink`). Results are not sorted by update
//! time, so the watermark moves only after the last page of an export.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use tributary_model::{credentials::Credentials, DataExportType};
use url::Url;

use super::endpoints::{ALERTS, DEFAULT_API_BASE_URL, MACHINES, SCOPE};
use crate::{
    connector::{Connector, ExportReader, RawPage, Records},
    error::{FailureKind, VendorError},
    http::{read_body, VendorHttp},
    oauth::microsoft::{host, ClientCredentials},
    records::JsonRecords,
    watermark::{self, Watermark},
};

/// Records per page: the API allows 10,000, but alerts with evidence are large and
/// smaller pages keep memory flat.
const PAGE_SIZE: usize = 1000;

pub struct Defender {
    inner: Arc<Inner>,
}

struct Inner {
    api_base_url: String,
    login: ClientCredentials,
    http: VendorHttp,
}

#[derive(Deserialize)]
struct ODataPage {
    /// Each record's text: read one at a time by the pipeline.
    value: JsonRecords,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

/// The connector for parsed credentials (the spec's `connect`).
pub fn connect(creds: &Credentials, options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    Arc::new(Defender::new(creds, options, http))
}

impl Defender {
    pub fn new(creds: &Credentials, _options: &Value, http: VendorHttp) -> Self {
        Defender {
            inner: Arc::new(Inner {
                api_base_url: host(creds, "api_base_url", DEFAULT_API_BASE_URL),
                login: ClientCredentials::new(creds, SCOPE),
                http,
            }),
        }
    }
}

impl Inner {
    /// GETs `url` (a page of `endpoint`); `None` for the documented 404 "no recent machines".
    async fn page(
        &self,
        endpoint: &'static str,
        url: &str,
    ) -> Result<Option<ODataPage>, VendorError> {
        let sent = self
            .login
            .send(&self.http, endpoint, |token| {
                self.http.client.get(url).bearer_auth(token)
            })
            .await;
        let resp = match sent {
            Err(e)
                if e.kind == FailureKind::ClientError
                    && e.http_status == Some(404)
                    && endpoint == MACHINES =>
            {
                return Ok(None)
            }
            other => other?,
        };
        let body = read_body(endpoint, resp).await?;
        serde_json::from_slice(&body).map(Some).map_err(|e| {
            // `{"error": {...}}` inside a 200 is the failure it reports.
            crate::envelope::error_inside_2xx(endpoint, &body)
                .unwrap_or_else(|| VendorError::malformed(endpoint, e))
        })
    }

    /// Follows `@odata.nextLink` only on the API's own origin: the bearer token must not
    /// be sent anywhere else.
    fn same_origin(&self, link: &str) -> bool {
        match (Url::parse(link), Url::parse(&self.api_base_url)) {
            (Ok(a), Ok(b)) => a.origin() == b.origin(),
            _ => false,
        }
    }
}

fn export_params(export: DataExportType) -> (&'static str, &'static str) {
    match export {
        DataExportType::Devices => (MACHINES, "lastSeen"),
        // The spec lists devices and alerts only.
        _ => (ALERTS, "lastUpdateTime"),
    }
}

/// OData wants an unquoted date-time; Defender writes seven fractional digits.
fn odata_time(t: DateTime<Utc>) -> String {
    use chrono::Timelike;
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.nanosecond() % 1_000_000_000 / 100
    )
}

struct Reader {
    inner: Arc<Inner>,
    export: DataExportType,
    since: Option<DateTime<Utc>>,
    next_url: Option<String>,
    skip: usize,
    latest: Option<DateTime<Utc>>,
    done: bool,
}

impl Reader {
    fn first_url(&self) -> String {
        let (endpoint, field) = export_params(self.export);
        let mut url = Url::parse(&format!("{}{endpoint}", self.inner.api_base_url))
            .expect("validated base URL");
        {
            let mut q = url.query_pairs_mut();
            if let Some(since) = self.since {
                q.append_pair("$filter", &format!("{field} ge {}", odata_time(since)));
            }
            q.append_pair("$top", &PAGE_SIZE.to_string());
            q.append_pair("$skip", &self.skip.to_string());
            if self.export == DataExportType::Alerts {
                q.append_pair("$expand", "evidence");
            }
        }
        url.to_string()
    }
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.done {
            return Ok(None);
        }
        let (endpoint, field) = export_params(self.export);
        let url = self.next_url.take().unwrap_or_else(|| self.first_url());
        let page = self.inner.page(endpoint, &url).await?.unwrap_or(ODataPage {
            value: JsonRecords::default(),
            next_link: None,
        });
        let count = page.value.len();
        self.skip += count;
        let records = Records::Json(page.value);
        self.latest = self.latest.max(watermark::latest_of(&records, field));
        match page.next_link.filter(|l| self.inner.same_origin(l)) {
            Some(link) => self.next_url = Some(link),
            // Without a next link, a full page means there may be more: page with $skip.
            None if count == PAGE_SIZE => {}
            None => self.done = true,
        }
        Ok(Some(RawPage {
            endpoint,
            records,
            watermark: if self.done {
                self.latest.map(Watermark::Time)
            } else {
                None
            },
        }))
    }
}

#[async_trait]
impl Connector for Defender {
    fn reader(&self, export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        Box::new(Reader {
            inner: self.inner.clone(),
            export,
            since: since.and_then(|w| w.time()),
            next_url: None,
            skip: 0,
            latest: None,
            done: false,
        })
    }

    async fn probe(&self, export: DataExportType) -> Result<(), VendorError> {
        let (endpoint, _) = export_params(export);
        let url = format!("{}{endpoint}?$top=1", self.inner.api_base_url);
        self.inner.page(endpoint, &url).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_times_have_seven_digits() {
        let t = crate::normalize::parse_time("2021-01-26T20:33:59.2Z").unwrap();
        assert_eq!(odata_time(t), "2021-01-26T20:33:59.2000000Z");
    }
}

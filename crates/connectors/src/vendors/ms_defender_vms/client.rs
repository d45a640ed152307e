//! Defender Vulnerability Management's connector. A job reads the CVE catalogue
//! (`GET /api/vulnerabilities`, paged) once into a map, then the full snapshot of
//! `GET /api/vulnerabilities/machinesVulnerabilities` with `$top`/`$skip`, following
//! `@odata.nextLink` when Defender sends one; each record leaves with its CVE's catalogue
//! entry under `vulnerability`, so the mapping never asks per finding. There is no
//! incremental filter: every run is a complete listing (the engine then marks FIXED what
//! the snapshot no longer has), so every way a listing can stop short is an error.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use tributary_model::{credentials::Credentials, DataExportType};
use url::Url;

use super::endpoints::{DEFAULT_API_BASE_URL, MACHINE_VULNERABILITIES, SCOPE, VULNERABILITIES};
use crate::{
    connector::{Connector, ExportReader, RawPage},
    error::VendorError,
    http::{read_body, VendorHttp},
    oauth::microsoft::{host, ClientCredentials},
    watermark::Watermark,
};

/// Snapshot records per page (the API allows 10,000; each record leaves with its CVE's
/// catalogue entry, so pages stay moderate).
const PAGE_SIZE: usize = 5000;
/// Catalogue entries per page (the documented maximum).
const CATALOGUE_PAGE: usize = 8000;
/// The catalogue fields a finding uses. Others are left out: `exposedMachines` changes
/// with every snapshot and would make every finding look changed.
const CATALOGUE_FIELDS: [&str; 13] = [
    "id",
    "name",
    "description",
    "severity",
    "cvssV3",
    "cvssVector",
    "publishedOn",
    "updatedOn",
    "publicExploit",
    "exploitVerified",
    "exploitInKit",
    "exploitTypes",
    "exploitUris",
];
/// `EPSS` is sent in upper case; both spellings are kept.
const EPSS_FIELDS: [&str; 2] = ["EPSS", "epss"];

pub struct DefenderVms {
    inner: Arc<Inner>,
}

struct Inner {
    api_base_url: String,
    login: ClientCredentials,
    http: VendorHttp,
}

#[derive(Deserialize)]
struct ODataPage {
    value: Vec<Value>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

/// The catalogue: CVE id → the entry's fields a finding uses.
type Catalogue = HashMap<String, Value>;

/// The connector for parsed credentials (the spec's `connect`).
pub fn connect(creds: &Credentials, _options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    Arc::new(DefenderVms {
        inner: Arc::new(Inner {
            api_base_url: host(creds, "api_base_url", DEFAULT_API_BASE_URL),
            login: ClientCredentials::new(creds, SCOPE),
            http,
        }),
    })
}

impl Inner {
    async fn page(&self, endpoint: &'static str, url: &str) -> Result<ODataPage, VendorError> {
        let resp = self
            .login
            .send(&self.http, endpoint, |token| {
                self.http.client.get(url).bearer_auth(token)
            })
            .await?;
        let body = read_body(endpoint, resp).await?;
        serde_json::from_slice(&body).map_err(|e| VendorError::malformed(endpoint, e))
    }

    fn url(&self, endpoint: &str, top: usize, skip: usize) -> String {
        let mut url =
            Url::parse(&format!("{}{endpoint}", self.api_base_url)).expect("validated base URL");
        url.query_pairs_mut()
            .append_pair("$top", &top.to_string())
            .append_pair("$skip", &skip.to_string());
        url.to_string()
    }

    /// Follows `@odata.nextLink` only on the API's own origin: the bearer token must not
    /// be sent anywhere else.
    fn same_origin(&self, link: &str) -> bool {
        match (Url::parse(link), Url::parse(&self.api_base_url)) {
            (Ok(a), Ok(b)) => a.origin() == b.origin(),
            _ => false,
        }
    }

    /// The whole catalogue, paged. Read once per job.
    async fn catalogue(&self) -> Result<Catalogue, VendorError> {
        let mut out = Catalogue::new();
        let mut pages = Paging::new(VULNERABILITIES, CATALOGUE_PAGE);
        while let Some(url) = pages.next_url(self) {
            let page = self.page(VULNERABILITIES, &url).await?;
            pages.advance(self, page.value.len(), page.next_link)?;
            for entry in page.value {
                let Some(id) = entry.get("id").and_then(Value::as_str) else {
                    continue; // an entry without its CVE id names nothing a finding has
                };
                let mut kept = serde_json::Map::new();
                for key in CATALOGUE_FIELDS.iter().chain(&EPSS_FIELDS) {
                    if let Some(v) = entry.get(*key) {
                        kept.insert((*key).to_owned(), v.clone());
                    }
                }
                out.insert(id.to_ascii_uppercase(), Value::Object(kept));
            }
        }
        Ok(out)
    }
}

/// `$top`/`$skip` paging that prefers Defender's `@odata.nextLink` when it sends one.
struct Paging {
    endpoint: &'static str,
    top: usize,
    skip: usize,
    next_link: Option<String>,
    done: bool,
}

impl Paging {
    fn new(endpoint: &'static str, top: usize) -> Paging {
        Paging {
            endpoint,
            top,
            skip: 0,
            next_link: None,
            done: false,
        }
    }

    fn next_url(&mut self, inner: &Inner) -> Option<String> {
        if self.done {
            return None;
        }
        Some(
            self.next_link
                .take()
                .unwrap_or_else(|| inner.url(self.endpoint, self.top, self.skip)),
        )
    }

    /// After a page of `count` records: where the next one is, or the end. A link off
    /// the API's origin is refused, never skipped: a listing that ended there quietly
    /// would pass for complete and its unlisted findings for fixed.
    fn advance(
        &mut self,
        inner: &Inner,
        count: usize,
        next_link: Option<String>,
    ) -> Result<(), VendorError> {
        self.skip += count;
        match next_link {
            Some(link) if !inner.same_origin(&link) => Err(VendorError::malformed(
                self.endpoint,
                "the next page's link leaves the API's origin",
            )),
            Some(link) => {
                self.next_link = Some(link);
                Ok(())
            }
            // `$top` suppresses the link: a full page means there may be more.
            None if count >= self.top => Ok(()),
            None => {
                self.done = true;
                Ok(())
            }
        }
    }
}

struct Reader {
    inner: Arc<Inner>,
    catalogue: Option<Catalogue>,
    pages: Paging,
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.catalogue.is_none() {
            self.catalogue = Some(self.inner.catalogue().await?);
        }
        let Some(url) = self.pages.next_url(&self.inner) else {
            return Ok(None);
        };
        let page = self.inner.page(MACHINE_VULNERABILITIES, &url).await?;
        self.pages
            .advance(&self.inner, page.value.len(), page.next_link)?;
        let catalogue = self.catalogue.as_ref().expect("read above");
        let records = page
            .value
            .into_iter()
            .map(|mut r| {
                let entry = r
                    .get("cveId")
                    .and_then(Value::as_str)
                    .and_then(|cve| catalogue.get(&cve.to_ascii_uppercase()))
                    .cloned();
                if let (Some(entry), Some(o)) = (entry, r.as_object_mut()) {
                    o.insert("vulnerability".into(), entry);
                }
                r
            })
            .collect::<Vec<_>>();
        Ok(Some(RawPage {
            endpoint: MACHINE_VULNERABILITIES,
            records: records.into(),
            // Nothing to resume from: the next job reads the whole snapshot again.
            watermark: None,
        }))
    }

    /// Always: the snapshot has no incremental filter, so every run lists everything.
    fn full_listing(&self) -> bool {
        true
    }
}

#[async_trait]
impl Connector for DefenderVms {
    fn reader(&self, _export: DataExportType, _since: Option<Watermark>) -> Box<dyn ExportReader> {
        Box::new(Reader {
            inner: self.inner.clone(),
            catalogue: None,
            pages: Paging::new(MACHINE_VULNERABILITIES, PAGE_SIZE),
        })
    }

    async fn probe(&self, _export: DataExportType) -> Result<(), VendorError> {
        let url = self.inner.url(MACHINE_VULNERABILITIES, 1, 0);
        self.inner
            .page(MACHINE_VULNERABILITIES, &url)
            .await
            .map(|_| ())
    }
}

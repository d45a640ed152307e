//! Spotlight's connector: `GET /spotlight/combined/vulnerabilities/v1` with an FQL filter
//! on `updated_timestamp`, sorted by it ascending, paged with `after`, and the `cve`,
//! `host_info` and `remediation` facets (without them the blocks are left out). Pages are
//! in time order, so each page's latest update is a safe watermark. An `after` token
//! expires after about two minutes between pages: the query then restarts from the last
//! page's latest update (re-reading a record is free: unchanged rows are not rewritten).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tributary_model::{credentials::Credentials, DataExportType};

use super::endpoints::VULNERABILITIES;
use crate::records::JsonRecords;
use crate::{
    connector::{Connector, ExportReader, RawPage, Records},
    error::VendorError,
    http::VendorHttp,
    vendors::crowdstrike::falcon::{Envelope, Falcon},
    watermark::{self, Watermark},
};

/// Findings per page (the endpoint allows 5,000; facets make records large).
const PAGE_SIZE: usize = 1000;
const FACETS: [&str; 3] = ["cve", "host_info", "remediation"];
/// How many expired `after` tokens one run may restart from.
const MAX_RESTARTS: u32 = 5;

pub fn connect(creds: &Credentials, _options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    Arc::new(Spotlight(Arc::new(Falcon::new(creds, None, http))))
}

struct Spotlight(Arc<Falcon>);

/// The FQL filter: everything changed since `since`, or, on the first pull, what is open.
fn filter(since: Option<DateTime<Utc>>) -> String {
    match since {
        Some(t) => format!(
            "updated_timestamp:>='{}'",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        None => "status:['open','reopen']".to_owned(),
    }
}

fn expired_after_token(e: &VendorError) -> bool {
    e.message.contains("Search context expired")
        || e.message.contains("'after' key no longer valid")
}

struct Reader {
    falcon: Arc<Falcon>,
    since: Option<DateTime<Utc>>,
    after: Option<String>,
    latest: Option<DateTime<Utc>>,
    restarts: u32,
    done: bool,
}

impl Reader {
    /// A page of findings, each as its JSON text (parsed one at a time by the pipeline).
    async fn page(&self) -> Result<Envelope<JsonRecords>, VendorError> {
        let mut params = vec![
            ("filter", filter(self.since)),
            ("sort", "updated_timestamp|asc".to_owned()),
            ("limit", PAGE_SIZE.to_string()),
        ];
        params.extend(FACETS.iter().map(|f| ("facet", f.to_string())));
        if let Some(a) = &self.after {
            params.push(("after", a.clone()));
        }
        self.falcon.query(VULNERABILITIES, &params).await
    }
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.done {
            return Ok(None);
        }
        let env = loop {
            match self.page().await {
                Ok(env) => break env,
                Err(e) if expired_after_token(&e) && self.restarts < MAX_RESTARTS => {
                    self.restarts += 1;
                    self.after = None;
                    self.since = self.latest.or(self.since);
                }
                Err(e) => return Err(e),
            }
        };
        let records = Records::Json(env.resources.unwrap_or_default());
        self.after = env
            .meta
            .pagination
            .and_then(|p| p.after)
            .filter(|a| !a.is_empty());
        self.done = self.after.is_none() || records.is_empty();
        let latest = watermark::latest_of(&records, "updated_timestamp");
        self.latest = self.latest.max(latest);
        Ok(Some(RawPage {
            endpoint: VULNERABILITIES,
            watermark: latest.map(Watermark::Time),
            records,
        }))
    }
}

#[async_trait]
impl Connector for Spotlight {
    fn reader(&self, _export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        Box::new(Reader {
            falcon: self.0.clone(),
            since: since.and_then(|w| w.time()),
            after: None,
            latest: None,
            restarts: 0,
            done: false,
        })
    }

    async fn probe(&self, _export: DataExportType) -> Result<(), VendorError> {
        let params = [("filter", filter(None)), ("limit", "1".to_owned())];
        self.0
            .query::<Value>(VULNERABILITIES, &params)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_expired_tokens() {
        assert_eq!(filter(None), "status:['open','reopen']");
        let t = "2025-03-23T00:31:32.5Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            filter(Some(t)),
            "updated_timestamp:>='2025-03-23T00:31:32Z'"
        );
        let e = VendorError::new(
            crate::error::FailureKind::ClientError,
            VULNERABILITIES,
            Some(404),
            "Search context expired, 'after' key no longer valid (inside a 200 answer)",
        );
        assert!(expired_after_token(&e));
    }
}

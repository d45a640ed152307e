//! SentinelOne Management API v2.1: `Authorization: ApiToken <token>`, cursor paging,
//! incremental pulls with `updatedAt__gte` sorted by `updatedAt` ascending.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use tributary_model::{credentials::Credentials, DataExportType};

use super::endpoints::{AGENTS, API_TOKEN_DETAILS, THREATS};
use crate::{
    connector::{Connector, ExportReader, RawPage, Records},
    error::VendorError,
    http::VendorHttp,
    normalize::parse_time,
    records::JsonRecords,
    watermark::{self, Watermark},
};

/// Records per page (the API's maximum).
const PAGE_SIZE: usize = 1000;

pub struct SentinelOne {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    token: tributary_model::Secret,
    /// `siteIds` / `accountIds` scope filters from the connection's options.
    scope: Vec<(&'static str, String)>,
    http: VendorHttp,
}

#[derive(Deserialize)]
struct ListResponse {
    /// Each record's text: read one at a time by the pipeline.
    data: JsonRecords,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    next_cursor: Option<String>,
}

/// The connector for parsed credentials (the spec's `connect`).
pub fn connect(creds: &Credentials, options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    Arc::new(SentinelOne::new(creds, options, http))
}

impl SentinelOne {
    pub fn new(creds: &Credentials, options: &Value, http: VendorHttp) -> Self {
        let mut scope = Vec::new();
        for (option, param) in [("site_ids", "siteIds"), ("account_ids", "accountIds")] {
            if let Some(ids) = options.get(option).and_then(Value::as_array) {
                let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
                if !ids.is_empty() {
                    scope.push((param, ids.join(",")));
                }
            }
        }
        SentinelOne {
            inner: Arc::new(Inner {
                base_url: creds
                    .get("base_url")
                    .unwrap_or_default()
                    .trim_end_matches('/')
                    .to_owned(),
                token: creds.secret("api_token").unwrap_or_default(),
                scope,
                http,
            }),
        }
    }
}

impl Inner {
    async fn list(
        &self,
        endpoint: &'static str,
        params: &[(&str, String)],
    ) -> Result<ListResponse, VendorError> {
        let url = format!("{}{endpoint}", self.base_url);
        self.http
            .json(endpoint, || {
                self.http
                    .client
                    .get(&url)
                    .header("Authorization", format!("ApiToken {}", self.token.expose()))
                    .query(params)
                    .query(&self.scope)
            })
            .await
    }
}

fn endpoint_of(export: DataExportType) -> (&'static str, &'static str) {
    match export {
        DataExportType::Devices => (AGENTS, "updatedAt"),
        // The spec lists devices and alerts only.
        _ => (THREATS, "threatInfo.updatedAt"),
    }
}

struct Reader {
    inner: Arc<Inner>,
    endpoint: &'static str,
    updated_path: &'static str,
    since: Option<String>,
    cursor: Option<String>,
    done: bool,
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.done {
            return Ok(None);
        }
        let mut params = vec![
            ("limit", PAGE_SIZE.to_string()),
            ("sortBy", "updatedAt".to_owned()),
            ("sortOrder", "asc".to_owned()),
            ("skipCount", "true".to_owned()),
        ];
        if let Some(since) = &self.since {
            params.push(("updatedAt__gte", since.clone()));
        }
        if let Some(c) = &self.cursor {
            params.push(("cursor", c.clone()));
        }
        let page = self.inner.list(self.endpoint, &params).await?;
        self.cursor = page
            .pagination
            .and_then(|p| p.next_cursor)
            .filter(|c| !c.is_empty());
        self.done = self.cursor.is_none() || page.data.is_empty();
        // Sorted by update time: everything up to this page's latest update is in hand.
        let records = Records::Json(page.data);
        let watermark = watermark::latest_of(&records, self.updated_path).map(Watermark::Time);
        Ok(Some(RawPage {
            endpoint: self.endpoint,
            records,
            watermark,
        }))
    }
}

#[async_trait]
impl Connector for SentinelOne {
    fn reader(&self, export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        let (endpoint, updated_path) = endpoint_of(export);
        // SentinelOne filters with microsecond ISO timestamps.
        let since = since
            .and_then(|w| w.time())
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
        Box::new(Reader {
            inner: self.inner.clone(),
            endpoint,
            updated_path,
            since,
            cursor: None,
            done: false,
        })
    }

    async fn probe(&self, export: DataExportType) -> Result<(), VendorError> {
        let (endpoint, _) = endpoint_of(export);
        let params = [("limit", "1".to_owned()), ("skipCount", "true".to_owned())];
        self.inner.list(endpoint, &params).await.map(|_| ())
    }

    async fn credential_expiry(&self) -> Result<Option<DateTime<Utc>>, VendorError> {
        #[derive(Deserialize)]
        struct Details {
            data: TokenDetails,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct TokenDetails {
            #[serde(default)]
            expires_at: Option<String>,
        }
        let inner = &self.inner;
        let url = format!("{}{API_TOKEN_DETAILS}", inner.base_url);
        let body = serde_json::json!({"data": {"apiToken": inner.token.expose()}});
        let details: Details = inner
            .http
            .json(API_TOKEN_DETAILS, || {
                inner
                    .http
                    .client
                    .post(&url)
                    .header(
                        "Authorization",
                        format!("ApiToken {}", inner.token.expose()),
                    )
                    .json(&body)
            })
            .await?;
        Ok(details.data.expires_at.as_deref().and_then(parse_time))
    }
}

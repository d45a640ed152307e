//! CrowdStrike Falcon: OAuth2 client credentials (`POST /oauth2/token`, 201), ids from
//! the query endpoints, records from the entity endpoints. Alerts page with `after`;
//! devices with the scroll endpoint (no 10,000 cap). Both pull incrementally by
//! update time, sorted ascending.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};
use tributary_model::{credentials::Credentials, DataExportType, Secret};

use super::endpoints::{
    ALERT_ENTITIES, ALERT_QUERY, DEFAULT_BASE_URL, DEVICE_ENTITIES, DEVICE_QUERY, TOKEN,
};
use crate::{
    connector::{Connector, ExportReader, RawPage},
    error::VendorError,
    http::{read_body, VendorHttp},
    oauth::{send_with_token, token_refused, TokenCache, TokenResponse},
    watermark::{self, Watermark},
};

/// Ids per query page and per entities call.
const PAGE_SIZE: usize = 1000;

pub struct CrowdStrike {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    client_id: String,
    client_secret: Secret,
    member_cid: Option<String>,
    tokens: TokenCache,
    http: VendorHttp,
}

#[derive(Deserialize, Default)]
struct Envelope {
    #[serde(default)]
    meta: Meta,
    #[serde(default)]
    resources: Option<Vec<Value>>,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    pagination: Option<PageMeta>,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    /// The scroll token (devices) — a string; a number on offset-paged endpoints.
    #[serde(default)]
    offset: Option<Value>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    total: Option<u64>,
}

/// The connector for parsed credentials (the spec's `connect`).
pub fn connect(creds: &Credentials, options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    Arc::new(CrowdStrike::new(creds, options, http))
}

impl CrowdStrike {
    pub fn new(creds: &Credentials, options: &Value, http: VendorHttp) -> Self {
        CrowdStrike {
            inner: Arc::new(Inner {
                base_url: creds
                    .get("base_url")
                    .unwrap_or(DEFAULT_BASE_URL)
                    .trim_end_matches('/')
                    .to_owned(),
                client_id: creds.get("client_id").unwrap_or_default().to_owned(),
                client_secret: creds.secret("client_secret").unwrap_or_default(),
                member_cid: options
                    .get("member_cid")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                tokens: TokenCache::default(),
                http,
            }),
        }
    }
}

impl Inner {
    async fn fetch_token(&self) -> Result<TokenResponse, VendorError> {
        let url = format!("{}{TOKEN}", self.base_url);
        let mut form = vec![
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        if let Some(cid) = &self.member_cid {
            form.push(("member_cid", cid));
        }
        let resp = self
            .http
            .send(TOKEN, || self.http.client.post(&url).form(&form))
            .await
            .map_err(token_refused)?;
        let body = read_body(TOKEN, resp).await?;
        serde_json::from_slice(&body).map_err(|e| VendorError::malformed(TOKEN, e))
    }

    async fn call(
        &self,
        endpoint: &'static str,
        build: impl Fn(&str, String) -> reqwest::RequestBuilder,
    ) -> Result<Envelope, VendorError> {
        let url = format!("{}{endpoint}", self.base_url);
        let resp = send_with_token(
            &self.http,
            &self.tokens,
            endpoint,
            || self.fetch_token(),
            |token| build(token, url.clone()),
        )
        .await?;
        let body = read_body(endpoint, resp).await?;
        serde_json::from_slice(&body).map_err(|e| VendorError::malformed(endpoint, e))
    }

    async fn query(
        &self,
        endpoint: &'static str,
        params: &[(&str, String)],
    ) -> Result<Envelope, VendorError> {
        self.call(endpoint, |token, url| {
            self.http.client.get(url).bearer_auth(token).query(params)
        })
        .await
    }

    async fn entities(
        &self,
        endpoint: &'static str,
        body: Value,
    ) -> Result<Vec<Value>, VendorError> {
        let env = self
            .call(endpoint, |token, url| {
                self.http.client.post(url).bearer_auth(token).json(&body)
            })
            .await?;
        Ok(env.resources.unwrap_or_default())
    }
}

/// What distinguishes the two exports' queries.
struct ExportQuery {
    query: &'static str,
    entities: &'static str,
    /// The entities body's id field: `ids` (devices) or `composite_ids` (alerts).
    ids_field: &'static str,
    time_field: &'static str,
    /// Devices sort with a dot, alerts with a pipe.
    sort: &'static str,
}

fn export_query(export: DataExportType) -> ExportQuery {
    match export {
        DataExportType::Devices => ExportQuery {
            query: DEVICE_QUERY,
            entities: DEVICE_ENTITIES,
            ids_field: "ids",
            time_field: "modified_timestamp",
            sort: "modified_timestamp.asc",
        },
        // The spec lists devices and alerts only: anything else is alerts.
        _ => ExportQuery {
            query: ALERT_QUERY,
            entities: ALERT_ENTITIES,
            ids_field: "composite_ids",
            time_field: "updated_timestamp",
            sort: "updated_timestamp|asc",
        },
    }
}

struct Reader {
    inner: Arc<Inner>,
    export: DataExportType,
    filter: Option<String>,
    /// The scroll `offset` token (devices) or `after` token (alerts).
    token: Option<String>,
    seen: u64,
    done: bool,
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.done {
            return Ok(None);
        }
        let q = export_query(self.export);
        let mut params = vec![
            ("limit", PAGE_SIZE.to_string()),
            ("sort", q.sort.to_owned()),
        ];
        if let Some(f) = &self.filter {
            params.push(("filter", f.clone()));
        }
        if let Some(t) = &self.token {
            let name = if self.export == DataExportType::Devices {
                "offset"
            } else {
                "after"
            };
            params.push((name, t.clone()));
        }
        let page = self.inner.query(q.query, &params).await?;
        let ids: Vec<String> = page
            .resources
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let pagination = page.meta.pagination.unwrap_or_default();
        self.seen += ids.len() as u64;
        self.token = match self.export {
            DataExportType::Devices => pagination
                .offset
                .and_then(|o| o.as_str().map(str::to_owned)),
            _ => pagination.after,
        }
        .filter(|t| !t.is_empty());
        let reached_total = pagination.total.is_some_and(|t| self.seen >= t);
        self.done = ids.is_empty() || self.token.is_none() || reached_total;
        if ids.is_empty() {
            return Ok(Some(RawPage {
                endpoint: q.query,
                records: vec![],
                watermark: None,
            }));
        }
        let records = self
            .inner
            .entities(q.entities, json!({ q.ids_field: ids }))
            .await?;
        let watermark = watermark::latest(&records, q.time_field).map(Watermark::Time);
        Ok(Some(RawPage {
            endpoint: q.entities,
            records,
            watermark,
        }))
    }
}

#[async_trait]
impl Connector for CrowdStrike {
    fn reader(&self, export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        let q = export_query(export);
        let filter = since
            .and_then(|w| w.time())
            .map(|t| format!("{}:>='{}'", q.time_field, Watermark::Time(t).to_stored()));
        Box::new(Reader {
            inner: self.inner.clone(),
            export,
            filter,
            token: None,
            seen: 0,
            done: false,
        })
    }

    async fn probe(&self, export: DataExportType) -> Result<(), VendorError> {
        let q = export_query(export);
        self.inner
            .query(q.query, &[("limit", "1".to_owned())])
            .await
            .map(|_| ())
    }
}

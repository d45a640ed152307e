//! Acme Directory's API: `Authorization: Bearer <api_key>`, lists paged with `cursor`.
//! Users pull incrementally (`since`, deletions arrive as `removed` entries); the other
//! lists have no time filter and are read whole every run: complete listings.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use tributary_connectors::{
    connector::{Connector, ExportReader, RawPage},
    error::VendorError,
    http::VendorHttp,
    watermark::{self, Watermark},
};
use tributary_model::{credentials::Credentials, DataExportType, Secret};

use super::endpoints::{APPS, GROUPS, POLICIES, USERS};

pub fn connect(creds: &Credentials, _options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    Arc::new(Directory(Arc::new(Inner {
        base_url: creds.get("base_url").unwrap_or_default().to_owned(),
        key: creds.secret("api_key").unwrap_or_default(),
        http,
    })))
}

struct Directory(Arc<Inner>);

struct Inner {
    base_url: String,
    key: Secret,
    http: VendorHttp,
}

#[derive(Deserialize)]
struct List {
    items: Vec<Value>,
    next: Option<String>,
}

impl Inner {
    async fn list(
        &self,
        endpoint: &'static str,
        query: &[(&str, String)],
    ) -> Result<List, VendorError> {
        let url = format!("{}{endpoint}", self.base_url);
        self.http
            .json(endpoint, || {
                self.http
                    .client
                    .get(&url)
                    .bearer_auth(self.key.expose())
                    .query(query)
            })
            .await
    }
}

fn endpoint(export: DataExportType) -> &'static str {
    match export {
        DataExportType::Users => USERS,
        DataExportType::Groups => GROUPS,
        DataExportType::Applications => APPS,
        _ => POLICIES,
    }
}

struct Reader {
    inner: Arc<Inner>,
    endpoint: &'static str,
    /// Users changed since (None: the whole list).
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
        let mut query = Vec::new();
        if let Some(s) = &self.since {
            query.push(("since", s.clone()));
        }
        if let Some(c) = &self.cursor {
            query.push(("cursor", c.clone()));
        }
        let page = self.inner.list(self.endpoint, &query).await?;
        self.cursor = page.next;
        self.done = self.cursor.is_none();
        let watermark = (self.endpoint == USERS)
            .then(|| watermark::latest(&page.items, "updated").map(Watermark::Time))
            .flatten();
        Ok(Some(RawPage {
            endpoint: self.endpoint,
            watermark,
            records: page.items.into(),
        }))
    }

    fn full_listing(&self) -> bool {
        self.since.is_none()
    }
}

#[async_trait]
impl Connector for Directory {
    fn reader(&self, export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        let since = match export {
            DataExportType::Users => since.map(|w| w.to_stored()),
            _ => None,
        };
        Box::new(Reader {
            inner: self.0.clone(),
            endpoint: endpoint(export),
            since,
            cursor: None,
            done: false,
        })
    }

    async fn probe(&self, export: DataExportType) -> Result<(), VendorError> {
        let query = [("limit", "1".to_owned())];
        self.0.list(endpoint(export), &query).await.map(|_| ())
    }
}

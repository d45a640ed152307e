//! A minimal client of our own API, for commands that set things up the way an
//! integrator would (the demo, the ingest benchmark).

use anyhow::bail;
use serde_json::Value;

pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl ApiClient {
    pub fn new(base: &str, key: &str) -> ApiClient {
        ApiClient {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            key: key.to_owned(),
        }
    }

    /// `POST /v1{path}` with `body`; an error unless the answer is a success.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let url = format!("{}/v1{path}", self.base);
        let resp = self
            .http
            .post(&url)
            .header("X-API-KEY", &self.key)
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            bail!("POST {url} → {status}: {body}");
        }
        Ok(body)
    }

    /// `GET /v1{path}` as JSON.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}/v1{path}", self.base);
        let resp = self
            .http
            .get(&url)
            .header("X-API-KEY", &self.key)
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            bail!("GET {url} → {status}: {body}");
        }
        Ok(body)
    }
}

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
        self.answer("POST", &url, self.http.post(&url).json(&body))
            .await
    }

    /// `GET /v1{path}` as JSON.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}/v1{path}", self.base);
        self.answer("GET", &url, self.http.get(&url)).await
    }

    /// Sends `request` with the key; its JSON body, or an error naming the call.
    async fn answer(
        &self,
        method: &str,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<Value> {
        let resp = request.header("X-API-KEY", &self.key).send().await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            bail!("{method} {url} → {status}: {body}");
        }
        Ok(body)
    }
}

//! Calling Tenable: `X-ApiKeys` on every request, JSON in and out, through the paced,
//! retrying [`VendorHttp`].

use serde_json::Value;
use tributary_model::Secret;

use crate::{
    error::VendorError,
    http::{read_body, VendorHttp},
};

pub struct Inner {
    pub base_url: String,
    pub access_key: String,
    pub secret_key: Secret,
    pub http: VendorHttp,
}

impl Inner {
    fn keys(&self) -> String {
        format!(
            "accessKey={};secretKey={}",
            self.access_key,
            self.secret_key.expose()
        )
    }

    async fn json(
        &self,
        endpoint: &'static str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Value, VendorError> {
        let resp = self.http.send(endpoint, build).await?;
        let body = read_body(endpoint, resp).await?;
        serde_json::from_slice(&body).map_err(|e| VendorError::malformed(endpoint, e))
    }

    /// `GET path`; errors are reported against `endpoint` (the path's template).
    pub async fn get(&self, endpoint: &'static str, path: &str) -> Result<Value, VendorError> {
        let url = format!("{}{path}", self.base_url);
        self.json(endpoint, || {
            self.http.client.get(&url).header("X-ApiKeys", self.keys())
        })
        .await
    }

    /// `POST path` with a JSON body.
    pub async fn post(
        &self,
        endpoint: &'static str,
        path: &str,
        body: &Value,
    ) -> Result<Value, VendorError> {
        let url = format!("{}{path}", self.base_url);
        self.json(endpoint, || {
            self.http
                .client
                .post(&url)
                .header("X-ApiKeys", self.keys())
                .json(body)
        })
        .await
    }
}

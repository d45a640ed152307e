//! Calling Tenable: `X-ApiKeys` on every request, JSON in and out, through the paced,
//! retrying [`VendorHttp`].

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
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

    async fn json<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, VendorError> {
        self.json_expecting(endpoint, build, &[])
            .await
            .map(|(_, v)| v)
    }

    /// The status and JSON body of a 2xx, or of an answer whose status is in `expected`.
    async fn json_expecting<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        build: impl Fn() -> reqwest::RequestBuilder,
        expected: &[StatusCode],
    ) -> Result<(StatusCode, T), VendorError> {
        let resp = self.http.send_expecting(endpoint, build, expected).await?;
        let status = resp.status();
        let body = read_body(endpoint, resp).await?;
        let value =
            serde_json::from_slice(&body).map_err(|e| VendorError::malformed(endpoint, e))?;
        Ok((status, value))
    }

    /// `GET path`, read as `T`; errors are reported against `endpoint` (the path's
    /// template).
    pub async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        path: &str,
    ) -> Result<T, VendorError> {
        let url = format!("{}{path}", self.base_url);
        self.json(endpoint, || {
            self.http.client.get(&url).header("X-ApiKeys", self.keys())
        })
        .await
    }

    /// `POST path` with a JSON body: the status and body of a 2xx, or of an answer whose
    /// status is in `expected`.
    pub async fn post(
        &self,
        endpoint: &'static str,
        path: &str,
        body: &Value,
        expected: &[StatusCode],
    ) -> Result<(StatusCode, Value), VendorError> {
        let url = format!("{}{path}", self.base_url);
        self.json_expecting(
            endpoint,
            || {
                self.http
                    .client
                    .post(&url)
                    .header("X-ApiKeys", self.keys())
                    .json(body)
            },
            expected,
        )
        .await
    }
}

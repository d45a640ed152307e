//! One Tenable export job, as a stream of chunks: create it (or adopt the job Tenable
//! says is already running with the same filters), poll its status through `QUEUED` and
//! `PROCESSING` (chunks can be read while it processes, and their ids arrive out of
//! order), read each available chunk once, and end at `FINISHED`. `ERROR`, `CANCELLED`
//! and failed chunks are the vendor's failures. A chunk that has expired (404) restarts
//! the export from the same filters: records are upserted by id, so nothing is
//! duplicated.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use serde::Deserialize;
use serde_json::Value;

use super::api::Inner;
use crate::error::{FailureKind, VendorError};

/// The paths of one kind of export (vulns or assets).
#[derive(Debug)]
pub struct ExportPaths {
    /// `POST` creates an export; `GET {create}/status` lists recent ones.
    pub create: &'static str,
    pub status: &'static str,
    pub chunk: &'static str,
}

/// How many times an expired chunk may restart the export.
const MAX_RESTARTS: u32 = 2;
const FIRST_POLL: Duration = Duration::from_millis(100);
const LONGEST_POLL: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct Created {
    export_uuid: String,
}

#[derive(Deserialize)]
struct Status {
    status: String,
    #[serde(default)]
    chunks_available: Vec<u64>,
    #[serde(default)]
    chunks_failed: Vec<u64>,
}

#[derive(Deserialize)]
struct Recent {
    #[serde(default)]
    exports: Vec<RecentExport>,
}

#[derive(Deserialize)]
struct RecentExport {
    uuid: String,
    status: String,
}

pub struct Export {
    inner: Arc<Inner>,
    paths: &'static ExportPaths,
    body: Value,
    uuid: Option<String>,
    read: BTreeSet<u64>,
    restarts: u32,
    poll: Duration,
}

impl Export {
    pub fn new(inner: Arc<Inner>, paths: &'static ExportPaths, body: Value) -> Export {
        Export {
            inner,
            paths,
            body,
            uuid: None,
            read: BTreeSet::new(),
            restarts: 0,
            poll: FIRST_POLL,
        }
    }

    /// The next chunk's records; None once the export finished and every chunk was read.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<Value>>, VendorError> {
        loop {
            let uuid = match &self.uuid {
                Some(u) => u.clone(),
                None => self.start().await?,
            };
            let status: Status = self.status(&uuid).await?;
            match status.status.as_str() {
                "ERROR" => return Err(self.failed("the export failed at Tenable (ERROR)")),
                "CANCELLED" => return Err(self.failed("the export was cancelled at Tenable")),
                _ => {}
            }
            let next = status
                .chunks_available
                .iter()
                .copied()
                .find(|c| !self.read.contains(c));
            if let Some(chunk) = next {
                match self.chunk(&uuid, chunk).await {
                    Ok(records) => {
                        self.read.insert(chunk);
                        return Ok(Some(records));
                    }
                    Err(e) if e.http_status == Some(404) && self.restarts < MAX_RESTARTS => {
                        tracing::warn!(export = %uuid, chunk, "chunk expired; exporting again");
                        self.restart();
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            if status.status == "FINISHED" {
                if !status.chunks_failed.is_empty() {
                    return Err(self.failed(&format!(
                        "{} chunks of the export failed at Tenable",
                        status.chunks_failed.len()
                    )));
                }
                return Ok(None);
            }
            tokio::time::sleep(self.poll).await;
            self.poll = (self.poll * 2).min(LONGEST_POLL);
        }
    }

    fn restart(&mut self) {
        self.uuid = None;
        self.read.clear();
        self.restarts += 1;
        self.poll = FIRST_POLL;
    }

    fn failed(&self, message: &str) -> VendorError {
        VendorError::new(FailureKind::ServerError, self.paths.status, None, message)
    }

    /// Creates the export, or adopts the one Tenable is already running with the same
    /// filters (it refuses a duplicate with 409).
    async fn start(&mut self) -> Result<String, VendorError> {
        let created = self
            .inner
            .post(self.paths.create, self.paths.create, &self.body)
            .await;
        let uuid = match created {
            Ok(v) => {
                serde_json::from_value::<Created>(v)
                    .map_err(|e| VendorError::malformed(self.paths.create, e))?
                    .export_uuid
            }
            Err(e) if e.http_status == Some(409) => self.running().await?.ok_or(e)?,
            Err(e) => return Err(e),
        };
        self.uuid = Some(uuid.clone());
        Ok(uuid)
    }

    /// The export of this kind Tenable is still running, if any.
    async fn running(&self) -> Result<Option<String>, VendorError> {
        let path = format!("{}/status", self.paths.create);
        let recent: Recent =
            serde_json::from_value(self.inner.get(self.paths.status, &path).await?)
                .map_err(|e| VendorError::malformed(self.paths.status, e))?;
        Ok(recent
            .exports
            .into_iter()
            .find(|x| matches!(x.status.as_str(), "QUEUED" | "PROCESSING"))
            .map(|x| x.uuid))
    }

    async fn status(&self, uuid: &str) -> Result<Status, VendorError> {
        let path = format!("{}/{uuid}/status", self.paths.create);
        serde_json::from_value(self.inner.get(self.paths.status, &path).await?)
            .map_err(|e| VendorError::malformed(self.paths.status, e))
    }

    async fn chunk(&self, uuid: &str, chunk: u64) -> Result<Vec<Value>, VendorError> {
        let path = format!("{}/{uuid}/chunks/{chunk}", self.paths.create);
        match self.inner.get(self.paths.chunk, &path).await? {
            Value::Array(records) => Ok(records),
            _ => Err(VendorError::malformed(
                self.paths.chunk,
                "a chunk is not a list",
            )),
        }
    }
}

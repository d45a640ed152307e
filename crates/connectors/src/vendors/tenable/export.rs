//! One Tenable export job, as a stream of chunks: create it (or adopt the job Tenable
//! names in its 409 refusal of a duplicate, `active_job_id`: it runs with the same
//! filters), poll its status through `QUEUED` and `PROCESSING` (chunks can be read while
//! it processes, and their ids arrive out of order), read each available chunk once, and
//! end at `FINISHED`. `ERROR`, `CANCELLED` and failed chunks are the vendor's failures; a
//! 409 that names no job, like the 429 Tenable answers when too many exports run, is a
//! rate limit. A chunk that has expired (404) cancels the export and starts it again from
//! the same filters: records are upserted by id, so nothing is duplicated.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::api::Inner;
use crate::{
    error::{FailureKind, VendorError},
    records::JsonRecords,
};

/// The paths of one kind of export (vulns or assets).
#[derive(Debug)]
pub struct ExportPaths {
    /// `POST` creates an export; `GET {create}/status` lists recent ones.
    pub create: &'static str,
    pub status: &'static str,
    pub chunk: &'static str,
    pub cancel: &'static str,
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

/// Tenable's refusal of a duplicate export (409).
#[derive(Deserialize)]
struct Conflict {
    #[serde(default)]
    active_job_id: Option<String>,
    #[serde(default)]
    failure_reason: Option<String>,
}

pub struct Export {
    inner: Arc<Inner>,
    paths: &'static ExportPaths,
    body: Value,
    uuid: Option<String>,
    /// An export whose chunks expired: cancelled before the next one is created, and
    /// never adopted again.
    expired: Option<String>,
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
            expired: None,
            read: BTreeSet::new(),
            restarts: 0,
            poll: FIRST_POLL,
        }
    }

    /// The next chunk's records; None once the export finished and every chunk was read.
    pub async fn next_chunk(&mut self) -> Result<Option<JsonRecords>, VendorError> {
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
                    // Chunks Tenable listed as available keep vanishing: its side.
                    Err(e) if e.http_status == Some(404) => {
                        return Err(VendorError::new(
                            FailureKind::ServerError,
                            self.paths.chunk,
                            Some(404),
                            format!(
                                "chunks expired before they could be read, in {} exports: {}",
                                self.restarts + 1,
                                e.message
                            ),
                        ))
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
        self.expired = self.uuid.take();
        self.read.clear();
        self.restarts += 1;
        self.poll = FIRST_POLL;
    }

    fn failed(&self, message: &str) -> VendorError {
        VendorError::new(FailureKind::ServerError, self.paths.status, None, message)
    }

    /// Creates the export, or adopts the one Tenable names as running with the same
    /// filters (as pyTenable does).
    async fn start(&mut self) -> Result<String, VendorError> {
        if let Some(stale) = self.expired.clone() {
            self.cancel(&stale).await;
        }
        let create = self.paths.create;
        let (status, body) = self
            .inner
            .post(create, create, &self.body, &[StatusCode::CONFLICT])
            .await?;
        let uuid = if status == StatusCode::CONFLICT {
            let refusal: Conflict =
                serde_json::from_value(body).map_err(|e| VendorError::malformed(create, e))?;
            let reason = refusal
                .failure_reason
                .unwrap_or_else(|| "another export is running".into());
            match refusal.active_job_id {
                Some(id) if self.expired.as_deref() != Some(id.as_str()) => {
                    tracing::info!(export = %id, "adopting the export Tenable is already running");
                    id
                }
                // No job named, or the one whose chunks expired (still running though
                // cancelled): a new export must wait for it to end.
                _ => {
                    return Err(VendorError::new(
                        FailureKind::RateLimited,
                        create,
                        Some(409),
                        format!("Tenable refused a new export while another runs: {reason}"),
                    ))
                }
            }
        } else {
            serde_json::from_value::<Created>(body)
                .map_err(|e| VendorError::malformed(create, e))?
                .export_uuid
        };
        self.uuid = Some(uuid.clone());
        Ok(uuid)
    }

    /// Cancels an export we no longer read (its chunks expired). A failure only means the
    /// export ended on its own, so it is logged, not returned.
    async fn cancel(&self, uuid: &str) {
        let path = format!("{}/{uuid}/cancel", self.paths.create);
        if let Err(e) = self
            .inner
            .post(self.paths.cancel, &path, &serde_json::json!({}), &[])
            .await
        {
            tracing::debug!(export = %uuid, error = %e, "cancelling an expired export failed");
        }
    }

    async fn status(&self, uuid: &str) -> Result<Status, VendorError> {
        let path = format!("{}/{uuid}/status", self.paths.create);
        self.inner
            .get(self.paths.status, &path)
            .await
            .map_err(|e| VendorError::malformed(self.paths.status, e))
    }

    /// A chunk's records, each as its JSON text (parsed one at a time by the pipeline:
    /// a chunk of findings never becomes one tree). Not a list: malformed.
    async fn chunk(&self, uuid: &str, chunk: u64) -> Result<JsonRecords, VendorError> {
        let path = format!("{}/{uuid}/chunks/{chunk}", self.paths.create);
        self.inner.get(self.paths.chunk, &path).await
    }
}

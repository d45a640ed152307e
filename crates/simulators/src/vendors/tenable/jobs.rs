//! Export jobs: created by a POST, moved on by status polls (and by time, so an
//! abandoned job still finishes), cut into chunks of a fixed number of records whose
//! start positions are found once at creation. A job can be made to end in `ERROR`,
//! `CANCELLED` or with a failed chunk; chunks expire a day after the job was created.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use super::select::{ExportRequest, Kind, Selection};
use crate::{dataset::Key, fake::DAY, world::World};

/// Most jobs kept (the recent-jobs list shows the last 1,000).
const KEPT: usize = 1000;
/// Concurrent (queued or processing) jobs per kind before a 429.
pub const CONCURRENT: usize = 10;
/// A job moves one step per status poll, or every this long without polls.
const STEP_EVERY: Duration = Duration::from_secs(10);
/// Chunks can be downloaded for a day.
const CHUNK_TTL_NS: i64 = DAY;

/// How a job ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Finished,
    /// `ERROR` after its first chunks (fault `export_error`).
    Error,
    /// `CANCELLED` by the platform after its first chunks (fault `export_cancelled`).
    Cancelled,
    /// `FINISHED` with its last chunk in `chunks_failed` (fault `chunks_failed`).
    ChunkFailed,
}

/// One export job.
#[derive(Debug)]
pub struct Job {
    pub uuid: String,
    pub kind: Kind,
    pub request: ExportRequest,
    /// Where each chunk starts (chunk `k` is id `k + 1`).
    pub starts: Vec<Option<Key>>,
    pub created_ns: i64,
    started: Instant,
    polls: u32,
    pub fate: Fate,
    /// The step at which a client cancelled it.
    cancelled_at: Option<u32>,
}

/// A job's state as its status reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub status: &'static str,
    pub available: Vec<u32>,
    pub failed: Vec<u32>,
    pub cancelled: Vec<u32>,
    pub total: u32,
}

impl Job {
    /// A job over `request`: finds where each chunk starts (one pass, no rendering).
    pub fn new(world: &World, kind: Kind, request: ExportRequest, now_ns: i64, fate: Fate) -> Job {
        let mut starts = Vec::new();
        let mut after = None;
        loop {
            let part = request.select.scan(world, after, request.per_chunk);
            let Some(last) = part.last() else { break };
            starts.push(after);
            after = Some(Key::of(last));
            if part.len() < request.per_chunk {
                break;
            }
        }
        let mut r =
            crate::fake::Rng::for_record(world.seed, 0x7e5, now_ns as u64 ^ starts.len() as u64);
        Job {
            uuid: r.guid(),
            kind,
            request,
            starts,
            created_ns: now_ns,
            started: Instant::now(),
            polls: 0,
            fate,
            cancelled_at: None,
        }
    }

    fn step(&self) -> u32 {
        let by_time = (self.started.elapsed().as_secs() / STEP_EVERY.as_secs()) as u32;
        self.polls.max(by_time)
    }

    /// The state now; `poll` counts a status request (which moves the job on).
    pub fn view(&mut self, poll: bool) -> View {
        if poll {
            self.polls += 1;
        }
        let step = self.cancelled_at.unwrap_or(self.step());
        let total = self.starts.len() as u32;
        let all: Vec<u32> = (1..=total).collect();
        let half: Vec<u32> = (1..=total.div_ceil(2)).collect();
        let rest = |of: &[u32]| all.iter().filter(|c| !of.contains(c)).copied().collect();
        let view = |status, available: Vec<u32>, failed, cancelled| View {
            status,
            available,
            failed,
            cancelled,
            total,
        };
        if self.cancelled_at.is_some() {
            let available: Vec<u32> = if step >= 2 { half.clone() } else { vec![] };
            return view("CANCELLED", available.clone(), vec![], rest(&available));
        }
        match step {
            0 | 1 if total > 0 => view("QUEUED", vec![], vec![], vec![]),
            2 if total > 1 => view("PROCESSING", half, vec![], vec![]),
            _ => match self.fate {
                _ if total == 0 => view("FINISHED", vec![], vec![], vec![]),
                Fate::Finished => view("FINISHED", all, vec![], vec![]),
                Fate::Error => view("ERROR", half, vec![], vec![]),
                Fate::Cancelled => view("CANCELLED", half.clone(), vec![], rest(&half)),
                Fate::ChunkFailed => view(
                    "FINISHED",
                    all[..all.len() - 1].to_vec(),
                    vec![total],
                    vec![],
                ),
            },
        }
    }

    /// Still queued or processing (it counts toward the concurrency limit).
    pub fn active(&mut self) -> bool {
        matches!(self.view(false).status, "QUEUED" | "PROCESSING")
    }

    /// Stops the job now (`POST …/cancel`).
    pub fn cancel(&mut self) {
        if self.active() {
            self.cancelled_at = Some(self.step());
        }
    }

    /// Whether chunk `id` may be downloaded now (listed as available and not expired).
    pub fn chunk_ready(&mut self, id: u32, now_ns: i64) -> bool {
        now_ns - self.created_ns < CHUNK_TTL_NS && self.view(false).available.contains(&id)
    }

    /// The status body (`GET …/{uuid}/status`).
    pub fn status_json(&mut self, poll: bool) -> Value {
        let v = self.view(poll);
        let mut body = json!({
            "uuid": self.uuid,
            "status": v.status,
            "chunks_available": v.available,
            "chunks_failed": v.failed,
            "chunks_cancelled": v.cancelled,
        });
        if v.status == "FINISHED" && !v.failed.is_empty() {
            body["reason"] = json!(format!(
                "{} of {} chunks failed to process. The remaining chunks are available for download.",
                v.failed.len(),
                v.total
            ));
        }
        if self.kind == Kind::Vulns {
            let extra = self.summary(&v);
            body.as_object_mut()
                .expect("object")
                .extend(extra.as_object().cloned().unwrap_or_default());
        }
        body
    }

    fn summary(&self, v: &View) -> Value {
        let setting = match self.kind {
            Kind::Vulns => "num_assets_per_chunk",
            Kind::Assets => "chunk_size",
        };
        json!({
            "total_chunks": v.total,
            "chunks_available_count": v.available.len(),
            "empty_chunks_count": 0,
            "finished_chunks": v.available.len(),
            "filters": self.request.filters,
            setting: self.request.chunk_setting,
            "created": self.created_ns / 1_000_000,
        })
    }

    /// The job's entry in the recent-jobs list (`GET /vulns/export/status`).
    pub fn list_json(&mut self) -> Value {
        let v = self.view(false);
        let mut body = self.summary(&v);
        body["uuid"] = json!(self.uuid);
        body["status"] = json!(v.status);
        body
    }

    /// Whether `other` asks for the same records (a duplicate while this one runs).
    pub fn same_request(&self, kind: Kind, request: &ExportRequest) -> bool {
        self.kind == kind
            && self.request.filters == request.filters
            && self.request.chunk_setting == request.chunk_setting
            && matches!(
                (&self.request.select, &request.select),
                (Selection::Findings { .. }, Selection::Findings { .. })
                    | (Selection::Assets { .. }, Selection::Assets { .. })
            )
    }
}

/// A simulator's export jobs, newest last.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<Vec<Job>>,
}

impl Jobs {
    /// Runs `f` on the jobs.
    pub fn with<T>(&self, f: impl FnOnce(&mut Vec<Job>) -> T) -> T {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut jobs);
        let excess = jobs.len().saturating_sub(KEPT);
        jobs.drain(..excess);
        out
    }
}

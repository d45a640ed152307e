//! The export endpoints, the same for vulns and assets: create (`POST`), status, chunk,
//! cancel, and the recent-jobs list.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue},
    response::Response,
    Extension,
};
use bytes::Bytes;
use serde_json::{json, Value};

use super::{
    errors::{bad_request, error, not_found, with_message},
    jobs::{Fate, Job, Jobs, CONCURRENT},
    render::{render_asset, render_finding},
    select::{assets_request, vulns_request, Kind},
};
use crate::{
    dataset::RecordRef,
    respond::{self, Render},
    sim::{Caller, Sim},
    vms::collections::assets,
};

/// Seconds a client is told to wait when too many exports run.
const BUSY_RETRY_SECS: u64 = 30;

fn jobs(sim: &Sim) -> &Jobs {
    sim.vendor_state::<Jobs>()
}

/// How the job a request creates will end, from the vendor faults it takes.
fn fate(sim: &Sim, caller: &Caller, kind: Kind) -> Fate {
    let take = |name| {
        sim.faults
            .take_named(caller.0.as_deref(), kind.name(), name)
    };
    if take("export_error") {
        Fate::Error
    } else if take("export_cancelled") {
        Fate::Cancelled
    } else if take("chunks_failed") {
        Fate::ChunkFailed
    } else {
        Fate::Finished
    }
}

async fn create(sim: Arc<Sim>, caller: Caller, kind: Kind, body: Bytes) -> Response {
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return bad_request(&format!("invalid JSON body: {e}")),
        }
    };
    let now = sim.world.clock.now_ns();
    let request = match kind {
        Kind::Vulns => vulns_request(&sim.world, &body, now),
        Kind::Assets => assets_request(&body),
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let busy = jobs(&sim).with(|all| {
        let (mut count, mut duplicate) = (0, None);
        for j in all.iter_mut().filter(|j| j.kind == kind) {
            if j.active() {
                count += 1;
                if j.same_request(kind, &request) {
                    duplicate = Some(j.uuid.clone());
                }
            }
        }
        (duplicate, count)
    });
    match busy {
        (Some(uuid), _) => {
            return respond::json(
                409,
                &json!({
                    "active_job_id": uuid,
                    "failure_reason": "The request could not be completed due to a conflict with the ongoing export",
                }),
            )
        }
        (None, n) if n >= CONCURRENT => return error(429, BUSY_RETRY_SECS),
        _ => {}
    }
    let fate = fate(&sim, &caller, kind);
    let world = sim.clone();
    // Finding chunk boundaries reads every matching record once: off the async threads.
    let job =
        tokio::task::spawn_blocking(move || Job::new(&world.world, kind, request, now, fate)).await;
    let Ok(job) = job else {
        return error(500, 0);
    };
    let uuid = job.uuid.clone();
    jobs(&sim).with(|all| all.push(job));
    respond::json(200, &json!({"export_uuid": uuid}))
}

fn find<T>(sim: &Sim, kind: Kind, uuid: &str, f: impl FnOnce(&mut Job) -> T) -> Option<T> {
    jobs(sim).with(|all| {
        all.iter_mut()
            .find(|j| j.kind == kind && j.uuid == uuid)
            .map(f)
    })
}

fn no_job(uuid: &str) -> Response {
    not_found(&format!("Export job {uuid} not found"))
}

async fn status(sim: Arc<Sim>, kind: Kind, uuid: String) -> Response {
    match find(&sim, kind, &uuid, |j| j.status_json(true)) {
        Some(body) => respond::json(200, &body),
        None => no_job(&uuid),
    }
}

async fn cancel(sim: Arc<Sim>, kind: Kind, uuid: String) -> Response {
    match find(&sim, kind, &uuid, |j| {
        j.cancel();
        j.view(false).status
    }) {
        Some(status) => respond::json(200, &json!({"status": status})),
        None => no_job(&uuid),
    }
}

async fn list(sim: Arc<Sim>, kind: Kind) -> Response {
    let exports: Vec<Value> = jobs(&sim).with(|all| {
        all.iter_mut()
            .filter(|j| j.kind == kind)
            .map(Job::list_json)
            .collect()
    });
    respond::json(200, &json!({"exports": exports}))
}

async fn chunk(sim: Arc<Sim>, caller: Caller, kind: Kind, uuid: String, id: String) -> Response {
    let Ok(id) = id.parse::<u32>() else {
        return bad_request(&format!("chunk_id must be an integer, got {id:?}"));
    };
    let now = sim.world.clock.now_ns();
    let plan = find(&sim, kind, &uuid, |j| {
        (id >= 1 && j.chunk_ready(id, now)).then(|| {
            (
                j.request.select.clone(),
                j.starts[(id - 1) as usize],
                j.request.per_chunk,
            )
        })
    });
    let (select, start, per_chunk) = match plan {
        None => return no_job(&uuid),
        Some(None) => return not_found(&format!("Chunk {id} of export {uuid} is not available")),
        Some(Some(p)) => p,
    };
    if sim
        .faults
        .take_named(caller.0.as_deref(), kind.name(), "chunk_expired")
    {
        return not_found(&format!("Chunk {id} of export {uuid} has expired"));
    }
    let world = sim.clone();
    let Ok(records) =
        tokio::task::spawn_blocking(move || select.scan(&world.world, start, per_chunk)).await
    else {
        return with_message(500, "Internal Server Error", "chunk failed");
    };
    let mut resp = respond::stream_page(200, "[".into(), records, renderer(&sim, kind), "]".into());
    if kind == Kind::Vulns {
        // Vuln chunks are served as a download.
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    }
    resp
}

/// How an export renders its records (a deleted asset shows its deletion time).
pub fn renderer(sim: &Arc<Sim>, kind: Kind) -> Render {
    let sim = sim.clone();
    match kind {
        Kind::Vulns => Arc::new(move |r: &RecordRef| render_finding(&sim.world, r)),
        Kind::Assets => Arc::new(move |r: &RecordRef| {
            let deleted = assets(&sim.world)
                .get(r.index)
                .is_none()
                .then_some(r.updated);
            render_asset(&sim.world, r, deleted)
        }),
    }
}

/// `POST /vulns/export`.
pub async fn create_vulns(
    State(sim): State<Arc<Sim>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> Response {
    create(sim, c, Kind::Vulns, body).await
}

/// `POST /assets/export` and `POST /assets/v2/export`.
pub async fn create_assets(
    State(sim): State<Arc<Sim>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> Response {
    create(sim, c, Kind::Assets, body).await
}

/// `GET /vulns/export/{uuid}/status` (moves the job on).
pub async fn vulns_status(State(sim): State<Arc<Sim>>, Path(uuid): Path<String>) -> Response {
    status(sim, Kind::Vulns, uuid).await
}

/// `GET /assets/export/{uuid}/status` (moves the job on).
pub async fn assets_status(State(sim): State<Arc<Sim>>, Path(uuid): Path<String>) -> Response {
    status(sim, Kind::Assets, uuid).await
}

/// `GET /vulns/export/{uuid}/chunks/{id}`.
pub async fn vulns_chunk(
    State(sim): State<Arc<Sim>>,
    Extension(c): Extension<Caller>,
    Path((uuid, id)): Path<(String, String)>,
) -> Response {
    chunk(sim, c, Kind::Vulns, uuid, id).await
}

/// `GET /assets/export/{uuid}/chunks/{id}`.
pub async fn assets_chunk(
    State(sim): State<Arc<Sim>>,
    Extension(c): Extension<Caller>,
    Path((uuid, id)): Path<(String, String)>,
) -> Response {
    chunk(sim, c, Kind::Assets, uuid, id).await
}

/// `POST /vulns/export/{uuid}/cancel`.
pub async fn vulns_cancel(State(sim): State<Arc<Sim>>, Path(uuid): Path<String>) -> Response {
    cancel(sim, Kind::Vulns, uuid).await
}

/// `POST /assets/export/{uuid}/cancel`.
pub async fn assets_cancel(State(sim): State<Arc<Sim>>, Path(uuid): Path<String>) -> Response {
    cancel(sim, Kind::Assets, uuid).await
}

/// `GET /vulns/export/status`: recent jobs.
pub async fn vulns_list(State(sim): State<Arc<Sim>>) -> Response {
    list(sim, Kind::Vulns).await
}

/// `GET /assets/export/status`: recent jobs.
pub async fn assets_list(State(sim): State<Arc<Sim>>) -> Response {
    list(sim, Kind::Assets).await
}

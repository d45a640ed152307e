//! Queuing jobs on request, through the engine's one enqueue (which wakes its workers).

use tributary_engine::Enqueued;
use tributary_model::{job::JobTrigger, ConnectionState};
use tributary_store::models::{ConnectionRecord, JobRecord};
use uuid::Uuid;

use super::audit::{self, Changes, Target};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    state::AppState,
};

/// Queues a job for a change the caller made. A job already queued or running is fine (it
/// reads the connection's current state when it runs), and so is a connection that is not
/// ACTIVE (nothing runs).
pub async fn enqueue(
    state: &AppState,
    caller: &Caller,
    connection: Uuid,
    trigger: JobTrigger,
) -> ApiResult<Enqueued> {
    Ok(state
        .engine
        .enqueue(caller.account_id, connection, trigger)
        .await?)
}

/// "Run now": a new job, or 409 when the connection is not ACTIVE or already has one.
pub async fn run_now(
    state: &AppState,
    caller: &Caller,
    conn: &ConnectionRecord,
) -> ApiResult<JobRecord> {
    if conn.state != ConnectionState::Active {
        return Err(ApiError::Conflict(format!(
            "Connection is {}; set it ACTIVE to run it",
            conn.state
        )));
    }
    match enqueue(state, caller, conn.id, JobTrigger::Manual).await? {
        Enqueued::Queued(job) => {
            let mut changes = Changes::default();
            changes.field("job_id", serde_json::Value::Null, job.id);
            audit::record(state, caller, "run", Target::Connection(conn.id), changes).await;
            Ok(job)
        }
        Enqueued::AlreadyActive(id) => Err(ApiError::Conflict(format!(
            "Job {id} is already queued or running for this connection"
        ))),
        Enqueued::NotActive => Err(ApiError::Conflict(
            "Connection is not ACTIVE; set it ACTIVE to run it".into(),
        )),
    }
}

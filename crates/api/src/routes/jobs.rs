//! Jobs of a connection: history, one job, and "run now".

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use chrono::Utc;
use tributary_model::{job::Job, page::Page};
use tributary_store::{models::JobRecord, SortKey};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::{connections, jobs, wire},
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::Query,
    pagination::{CursorCodec, Pagination},
    state::AppState,
    validate::path_uuid,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs, run_job))
        .routes(routes!(get_job))
}

/// List a connection's jobs, newest first, with per-export counts and errors.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections/{connection_id}/jobs", tag = "Jobs",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query), ("excludeTotal" = Option<bool>, Query),
        ("enableCursor" = Option<bool>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<Job>), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
    Query(mut params): Query,
) -> ApiResult<Json<Page<Job>>> {
    let conn = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let pagination = Pagination::parse(&mut params);
    params.finish()?;
    let codec = CursorCodec::new(&state.keyring, &format!("jobs:{}", conn.id));
    let window = pagination.window(&codec)?;
    let page = state
        .store
        .list_jobs(caller.account_id, conn.id, window)
        .await?;
    let now = Utc::now();
    let key = |j: &JobRecord| SortKey {
        key: j.created_at.timestamp_micros(),
        id: j.id,
    };
    Ok(Json(
        pagination.page(&codec, &window, page, key, |j| wire::job(&j, now)),
    ))
}

/// Get one job.
#[utoipa::path(get, path = "/organizations/{organization_id}/connections/{connection_id}/jobs/{job_id}", tag = "Jobs",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path), ("job_id" = Uuid, Path)),
    responses((status = 200, body = Job), (status = 401), (status = 404), (status = 422)),
    security(("api_key" = [])))]
async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id, job_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Job>> {
    let conn = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let job_id = path_uuid("job_id", &job_id)?;
    match state.store.get_job(caller.account_id, job_id).await? {
        Some(job) if job.connection_id == conn.id => Ok(Json(wire::job(&job, Utc::now()))),
        _ => Err(ApiError::not_found("Job")),
    }
}

/// Run the connection now. 409 while a job is queued or running; 409 for a connection
/// that is not ACTIVE.
#[utoipa::path(post, path = "/organizations/{organization_id}/connections/{connection_id}/jobs", tag = "Jobs",
    params(("organization_id" = Uuid, Path), ("connection_id" = Uuid, Path)),
    responses((status = 202, body = Job, description = "Queued"), (status = 401), (status = 404),
              (status = 409, description = "A job is already queued or running, or the connection is not ACTIVE"), (status = 422)),
    security(("api_key" = [])))]
async fn run_job(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, conn_id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let conn = connections::find(&state, &caller, &org_id, &conn_id).await?;
    let job = jobs::run_now(&state, &caller, &conn).await?;
    Ok((StatusCode::ACCEPTED, Json(wire::job(&job, Utc::now()))))
}

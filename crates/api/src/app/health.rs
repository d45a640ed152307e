//! Health over time: a connection's uptime from its health history.

use chrono::{Duration, Utc};
use tributary_engine::uptime::{uptime, Uptime};
use uuid::Uuid;

use crate::{error::ApiResult, state::AppState};

/// Uptime of a connection over the last `days` days (not before it existed).
pub async fn connection_uptime(
    state: &AppState,
    account: Uuid,
    connection: Uuid,
    created: chrono::DateTime<Utc>,
    days: i64,
) -> ApiResult<Uptime> {
    let to = Utc::now();
    let from = (to - Duration::days(days)).max(created);
    let events = state
        .store
        .health_events_between(account, connection, from, to)
        .await?;
    let changes: Vec<_> = events.iter().map(|e| (e.at, e.to)).collect();
    Ok(uptime(&changes, from, to))
}

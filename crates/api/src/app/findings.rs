//! Listing a connection's vulnerability findings: the documented v2 filters, keyset
//! pagination only (signed cursors, no offsets, no totals), and rendering from the stored
//! documents. `/v2/vulnerability_findings` and the dashboard list through here.

use tributary_model::{
    page::Page,
    vms::{FindingSeverity, FindingState},
};
use tributary_store::{
    documents::vms::render_finding,
    models::{FindingFilter, FindingQuery, StoredFinding},
    SortKey,
};
use uuid::Uuid;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    pagination::{CursorCodec, Pagination, MAX_LIMIT},
    state::AppState,
    validate::QueryParams,
};

/// At most this many ids in one `ids` filter (documented).
pub const MAX_IDS: usize = 100;

/// A validated listing request.
#[derive(Debug, Clone)]
pub struct FindingListing {
    pub connection_id: Uuid,
    pub pagination: Pagination,
    pub filter: FindingFilter,
}

impl FindingListing {
    /// Reads the documented parameters; problems are recorded on `params`.
    pub fn parse(connection_id: Uuid, params: &mut QueryParams) -> FindingListing {
        let limit = params.int("limit", 100, 1, MAX_LIMIT);
        let cursor = params
            .get(&["cursor"])
            .map(|(_, v)| v.to_owned())
            .filter(|c| !c.is_empty());
        if params.get(&["offset"]).is_some() {
            params.error(
                "offset",
                "value_error",
                "v2 lists page with cursors only: pass next_cursor back as cursor",
            );
        }
        let ids = params.enum_list("ids", |s| s.parse::<Uuid>().ok(), "a finding id (UUID)");
        if ids.len() > MAX_IDS {
            params.error(
                "ids",
                "too_long",
                format!("At most {MAX_IDS} ids; got {}", ids.len()),
            );
        }
        let filter = FindingFilter {
            severities: params.enum_list(
                "severity",
                |s| FindingSeverity::parse(s).map(|v| v.as_str().to_owned()),
                &wire_values(FindingSeverity::ALL.iter().map(|s| s.as_str())),
            ),
            states: params.enum_list(
                "state",
                |s| FindingState::parse(s).map(|v| v.as_str().to_owned()),
                &wire_values(FindingState::ALL.iter().map(|s| s.as_str())),
            ),
            has_fix: params
                .get(&["has_fix"])
                .is_some()
                .then(|| params.bool(&["has_fix"], false)),
            first_seen_since: since(params, "first_seen_since"),
            last_seen_since: since(params, "last_seen_since"),
            state_updated_since: since(params, "state_updated_since"),
            resource_ids: params.enum_list(
                "resourceId",
                |s| s.parse::<Uuid>().ok(),
                "an asset id (UUID, as in `resource_id`)",
            ),
            ids,
        };
        FindingListing {
            connection_id,
            pagination: Pagination {
                limit,
                offset: 0,
                with_total: false,
                cursor_mode: true,
                cursor,
            },
            filter,
        }
    }

    /// What a cursor is bound to: the connection and every filter.
    fn cursor_context(&self) -> String {
        format!("findings:{}:{:?}", self.connection_id, self.filter)
    }
}

fn wire_values<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values.collect::<Vec<_>>().join(", ")
}

/// A date-time parameter in microseconds.
fn since(params: &mut QueryParams, name: &str) -> Option<i64> {
    params.timestamp(name).map(|t| t.timestamp_micros())
}

fn key(f: &StoredFinding) -> SortKey {
    SortKey {
        key: f.sort_key,
        id: f.id,
    }
}

/// One keyset page of findings, each rendered from its stored document.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    listing: FindingListing,
) -> ApiResult<Page<String>> {
    let codec = CursorCodec::new(&state.keyring, &listing.cursor_context());
    let window = listing.pagination.window(&codec)?;
    let query = FindingQuery {
        connection_id: listing.connection_id,
        filter: listing.filter,
        window,
    };
    let page = state.store.list_findings(caller.account_id, &query).await?;
    Ok(listing
        .pagination
        .page(&codec, &window, page, key, |f| render_finding(&f)))
}

/// One finding of the connection, rendered; 404 when it is not there.
pub async fn get(
    state: &AppState,
    caller: &Caller,
    connection_id: Uuid,
    id: Uuid,
) -> ApiResult<String> {
    state
        .store
        .get_finding(caller.account_id, connection_id, id)
        .await?
        .map(|f| render_finding(&f))
        .ok_or_else(|| ApiError::not_found("Vulnerability finding"))
}

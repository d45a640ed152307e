//! Listing a connection's normalized records: the documented filters, sorting, offset and
//! keyset-cursor pagination, and rendering from the stored documents. `/v1/edr/*` and the
//! dashboard's record pages both list through here.

use tributary_connectors::Registry;
use tributary_model::{
    edr::{AlertSeverity, AlertStatus, DeviceStatus, Platform},
    page::Page,
    Category,
};
use tributary_store::{
    documents::edr::{render_alert, render_device},
    models::{
        RecordFilter, RecordParts, RecordQuery, RecordSort, RecordSortField, StoredAlert,
        StoredDevice,
    },
    SortKey,
};
use uuid::Uuid;

use crate::{
    auth::Caller,
    error::ApiResult,
    pagination::{CursorCodec, Pagination},
    state::AppState,
    validate::QueryParams,
};

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordList {
    Alerts,
    Devices,
}

impl RecordList {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordList::Alerts => "alerts",
            RecordList::Devices => "devices",
        }
    }

    /// The `sort` values this list takes, the default first.
    pub fn sorts(self) -> &'static [(&'static str, RecordSortField)] {
        match self {
            RecordList::Alerts => &[
                ("updated_at", RecordSortField::UpdatedAt),
                ("first_event_time", RecordSortField::FirstEventTime),
                ("last_event_time", RecordSortField::LastEventTime),
                ("severity", RecordSortField::Severity),
            ],
            RecordList::Devices => &[
                ("updated_at", RecordSortField::UpdatedAt),
                ("last_seen", RecordSortField::LastSeen),
            ],
        }
    }
}

/// A validated listing request.
#[derive(Debug, Clone)]
pub struct Listing {
    pub list: RecordList,
    pub connection_id: Uuid,
    pub pagination: Pagination,
    pub sort: RecordSort,
    /// The `sort` parameter as given (part of the cursor's context).
    sort_text: String,
    pub filter: RecordFilter,
    pub parts: RecordParts,
}

impl Listing {
    /// Reads `list`'s documented parameters; problems are recorded on `params`.
    pub fn parse(
        list: RecordList,
        connection_id: Uuid,
        params: &mut QueryParams,
        registry: &Registry,
    ) -> Listing {
        let pagination = Pagination::parse(params);
        let (sort, sort_text) = parse_sort(params, list.sorts());
        let updated_since = updated_since(params, &pagination);
        let parts = RecordParts {
            device_groups: params.bool(&["includeDeviceGroups"], false),
            observables: list == RecordList::Alerts && params.bool(&["includeObservables"], false),
        };
        let mut filter = match list {
            RecordList::Alerts => RecordFilter {
                severities: params.enum_list(
                    "severity",
                    |s| AlertSeverity::parse(s).map(|v| v.as_str().to_owned()),
                    "none, info, low, medium, high or critical",
                ),
                statuses: params.enum_list(
                    "status",
                    |s| AlertStatus::parse(s).map(|v| v.as_str().to_owned()),
                    "unknown, new, in_progress, unresolved or resolved",
                ),
                device_ids: params.enum_list(
                    "deviceId",
                    |s| s.parse::<Uuid>().ok(),
                    "a device UUID",
                ),
                ..Default::default()
            },
            RecordList::Devices => RecordFilter {
                platforms: params.enum_list(
                    "platform",
                    |s| Platform::parse(s).map(|v| v.as_str().to_owned()),
                    "mac, windows, linux or unknown",
                ),
                statuses: params.enum_list(
                    "status",
                    |s| DeviceStatus::parse(s).map(|v| v.as_str().to_owned()),
                    "active, offline or quarantined",
                ),
                ..Default::default()
            },
        };
        filter.vendors = source_vendors(params, registry);
        filter.updated_since = updated_since;
        Listing {
            list,
            connection_id,
            pagination,
            sort,
            sort_text,
            filter,
            parts,
        }
    }

    /// What a cursor of this listing is bound to: the list, the connection, the sort and
    /// every filter (`updatedSince` travels inside the cursor instead).
    fn cursor_context(&self) -> String {
        let f = &self.filter;
        format!(
            "{}:{}:{}:{:?}:{:?}:{:?}:{:?}:{:?}",
            self.list.as_str(),
            self.connection_id,
            self.sort_text,
            f.severities,
            f.statuses,
            f.platforms,
            f.vendors,
            f.device_ids
        )
    }
}

fn parse_sort(
    params: &mut QueryParams,
    sortable: &[(&str, RecordSortField)],
) -> (RecordSort, String) {
    let sort_text = params
        .get(&["sort"])
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| sortable[0].0.to_owned());
    let (descending, name) = match sort_text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sort_text.trim_start_matches('+')),
    };
    let field = match sortable.iter().find(|(n, _)| *n == name) {
        Some((_, f)) => *f,
        None => {
            let allowed: Vec<&str> = sortable.iter().map(|(n, _)| *n).collect();
            params.error(
                "sort",
                "enum",
                format!(
                    "Sort by one of {} (prefix `-` for descending)",
                    allowed.join(", ")
                ),
            );
            sortable[0].1
        }
    };
    (RecordSort { field, descending }, sort_text)
}

/// `updatedSince` in microseconds; refused (422) together with a cursor, which carries
/// the value of the first page instead. Shared by every v1 data listing.
pub(crate) fn updated_since(params: &mut QueryParams, pagination: &Pagination) -> Option<i64> {
    let since = parse_updated_since(params);
    if since.is_some() && pagination.cursor.is_some() {
        params.error(
            "updatedSince",
            "value_error",
            "updatedSince cannot be combined with cursor: the cursor already carries it",
        );
    }
    since
}

/// `updatedSince` in microseconds. A `+` in the offset arrives as a space when the
/// client did not encode it.
fn parse_updated_since(params: &mut QueryParams) -> Option<i64> {
    params
        .timestamp("updatedSince")
        .map(|t| t.timestamp_micros())
}

/// The `vendor` filter: EDR vendors by their record name.
fn source_vendors(params: &mut QueryParams, registry: &Registry) -> Vec<String> {
    let known: Vec<String> = registry
        .in_category(Category::Edr)
        .iter()
        .map(|s| s.vendor.source().as_str().to_owned())
        .collect();
    let expected = known.join(", ");
    params.enum_list(
        "vendor",
        |s| {
            let s = s.to_ascii_lowercase();
            known.iter().find(|k| **k == s).cloned()
        },
        &expected,
    )
}

/// One page of the listing, each item rendered from its stored document.
pub async fn list(state: &AppState, caller: &Caller, listing: Listing) -> ApiResult<Page<String>> {
    let codec = CursorCodec::new(&state.keyring, &listing.cursor_context());
    let (window, carried) = listing.pagination.window_with(&codec)?;
    let mut filter = listing.filter;
    filter.updated_since = filter.updated_since.or(carried);
    let aux = filter.updated_since;
    let query = RecordQuery {
        connection_id: listing.connection_id,
        filter,
        sort: listing.sort,
        window,
        parts: listing.parts,
    };
    let parts = listing.parts;
    let pagination = &listing.pagination;
    Ok(match listing.list {
        RecordList::Alerts => {
            let page = state.store.list_alerts(caller.account_id, &query).await?;
            pagination.page_with(&codec, &window, page, aux, alert_key, |a| {
                render_alert(&a, parts)
            })
        }
        RecordList::Devices => {
            let page = state.store.list_devices(caller.account_id, &query).await?;
            pagination.page_with(&codec, &window, page, aux, device_key, |d| {
                render_device(&d, parts)
            })
        }
    })
}

fn alert_key(a: &StoredAlert) -> SortKey {
    SortKey {
        key: a.sort_key,
        id: a.id,
    }
}

fn device_key(d: &StoredDevice) -> SortKey {
    SortKey {
        key: d.sort_key,
        id: d.id,
    }
}

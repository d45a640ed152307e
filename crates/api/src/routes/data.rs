//! What the data endpoints share: the connection named by `X-CONNECTION-ID`, and pages of
//! stored documents written without parsing them again.

use axum::{
    http::{header::CONTENT_TYPE, HeaderMap},
    response::{IntoResponse, Response},
};
use serde_json::value::RawValue;
use tributary_model::page::Page;
use uuid::Uuid;

use crate::{
    app::connections::find_live,
    auth::Caller,
    error::{ApiError, ApiResult},
    state::AppState,
};

/// The connection named by `X-CONNECTION-ID`, if it is the caller's and not deleted.
pub async fn connection_id(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
) -> ApiResult<Uuid> {
    Ok(find_live(state, caller, connection_header(headers)?)
        .await?
        .id)
}

/// The id in `X-CONNECTION-ID` (422 when missing or not a UUID), not yet looked up.
fn connection_header(headers: &HeaderMap) -> ApiResult<Uuid> {
    let loc = ["header", "x-connection-id"];
    let raw = headers
        .get("x-connection-id")
        .ok_or_else(|| ApiError::invalid(&loc, "missing", "Field required"))?;
    raw.to_str()
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| ApiError::invalid(&loc, "uuid_parsing", "Input should be a valid UUID"))
}

/// A page of the connection named by `X-CONNECTION-ID`, listed by `list`, answering as
/// if the connection had been looked up first (404 before any other answer when it is
/// not the caller's or is deleted).
///
/// Record listings are scoped in SQL to the caller's live connections, so a page with
/// items proves the connection and its lookup is skipped: one query per page instead of
/// two (a fifth of the fixed cost of a page under `bench api`). An empty page or an
/// error is checked against the connection before it is answered.
pub async fn connection_page<F, Fut>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    list: F,
) -> ApiResult<Page<String>>
where
    F: FnOnce(Uuid) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Page<String>>>,
{
    let id = connection_header(headers)?;
    let page = list(id).await;
    if !matches!(&page, Ok(p) if !p.items.is_empty()) {
        find_live(state, caller, id).await?;
    }
    page
}

/// The page envelope around items that are already JSON text, byte for byte what
/// serializing the [`Page`] would give.
///
/// The items are the stored documents our own mappings serialized, spliced together
/// without being parsed again (re-validating them was ~6% of the machine's CPU under
/// `bench api`).
fn page_json(page: &Page<String>) -> String {
    #[derive(serde::Serialize)]
    struct Head {
        count: usize,
        total: Option<i64>,
    }
    let head = serde_json::to_string(&Head {
        count: page.count,
        total: page.total,
    })
    .expect("numbers serialize");
    let tail = match &page.cursor {
        Some(links) => serde_json::to_string(links).expect("strings serialize"),
        None => "{}".to_owned(),
    };
    let items_len: usize = page.items.iter().map(|i| i.len() + 1).sum();
    let mut body = String::with_capacity(head.len() + tail.len() + items_len + 16);
    body.push_str(head.strip_suffix('}').expect("an object"));
    body.push_str(",\"items\":[");
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        debug_assert!(
            serde_json::from_str::<&RawValue>(item).is_ok(),
            "stored records are JSON: {item}"
        );
        body.push_str(item);
    }
    body.push(']');
    let links = tail.strip_prefix('{').expect("an object");
    if links != "}" {
        body.push(',');
    }
    body.push_str(links);
    body
}

/// A page of rendered documents as the JSON response.
pub fn json_page(page: &Page<String>) -> Response {
    ([(CONTENT_TYPE, "application/json")], page_json(page)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_bodies_are_what_serde_would_write() {
        use tributary_model::page::CursorLinks;
        let items = vec!["{\"a\":1}".to_owned(), "{\"b\":[true,null]}".to_owned()];
        let links = CursorLinks {
            next_cursor: Some("n\"x".into()),
            previous_cursor: None,
        };
        for (items, total, cursor) in [
            (items.clone(), Some(7), Some(links)),
            (items, None, None),
            (vec![], Some(0), None),
        ] {
            let page = Page::new(items, total, cursor);
            let raw = page
                .clone()
                .map(|i| RawValue::from_string(i).expect("test items are JSON"));
            assert_eq!(page_json(&page), serde_json::to_string(&raw).unwrap());
        }
    }
}

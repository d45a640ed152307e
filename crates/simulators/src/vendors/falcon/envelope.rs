//! The `{meta, resources, errors}` envelope every Falcon response uses, and the 400 a
//! service answers invalid parameters with.

use axum::response::Response;
use serde_json::{json, Value};

use crate::{
    dataset::RecordRef,
    respond::{self, Render},
};

/// The envelope's `meta`; `pagination` only on query endpoints.
pub fn meta(powered_by: &str, pagination: Option<Value>) -> Value {
    let mut meta = json!({
        "query_time": 0.004_217,
        "powered_by": powered_by,
        "trace_id": uuid::Uuid::new_v4().to_string(),
    });
    if let Some(p) = pagination {
        meta["pagination"] = p;
    }
    meta
}

/// A success envelope.
pub fn envelope(
    powered_by: &str,
    pagination: Option<Value>,
    resources: Value,
    errors: Value,
) -> Value {
    json!({"meta": meta(powered_by, pagination), "resources": resources, "errors": errors})
}

/// The envelope's opening, for streamed pages: `{"meta":…,"resources":[`.
pub fn envelope_head(powered_by: &str, pagination: Option<Value>) -> String {
    format!(
        "{{\"meta\":{},\"resources\":[",
        meta(powered_by, pagination)
    )
}

/// The envelope's closing after streamed records.
pub fn envelope_tail(errors: Vec<Value>) -> String {
    format!("],\"errors\":{}}}", Value::Array(errors))
}

/// A 400 from the service itself (invalid parameters), with its reason.
pub fn bad_request(powered_by: &str, message: &str) -> Response {
    let mut body = envelope(
        powered_by,
        None,
        json!([]),
        json!([{"code": 400, "message": message}]),
    );
    body["meta"]["query_time"] = json!(0.000_912);
    respond::json(400, &body)
}

/// An entity call's answer: the records `lookup` finds for `ids`, in request order, and a
/// 404 error per unknown id (`{what} not found: {id}`); the call is a 404 when none is
/// found.
pub fn entities_reply(
    powered_by: &str,
    ids: &[&str],
    what: &str,
    lookup: impl Fn(&str) -> Option<RecordRef>,
    render: Render,
) -> Response {
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    for id in ids {
        match lookup(id) {
            Some(r) => found.push(r),
            None => errors
                .push(json!({"code": 404, "message": format!("{what} not found: {id}"), "id": id})),
        }
    }
    if found.is_empty() {
        return respond::json(
            404,
            &envelope(powered_by, None, json!([]), Value::Array(errors)),
        );
    }
    respond::stream_page(
        200,
        envelope_head(powered_by, None),
        found,
        render,
        envelope_tail(errors),
    )
}

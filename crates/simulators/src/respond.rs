//! Building responses: JSON bodies, pages streamed record by record (memory stays flat
//! whatever the page size), query parameters, and the body faults applied afterwards.

use std::{convert::Infallible, sync::Arc};

use axum::{
    body::{to_bytes, Body},
    http::{header, HeaderValue, StatusCode, Uri},
    response::Response,
};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;

pub use crate::sim::Render;
use crate::{
    dataset::RecordRef,
    faults::{Action, BodyFaults, Decision},
    sim::Sim,
};

pub const JSON: &str = "application/json; charset=utf-8";
/// Records rendered per streamed chunk.
const STREAM_CHUNK: usize = 64;
/// Largest response a body fault rewrites.
const MAX_REWRITE: usize = 512 * 1024 * 1024;

/// A JSON response.
pub fn json(status: u16, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    with_json_type(status, Body::from(bytes))
}

fn with_json_type(status: u16, body: Body) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    resp
}

/// A JSON page `head` + records joined by commas + `tail`, rendered as the client reads.
pub fn stream_page(
    status: u16,
    head: String,
    records: Vec<RecordRef>,
    render: Render,
    tail: String,
) -> Response {
    let chunks = records.len().div_ceil(STREAM_CHUNK).max(1);
    let records = Arc::new(records);
    let stream = futures::stream::iter(0..chunks).map(move |c| {
        let mut buf = Vec::with_capacity(16 * 1024);
        if c == 0 {
            buf.extend_from_slice(head.as_bytes());
        }
        let from = c * STREAM_CHUNK;
        for (i, r) in records.iter().enumerate().skip(from).take(STREAM_CHUNK) {
            if i > 0 {
                buf.push(b',');
            }
            // Rendering a Value cannot fail to serialize.
            serde_json::to_writer(&mut buf, &render(r)).unwrap_or_default();
        }
        if c + 1 == chunks {
            buf.extend_from_slice(tail.as_bytes());
        }
        Ok::<_, Infallible>(Bytes::from(buf))
    });
    with_json_type(status, Body::from_stream(stream))
}

/// Adds `Retry-After` (seconds: an injected status's, else 1) to a 429, as Microsoft's
/// APIs send it.
pub fn add_retry_after(resp: &mut Response, decision: &Decision) {
    if resp.status() != 429 {
        return;
    }
    let secs = match decision.action {
        Some(Action::Status {
            retry_after_secs, ..
        }) => retry_after_secs,
        _ => 1,
    };
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
}

/// Query parameters in order, repeated names kept.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(uri: &Uri) -> Result<Params, String> {
        serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map(Params)
            .map_err(|e| format!("invalid query string: {e}"))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A non-negative integer parameter, or `default` when absent.
    pub fn uint(&self, name: &str, default: u64) -> Result<u64, String> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| format!("{name} must be a non-negative integer, got {v:?}")),
        }
    }

    /// A boolean parameter (`true`/`false`, any case), or `default` when absent.
    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(format!("{name} must be true or false, got {v:?}")),
        }
    }
}

/// Applies body faults to a response: records rewritten (malformed, duplicate,
/// unknown enum values) on success, then the body cut short or aborted mid-way.
pub async fn apply_body_faults(
    sim: &Sim,
    endpoint: Option<&str>,
    resp: Response,
    faults: BodyFaults,
) -> Response {
    if !faults.any() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let mut bytes = to_bytes(body, MAX_REWRITE)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    if faults.rewrites_records() && parts.status.is_success() {
        if let (Some(ep), Ok(mut v)) = (endpoint, serde_json::from_slice::<Value>(&bytes)) {
            rewrite_records(sim, ep, &mut v, faults);
            bytes = serde_json::to_vec(&v).unwrap_or(bytes);
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    if faults.truncated {
        bytes.truncate(bytes.len() / 2);
    }
    if faults.reset {
        // Half the body, then an error: hyper aborts the connection mid-response.
        let half = Bytes::from(bytes[..bytes.len() / 2].to_vec());
        let stream = futures::stream::iter([
            Ok(half),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "injected reset",
            )),
        ]);
        return Response::from_parts(parts, Body::from_stream(stream));
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn rewrite_records(sim: &Sim, endpoint: &str, body: &mut Value, faults: BodyFaults) {
    let Some(key) = sim.api.records_key(endpoint) else {
        return;
    };
    // An empty key: the body is the records array itself (Tenable's export chunks, Okta).
    let records = if key.is_empty() {
        body.as_array_mut()
    } else {
        body.get_mut(key).and_then(Value::as_array_mut)
    };
    let Some(records) = records else {
        return;
    };
    if faults.unknown_enum {
        for r in records.iter_mut() {
            sim.api.unknown_enum(endpoint, r);
        }
    }
    if faults.empty {
        records.clear();
    }
    if let Some(percent) = faults.shrink {
        shrink(records, percent);
    }
    if faults.duplicate {
        if let Some(first) = records.first().cloned() {
            records.push(first);
        }
    }
    if faults.malformed {
        malform(records, sim.api.id_key(endpoint));
        if records.is_empty() && key.is_empty() {
            *body = Value::String("unavailable".into());
        } else if records.is_empty() {
            body[key] = Value::String("unavailable".into());
        }
    }
}

/// Drops `percent` of the records, spread evenly over the page (record i stays when the
/// kept share's running total steps up at i), so every page of a listing loses its share.
fn shrink(records: &mut Vec<Value>, percent: u8) {
    let keep = 100 - u64::from(percent.min(100));
    let mut i = 0u64;
    records.retain(|_| {
        let kept = (i + 1) * keep / 100 > i * keep / 100;
        i += 1;
        kept
    });
}

/// The first record becomes a bare string (or number, for id lists); the second loses
/// its id (or becomes null).
fn malform(records: &mut [Value], id_key: &str) {
    if let Some(first) = records.first_mut() {
        *first = if first.is_string() {
            Value::from(4_040_404)
        } else {
            Value::String("record unavailable".into())
        };
    }
    if let Some(second) = records.get_mut(1) {
        match second.as_object_mut() {
            Some(obj) => {
                obj.remove(id_key);
            }
            None => *second = Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_drops_its_share_evenly() {
        for (n, percent, left) in [
            (100, 50, 50),
            (100, 30, 70),
            (10, 50, 5),
            (7, 0, 7),
            (7, 100, 0),
        ] {
            let mut records: Vec<Value> = (0..n).map(Value::from).collect();
            shrink(&mut records, percent);
            assert_eq!(records.len(), left, "{n} less {percent}%");
        }
        let mut records: Vec<Value> = (0..10).map(Value::from).collect();
        shrink(&mut records, 50);
        assert_eq!(
            records,
            (0..10)
                .filter(|i| i % 2 == 1)
                .map(Value::from)
                .collect::<Vec<_>>()
        );
    }
}

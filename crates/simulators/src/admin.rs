//! The admin API (`/_sim/…`): HTTP in front of [`SimControl`], on the simulator's own
//! listener but outside its request pipeline (not recorded, no faults, no auth).

use std::collections::BTreeMap;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Json, Router,
};
use chrono::{DateTime, Utc};
use serde::{de::Error as _, Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::{
    collection::Change,
    control::{ControlError, SimControl},
    edr::collections::AdvanceSpec,
    faults::{FaultInfo, FaultSpec, When},
    requests::RecordedRequest,
    respond,
};

fn err(e: ControlError) -> Response {
    let status = match e {
        ControlError::UnknownCredential(_) => 404,
        ControlError::DuplicateLabel(_) => 409,
        _ => 400,
    };
    respond::json(status, &json!({"detail": e.to_string()}))
}

/// The admin API (mounted at `/_sim`).
pub fn admin_router() -> Router<SimControl> {
    Router::new()
        .route("/state", get(state))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/{id}", delete(remove_fault))
        .route("/credentials", post(add_credential))
        .route("/credentials/{label}", get(get_credential))
        .route("/credentials/{label}/{action}", post(change_credential))
        .route("/advance", post(advance))
        .route("/requests", get(list_requests).delete(clear_requests))
}

async fn state(State(control): State<SimControl>) -> Json<Value> {
    Json(control.state())
}

async fn list_faults(State(control): State<SimControl>) -> Json<Vec<FaultInfo>> {
    Json(control.faults())
}

/// `{"spec": "threats:403"}` or `{"credential"?, "endpoint"?, "fault": "429x3"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    spec: Option<String>,
    credential: Option<String>,
    endpoint: Option<String>,
    fault: Option<String>,
}

impl FaultBody {
    fn to_spec(&self) -> Result<FaultSpec, ControlError> {
        if let Some(s) = &self.spec {
            return Ok(s.parse()?);
        }
        let fault = self
            .fault
            .as_deref()
            .ok_or_else(|| ControlError::Invalid("give spec or fault".into()))?;
        let mut text = format!("{}:{fault}", self.endpoint.as_deref().unwrap_or("all"));
        if let Some(c) = &self.credential {
            text = format!("{c}/{text}");
        }
        Ok(text.parse()?)
    }
}

async fn add_fault(State(control): State<SimControl>, Json(body): Json<FaultBody>) -> Response {
    match body
        .to_spec()
        .and_then(|s| control.add_fault(s.clone()).map(|id| (s, id)))
    {
        Ok((spec, id)) => respond::json(201, &json!({"id": id, "spec": spec})),
        Err(e) => err(e),
    }
}

#[derive(Deserialize)]
struct ClearQuery {
    credential: Option<String>,
    endpoint: Option<String>,
}

async fn clear_faults(
    State(control): State<SimControl>,
    Query(q): Query<ClearQuery>,
) -> Json<Value> {
    let n = control.clear_faults(q.credential.as_deref(), q.endpoint.as_deref());
    Json(json!({"removed": n}))
}

async fn remove_fault(State(control): State<SimControl>, Path(id): Path<u64>) -> Response {
    if control.remove_fault(id) {
        respond::json(200, &json!({"removed": 1}))
    } else {
        respond::json(404, &json!({"detail": format!("no fault {id}")}))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialBody {
    label: Option<String>,
    #[serde(default)]
    faults: Vec<String>,
}

async fn add_credential(
    State(control): State<SimControl>,
    Json(body): Json<CredentialBody>,
) -> Response {
    let label = body
        .label
        .unwrap_or_else(|| format!("cred-{}", control.labels().len() + 1));
    let faults: Vec<&str> = body.faults.iter().map(String::as_str).collect();
    match control.add_credential(&label, &faults) {
        Ok(creds) => respond::json(201, &json!({"label": label, "credentials": creds})),
        Err(e) => err(e),
    }
}

async fn get_credential(State(control): State<SimControl>, Path(label): Path<String>) -> Response {
    match control.credential(&label) {
        Some(c) => respond::json(200, &json!({"label": label, "credentials": c})),
        None => err(ControlError::UnknownCredential(label)),
    }
}

/// `{"at": RFC 3339}`, `{"in_ms": N}` or `{"after_requests": N}`; empty for now.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WhenBody {
    at: Option<DateTime<Utc>>,
    in_ms: Option<u64>,
    after_requests: Option<u32>,
}

async fn change_credential(
    State(control): State<SimControl>,
    Path((label, action)): Path<(String, String)>,
    body: Option<Json<WhenBody>>,
) -> Response {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let when = match (body.at, body.in_ms, body.after_requests) {
        (Some(at), None, None) => control.when_at(at),
        (None, Some(ms), None) => When::InMs(ms),
        (None, None, Some(n)) => When::AfterRequests(n),
        (None, None, None) => When::Now,
        _ => {
            return err(ControlError::Invalid(
                "give at most one of at, in_ms, after_requests".into(),
            ))
        }
    };
    let result = match action.as_str() {
        "revoke" => control.schedule(&label, false, when),
        "expire" => control.schedule(&label, true, when),
        "restore" => control.restore(&label),
        other => Err(ControlError::Invalid(format!(
            "unknown action {other:?}: revoke, expire or restore"
        ))),
    };
    match result {
        Ok(()) => respond::json(200, &json!({"label": label, "action": action})),
        Err(e) => err(e),
    }
}

/// The EDR shorthand (`{"new_alerts", …}`) and/or changes by collection name
/// (`{"collections": {"findings": {"new", "updated", "deleted"}}}`).
#[derive(Debug, Default)]
struct AdvanceBody {
    edr: AdvanceSpec,
    collections: BTreeMap<String, Change>,
}

impl<'de> Deserialize<'de> for AdvanceBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The shorthand keeps refusing unknown fields, so `collections` is taken out first.
        let mut map = serde_json::Map::deserialize(d)?;
        let collections = match map.remove("collections") {
            Some(v) => serde_json::from_value(v).map_err(D::Error::custom)?,
            None => BTreeMap::new(),
        };
        let edr = AdvanceSpec::deserialize(Value::Object(map)).map_err(D::Error::custom)?;
        Ok(AdvanceBody { edr, collections })
    }
}

async fn advance(State(control): State<SimControl>, body: Option<Json<AdvanceBody>>) -> Response {
    let result = match body {
        Some(Json(b)) => control.advance_with(b.edr, &b.collections),
        None => Ok(control.tick()),
    };
    match result {
        Ok(report) => Json(report).into_response(),
        Err(e) => err(e),
    }
}

#[derive(Deserialize)]
struct RequestsQuery {
    endpoint: Option<String>,
    limit: Option<usize>,
}

async fn list_requests(
    State(control): State<SimControl>,
    Query(q): Query<RequestsQuery>,
) -> Json<Vec<RecordedRequest>> {
    let mut all = control.requests();
    if let Some(e) = &q.endpoint {
        all.retain(|r| r.endpoint.as_deref() == Some(e.as_str()));
    }
    if let Some(n) = q.limit {
        let skip = all.len().saturating_sub(n);
        all.drain(..skip);
    }
    Json(all)
}

async fn clear_requests(State(control): State<SimControl>) -> Json<Value> {
    control.clear_requests();
    Json(json!({"cleared": true}))
}

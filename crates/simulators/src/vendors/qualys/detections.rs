//! Host List Detection (`/api/2.0/fo/asset/host/vm/detection/`, GET or form POST): hosts
//! in host-id order with their detections, filtered by `status`,
//! `detection_updated_since`, `include_ignored` and `id_min`/`id_max`; at most
//! `truncation_limit` hosts per answer (0: no limit), then a `WARNING` whose `URL` asks
//! for the next batch. The body is written host by host as the client reads, so a
//! million detections never sit in memory. Also the KnowledgeBase endpoint.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
};

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, Method, Uri},
    response::Response,
    Extension,
};
use bytes::Bytes;
use futures::stream;

use super::{
    errors::{
        account_expired_in_200, bad_parameter, concurrency_limited, rate_limited, simple_return,
        XML,
    },
    render::{
        detection, detection_xml, host_id, host_index, host_xml, hosts, ignored, plugin_of, status,
        vuln_xml, xml_time,
    },
};
use crate::{
    fake::parse_ts,
    respond::Params,
    sim::{Caller, Sim},
    vms::{
        catalog::PLUGINS,
        collections::{assets, findings},
    },
};

/// Calls of one API that may run at once (Qualys' `X-Concurrency-Limit-Limit`).
pub const CONCURRENCY: u32 = 2;
/// What a rate-limited client is told to wait (seconds): longer than any job waits.
const RATE_WAIT_SECS: u64 = 7_803;
/// Hosts written per body chunk.
const HOSTS_PER_CHUNK: usize = 8;
/// Every status a detection can have.
const STATUSES: [&str; 4] = ["New", "Active", "Re-Opened", "Fixed"];

/// The Qualys simulator's running calls, per API.
#[derive(Default)]
pub struct Running {
    pub detections: Arc<AtomicU32>,
}

/// Releases a running call's slot when its body is done (or dropped).
struct Slot(Arc<AtomicU32>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a Host List Detection request asks for.
#[derive(Debug, Clone)]
struct Query {
    statuses: HashSet<&'static str>,
    since_ns: Option<i64>,
    include_ignored: bool,
    first_host: u64,
    last_host: u64,
    limit: u64,
    params: Vec<(String, String)>,
}

/// Query-string and form parameters together (a POST may carry either).
fn params(uri: &Uri, method: &Method, body: &[u8]) -> Result<Params, String> {
    let mut p = Params::parse(uri)?;
    if method == Method::POST && !body.is_empty() {
        let form: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|e| format!("invalid form body: {e}"))?;
        p.0.extend(form);
    }
    Ok(p)
}

/// `YYYY-MM-DD[THH:MM:SSZ]`.
fn qualys_date(v: &str) -> Option<i64> {
    let ok = v.len() == 10 || (v.len() == 20 && v.ends_with('Z') && v.as_bytes()[10] == b'T');
    ok.then(|| parse_ts(v)).flatten()
}

fn query(p: &Params) -> Result<Query, (u32, String)> {
    match p.get("action") {
        Some("list") => {}
        Some(other) => return Err((1905, format!("parameter action has invalid value: {other}"))),
        None => return Err((1903, "Missing required parameter(s): action".into())),
    }
    let uint = |name: &str, default: u64| {
        p.uint(name, default).map_err(|_| {
            (
                1905,
                format!(
                    "parameter {name} has invalid value: {}",
                    p.get(name).unwrap_or("")
                ),
            )
        })
    };
    let limit = uint("truncation_limit", 1000)?;
    let id_min = uint("id_min", 0)?;
    let id_max = uint("id_max", u64::MAX)?;
    let statuses = match p.get("status") {
        None | Some("") => HashSet::from(["New", "Active", "Re-Opened"]),
        Some(list) => list
            .split(',')
            .map(|s| {
                STATUSES
                    .into_iter()
                    .find(|k| k.eq_ignore_ascii_case(s.trim()))
                    .ok_or((1905, format!("parameter status has invalid value: {s}")))
            })
            .collect::<Result<_, _>>()?,
    };
    let since_ns = match p.get("detection_updated_since") {
        None | Some("") => None,
        Some(v) => Some(qualys_date(v).ok_or((
            1905,
            format!("parameter detection_updated_since has invalid value: {v}"),
        ))?),
    };
    Ok(Query {
        statuses,
        since_ns,
        include_ignored: p.get("include_ignored") == Some("1"),
        first_host: host_index(id_min).unwrap_or(0),
        last_host: host_index(id_max).unwrap_or(0).min(u64::MAX - 1),
        limit: if limit == 0 { u64::MAX } else { limit },
        params: p.0.clone(),
    })
}

/// The XML of host `h` with its matching detections, or None when none match (Qualys
/// leaves such hosts out).
fn host_block(sim: &Sim, q: &Query, h: u64) -> Option<String> {
    let world = &sim.world;
    assets(world).get(h)?;
    let data = findings(world);
    let (step, created) = (hosts(world), data.created());
    let mut dets = String::new();
    let mut i = h;
    while i < created {
        if let Some(r) = data.get(i) {
            if q.since_ns.is_none_or(|s| r.updated >= s) {
                let f = detection(world, &r);
                if q.statuses.contains(status(world, &f, r.version))
                    && (q.include_ignored || !ignored(&f))
                {
                    detection_xml(world, &f, r.version, &mut dets);
                }
            }
        }
        i += step;
    }
    if dets.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(dets.len() + 1024);
    host_xml(world, h, &mut out);
    out.push_str("        <DETECTION_LIST>\n");
    out.push_str(&dets);
    out.push_str("        </DETECTION_LIST>\n      </HOST>\n");
    Some(out)
}

/// The next batch's URL: this request's parameters with `id_min` moved on.
fn next_url(sim: &Sim, q: &Query, next_host: u64) -> String {
    let mut pairs: Vec<(String, String)> = q
        .params
        .iter()
        .filter(|(k, _)| k != "id_min")
        .cloned()
        .collect();
    pairs.push(("id_min".into(), host_id(next_host).to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!(
        "{}/api/2.0/fo/asset/host/vm/detection/?{query}",
        sim.base_url
    )
}

/// Where the body stands.
struct Cursor {
    sim: Arc<Sim>,
    q: Query,
    next: u64,
    written: u64,
    /// Cut the connection in the middle of this many hosts' output (a vendor fault).
    cut_after: Option<u64>,
    cut: bool,
    started: bool,
    done: bool,
    _slot: Slot,
}

impl Cursor {
    /// The next chunk of the body.
    fn chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.cut {
            self.cut = false;
            self.done = true;
            return Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "injected cut mid-stream",
            )));
        }
        if self.done {
            return None;
        }
        let world = &self.sim.world;
        let total = assets(world).created();
        let mut out = String::new();
        if !self.started {
            self.started = true;
            out.push_str(&head(world.clock.now_ns()));
        }
        let mut in_chunk = 0;
        while in_chunk < HOSTS_PER_CHUNK && self.next < total && self.next <= self.q.last_host {
            let h = self.next;
            let Some(block) = host_block(&self.sim, &self.q, h) else {
                self.next += 1;
                continue;
            };
            if self.written == self.q.limit {
                // More hosts match: the answer is truncated here.
                out.push_str(&tail(Some(&next_url(&self.sim, &self.q, h))));
                self.done = true;
                return Some(Ok(Bytes::from(out)));
            }
            if self.cut_after == Some(self.written) {
                // Half of this host, then the connection drops.
                out.push_str(&block[..block.len() / 2]);
                self.cut = true;
                return Some(Ok(Bytes::from(out)));
            }
            out.push_str(&block);
            self.written += 1;
            self.next += 1;
            in_chunk += 1;
        }
        if in_chunk < HOSTS_PER_CHUNK {
            out.push_str(&tail(None));
            self.done = true;
        }
        Some(Ok(Bytes::from(out)))
    }
}

fn head(now_ns: i64) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM \"/api/2.0/fo/asset/host/vm/detection/host_list_vm_detection_output.dtd\">\n<HOST_LIST_VM_DETECTION_OUTPUT>\n  <RESPONSE>\n    <DATETIME>{}</DATETIME>\n    <HOST_LIST>\n",
        xml_time(now_ns)
    )
}

/// The end of the answer (an empty result still lists an empty `HOST_LIST`).
fn tail(next: Option<&str>) -> String {
    let mut out = String::from("    </HOST_LIST>\n");
    if let Some(url) = next {
        out.push_str(&format!(
            "    <WARNING>\n      <CODE>1980</CODE>\n      <TEXT>Record limit exceeded. Use URL to get next batch of results.</TEXT>\n      <URL><![CDATA[{url}]]></URL>\n    </WARNING>\n"
        ));
    }
    out.push_str("  </RESPONSE>\n</HOST_LIST_VM_DETECTION_OUTPUT>\n");
    out
}

fn xml_stream(cursor: Cursor) -> Body {
    Body::from_stream(stream::unfold(cursor, |mut c| async move {
        let item = c.chunk()?;
        if item.is_err() {
            // Let what was written reach the client first: the cut comes mid-body, after
            // the status and headers, as a dropped connection does.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Some((item, c))
    }))
}

fn requested_with(headers: &HeaderMap) -> bool {
    headers
        .get("x-requested-with")
        .is_some_and(|v| !v.as_bytes().is_empty())
}

/// `GET|POST /api/2.0/fo/asset/host/vm/detection/`.
pub async fn list(
    State(sim): State<Arc<Sim>>,
    Extension(caller): Extension<Caller>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let now = sim.world.clock.now_ns();
    if !requested_with(&headers) {
        return simple_return(400, now, None, "X-Requested-With header is required.", &[]);
    }
    let take = |name| {
        sim.faults
            .take_named(caller.0.as_deref(), "detections", name)
    };
    if take("error_in_200") {
        return account_expired_in_200(now);
    }
    if take("rate_limited") {
        return rate_limited(now, RATE_WAIT_SECS);
    }
    let running = &sim.vendor_state::<Running>().detections;
    if take("concurrency_limited") || running.load(Ordering::SeqCst) >= CONCURRENCY {
        return concurrency_limited(now, running.load(Ordering::SeqCst).max(1));
    }
    let p = match params(&uri, &method, &body) {
        Ok(p) => p,
        Err(e) => return bad_parameter(now, 1905, &e),
    };
    let q = match query(&p) {
        Ok(q) => q,
        Err((code, text)) => return bad_parameter(now, code, &text),
    };
    running.fetch_add(1, Ordering::SeqCst);
    let cursor = Cursor {
        next: q.first_host,
        cut_after: take("cut_mid_stream").then_some(1),
        q,
        sim: sim.clone(),
        written: 0,
        cut: false,
        started: false,
        done: false,
        _slot: Slot(running.clone()),
    };
    let mut resp = Response::new(xml_stream(cursor));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(XML));
    resp
}

/// The QIDs an `ids` value names (`1,5,10-20`), capped to the catalogue's range.
fn qids(ids: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for part in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let bad = || {
            format!("parameter ids has invalid value: {part} (neither a positive integer nor a range: {part})")
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u64, u64) =
                    (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                out.extend(
                    PLUGINS
                        .iter()
                        .map(super::render::qid)
                        .filter(|q| (a..=b).contains(q)),
                );
            }
            None => out.push(part.parse().map_err(|_| bad())?),
        }
    }
    Ok(out)
}

/// `GET|POST /api/2.0/fo/knowledge_base/vuln/`.
pub async fn knowledge_base(
    State(sim): State<Arc<Sim>>,
    Extension(caller): Extension<Caller>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let now = sim.world.clock.now_ns();
    if !requested_with(&headers) {
        return simple_return(400, now, None, "X-Requested-With header is required.", &[]);
    }
    if sim
        .faults
        .take_named(caller.0.as_deref(), "knowledge_base", "error_in_200")
    {
        return account_expired_in_200(now);
    }
    let p = match params(&uri, &method, &body) {
        Ok(p) => p,
        Err(e) => return bad_parameter(now, 1905, &e),
    };
    if p.get("action") != Some("list") {
        return bad_parameter(now, 1903, "Missing required parameter(s): action");
    }
    let wanted = match p.get("ids") {
        Some(ids) => match qids(ids) {
            Ok(q) => q,
            Err(e) => return bad_parameter(now, 1905, &e),
        },
        None => PLUGINS.iter().map(super::render::qid).collect(),
    };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE KNOWLEDGE_BASE_VULN_LIST_OUTPUT SYSTEM \"/api/2.0/fo/knowledge_base/vuln/knowledge_base_vuln_list_output.dtd\">\n<KNOWLEDGE_BASE_VULN_LIST_OUTPUT>\n  <RESPONSE>\n    <DATETIME>{}</DATETIME>\n<!-- keep-alive for KNOWLEDGE_BASE_VULN_LIST_OUTPUT  -->\n",
        xml_time(now)
    );
    let vulns: Vec<_> = wanted.into_iter().filter_map(plugin_of).collect();
    // Unknown ids: a RESPONSE with only its DATETIME.
    if !vulns.is_empty() {
        out.push_str("    <VULN_LIST>\n");
        for p in vulns {
            vuln_xml(p, &mut out);
        }
        out.push_str("    </VULN_LIST>\n");
    }
    out.push_str("  </RESPONSE>\n</KNOWLEDGE_BASE_VULN_LIST_OUTPUT>\n");
    let mut resp = Response::new(Body::from(out));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(XML));
    resp
}

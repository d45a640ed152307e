//! Qualys' connector: Host List Detection read as a stream. A batch is one response of up
//! to `truncation_limit` hosts (sorted by host id); a truncated batch ends with a
//! `WARNING` whose `URL` asks for the next one (`id_min`), followed verbatim. Detections
//! are handed to the engine a page at a time while the body is still being read, so a
//! 1 GB answer never sits in memory; each page first gets its QIDs' KnowledgeBase
//! records (title, CVEs, CVSS, solution), fetched once per QID per job in batches.
//!
//! Batches are in host order, not time order, so the watermark moves only with the last
//! page: to the time Qualys stamped on the first answer (`DATETIME`, its own clock) less
//! a margin, which the next job sends as `detection_updated_since` (and then also asks
//! for `Fixed` detections, so fixes arrive). A body cut mid-stream is asked for again
//! from the host being read (`id_min`), skipping the detections already handed over.

use std::{
    collections::{HashMap, HashSet},
    pin::Pin,
    sync::Arc,
};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use futures::{Stream, StreamExt};
use serde_json::{Map, Value};
use tokio_util::io::StreamReader;
use tributary_model::{credentials::Credentials, DataExportType};

use super::{
    api::{envelope_error, Api},
    endpoints::DETECTIONS,
    mapping::detection_key,
    simple_return::SimpleReturn,
    xml::{self, Item, XmlError, XmlStream},
};
use crate::{
    connector::{Connector, ExportReader, RawPage},
    error::{FailureKind, VendorError},
    http::VendorHttp,
    normalize::parse_time,
    watermark::Watermark,
};

/// Hosts per batch unless the connection's `hosts_per_batch` says otherwise (Qualys'
/// default for host lists is 1,000).
pub const TRUNCATION_LIMIT: u32 = 1000;
/// Detections per page handed to the engine (one transaction each).
pub const PAGE_SIZE: usize = 1000;
/// QIDs per KnowledgeBase request.
const KB_BATCH: usize = 500;
/// How far before Qualys' answer time the next job starts: scans still being processed
/// when the first batch was answered. Re-reading a detection costs nothing.
const SKEW: Duration = Duration::minutes(5);
/// The KnowledgeBase fields a finding uses (the rest — diagnosis HTML, change logs —
/// is not copied onto every detection).
const KB_FIELDS: &[&str] = &[
    "QID",
    "VULN_TYPE",
    "SEVERITY_LEVEL",
    "TITLE",
    "CATEGORY",
    "PUBLISHED_DATETIME",
    "LAST_SERVICE_MODIFICATION_DATETIME",
    "PATCHABLE",
    "CVE_LIST",
    "VENDOR_REFERENCE_LIST",
    "DIAGNOSIS",
    "SOLUTION",
    "CVSS",
    "CVSS_V3",
];
/// Containers of a Host List Detection answer.
pub const HLD_CONTAINERS: &[&str] = &[
    "HOST_LIST_VM_DETECTION_OUTPUT",
    "SIMPLE_RETURN",
    "RESPONSE",
    "HOST_LIST",
    "HOST",
    "DETECTION_LIST",
];

type Body = StreamReader<Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>, Bytes>;

pub fn connect(creds: &Credentials, options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    let hosts_per_batch = options
        .get("hosts_per_batch")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(TRUNCATION_LIMIT);
    Arc::new(Qualys {
        api: Arc::new(Api::new(
            creds.get("base_url").unwrap_or_default(),
            creds.get("username").unwrap_or_default(),
            creds.secret("password").unwrap_or_default(),
            http,
        )),
        hosts_per_batch,
    })
}

struct Qualys {
    api: Arc<Api>,
    hosts_per_batch: u32,
}

/// Qualys' date form (`YYYY-MM-DDTHH:MM:SSZ`).
fn qualys_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The first batch's URL: what is open on the first pull; every change since `since`,
/// fixes included, on the next ones.
pub fn first_url(base_url: &str, since: Option<DateTime<Utc>>, limit: u32) -> String {
    let mut pairs = vec![
        ("action", "list".to_owned()),
        ("truncation_limit", limit.to_string()),
        ("show_qds", "1".to_owned()),
        // Ignored and disabled detections are left out unless asked for; they become
        // SUPPRESSED findings.
        ("include_ignored", "1".to_owned()),
        ("include_disabled", "1".to_owned()),
    ];
    match since {
        Some(t) => {
            pairs.push(("status", "New,Active,Re-Opened,Fixed".to_owned()));
            pairs.push(("detection_updated_since", qualys_time(t)));
        }
        None => pairs.push(("status", "New,Active,Re-Opened".to_owned())),
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{base_url}{DETECTIONS}?{query}")
}

/// `url` asking from host `id` on (a batch resumed after a cut).
pub fn with_id_min(url: &str, id: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "id_min")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("id_min", id);
    parsed.into()
}

/// One response being read.
struct Batch {
    url: String,
    xml: XmlStream<Body>,
    /// The current host's own fields (its detections come after them).
    host: Map<String, Value>,
    host_id: Option<String>,
    /// Keys of the current host's detections already handed over.
    seen: HashSet<String>,
    /// After a resume: the host whose detections up to the cut were handed over already.
    skip: Option<(String, HashSet<String>)>,
    /// The next batch's URL, from the `WARNING`.
    next: Option<String>,
    /// The answer is a `SIMPLE_RETURN`: an error, whatever the HTTP status.
    envelope: Option<SimpleReturn>,
}

struct Reader {
    api: Arc<Api>,
    next: Option<String>,
    open: Option<Batch>,
    /// QID → its KnowledgeBase fields (None: Qualys has no record of it), for this job.
    kb: HashMap<String, Option<Value>>,
    answered_at: Option<DateTime<Utc>>,
    resumes: u32,
    finished: bool,
}

fn network(message: impl Into<String>) -> VendorError {
    VendorError::new(FailureKind::Network, DETECTIONS, None, message)
}

/// Opens a batch (a free function: the reader holds a body stream that is `Send` but
/// not `Sync`, so no `&Reader` may live across an await).
async fn start(
    api: Arc<Api>,
    url: String,
    skip: Option<(String, HashSet<String>)>,
) -> Result<Batch, VendorError> {
    let resp = api.get_streamed(DETECTIONS, &url).await?;
    let idle = api.http.request_timeout();
    // Each chunk must arrive within the request timeout: a stalled answer is cut (and
    // resumed), however long a flowing one takes.
    let stream = futures::stream::unfold(resp.bytes_stream(), move |mut body| async move {
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(chunk)) => Some((
                chunk.map_err(|e| std::io::Error::other(e.to_string())),
                body,
            )),
            Ok(None) => None,
            Err(_) => Some((
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no data for {} s", idle.as_secs()),
                )),
                body,
            )),
        }
    });
    let body: Body = StreamReader::new(Box::pin(stream));
    Ok(Batch {
        url,
        xml: XmlStream::new(body, HLD_CONTAINERS),
        host: Map::new(),
        host_id: None,
        seen: HashSet::new(),
        skip,
        next: None,
        envelope: None,
    })
}

impl Reader {
    /// Reads one item of the open batch into `records`; false at the batch's end.
    async fn step(&mut self, records: &mut Vec<Value>) -> Result<bool, VendorError> {
        let Some(batch) = self.open.as_mut() else {
            return Ok(false);
        };
        let item = match batch.xml.next().await {
            Ok(Some(item)) => item,
            Ok(None) => {
                if let Some(e) = &batch.envelope {
                    return Err(envelope_error(DETECTIONS, 200, e));
                }
                self.next = batch.next.take();
                self.open = None;
                return Ok(false);
            }
            Err(XmlError::Io(message)) => {
                self.resume(message).await?;
                return Ok(true);
            }
            Err(XmlError::Syntax(message)) => {
                return Err(VendorError::malformed(DETECTIONS, message))
            }
        };
        match item {
            Item::Open(name) if name == "SIMPLE_RETURN" => {
                batch.envelope = Some(SimpleReturn::default())
            }
            Item::Open(name) if name == "HOST" => {
                batch.host.clear();
                batch.host_id = None;
                batch.seen.clear();
            }
            Item::Open(_) => {}
            Item::Element {
                parent,
                name,
                value,
            } => match parent.as_str() {
                _ if batch.envelope.is_some() => {
                    if let Some(e) = batch.envelope.as_mut() {
                        e.take(&name, &value);
                    }
                }
                // The first answer's time: what the watermark moves to at the end.
                "RESPONSE" if name == "DATETIME" && self.answered_at.is_none() => {
                    self.answered_at = value.as_str().and_then(parse_time);
                }
                "RESPONSE" if name == "WARNING" => {
                    batch.next = xml::text(&value, "URL").map(str::to_owned);
                }
                "HOST" => {
                    if name == "ID" {
                        batch.host_id = value.as_str().map(str::to_owned);
                    }
                    batch.host.insert(name, value);
                }
                "DETECTION_LIST" if name == "DETECTION" => {
                    let host_id = batch.host_id.clone().unwrap_or_default();
                    let key = detection_key(&host_id, &value);
                    let already = batch
                        .skip
                        .as_ref()
                        .is_some_and(|(h, keys)| *h == host_id && keys.contains(&key));
                    if !already {
                        batch.seen.insert(key);
                        let mut record = value;
                        if let Value::Object(m) = &mut record {
                            m.insert("HOST".into(), Value::Object(batch.host.clone()));
                        }
                        records.push(record);
                    }
                }
                _ => {}
            },
        }
        Ok(true)
    }

    /// The connection broke mid-batch: ask again from the host being read.
    async fn resume(&mut self, message: String) -> Result<(), VendorError> {
        let Some(batch) = self.open.take() else {
            return Ok(());
        };
        let (url, skip) = match batch.host_id {
            Some(id) => (with_id_min(&batch.url, &id), Some((id, batch.seen))),
            None => (batch.url, None),
        };
        self.api
            .http
            .wait_to_retry(self.resumes, None, network(message))
            .await?;
        self.resumes += 1;
        tracing::warn!(
            resumes = self.resumes,
            "Qualys answer cut mid-stream; resuming"
        );
        self.open = Some(start(self.api.clone(), url, skip).await?);
        Ok(())
    }

    /// Adds each record's KnowledgeBase fields (`KB`), fetching the QIDs not seen yet.
    async fn enrich(&mut self, records: &mut [Value]) -> Result<(), VendorError> {
        let mut missing: Vec<String> = records
            .iter()
            .filter_map(|r| xml::text(r, "QID"))
            .filter(|q| !self.kb.contains_key(*q))
            .map(str::to_owned)
            .collect();
        missing.sort();
        missing.dedup();
        for chunk in missing.chunks(KB_BATCH) {
            for vuln in self.api.knowledge_base(chunk).await? {
                if let Some(qid) = xml::text(&vuln, "QID") {
                    let picked: Map<String, Value> = KB_FIELDS
                        .iter()
                        .filter_map(|k| vuln.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                        .collect();
                    self.kb.insert(qid.to_owned(), Some(Value::Object(picked)));
                }
            }
            for qid in chunk {
                self.kb.entry(qid.clone()).or_insert(None);
            }
        }
        for r in records.iter_mut() {
            let kb = xml::text(r, "QID")
                .and_then(|q| self.kb.get(q))
                .cloned()
                .flatten();
            if let (Some(kb), Value::Object(m)) = (kb, r) {
                m.insert("KB".into(), kb);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.finished {
            return Ok(None);
        }
        let mut records = Vec::new();
        while records.len() < PAGE_SIZE {
            if self.open.is_none() {
                match self.next.take() {
                    Some(url) => self.open = Some(start(self.api.clone(), url, None).await?),
                    None => break,
                }
            }
            self.step(&mut records).await?;
        }
        self.enrich(&mut records).await?;
        let last = self.open.is_none() && self.next.is_none();
        self.finished = last;
        Ok(Some(RawPage {
            endpoint: DETECTIONS,
            records: records.into(),
            // Every earlier page is committed before this one: the pull is complete.
            watermark: last
                .then(|| self.answered_at.map(|t| Watermark::Time(t - SKEW)))
                .flatten(),
        }))
    }
}

#[async_trait]
impl Connector for Qualys {
    fn reader(&self, _export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        let since = since.and_then(|w| w.time());
        Box::new(Reader {
            api: self.api.clone(),
            next: Some(first_url(&self.api.base_url, since, self.hosts_per_batch)),
            open: None,
            kb: HashMap::new(),
            answered_at: None,
            resumes: 0,
            finished: false,
        })
    }

    /// One host's detections and one KnowledgeBase record: both APIs answer these
    /// credentials, without an error envelope.
    async fn probe(&self, _export: DataExportType) -> Result<(), VendorError> {
        let url = first_url(&self.api.base_url, None, 1);
        let resp = self.api.get(DETECTIONS, &url).await?;
        let body = crate::http::read_body(DETECTIONS, resp).await?;
        let envelope = super::simple_return::parse(&body).await;
        if let Some(e) = envelope {
            return Err(envelope_error(DETECTIONS, 200, &e));
        }
        self.api.knowledge_base(&["1".to_owned()]).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increments_ask_for_fixes_since_the_watermark_and_resume_from_a_host() {
        let first = first_url("https://qualysapi.qualys.com", None, 1000);
        assert!(first.starts_with(
            "https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/detection/?action=list"
        ));
        assert!(first.contains("status=New%2CActive%2CRe-Opened&") || first.ends_with("Re-Opened"));
        assert!(!first.contains("detection_updated_since"));
        let t = "2024-05-01T10:00:00.5Z".parse::<DateTime<Utc>>().unwrap();
        let inc = first_url("https://q", Some(t), 1000);
        assert!(
            inc.contains("status=New%2CActive%2CRe-Opened%2CFixed"),
            "{inc}"
        );
        assert!(
            inc.contains("detection_updated_since=2024-05-01T10%3A00%3A00Z"),
            "{inc}"
        );
        let resumed = with_id_min(&format!("{inc}&id_min=5"), "1234");
        assert!(resumed.ends_with("&id_min=1234"), "{resumed}");
        assert_eq!(resumed.matches("id_min").count(), 1);
    }
}

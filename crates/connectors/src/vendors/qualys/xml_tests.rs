use bytes::Bytes;
use futures::stream;
use serde_json::json;
use tokio_util::io::StreamReader;

use super::*;
use crate::vendors::qualys::{
    api::{read_knowledge_base, KbError},
    client::HLD_CONTAINERS,
    simple_return::{self, parse},
};

const DETECTIONS: &str = include_str!("../../../tests/fixtures/qualys/detections.xml");
const KB: &str = include_str!("../../../tests/fixtures/qualys/knowledge_base.xml");

/// Every item of `xml`, read `chunk` bytes at a time (tags and CDATA split across reads).
async fn read_all(xml: &str, chunk: usize) -> Result<Vec<Item>, XmlError> {
    let chunks: Vec<std::io::Result<Bytes>> = xml
        .as_bytes()
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let mut s = XmlStream::new(StreamReader::new(stream::iter(chunks)), HLD_CONTAINERS);
    let mut out = Vec::new();
    while let Some(item) = s.next().await? {
        out.push(item);
    }
    Ok(out)
}

fn detections(all: &[Item]) -> Vec<&Value> {
    all.iter()
        .filter_map(|i| match i {
            Item::Element {
                parent,
                name,
                value,
            } if parent == "DETECTION_LIST" && name == "DETECTION" => Some(value),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn detections_stream_one_element_at_a_time_whatever_the_read_size() {
    let whole = read_all(DETECTIONS, DETECTIONS.len()).await.unwrap();
    for size in [1, 7, 4096] {
        assert_eq!(read_all(DETECTIONS, size).await.unwrap(), whole, "{size}");
    }
    assert_eq!(whole[0], Item::Open("HOST_LIST_VM_DETECTION_OUTPUT".into()));
    let d = detections(&whole);
    assert_eq!(d.len(), 3);
    assert_eq!(d[0]["QID"], "38909");
    assert_eq!(d[0]["STATUS"], "Fixed");
    // Attributes and repeated elements.
    assert_eq!(d[0]["QDS"], json!({"@severity": "HIGH", "#text": "78"}));
    assert_eq!(text(d[0], "QDS"), Some("78"));
    assert_eq!(
        d[0]["QDS_FACTORS"]["QDS_FACTOR"],
        json!([{"@name": "CVSS", "#text": "8.1"}, {"@name": "epss", "#text": "0.41"}])
    );
    // Host fields arrive before the host's detections, as containers' children.
    let host_ids: Vec<&Value> = whole
        .iter()
        .filter_map(|i| match i {
            Item::Element {
                parent,
                name,
                value,
            } if parent == "HOST" && name == "ID" => Some(value),
            _ => None,
        })
        .collect();
    assert_eq!(host_ids, [&json!("4100017"), &json!("4100023")]);
    let dns = whole.iter().find_map(|i| match i {
        Item::Element { name, value, .. } if name == "DNS_DATA" => Some(value),
        _ => None,
    });
    assert_eq!(dns.unwrap()["FQDN"], "build-07.lab.example.org");
}

#[tokio::test]
async fn a_truncated_answer_names_the_next_batch() {
    let all = read_all(DETECTIONS, 64).await.unwrap();
    let warning = all
        .iter()
        .find_map(|i| match i {
            Item::Element {
                parent,
                name,
                value,
            } if parent == "RESPONSE" && name == "WARNING" => Some(value),
            _ => None,
        })
        .expect("a WARNING");
    assert_eq!(text(warning, "CODE"), Some("1980"));
    assert_eq!(
        text(warning, "URL"),
        Some("https://qualysapi.qualys.example/api/2.0/fo/asset/host/vm/detection/?action=list&truncation_limit=2&id_min=4100024")
    );
}

#[tokio::test]
async fn a_body_cut_mid_stream_is_an_io_error_not_an_end() {
    let cut = &DETECTIONS[..DETECTIONS.find("<QID>105943").unwrap()];
    match read_all(cut, 100).await {
        Err(XmlError::Io(m)) => assert!(m.contains("DETECTION_LIST"), "{m}"),
        other => panic!("{other:?}"),
    }
    let garbage = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    assert!(matches!(
        read_all(garbage, 10).await,
        Err(XmlError::Syntax(_))
    ));
}

#[tokio::test]
async fn knowledge_base_records_are_read_with_their_lists() {
    let vulns = read_knowledge_base(KB.as_bytes()).await.unwrap();
    assert_eq!(vulns.len(), 2);
    let v = &vulns[0];
    assert_eq!(
        v["TITLE"],
        "OpenSSH Remote Code Execution Vulnerability (regreSSHion)"
    );
    let cves: Vec<&str> = items_of(v);
    assert_eq!(cves, ["CVE-2024-6387", "CVE-2006-5051"]);
    // One CVE is an object, not a one-item array: `items` reads both.
    assert_eq!(super::items(&vulns[1], "CVE_LIST", "CVE").len(), 1);
    assert_eq!(text(&v["CVSS"], "BASE"), Some("9.3"));
    assert_eq!(v["CVSS"]["BASE"]["@source"], "service");
    assert!(text(v, "DIAGNOSIS")
        .unwrap()
        .contains("&lt;b&gt;unauthenticated"));
    // An error envelope instead of the list is an error, never an empty list.
    let expired = include_str!("../../../tests/fixtures/qualys/simple_return_200_expired.xml");
    match read_knowledge_base(expired.as_bytes()).await {
        Err(KbError::Vendor(e)) => assert_eq!(e.code, Some(2001)),
        other => panic!("{other:?}"),
    }
}

fn items_of(v: &Value) -> Vec<&str> {
    super::items(v, "CVE_LIST", "CVE")
        .into_iter()
        .filter_map(|c| text(c, "ID"))
        .collect()
}

#[tokio::test]
async fn simple_returns_are_read_and_classified() {
    let rate = parse(include_bytes!(
        "../../../tests/fixtures/qualys/simple_return_409_rate.xml"
    ))
    .await
    .unwrap();
    assert_eq!(rate.code, Some(1965));
    assert_eq!(rate.seconds_to_wait, Some(7803));
    assert!(simple_return::is_throttle(rate.code));
    let busy = parse(include_bytes!(
        "../../../tests/fixtures/qualys/simple_return_409_concurrency.xml"
    ))
    .await
    .unwrap();
    assert_eq!(busy.code, Some(1960));
    assert_eq!(busy.wait(), None);
    assert!(busy.text.starts_with("This API cannot be run again until"));
    let expired = parse(include_bytes!(
        "../../../tests/fixtures/qualys/simple_return_200_expired.xml"
    ))
    .await
    .unwrap();
    assert_eq!(
        expired.message(),
        "Qualys error 2001: This account has expired."
    );
    assert!(parse(b"<html><body>Unauthorized</body></html>")
        .await
        .is_none());
    assert!(parse(DETECTIONS.as_bytes()).await.is_none());

    use crate::error::FailureKind as K;
    for (code, status, want) in [
        (Some(1965), 409, K::RateLimited),
        (Some(1960), 409, K::RateLimited),
        (Some(2001), 200, K::Unauthorized),
        (Some(2003), 200, K::Unauthorized),
        (Some(2011), 409, K::Unauthorized),
        (Some(1905), 400, K::ClientError),
        (Some(999), 200, K::ServerError),
        (None, 401, K::Unauthorized),
        (None, 403, K::Forbidden),
        (None, 503, K::ServerError),
        (Some(4242), 200, K::ClientError),
    ] {
        assert_eq!(simple_return::kind(code, status), want, "{code:?} {status}");
    }
    // An error inside a 200 is never healthy.
    let e = crate::vendors::qualys::api::envelope_error("/x", 200, &expired);
    assert_eq!(e.health(), tributary_model::HealthName::Unauthorized);
    assert!(e.message.contains("inside a 200"), "{e}");
}

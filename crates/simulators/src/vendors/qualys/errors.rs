//! Qualys' error answers: the `SIMPLE_RETURN` envelope (`CODE`, `TEXT`, `ITEM_LIST`),
//! 409 with code 1965 (rate limit) or 1960 (concurrency limit) and their headers, and the
//! gateway's HTML page for 5xx.

use axum::{
    body::Body,
    http::{header, HeaderValue, StatusCode},
    response::Response,
};

use super::render::{escape, xml_time};

pub const XML: &str = "text/xml;charset=UTF-8";

/// A `SIMPLE_RETURN` with `status` (`code` None: Qualys sends none for that failure).
pub fn simple_return(
    status: u16,
    now_ns: i64,
    code: Option<u32>,
    text: &str,
    items: &[(&str, String)],
) -> Response {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE SIMPLE_RETURN SYSTEM \"/api/2.0/simple_return.dtd\">\n<SIMPLE_RETURN>\n  <RESPONSE>\n",
    );
    xml.push_str(&format!("    <DATETIME>{}</DATETIME>\n", xml_time(now_ns)));
    if let Some(c) = code {
        xml.push_str(&format!("    <CODE>{c}</CODE>\n"));
    }
    xml.push_str(&format!("    <TEXT>{}</TEXT>\n", escape(text)));
    if !items.is_empty() {
        xml.push_str("    <ITEM_LIST>\n");
        for (k, v) in items {
            xml.push_str(&format!(
                "      <ITEM>\n        <KEY>{k}</KEY>\n        <VALUE>{}</VALUE>\n      </ITEM>\n",
                escape(v)
            ));
        }
        xml.push_str("    </ITEM_LIST>\n");
    }
    xml.push_str("  </RESPONSE>\n</SIMPLE_RETURN>\n");
    with_type(status, XML, xml)
}

fn with_type(status: u16, content_type: &'static str, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// 409, code 1965: the API's calls for the window are spent; `wait` seconds to go, in the
/// body and in `X-RateLimit-ToWait-Sec`.
pub fn rate_limited(now_ns: i64, wait: u64) -> Response {
    let mut resp = simple_return(
        409,
        now_ns,
        Some(1965),
        &format!("This API cannot be run again for another {wait} seconds."),
        &[("SECONDS_TO_WAIT", wait.to_string())],
    );
    let h = resp.headers_mut();
    h.insert("X-RateLimit-ToWait-Sec", HeaderValue::from(wait));
    h.insert("X-RateLimit-Remaining", HeaderValue::from(0));
    resp
}

/// 409, code 1960: as many calls of this API are running as the subscription allows.
pub fn concurrency_limited(now_ns: i64, running: u32) -> Response {
    simple_return(
        409,
        now_ns,
        Some(1960),
        &format!("This API cannot be run again until {running} currently running API instance has finished."),
        &[("CALLS_TO_FINISH", running.to_string())],
    )
}

/// An error for an injected status, in the shape Qualys answers it.
pub fn error(status: u16, now_ns: i64, retry_after_secs: u64) -> Response {
    match status {
        // Qualys never answers 429: its throttling is a 409 with code 1965.
        429 => rate_limited(now_ns, retry_after_secs.max(1)),
        409 => concurrency_limited(now_ns, 2),
        400 => simple_return(
            400,
            now_ns,
            Some(1905),
            "parameter truncation_limit has invalid value",
            &[],
        ),
        401 => simple_return(401, now_ns, Some(2000), "Bad Login/Password", &[]),
        403 => simple_return(
            403,
            now_ns,
            None,
            "You do not have permission to access this API.",
            &[],
        ),
        404 => simple_return(404, now_ns, None, "Not found", &[]),
        s if s >= 500 => {
            let reason = StatusCode::from_u16(s)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("Error");
            with_type(
                s,
                "text/html",
                format!("<html><head><title>{s} {reason}</title></head><body><h1>{reason}</h1></body></html>\n"),
            )
        }
        s => simple_return(s, now_ns, None, "Request failed", &[]),
    }
}

/// The account-state error Qualys answers with **200** (code 2001).
pub fn account_expired_in_200(now_ns: i64) -> Response {
    simple_return(200, now_ns, Some(2001), "This account has expired.", &[])
}

/// A 400 for a parameter Qualys refuses.
pub fn bad_parameter(now_ns: i64, code: u32, text: &str) -> Response {
    simple_return(400, now_ns, Some(code), text, &[])
}

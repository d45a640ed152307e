//! Qualys' error envelope, `SIMPLE_RETURN/RESPONSE/{DATETIME, CODE, TEXT, ITEM_LIST}`, and
//! what each code means for connection health. Qualys sends it with 400, 401, 409 and,
//! for some account states, with 200: a `SIMPLE_RETURN` is an error whatever the status.

use std::time::Duration;

use serde_json::Value;

use super::xml::{self, Item, XmlError, XmlStream};
use crate::error::FailureKind;

/// Containers of the envelope.
pub const CONTAINERS: &[&str] = &["SIMPLE_RETURN", "RESPONSE"];

/// A `SIMPLE_RETURN` as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleReturn {
    pub code: Option<u32>,
    pub text: String,
    /// `ITEM_LIST` `SECONDS_TO_WAIT` (rate limit, 1965).
    pub seconds_to_wait: Option<u64>,
}

impl SimpleReturn {
    /// Reads the envelope's `RESPONSE` children as the stream yields them.
    pub fn take(&mut self, name: &str, value: &Value) {
        match name {
            "CODE" => self.code = value.as_str().and_then(|c| c.trim().parse().ok()),
            "TEXT" => self.text = value.as_str().unwrap_or_default().trim().to_owned(),
            "ITEM_LIST" => {
                let items = match value.get("ITEM") {
                    Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
                    Some(one) => vec![one],
                    None => vec![],
                };
                for item in items {
                    if xml::text(item, "KEY") == Some("SECONDS_TO_WAIT") {
                        self.seconds_to_wait =
                            xml::text(item, "VALUE").and_then(|v| v.trim().parse().ok());
                    }
                }
            }
            _ => {}
        }
    }

    /// The customer-safe message: the code and Qualys' text.
    pub fn message(&self) -> String {
        match self.code {
            Some(c) => format!("Qualys error {c}: {}", self.text),
            None => format!("Qualys error: {}", self.text),
        }
    }

    /// How long Qualys asks to wait, from the envelope.
    pub fn wait(&self) -> Option<Duration> {
        self.seconds_to_wait.map(Duration::from_secs)
    }
}

/// Reads a whole (small) error body; None when it is not a `SIMPLE_RETURN` (Qualys'
/// gateway answers some failures with an HTML page).
pub async fn parse(body: &[u8]) -> Option<SimpleReturn> {
    let mut stream = XmlStream::new(body, CONTAINERS);
    match stream.next().await {
        Ok(Some(Item::Open(root))) if root == "SIMPLE_RETURN" => {}
        _ => return None,
    }
    let mut out = SimpleReturn::default();
    loop {
        match stream.next().await {
            Ok(Some(Item::Element { name, value, .. })) => out.take(&name, &value),
            Ok(Some(Item::Open(_))) => {}
            Ok(None) | Err(XmlError::Io(_)) | Err(XmlError::Syntax(_)) => return Some(out),
        }
    }
}

/// Whether the code is Qualys' throttling: 1965 rate limit exceeded, 1960 concurrency
/// limit exceeded, 1920 (another operation of the subscription is running).
pub fn is_throttle(code: Option<u32>) -> bool {
    matches!(code, Some(1920 | 1960 | 1965))
}

/// What a code means for health (`status` decides when the code is unknown).
pub fn kind(code: Option<u32>, status: u16) -> FailureKind {
    match code {
        Some(1920 | 1960 | 1965) => FailureKind::RateLimited,
        // 2000 bad login or password; 2001 account expired; 2002 account inactive;
        // 2003 registration not completed; 2011 SecureID required: the customer's account.
        Some(2000..=2003 | 2011) => FailureKind::Unauthorized,
        // 1901–1908 unrecognized, missing, mutually exclusive or invalid parameters, an
        // unsupported combination or method: the request Tributary built.
        Some(1900..=1999) => FailureKind::ClientError,
        // 999 "Internal error": Qualys' side.
        Some(999) => FailureKind::ServerError,
        _ => match status {
            401 => FailureKind::Unauthorized,
            403 => FailureKind::Forbidden,
            409 | 429 => FailureKind::RateLimited,
            s if s >= 500 => FailureKind::ServerError,
            _ => FailureKind::ClientError,
        },
    }
}

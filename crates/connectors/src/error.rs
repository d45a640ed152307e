//! What can go wrong talking to a vendor, classified the way connection health needs it
//! (DESIGN.md §4). Messages are safe to show a customer: they never hold a secret, a
//! token or a raw response body.

use std::fmt;

use tributary_model::HealthName;

/// The kind of failure, which decides the health name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 401, or the token endpoint refused the credentials (after one token refresh).
    Unauthorized,
    /// 403: valid credentials without permission for this endpoint.
    Forbidden,
    /// 429 still answered after the retry budget.
    RateLimited,
    /// Another 4xx.
    ClientError,
    /// The URL guard refused the destination (a base URL that resolves to a loopback,
    /// private or special-purpose address): the customer's configuration, not the vendor.
    Destination,
    /// 5xx after retries.
    ServerError,
    /// Connection refused or reset, DNS or TLS failure, read timeout, after retries.
    Network,
    /// The vendor answered something our code cannot read.
    Malformed,
    /// Our own failure (a bug, storage): never the vendor's or the customer's.
    Internal,
}

impl FailureKind {
    pub fn health(self) -> HealthName {
        match self {
            // A refused destination is fixed the way refused credentials are: the customer
            // supplies a new credentials object (its base URL) with a PATCH.
            FailureKind::Unauthorized | FailureKind::Forbidden | FailureKind::Destination => {
                HealthName::Unauthorized
            }
            FailureKind::RateLimited => HealthName::RateLimitExceeded,
            FailureKind::ClientError => HealthName::VendorClientError,
            FailureKind::ServerError | FailureKind::Network => HealthName::VendorServerError,
            FailureKind::Malformed | FailureKind::Internal => HealthName::InternalError,
        }
    }
}

/// A failed vendor interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorError {
    pub kind: FailureKind,
    /// The vendor endpoint (path template) that failed, e.g. `/web/api/v2.1/threats`.
    pub endpoint: String,
    pub http_status: Option<u16>,
    pub message: String,
}

impl VendorError {
    pub fn new(
        kind: FailureKind,
        endpoint: &str,
        http_status: Option<u16>,
        message: impl Into<String>,
    ) -> Self {
        let mut message = message.into();
        if message.len() > 500 {
            let mut cut = 500;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        VendorError {
            kind,
            endpoint: endpoint.to_owned(),
            http_status,
            message,
        }
    }

    pub fn malformed(endpoint: &str, what: impl fmt::Display) -> Self {
        VendorError::new(
            FailureKind::Malformed,
            endpoint,
            None,
            format!("unreadable response: {what}"),
        )
    }

    pub fn health(&self) -> HealthName {
        self.kind.health()
    }
}

impl fmt::Display for VendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.http_status {
            Some(s) => write!(f, "{} answered {s}: {}", self.endpoint, self.message),
            None => write!(f, "{}: {}", self.endpoint, self.message),
        }
    }
}

impl std::error::Error for VendorError {}

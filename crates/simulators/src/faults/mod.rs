//! Fault injection: the `[CREDENTIAL/]ENDPOINT:FAULT[xN]` grammar and the table of active
//! faults consulted on every request.
//!
//! ```text
//! SPEC     := [CREDENTIAL "/"] ENDPOINT ":" FAULT
//!           | "outage"                  shorthand for `all:outage`
//! ENDPOINT := a vendor endpoint name (see SimVendor::endpoints) | "all"
//! FAULT    := ACTION ["x" N]            (N: apply to the next N matching requests only)
//! ACTION   := STATUS                    400–599, e.g. 400 401 403 404 429 500 502 503
//!           | "slow=" MS                delay the response by MS milliseconds
//!           | "hang"                    never answer (until the simulator stops)
//!           | "outage"                  a fleet-wide outage: every request of every
//!                                       credential (ENDPOINT must be "all", no
//!                                       CREDENTIAL) gets the vendor's own 503
//!           | "reset"                   abort the connection mid-body
//!           | "truncated"               a complete HTTP response whose JSON is cut off
//!           | "malformed"               records of the wrong shape (a string; one lacking its id)
//!           | "duplicate"               the page repeats its first record at the end
//!           | "unknown_enum"            enum fields carry values the vendor might add later
//!           | "quota=" N "/" WINDOW     N requests per WINDOW (e.g. 100/60s, 5/500ms), then 429
//!           | "error200" ["=" STATUS]   a 200 whose body is the vendor's error envelope for
//!                                       STATUS (default 500): an error inside a success
//!           | "empty"                   valid pages with no records (paging ends at once)
//!           | "shrink=" P               each page loses P% of its records (0–100), evenly
//!           | "token_expires_in=" DAYS  the vendor reports the credential's expiry DAYS
//!                                       from now (where it reports one: SentinelOne's
//!                                       API token, Entra's client secret in use)
//!           | "revoke" | "revoke_after=" N | "revoke_in=" MS     (ENDPOINT must be "all")
//!           | "expire" | "expire_after=" N | "expire_in=" MS
//!           | NAME                      a vendor's own snake_case fault (VendorSpec::faults),
//!                                       e.g. `export_error`, `after_expired`
//! ```

use std::{
    fmt,
    str::FromStr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use serde::{Serialize, Serializer};

/// `Retry-After` (seconds) sent with an injected `429`.
pub const RETRY_AFTER_SECS: u64 = 1;

/// When a credential change happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Now,
    /// After this many more requests made with the credential.
    AfterRequests(u32),
    /// After this many milliseconds.
    InMs(u64),
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An error response with this status, in the vendor's error shape.
    Status(u16),
    /// At most `limit` requests per `window_ms`; further requests get 429 until the window ends.
    Quota {
        limit: u32,
        window_ms: u64,
    },
    Slow {
        ms: u64,
    },
    Hang,
    /// The vendor is down for everyone: its 503 (with its error body) on every request
    /// of every credential.
    Outage,
    Reset,
    Truncated,
    Malformed,
    Duplicate,
    UnknownEnum,
    /// A 200 carrying the vendor's error envelope for this status.
    Error200(u16),
    /// Pages keep their shape but carry no records.
    Empty,
    /// Each page loses this share (percent) of its records.
    Shrink(u8),
    /// Where the vendor reports a credential's expiry, it says this many days from now.
    TokenExpiresIn(u32),
    /// The credential stops working (for OAuth vendors the token endpoint refuses it too).
    Revoke(When),
    /// Tokens issued so far stop working; OAuth clients can fetch a new one.
    Expire(When),
    /// A protocol failure of the vendor's own (an export that ends in `ERROR`, an expired
    /// paging token): the vendor's handler takes it when the request is one it fits.
    Named(FaultName),
}

/// One fault rule: which requests it applies to and what happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// A credential label, or None for every request.
    pub credential: Option<String>,
    /// An endpoint name, or None for all endpoints.
    pub endpoint: Option<String>,
    pub fault: Fault,
    /// Apply to the next N matching requests only (None: until cleared).
    pub times: Option<u32>,
}

/// A fault string that does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault {spec:?}: {reason} (expected [CREDENTIAL/]ENDPOINT:FAULT, e.g. threats:403, alerts:429x3, all:slow=200)")]
pub struct FaultParseError {
    pub spec: String,
    pub reason: String,
}

impl FaultSpec {
    /// A rule for every credential.
    pub fn new(endpoint: Option<&str>, fault: Fault) -> FaultSpec {
        FaultSpec {
            credential: None,
            endpoint: endpoint.map(str::to_owned),
            fault,
            times: None,
        }
    }

    /// Whether this changes a credential rather than responses.
    pub fn is_credential_change(&self) -> bool {
        matches!(self.fault, Fault::Revoke(_) | Fault::Expire(_))
    }
}

impl FromStr for FaultSpec {
    type Err = FaultParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| FaultParseError {
            spec: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s.trim() == "outage" {
            return Ok(FaultSpec::new(None, Fault::Outage));
        }
        let (target, action) = s.trim().split_once(':').ok_or_else(|| err("missing ':'"))?;
        let (credential, endpoint) = match target.split_once('/') {
            Some((c, e)) => (Some(c.trim()), e.trim()),
            None => (None, target.trim()),
        };
        if credential.is_some_and(str::is_empty) || endpoint.is_empty() {
            return Err(err("empty credential or endpoint"));
        }
        let (fault, times) = parse_fault(action.trim()).map_err(|r| err(&r))?;
        let spec = FaultSpec {
            credential: credential.map(str::to_owned),
            endpoint: (endpoint != "all").then(|| endpoint.to_owned()),
            fault,
            times,
        };
        if spec.fault == Fault::Outage && (spec.credential.is_some() || spec.endpoint.is_some()) {
            return Err(err(
                "an outage is fleet-wide (every credential, every endpoint): write outage or all:outage",
            ));
        }
        if spec.is_credential_change() && spec.endpoint.is_some() {
            return Err(err(
                "revoke and expire apply to a whole credential: use all:",
            ));
        }
        Ok(spec)
    }
}

fn parse_fault(s: &str) -> Result<(Fault, Option<u32>), String> {
    let (base, times) = match s.rsplit_once('x') {
        Some((b, n)) if !b.is_empty() && !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
            let n: u32 = n.parse().map_err(|_| "bad count".to_owned())?;
            if n == 0 {
                return Err("a count must be at least 1".into());
            }
            (b, Some(n))
        }
        _ => (s, None),
    };
    let fault = parse_action(base)?;
    if times.is_some()
        && matches!(
            fault,
            Fault::Quota { .. } | Fault::Revoke(_) | Fault::Expire(_)
        )
    {
        return Err("quota, revoke and expire take no xN count".into());
    }
    Ok((fault, times))
}

fn parse_action(s: &str) -> Result<Fault, String> {
    let num = |v: &str| {
        v.parse::<u64>()
            .map_err(|_| format!("{v:?} is not a number"))
    };
    if let Ok(code) = s.parse::<u16>() {
        return if (400..=599).contains(&code) {
            Ok(Fault::Status(code))
        } else {
            Err("a status must be 400–599".into())
        };
    }
    if let Some((name, value)) = s.split_once('=') {
        return match name {
            "slow" => Ok(Fault::Slow { ms: num(value)? }),
            "quota" => parse_quota(value),
            "revoke_after" => Ok(Fault::Revoke(When::AfterRequests(num(value)? as u32))),
            "revoke_in" => Ok(Fault::Revoke(When::InMs(num(value)?))),
            "expire_after" => Ok(Fault::Expire(When::AfterRequests(num(value)? as u32))),
            "expire_in" => Ok(Fault::Expire(When::InMs(num(value)?))),
            "error200" => match num(value)? {
                c @ 400..=599 => Ok(Fault::Error200(c as u16)),
                _ => Err("error200's status must be 400–599".into()),
            },
            "shrink" => match num(value)? {
                p @ 0..=100 => Ok(Fault::Shrink(p as u8)),
                _ => Err("shrink is a percentage, 0–100".into()),
            },
            "token_expires_in" => Ok(Fault::TokenExpiresIn(
                u32::try_from(num(value)?).map_err(|_| "too many days".to_owned())?,
            )),
            _ => Err(format!("unknown fault {name:?}")),
        };
    }
    Ok(match s {
        "hang" => Fault::Hang,
        "outage" => Fault::Outage,
        "reset" => Fault::Reset,
        "truncated" => Fault::Truncated,
        "malformed" => Fault::Malformed,
        "duplicate" => Fault::Duplicate,
        "unknown_enum" => Fault::UnknownEnum,
        "error200" => Fault::Error200(500),
        "empty" => Fault::Empty,
        "revoke" => Fault::Revoke(When::Now),
        "expire" => Fault::Expire(When::Now),
        // Any other word names a vendor's own fault; the control API checks the vendor has it.
        _ => Fault::Named(FaultName::new(s).ok_or_else(|| format!("unknown fault {s:?}"))?),
    })
}

fn parse_quota(v: &str) -> Result<Fault, String> {
    let (n, window) = v.split_once('/').ok_or("quota is N/WINDOW, e.g. 100/60s")?;
    let limit: u32 = n.parse().map_err(|_| "bad quota count")?;
    let (digits, unit) = window.split_at(
        window
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(window.len()),
    );
    let amount: u64 = digits.parse().map_err(|_| "bad quota window")?;
    let window_ms = match unit {
        "ms" => amount,
        "s" | "" => amount * 1000,
        "m" => amount * 60_000,
        "h" => amount * 3_600_000,
        _ => return Err("a quota window ends in ms, s, m or h".into()),
    };
    if window_ms == 0 {
        return Err("a quota window must be positive".into());
    }
    Ok(Fault::Quota { limit, window_ms })
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Now => Ok(()),
            When::AfterRequests(n) => write!(f, "_after={n}"),
            When::InMs(ms) => write!(f, "_in={ms}"),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Status(c) => write!(f, "{c}"),
            Fault::Quota { limit, window_ms } => write!(f, "quota={limit}/{window_ms}ms"),
            Fault::Slow { ms } => write!(f, "slow={ms}"),
            Fault::Hang => f.write_str("hang"),
            Fault::Outage => f.write_str("outage"),
            Fault::Reset => f.write_str("reset"),
            Fault::Truncated => f.write_str("truncated"),
            Fault::Malformed => f.write_str("malformed"),
            Fault::Duplicate => f.write_str("duplicate"),
            Fault::UnknownEnum => f.write_str("unknown_enum"),
            Fault::Error200(c) => write!(f, "error200={c}"),
            Fault::Empty => f.write_str("empty"),
            Fault::Shrink(p) => write!(f, "shrink={p}"),
            Fault::TokenExpiresIn(d) => write!(f, "token_expires_in={d}"),
            Fault::Revoke(w) => write!(f, "revoke{w}"),
            Fault::Expire(w) => write!(f, "expire{w}"),
            Fault::Named(n) => f.write_str(n.as_str()),
        }
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.credential {
            write!(f, "{c}/")?;
        }
        write!(
            f,
            "{}:{}",
            self.endpoint.as_deref().unwrap_or("all"),
            self.fault
        )?;
        if let Some(n) = self.times {
            write!(f, "x{n}")?;
        }
        Ok(())
    }
}

impl Serialize for FaultSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Changes to a response body (applied after the handler).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BodyFaults {
    pub reset: bool,
    pub truncated: bool,
    pub malformed: bool,
    pub duplicate: bool,
    pub unknown_enum: bool,
    pub empty: bool,
    /// Percent of each page's records to drop.
    pub shrink: Option<u8>,
}

impl BodyFaults {
    pub fn any(&self) -> bool {
        self.reset || self.truncated || self.rewrites_records()
    }

    /// Whether the records of a successful page are rewritten.
    pub fn rewrites_records(&self) -> bool {
        self.malformed || self.duplicate || self.unknown_enum || self.empty || self.shrink.is_some()
    }
}

/// What replaces the normal response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Status {
        code: u16,
        retry_after_secs: u64,
    },
    /// The vendor's error envelope for `code`, sent with status 200.
    Error200 {
        code: u16,
    },
    Hang,
}

/// A quota's state, for rate-limit headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaInfo {
    pub limit: u32,
    pub remaining: u32,
    /// Time until the window resets.
    pub reset_in: Duration,
}

/// The faults that apply to one request.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    pub delay: Duration,
    pub action: Option<Action>,
    pub body: BodyFaults,
    pub quota: Option<QuotaInfo>,
    /// The rules that took effect (for the request log).
    pub applied: Vec<String>,
}

struct Rule {
    id: u64,
    spec: FaultSpec,
    remaining: Option<u32>,
    window: Option<(Instant, u32)>,
}

/// An active fault rule as listed by the control API.
#[derive(Debug, Clone, Serialize)]
pub struct FaultInfo {
    pub id: u64,
    pub spec: FaultSpec,
    /// Requests left for an `xN` rule.
    pub remaining: Option<u32>,
}

/// The active fault rules, in the order they were added.
#[derive(Default)]
pub struct FaultTable {
    rules: Mutex<Vec<Rule>>,
    next_id: AtomicU64,
}

impl FaultTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a response rule (not a credential change); returns its id.
    pub fn add(&self, spec: FaultSpec) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock().push(Rule {
            id,
            remaining: spec.times,
            spec,
            window: None,
        });
        id
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|r| r.id != id);
        rules.len() != before
    }

    /// Removes the rules for `credential` (None: any) and `endpoint` (None: any).
    pub fn clear(&self, credential: Option<&str>, endpoint: Option<&str>) -> usize {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|r| {
            let c = credential.is_none_or(|c| r.spec.credential.as_deref() == Some(c));
            let e = endpoint.is_none_or(|e| r.spec.endpoint.as_deref().unwrap_or("all") == e);
            !(c && e)
        });
        before - rules.len()
    }

    pub fn list(&self) -> Vec<FaultInfo> {
        self.lock()
            .iter()
            .map(|r| FaultInfo {
                id: r.id,
                spec: r.spec.clone(),
                remaining: r.remaining,
            })
            .collect()
    }

    /// The faults for a request to `endpoint` made with `credential` (if identified).
    pub fn decide(&self, credential: Option<&str>, endpoint: &str, now: Instant) -> Decision {
        let mut rules = self.lock();
        let mut d = Decision::default();
        for rule in rules.iter_mut() {
            let s = &rule.spec;
            let cred_ok = s
                .credential
                .as_deref()
                .is_none_or(|c| credential == Some(c));
            if !cred_ok || s.endpoint.as_deref().is_some_and(|e| e != endpoint) {
                continue;
            }
            if apply(rule, &mut d, now) {
                d.applied.push(rule.spec.to_string());
                if let Some(n) = rule.remaining.as_mut() {
                    *n = n.saturating_sub(1);
                }
            }
        }
        rules.retain(|r| r.remaining != Some(0));
        d
    }

    /// The expiry, in days from now, a `token_expires_in` rule gives `credential`'s token
    /// (the latest rule that applies), for vendors that report one.
    pub fn token_expires_in(&self, credential: Option<&str>) -> Option<u32> {
        self.lock().iter().rev().find_map(|r| match r.spec.fault {
            Fault::TokenExpiresIn(days)
                if r.spec
                    .credential
                    .as_deref()
                    .is_none_or(|c| credential == Some(c)) =>
            {
                Some(days)
            }
            _ => None,
        })
    }

    /// Takes one use of the vendor fault `name` for a request to `endpoint` by
    /// `credential`, if a rule has it: vendors ask where the fault fits (an export being
    /// created, a page with a paging token), so other requests leave the count alone.
    pub fn take_named(&self, credential: Option<&str>, endpoint: &str, name: &str) -> bool {
        let mut rules = self.lock();
        let hit = rules.iter_mut().find(|r| {
            let s = &r.spec;
            matches!(s.fault, Fault::Named(n) if n.as_str() == name)
                && s.credential
                    .as_deref()
                    .is_none_or(|c| credential == Some(c))
                && s.endpoint.as_deref().is_none_or(|e| e == endpoint)
        });
        let Some(rule) = hit else {
            return false;
        };
        if let Some(n) = rule.remaining.as_mut() {
            *n = n.saturating_sub(1);
        }
        rules.retain(|r| r.remaining != Some(0));
        true
    }
}

/// Applies one matching rule; true if it took effect.
fn apply(rule: &mut Rule, d: &mut Decision, now: Instant) -> bool {
    match rule.spec.fault {
        Fault::Slow { ms } => d.delay += Duration::from_millis(ms),
        Fault::Status(code) if d.action.is_none() => {
            d.action = Some(Action::Status {
                code,
                retry_after_secs: RETRY_AFTER_SECS,
            })
        }
        Fault::Outage if d.action.is_none() => {
            d.action = Some(Action::Status {
                code: 503,
                retry_after_secs: RETRY_AFTER_SECS,
            })
        }
        Fault::Hang if d.action.is_none() => d.action = Some(Action::Hang),
        Fault::Error200(code) if d.action.is_none() => d.action = Some(Action::Error200 { code }),
        Fault::Quota { limit, window_ms } if d.action.is_none() => {
            let window = Duration::from_millis(window_ms);
            let (start, used) = match rule.window {
                Some((start, used)) if now.duration_since(start) < window => (start, used),
                _ => (now, 0),
            };
            let reset_in = window.saturating_sub(now.duration_since(start));
            if used < limit {
                rule.window = Some((start, used + 1));
                d.quota = Some(QuotaInfo {
                    limit,
                    remaining: limit - used - 1,
                    reset_in,
                });
                return false;
            }
            rule.window = Some((start, used));
            d.quota = Some(QuotaInfo {
                limit,
                remaining: 0,
                reset_in,
            });
            d.action = Some(Action::Status {
                code: 429,
                retry_after_secs: reset_in.as_millis().div_ceil(1000).max(1) as u64,
            });
        }
        Fault::Reset => d.body.reset = true,
        Fault::Truncated => d.body.truncated = true,
        Fault::Malformed => d.body.malformed = true,
        Fault::Duplicate => d.body.duplicate = true,
        Fault::UnknownEnum => d.body.unknown_enum = true,
        Fault::Empty => d.body.empty = true,
        Fault::Shrink(p) => d.body.shrink = Some(p),
        _ => return false,
    }
    true
}

mod name;

pub use name::FaultName;

#[cfg(test)]
mod tests;

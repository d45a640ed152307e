//! The four exports' readers. Okta keeps no tombstones: a deleted user, group, app or
//! policy simply leaves every list. So:
//!
//! - **users** and **groups** pull what changed since the watermark (`search` /
//!   `filter` on `lastUpdated`, groups also on `lastMembershipUpdated`), and every
//!   `reconcile_every` hours list everything instead: a complete listing, after which
//!   the engine marks what was not listed deleted. A complete listing of users uses
//!   `search` (the plain list leaves out `DEPROVISIONED` users, who still exist);
//! - **applications** and **policies** have no time filter and are listed whole every
//!   run (complete listings).
//!
//! The users and groups watermark is a token holding both times:
//! `okta;since=<the latest lastUpdated read>;full=<when the last complete listing began>`.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use tributary_model::DataExportType;

use super::{
    api::{Api, Page},
    endpoints::*,
};
use crate::{
    connector::{ExportReader, RawPage},
    error::VendorError,
    normalize::parse_time,
    watermark::{self, Watermark},
};

/// Where a users or groups run starts, from its stored watermark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// None: list everything (a complete listing).
    pub since: Option<DateTime<Utc>>,
    /// When the last complete listing began (carried on until the next one).
    pub last_full: Option<DateTime<Utc>>,
}

/// The stored form of the users and groups watermark.
pub fn token(since: Option<DateTime<Utc>>, full: Option<DateTime<Utc>>) -> Watermark {
    let t = |x: Option<DateTime<Utc>>| {
        x.map_or("-".to_owned(), |t| {
            t.to_rfc3339_opts(SecondsFormat::Millis, true)
        })
    };
    Watermark::Token(format!("okta;since={};full={}", t(since), t(full)))
}

/// A stored token: `since` and when the last complete listing began (`last_full`).
fn parse_token(s: &str) -> Option<Start> {
    let rest = s.strip_prefix("okta;since=")?;
    let (since, full) = rest.split_once(";full=")?;
    let t = |x: &str| {
        if x == "-" {
            Some(None)
        } else {
            parse_time(x).map(Some)
        }
    };
    Some(Start {
        since: t(since)?,
        last_full: t(full)?,
    })
}

/// Whether this run lists everything, and from when it pulls otherwise.
pub fn start(
    since: Option<Watermark>,
    now: DateTime<Utc>,
    reconcile_every: chrono::Duration,
) -> Start {
    let full = Start {
        since: None,
        last_full: None,
    };
    match since {
        None => full,
        // The connection's initial-load time: pull from it, and count the reconciliation
        // period from now (a complete listing would ignore that time).
        Some(Watermark::Time(t)) if reconcile_every > chrono::Duration::zero() => Start {
            since: Some(t),
            last_full: Some(now),
        },
        Some(Watermark::Time(_)) => full,
        Some(Watermark::Token(s)) => match parse_token(&s) {
            Some(
                stored @ Start {
                    since: Some(_),
                    last_full: Some(last),
                },
            ) if now - last < reconcile_every => stored,
            _ => full,
        },
    }
}

/// Okta's filter time: quoted, with milliseconds.
fn okta_time(t: DateTime<Utc>) -> String {
    format!("\"{}\"", t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Users,
    Groups,
    Apps,
    Policies,
}

pub fn reader(
    api: Arc<Api>,
    export: DataExportType,
    since: Option<Watermark>,
    reconcile_every: chrono::Duration,
) -> Box<dyn ExportReader> {
    let kind = match export {
        DataExportType::Users => Kind::Users,
        DataExportType::Groups => Kind::Groups,
        DataExportType::Applications => Kind::Apps,
        _ => Kind::Policies,
    };
    let now = Utc::now();
    let start = match kind {
        Kind::Users | Kind::Groups => start(since, now, reconcile_every),
        Kind::Apps | Kind::Policies => Start {
            since: None,
            last_full: None,
        },
    };
    Box::new(Reader {
        api,
        kind,
        started: now,
        latest: start.since,
        start,
        next: None,
        policy_type: 0,
        done: false,
    })
}

struct Reader {
    api: Arc<Api>,
    kind: Kind,
    start: Start,
    started: DateTime<Utc>,
    /// The latest change time read so far (the next run's `since`).
    latest: Option<DateTime<Utc>>,
    next: Option<String>,
    /// Policies: the index of the type being listed.
    policy_type: usize,
    done: bool,
}

impl Reader {
    fn endpoint(&self) -> &'static str {
        match self.kind {
            Kind::Users => USERS,
            Kind::Groups => GROUPS,
            Kind::Apps => APPS,
            Kind::Policies => POLICIES,
        }
    }

    fn first_url(&self) -> String {
        let since = self.start.since;
        let query = match self.kind {
            // `search` lists every status, DEPROVISIONED included, oldest change first
            // when bounded on lastUpdated; a complete listing bounds it at the epoch.
            Kind::Users => vec![
                (
                    "search",
                    format!(
                        "lastUpdated ge {}",
                        okta_time(since.unwrap_or(DateTime::UNIX_EPOCH))
                    ),
                ),
                ("limit", USERS_LIMIT.to_string()),
            ],
            Kind::Groups => {
                let mut q = vec![("limit", GROUPS_LIMIT.to_string())];
                if let Some(t) = since {
                    let t = okta_time(t);
                    q.push((
                        "filter",
                        format!("lastUpdated ge {t} or lastMembershipUpdated ge {t}"),
                    ));
                }
                q
            }
            Kind::Apps => vec![("limit", APPS_LIMIT.to_string())],
            Kind::Policies => vec![
                ("type", POLICY_TYPES[self.policy_type].to_owned()),
                ("limit", POLICIES_LIMIT.to_string()),
            ],
        };
        self.api.url(self.endpoint(), &query)
    }

    /// Folds what Okta serves beside a record (a group's members, an app's directly
    /// assigned users and assigned groups, an authentication policy's apps) into it, for
    /// the mapping.
    async fn fold(&self, records: &mut [Value]) -> Result<(), VendorError> {
        for r in records.iter_mut() {
            let Some(id) = r.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue; // the mapping refuses it
            };
            let path = |template: &str| template.replace("{id}", &id);
            let folded = match self.kind {
                Kind::Groups => {
                    let url = self.api.url(
                        &path(GROUP_USERS),
                        &[("limit", GROUP_USERS_LIMIT.to_string())],
                    );
                    let members = self.api.all_ids(GROUP_USERS, url, |_| true).await?;
                    json!({"members": members})
                }
                Kind::Apps => {
                    let url = self
                        .api
                        .url(&path(APP_USERS), &[("limit", APP_USERS_LIMIT.to_string())]);
                    // Users who have the app through a group are the group's members.
                    let direct = self
                        .api
                        .all_ids(APP_USERS, url, |u| u.get("scope") != Some(&json!("GROUP")))
                        .await?;
                    let url = self.api.url(
                        &path(APP_GROUPS),
                        &[("limit", APP_GROUPS_LIMIT.to_string())],
                    );
                    let groups = self.api.all_ids(APP_GROUPS, url, |_| true).await?;
                    json!({"users": direct, "groups": groups})
                }
                Kind::Policies if r.get("type") == Some(&json!(ACCESS_POLICY)) => {
                    let url = self.api.url(
                        &path(POLICY_APPS),
                        &[("limit", POLICY_APPS_LIMIT.to_string())],
                    );
                    let apps = self.api.all_ids(POLICY_APPS, url, |_| true).await?;
                    json!({"applications": apps})
                }
                Kind::Users | Kind::Policies => continue,
            };
            if let Some(o) = r.as_object_mut() {
                o.insert(FOLDED.to_owned(), folded);
            }
        }
        Ok(())
    }

    fn watermark(&self) -> Option<Watermark> {
        match self.kind {
            Kind::Users | Kind::Groups => {
                let full = if self.start.since.is_none() && self.done {
                    Some(self.started)
                } else {
                    self.start.last_full
                };
                Some(token(self.latest, full))
            }
            Kind::Apps | Kind::Policies => None,
        }
    }
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.done {
            return Ok(None);
        }
        let endpoint = self.endpoint();
        let url = self.next.take().unwrap_or_else(|| self.first_url());
        let Page { mut items, next } = self.api.page(endpoint, &url).await?;
        self.fold(&mut items).await?;
        let latest = watermark::latest(&items, "lastUpdated")
            .max(watermark::latest(&items, "lastMembershipUpdated"));
        self.latest = self.latest.max(latest);
        match next {
            Some(link) => self.next = Some(link),
            None if self.kind == Kind::Policies && self.policy_type + 1 < POLICY_TYPES.len() => {
                self.policy_type += 1;
            }
            None => self.done = true,
        }
        // Users come oldest change first, so each page may move the watermark; groups
        // filtered on two times do not, so theirs moves after the last page.
        let watermark = match self.kind {
            Kind::Groups if !self.done => None,
            _ => self.watermark(),
        };
        Ok(Some(RawPage {
            endpoint,
            records: items.into(),
            watermark,
        }))
    }

    fn full_listing(&self) -> bool {
        self.start.since.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn runs_list_everything_first_and_then_every_period() {
        let day = chrono::Duration::hours(24);
        let now = t("2026-03-02T12:00:00Z");
        assert_eq!(start(None, now, day).since, None, "a first run lists all");
        let recent = token(
            Some(t("2026-03-02T11:00:00Z")),
            Some(t("2026-03-02T00:00:00Z")),
        );
        assert_eq!(
            start(Some(recent.clone()), now, day),
            Start {
                since: Some(t("2026-03-02T11:00:00Z")),
                last_full: Some(t("2026-03-02T00:00:00Z"))
            }
        );
        let stale = token(
            Some(t("2026-03-02T11:00:00Z")),
            Some(t("2026-03-01T11:00:00Z")),
        );
        assert_eq!(
            start(Some(stale), now, day).since,
            None,
            "a day later: all again"
        );
        assert_eq!(
            start(Some(recent), now, chrono::Duration::zero()).since,
            None,
            "0 hours: every run"
        );
        let initial = Watermark::Time(t("2026-01-01T00:00:00Z"));
        assert_eq!(
            start(Some(initial), now, day),
            Start {
                since: Some(t("2026-01-01T00:00:00Z")),
                last_full: Some(now)
            }
        );
        let unknown = Watermark::Token("something else".into());
        assert_eq!(start(Some(unknown), now, day).since, None);
        // The stored form round-trips through the one watermark path.
        let w = token(Some(t("2026-03-02T11:00:00.123Z")), None);
        assert_eq!(Watermark::from_stored(&w.to_stored()), w);
    }
}

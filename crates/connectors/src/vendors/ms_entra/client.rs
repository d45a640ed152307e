//! Microsoft Graph for Entra ID: a client-credentials token (`oauth/microsoft.rs`, as for
//! the Defender vendors), `@odata.nextLink` paging, and delta queries for users and groups: the
//! first round lists everything (a complete listing) and ends with an
//! `@odata.deltaLink`, stored as the watermark; later runs follow it and get what changed,
//! deletions as `@removed` entries and group membership changes as `members@delta`.
//! Applications (the tenant's service principals, each with the users and groups assigned
//! to it) and conditional-access policies are listed whole each run. A 403
//! `Authorization_RequestDenied` refuses one resource (the permission its export needs),
//! not the connection.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use tributary_model::{credentials::Credentials, DataExportType};
use url::Url;

use super::endpoints::*;
use crate::{
    connector::{Connector, ExportReader, RawPage},
    error::{FailureKind, VendorError},
    http::{read_body, VendorHttp},
    oauth::microsoft::{host, ClientCredentials},
    watermark::Watermark,
};

pub struct Entra {
    inner: Arc<Inner>,
}

struct Inner {
    graph_base_url: String,
    login: ClientCredentials,
    http: VendorHttp,
}

/// A Graph collection page.
#[derive(Deserialize)]
struct ODataPage {
    #[serde(default)]
    value: Vec<Value>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    delta_link: Option<String>,
}

/// The connector for parsed credentials (the spec's `connect`).
pub fn connect(creds: &Credentials, _options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    Arc::new(Entra {
        inner: Arc::new(Inner {
            graph_base_url: host(creds, "graph_base_url", DEFAULT_GRAPH_BASE_URL),
            login: ClientCredentials::new(creds, SCOPE),
            http,
        }),
    })
}

impl Inner {
    /// GETs `url` (on `endpoint`, a path template) with the bearer token.
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &'static str,
        url: &str,
    ) -> Result<T, VendorError> {
        let resp = self
            .login
            .send(&self.http, endpoint, |token| {
                self.http.client.get(url).bearer_auth(token)
            })
            .await?;
        let body = read_body(endpoint, resp).await?;
        serde_json::from_slice(&body).map_err(|e| VendorError::malformed(endpoint, e))
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url =
            Url::parse(&format!("{}{path}", self.graph_base_url)).expect("validated base URL");
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        url.to_string()
    }

    /// Graph's links are followed only on Graph's own origin: the bearer token must not
    /// be sent anywhere else (a stored delta link from another base URL starts over).
    fn same_origin(&self, link: &str) -> bool {
        match (Url::parse(link), Url::parse(&self.graph_base_url)) {
            (Ok(a), Ok(b)) => a.origin() == b.origin(),
            _ => false,
        }
    }

    /// A group as delta would show it, for a delta entry that carries only membership
    /// changes (Graph sends such a group's id and `members@delta` alone). None when the
    /// group is gone meanwhile (its `@removed` entry comes in a later round).
    async fn complete_group(&self, entry: &mut Value) -> Result<bool, VendorError> {
        let Some(id) = entry.get("id").and_then(Value::as_str) else {
            return Ok(true); // the mapping refuses it
        };
        let select = GROUP_SELECT.trim_end_matches(",members");
        let url = self.url(
            &GROUP.replace("{id}", id),
            &[("$select", select.to_owned())],
        );
        match self.get::<Value>(GROUP, &url).await {
            Ok(Value::Object(group)) => {
                for (k, v) in group {
                    if let Some(o) = entry.as_object_mut() {
                        o.entry(k).or_insert(v);
                    }
                }
                Ok(true)
            }
            Ok(_) => Err(VendorError::malformed(GROUP, "a group is not an object")),
            Err(e) if e.kind == FailureKind::ClientError && e.http_status == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Folds the users and groups assigned to a service principal (its
    /// `appRoleAssignedTo`, every page) into it, for the mapping. False when the service
    /// principal is gone meanwhile: it is left out of the listing, as if listed a moment
    /// later.
    async fn fold_assignments(&self, entry: &mut Value) -> Result<bool, VendorError> {
        let Some(id) = entry.get("id").and_then(Value::as_str) else {
            return Ok(true); // the mapping refuses it
        };
        let mut url = self.url(
            &APP_ROLE_ASSIGNED_TO.replace("{id}", id),
            &[
                ("$select", ASSIGNMENT_SELECT.to_owned()),
                ("$top", TOP.to_string()),
            ],
        );
        let (mut users, mut groups) = (Vec::new(), Vec::new());
        loop {
            let page = match self.get::<ODataPage>(APP_ROLE_ASSIGNED_TO, &url).await {
                Ok(page) => page,
                Err(e) if e.kind == FailureKind::ClientError && e.http_status == Some(404) => {
                    return Ok(false)
                }
                Err(e) => return Err(e),
            };
            for a in &page.value {
                let Some(principal) = a.get("principalId").and_then(Value::as_str) else {
                    continue;
                };
                // Client service principals granted an app role are not people.
                match a.get("principalType").and_then(Value::as_str) {
                    Some("User") => users.push(principal.to_owned()),
                    Some("Group") => groups.push(principal.to_owned()),
                    _ => {}
                }
            }
            match page.next_link {
                Some(next) if self.same_origin(&next) => url = next,
                Some(_) => {
                    return Err(VendorError::malformed(
                        APP_ROLE_ASSIGNED_TO,
                        "the next page's link leaves Graph's origin",
                    ))
                }
                None => break,
            }
        }
        if let Some(o) = entry.as_object_mut() {
            o.insert(FOLDED.to_owned(), json!({"users": users, "groups": groups}));
        }
        Ok(true)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Users,
    Groups,
    Applications,
    Policies,
}

impl Kind {
    fn endpoint(self) -> &'static str {
        match self {
            Kind::Users => USERS_DELTA,
            Kind::Groups => GROUPS_DELTA,
            Kind::Applications => SERVICE_PRINCIPALS,
            Kind::Policies => POLICIES,
        }
    }
}

struct Reader {
    inner: Arc<Inner>,
    kind: Kind,
    /// The stored delta link this run follows (None: a first round, listing everything).
    delta_link: Option<String>,
    next: Option<String>,
    done: bool,
}

impl Reader {
    fn first_url(&self) -> String {
        if let Some(link) = &self.delta_link {
            return link.clone();
        }
        let query = match self.kind {
            Kind::Users => vec![("$select", USER_SELECT.to_owned())],
            Kind::Groups => vec![("$select", GROUP_SELECT.to_owned())],
            Kind::Applications => vec![
                ("$select", SERVICE_PRINCIPAL_SELECT.to_owned()),
                ("$top", TOP.to_string()),
            ],
            Kind::Policies => vec![],
        };
        self.inner.url(self.kind.endpoint(), &query)
    }
}

/// A delta entry of a group whose properties did not change: an id and its
/// `members@delta`, nothing else.
fn membership_only(entry: &Value) -> bool {
    entry.get("@removed").is_none()
        && entry.get("members@delta").is_some()
        && entry.get("displayName").is_none()
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.done {
            return Ok(None);
        }
        let endpoint = self.kind.endpoint();
        let url = self.next.take().unwrap_or_else(|| self.first_url());
        let page = match self.inner.get::<ODataPage>(endpoint, &url).await {
            // A delta link older than Graph keeps (410 resyncRequired) or one it no
            // longer knows: start a new round. Tombstones issued meanwhile are lost, but
            // the new round lists every object that exists and is a complete listing
            // (the engine asks again after this first page), so what it does not list is
            // marked deleted.
            Err(e)
                if self.delta_link.is_some()
                    && e.kind == FailureKind::ClientError
                    && matches!(e.http_status, Some(400 | 410)) =>
            {
                tracing::info!(endpoint, error = %e, "delta link refused: starting a new round");
                self.delta_link = None;
                let url = self.first_url();
                self.inner.get::<ODataPage>(endpoint, &url).await?
            }
            other => other?,
        };
        let mut records = Vec::with_capacity(page.value.len());
        for mut entry in page.value {
            if self.kind == Kind::Groups
                && membership_only(&entry)
                && !self.inner.complete_group(&mut entry).await?
            {
                continue;
            }
            if self.kind == Kind::Applications && !self.inner.fold_assignments(&mut entry).await? {
                continue;
            }
            records.push(entry);
        }
        let mut watermark = None;
        match page.next_link {
            // Refused, never skipped: a round that ended there quietly would pass for
            // complete and its unlisted objects for deleted.
            Some(next) if !self.inner.same_origin(&next) => {
                return Err(VendorError::malformed(
                    endpoint,
                    "the next page's link leaves Graph's origin",
                ))
            }
            Some(next) => self.next = Some(next),
            None => {
                self.done = true;
                watermark = page
                    .delta_link
                    .filter(|l| self.inner.same_origin(l))
                    .map(Watermark::Token);
            }
        }
        Ok(Some(RawPage {
            endpoint,
            records: records.into(),
            watermark,
        }))
    }

    fn full_listing(&self) -> bool {
        self.delta_link.is_none()
    }
}

#[async_trait]
impl Connector for Entra {
    fn reader(&self, export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        let kind = match export {
            DataExportType::Users => Kind::Users,
            DataExportType::Groups => Kind::Groups,
            DataExportType::Applications => Kind::Applications,
            _ => Kind::Policies,
        };
        // Only a delta link of this Graph endpoint resumes; anything else (an initial-load
        // time: Graph's delta has no time filter) starts a first round.
        let delta_link = match (kind, since) {
            (Kind::Users | Kind::Groups, Some(Watermark::Token(link)))
                if self.inner.same_origin(&link) && link.contains(kind.endpoint()) =>
            {
                Some(link)
            }
            _ => None,
        };
        Box::new(Reader {
            inner: self.inner.clone(),
            kind,
            delta_link,
            next: None,
            done: false,
        })
    }

    async fn probe(&self, export: DataExportType) -> Result<(), VendorError> {
        let (endpoint, path) = match export {
            DataExportType::Users => (USERS_DELTA, "/v1.0/users"),
            DataExportType::Groups => (GROUPS_DELTA, "/v1.0/groups"),
            DataExportType::Applications => (SERVICE_PRINCIPALS, SERVICE_PRINCIPALS),
            _ => (POLICIES, POLICIES),
        };
        let query = match export {
            DataExportType::Policies => vec![],
            _ => vec![("$top", "1".to_owned())],
        };
        let url = self.inner.url(path, &query);
        self.inner.get::<Value>(endpoint, &url).await.map(|_| ())
    }

    /// The client secret's expiry, where Graph lets the app read its own registration
    /// (`Application.Read.All`); None when it does not say (see
    /// `ClientCredentials::secret_expiry`).
    async fn credential_expiry(&self) -> Result<Option<DateTime<Utc>>, VendorError> {
        let inner = &self.inner;
        inner
            .login
            .secret_expiry(&inner.http, &inner.graph_base_url, Utc::now())
            .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_entries_without_properties_are_membership_only() {
        assert!(membership_only(
            &json!({"id": "g", "members@delta": [{"id": "u"}]})
        ));
        assert!(!membership_only(
            &json!({"id": "g", "displayName": "G", "members@delta": []})
        ));
        assert!(!membership_only(
            &json!({"id": "g", "@removed": {"reason": "deleted"}})
        ));
        assert!(!membership_only(&json!({"id": "g", "displayName": "G"})));
    }
}

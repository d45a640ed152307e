//! Controlling a running simulator from tests and the admin API (`SimControl`): faults,
//! extra credentials, revocation, data changes, the request log.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{
    collection::Change,
    edr::collections::{AdvanceSpec, ALERTS, DEVICES},
    fake::{fmt_ts, ns_of},
    faults::{FaultInfo, FaultSpec, When},
    requests::RecordedRequest,
    sim::{Sim, PRIMARY},
    vendors::SimVendor,
};

/// A control request that cannot be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("unknown endpoint {endpoint:?}: expected one of {expected:?} or all")]
    UnknownEndpoint {
        endpoint: String,
        expected: &'static [&'static str],
    },
    #[error("unknown credential {0:?}")]
    UnknownCredential(String),
    #[error("a credential labelled {0:?} already exists")]
    DuplicateLabel(String),
    #[error(transparent)]
    Parse(#[from] crate::faults::FaultParseError),
    #[error("{0}")]
    Invalid(String),
}

/// What [`SimControl::advance`] changed, as vendor ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdvanceReport {
    pub new_alert_ids: Vec<String>,
    pub updated_alert_ids: Vec<String>,
    pub new_device_ids: Vec<String>,
    pub updated_device_ids: Vec<String>,
    /// Alerts and devices now (0 for a vendor without them).
    pub alerts: u64,
    pub devices: u64,
    /// What changes asked for by collection name did (the generic form), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub collections: BTreeMap<String, CollectionReport>,
}

/// What an advance did to one collection, as vendor ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionReport {
    /// Records created, oldest first.
    pub new_ids: Vec<String>,
    /// Records moved one version on.
    pub updated_ids: Vec<String>,
    /// Records deleted (their ids no longer answer).
    pub deleted_ids: Vec<String>,
    /// Live records now.
    pub count: u64,
}

/// A cloneable handle on a simulator's state.
#[derive(Clone)]
pub struct SimControl {
    sim: Arc<Sim>,
    vendor: SimVendor,
}

impl SimControl {
    pub(crate) fn new(sim: Arc<Sim>, vendor: SimVendor) -> SimControl {
        SimControl { sim, vendor }
    }

    pub fn vendor(&self) -> SimVendor {
        self.vendor
    }

    fn check(&self, spec: &FaultSpec) -> Result<(), ControlError> {
        let expected = self.sim.api.spec().endpoints;
        if let Some(e) = &spec.endpoint {
            if !expected.contains(&e.as_str()) {
                return Err(ControlError::UnknownEndpoint {
                    endpoint: e.clone(),
                    expected,
                });
            }
        }
        if let crate::faults::Fault::Named(n) = spec.fault {
            let known = self.sim.api.spec().faults;
            if !known.contains(&n.as_str()) {
                return Err(ControlError::Invalid(format!(
                    "{} has no fault {:?}: its own faults are {known:?}",
                    self.vendor,
                    n.as_str()
                )));
            }
        }
        if let Some(c) = &spec.credential {
            if self.sim.creds.secret(c).is_none() {
                return Err(ControlError::UnknownCredential(c.clone()));
            }
        }
        Ok(())
    }

    /// Adds a fault. Response faults return their rule id; `revoke`/`expire` change the
    /// credential (every credential when none is named) and return None.
    pub fn add_fault(&self, spec: FaultSpec) -> Result<Option<u64>, ControlError> {
        self.check(&spec)?;
        let (expire, when) = match spec.fault {
            crate::faults::Fault::Revoke(w) => (false, w),
            crate::faults::Fault::Expire(w) => (true, w),
            _ => return Ok(Some(self.sim.faults.add(spec))),
        };
        let labels = match &spec.credential {
            Some(c) => vec![c.clone()],
            None => self.sim.creds.labels(),
        };
        for label in labels {
            self.sim
                .creds
                .schedule(&label, expire, when, Instant::now());
        }
        Ok(None)
    }

    /// Parses and adds a fault, e.g. `"threats:403"` or `"cred-2/alerts:429x3"`.
    pub fn fault(&self, spec: &str) -> Result<Option<u64>, ControlError> {
        self.add_fault(spec.parse()?)
    }

    /// Removes the faults of `credential` (None: any) on `endpoint` (None: any; `"all"`:
    /// the rules written for all endpoints). Returns how many were removed.
    pub fn clear_faults(&self, credential: Option<&str>, endpoint: Option<&str>) -> usize {
        self.sim.faults.clear(credential, endpoint)
    }

    pub fn remove_fault(&self, id: u64) -> bool {
        self.sim.faults.remove(id)
    }

    pub fn faults(&self) -> Vec<FaultInfo> {
        self.sim.faults.list()
    }

    /// The primary credential's create-connection JSON.
    pub fn credentials(&self) -> Value {
        self.sim.credentials_of(PRIMARY).unwrap_or(Value::Null)
    }

    /// The create-connection JSON of the credential `label`.
    pub fn credential(&self, label: &str) -> Option<Value> {
        self.sim.credentials_of(label)
    }

    /// Adds a credential (deterministic from the seed and `label`) with its own faults,
    /// e.g. `["threats:403"]` for a token that can read agents but not threats.
    pub fn add_credential(&self, label: &str, faults: &[&str]) -> Result<Value, ControlError> {
        let specs = faults
            .iter()
            .map(|f| f.parse::<FaultSpec>())
            .collect::<Result<Vec<_>, _>>()?;
        self.add_credential_with(label, specs)
    }

    fn add_credential_with(
        &self,
        label: &str,
        faults: Vec<FaultSpec>,
    ) -> Result<Value, ControlError> {
        if label.is_empty() || label.contains(['/', ':']) {
            return Err(ControlError::Invalid(
                "a label must be non-empty, without '/' or ':'".into(),
            ));
        }
        for f in &faults {
            if f.credential.as_deref().is_some_and(|c| c != label) {
                return Err(ControlError::Invalid(format!(
                    "fault {f} names another credential"
                )));
            }
        }
        let secret = self.sim.api.new_secret(self.sim.seed(), label);
        if !self.sim.creds.add(label, secret) {
            return Err(ControlError::DuplicateLabel(label.to_owned()));
        }
        for mut f in faults {
            f.credential = Some(label.to_owned());
            self.add_fault(f)?;
        }
        Ok(self.sim.credentials_of(label).unwrap_or(Value::Null))
    }

    pub(crate) fn schedule(
        &self,
        label: &str,
        expire: bool,
        when: When,
    ) -> Result<(), ControlError> {
        if self.sim.creds.schedule(label, expire, when, Instant::now()) {
            Ok(())
        } else {
            Err(ControlError::UnknownCredential(label.to_owned()))
        }
    }

    /// Revokes `label` now: its tokens stop working and (OAuth vendors) no new ones are issued.
    pub fn revoke(&self, label: &str) -> Result<(), ControlError> {
        self.schedule(label, false, When::Now)
    }

    /// Revokes `label` once `n` more requests have been made with it.
    pub fn revoke_after_requests(&self, label: &str, n: u32) -> Result<(), ControlError> {
        self.schedule(label, false, When::AfterRequests(n))
    }

    /// Revokes `label` at simulated time `at` (now if `at` has passed).
    pub fn revoke_at(&self, label: &str, at: DateTime<Utc>) -> Result<(), ControlError> {
        self.schedule(label, false, self.when_at(at))
    }

    /// Expires `label`'s tokens now (OAuth clients can fetch new ones; a static API token
    /// stays expired until restored).
    pub fn expire(&self, label: &str) -> Result<(), ControlError> {
        self.schedule(label, true, When::Now)
    }

    pub fn expire_after_requests(&self, label: &str, n: u32) -> Result<(), ControlError> {
        self.schedule(label, true, When::AfterRequests(n))
    }

    pub fn expire_at(&self, label: &str, at: DateTime<Utc>) -> Result<(), ControlError> {
        self.schedule(label, true, self.when_at(at))
    }

    /// Makes `label` work again and cancels scheduled changes.
    pub fn restore(&self, label: &str) -> Result<(), ControlError> {
        if self.sim.creds.restore(label, Instant::now()) {
            Ok(())
        } else {
            Err(ControlError::UnknownCredential(label.to_owned()))
        }
    }

    pub(crate) fn when_at(&self, at: DateTime<Utc>) -> When {
        let in_ns = ns_of(at) - self.sim.world.clock.now_ns();
        When::InMs((in_ns.max(0) / 1_000_000) as u64)
    }

    /// Changes the data now: new alerts, alert status progressions, new and checked-in
    /// devices, each with an update time later than every earlier one. A vendor without
    /// devices or alerts ignores those fields.
    pub fn advance(&self, spec: AdvanceSpec) -> AdvanceReport {
        self.advance_with(spec, &BTreeMap::new())
            .expect("the generic part is empty")
    }

    /// Changes the collections named in `changes` now (new, updated and deleted records);
    /// an unknown name changes nothing.
    pub fn advance_collections(
        &self,
        changes: &BTreeMap<String, Change>,
    ) -> Result<AdvanceReport, ControlError> {
        self.advance_with(AdvanceSpec::default(), changes)
    }

    /// One tick of activity (`--advance-every`, an empty `POST /_sim/advance`): devices
    /// and alerts reported in the legacy fields, any other collection by name.
    pub fn tick(&self) -> AdvanceReport {
        let mut edr = AdvanceSpec::default();
        let mut others = BTreeMap::new();
        for (name, change) in self.sim.world.tick() {
            match name {
                DEVICES => (edr.new_devices, edr.updated_devices) = (change.new, change.updated),
                ALERTS => (edr.new_alerts, edr.updated_alerts) = (change.new, change.updated),
                _ => {
                    others.insert(name.to_owned(), change);
                }
            }
        }
        self.advance_with(edr, &others)
            .expect("ticks name declared collections")
    }

    /// Applies the EDR shorthand, then the changes by name.
    pub(crate) fn advance_with(
        &self,
        edr: AdvanceSpec,
        by_name: &BTreeMap<String, Change>,
    ) -> Result<AdvanceReport, ControlError> {
        let world = &self.sim.world;
        let by_name: Vec<(&str, Change)> = by_name.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        // Fail before changing anything.
        if let Some((n, _)) = by_name.iter().find(|(n, _)| world.get(n).is_none()) {
            let known: Vec<&str> = world.specs().map(|s| s.name).collect();
            return Err(ControlError::Invalid(format!(
                "unknown collection {n:?}: expected one of {known:?}"
            )));
        }
        let edr: Vec<(&str, Change)> = edr
            .changes()
            .into_iter()
            .filter(|(n, c)| !c.is_empty() && world.get(n).is_some())
            .collect();
        let mut report = AdvanceReport::default();
        for (name, changed) in world.advance(&edr).unwrap_or_default() {
            let ids = |v: &[u64]| self.ids(name, v);
            let (new, updated) = match name {
                DEVICES => (&mut report.new_device_ids, &mut report.updated_device_ids),
                _ => (&mut report.new_alert_ids, &mut report.updated_alert_ids),
            };
            (*new, *updated) = (ids(&changed.new), ids(&changed.updated));
        }
        for (name, changed) in world.advance(&by_name).unwrap_or_default() {
            let c = CollectionReport {
                new_ids: self.ids(name, &changed.new),
                updated_ids: self.ids(name, &changed.updated),
                deleted_ids: self.ids(name, &changed.deleted),
                count: world.records(name).len(),
            };
            report.collections.insert(name.to_owned(), c);
        }
        (report.devices, report.alerts) = self.counts();
        Ok(report)
    }

    fn ids(&self, collection: &str, indices: &[u64]) -> Vec<String> {
        indices
            .iter()
            .filter_map(|i| self.record_id(collection, *i))
            .collect()
    }

    /// The vendor id of record `index` (0-based, creation order) of `collection`.
    pub fn record_id(&self, collection: &str, index: u64) -> Option<String> {
        self.sim.api.record_id(&self.sim, collection, index)
    }

    /// The vendor id of device `index` (0-based, creation order).
    pub fn device_id(&self, index: u64) -> String {
        self.record_id(DEVICES, index).unwrap_or_default()
    }

    /// The vendor id of alert `index` (0-based, creation order).
    pub fn alert_id(&self, index: u64) -> String {
        self.record_id(ALERTS, index).unwrap_or_default()
    }

    /// The simulated time now.
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.sim.world.clock.now_ns())
    }

    /// Devices and alerts now (0 for a vendor without them).
    pub fn counts(&self) -> (u64, u64) {
        let count = |name| self.count(name).unwrap_or(0);
        (count(DEVICES), count(ALERTS))
    }

    /// Live records of `collection` now (None: the vendor serves no such collection).
    pub fn count(&self, collection: &str) -> Option<u64> {
        self.sim.world.get(collection).map(|d| d.len())
    }

    /// Live records of every collection now, in the vendor's order.
    pub fn collection_counts(&self) -> Vec<(&'static str, u64)> {
        self.sim.world.counts()
    }

    /// Recorded requests, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sim.log.list()
    }

    pub fn clear_requests(&self) {
        self.sim.log.clear()
    }

    /// Cancelled when the simulator stops.
    pub(crate) fn shutdown_token(&self) -> tokio_util::sync::CancellationToken {
        self.sim.shutdown.clone()
    }

    /// Labels of every credential, oldest first.
    pub(crate) fn labels(&self) -> Vec<String> {
        self.sim.creds.labels()
    }

    /// Everything the admin API's `GET /_sim/state` shows.
    pub fn state(&self) -> Value {
        let (devices, alerts) = self.counts();
        json!({
            "vendor": self.vendor,
            "base_url": self.sim.base_url,
            "now": fmt_ts(self.sim.world.clock.now_ns(), 6),
            "seed": self.sim.seed(),
            "devices": devices,
            "alerts": alerts,
            "collections": self.collection_counts().into_iter().collect::<BTreeMap<_, _>>(),
            "endpoints": self.sim.api.spec().endpoints,
            "credentials": self.sim.creds.states(Instant::now()),
            "faults": self.faults(),
        })
    }
}

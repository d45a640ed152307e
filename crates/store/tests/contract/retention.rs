//! Retention prunes exactly what its policy says, in steps, and always keeps each
//! connection's most recent finished job and health event, the open failure's events and
//! the jobs they name, queued jobs, pending deliveries and the latest job's quarantined
//! records. Time is stepped: jobs finish at chosen instants and pruning runs "later".

use std::{collections::HashSet, sync::Arc};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use tributary_model::{job::JobTrigger, HealthName};
use tributary_store::{
    models::*,
    retention::{PruneCursor, Pruned, RetentionPolicy},
    ListWindow, Store,
};
use uuid::Uuid;

use crate::support::*;

/// One connection's jobs in time order. Each job finishes as the health it is given;
/// the timeline works out the rest of what the engine would tell the store: the change
/// from the previous health (the first job's is from none) and since when the connection
/// has been failing.
struct Timeline {
    store: Arc<dyn Store>,
    account: Uuid,
    conn: Uuid,
    /// Each job quarantines one record.
    quarantine: bool,
    last: Option<HealthName>,
    failing_since: Option<DateTime<Utc>>,
}

impl Timeline {
    /// A new connection of `vendor` in the fixture's organization.
    async fn new(
        store: &Arc<dyn Store>,
        f: &Fixture,
        vendor: tributary_model::Vendor,
        quarantine: bool,
    ) -> Timeline {
        let conn = store
            .create_connection(f.account, new_connection(f.org, vendor))
            .await
            .unwrap()
            .id;
        Timeline {
            store: store.clone(),
            account: f.account,
            conn,
            quarantine,
            last: None,
            failing_since: None,
        }
    }

    /// Runs one job that finishes as `name` at `at`.
    async fn job(&mut self, name: HealthName, at: DateTime<Utc>) -> Uuid {
        let store = &self.store;
        let job = start_job(store, self.account, self.conn).await;
        if self.quarantine {
            let page = PageCommit {
                connection_id: self.conn,
                job_id: job.id,
                lease_owner: "w".into(),
                export: tributary_model::DataExportType::Alerts,
                records: PageRecords::Alerts(vec![]),
                quarantined: vec![QuarantinedRecord {
                    vendor_id: Some(format!("bad-{}", job.id)),
                    error: "no id".into(),
                    raw: "\"x\"".into(),
                }],
                watermark: None,
                watermark_at: None,
            };
            store.commit_page(page).await.unwrap();
        }
        let from = (self.last != Some(name)).then_some(self.last);
        self.failing_since = match name {
            HealthName::Healthy => None,
            _ => self.failing_since.or(Some(at)),
        };
        self.last = Some(name);
        let mut fin = finish(name, job.id, None);
        fin.finished_at = at;
        fin.connection.unhealthy_since = self.failing_since;
        fin.connection.consecutive_failures = u32::from(self.failing_since.is_some());
        fin.health_event = from.map(|from| NewHealthEvent { from, to: name, at });
        store.finish_job(job.id, Some("w"), fin).await.unwrap();
        job.id
    }

    async fn job_ids(&self) -> HashSet<Uuid> {
        let page = self
            .store
            .list_jobs(self.account, self.conn, ListWindow::first(100))
            .await
            .unwrap();
        page.items.iter().map(|j| j.id).collect()
    }

    async fn event_times(&self) -> Vec<DateTime<Utc>> {
        let page = self
            .store
            .list_health_events(self.account, self.conn, ListWindow::first(100))
            .await
            .unwrap();
        page.items.iter().map(|e| e.at).collect()
    }
}

/// Steps until the walk of connections comes round with nothing left to prune.
async fn prune_all(store: &Arc<dyn Store>, policy: RetentionPolicy, now: DateTime<Utc>) -> Pruned {
    let mut total = Pruned::default();
    let mut cursor = PruneCursor::default();
    for _ in 0..100 {
        // A batch of 2 forces several steps (and a slice of one connection per step).
        let step = store.prune_step(&policy, now, 2, cursor).await.unwrap();
        total.add(step.pruned);
        if !step.more {
            return total;
        }
        cursor = step.next;
    }
    panic!("pruning never finished");
}

fn rows(all: &[(&'static str, i64)], table: &str) -> i64 {
    all.iter().find(|(t, _)| *t == table).unwrap().1
}

#[tokio::test]
async fn the_age_rule_prunes_old_history_and_keeps_the_latest_job_and_open_failures() {
    each_backend("retention_age", |store, _| async move {
        let f = fixture(&store).await;
        let vendor = tributary_model::Vendor::named("SENTINELONE");
        // One instant for every day, to the microsecond the stores keep.
        let t0 = Utc::now().trunc_subsecs(6);
        let day = |d: i64| t0 + Duration::days(d);
        use HealthName::{Healthy, Unauthorized};

        // A: healthy throughout, quarantining a record on every job.
        let mut a = Timeline::new(&store, &f, vendor, true).await;
        let a1 = a.job(Healthy, day(1)).await;
        let _a2 = a.job(Healthy, day(2)).await;
        let a3 = a.job(Healthy, day(3)).await;
        // B: healthy, then unauthorized since day 2 (an open failure).
        let mut b = Timeline::new(&store, &f, vendor, false).await;
        let _b1 = b.job(Healthy, day(1)).await;
        let b2 = b.job(Unauthorized, day(2)).await;
        let _b3 = b.job(Unauthorized, day(3)).await;
        let b4 = b.job(Unauthorized, day(4)).await;
        // C: one finished job, and a queued one.
        let mut c = Timeline::new(&store, &f, vendor, false).await;
        let c1 = c.job(Healthy, day(1)).await;
        let queued = store
            .enqueue_job(f.account, c.conn, JobTrigger::Manual)
            .await
            .unwrap()
            .id;

        // Webhooks: a delivery that ended (its endpoint was deleted) and a pending one.
        let endpoint = |url: &str| NewWebhookEndpoint {
            id: Uuid::now_v7(),
            url: url.into(),
            description: None,
            event_types: None,
            enabled: true,
            sealed_secret: b"s".to_vec(),
            include_fix_link: false,
        };
        let gone = store
            .create_endpoint(f.account, endpoint("https://a.example/h"))
            .await
            .unwrap();
        let event = |n: u8| NewWebhookEvent {
            id: Uuid::now_v7(),
            account_id: f.account,
            event_type: "connection.health_changed".into(),
            payload: format!("{{\"n\":{n}}}"),
        };
        store.publish_event(event(1)).await.unwrap();
        store.delete_endpoint(f.account, gone.id).await.unwrap();
        let live = store
            .create_endpoint(f.account, endpoint("https://b.example/h"))
            .await
            .unwrap();
        store.publish_event(event(2)).await.unwrap();

        // Nothing is old yet: nothing goes.
        let week = RetentionPolicy {
            max_age: Some(Duration::days(7)),
            keep_per_connection: None,
        };
        assert_eq!(prune_all(&store, week, Utc::now()).await, Pruned::default());

        // Twenty days on, everything above is older than a week.
        let before = store.table_rows().await.unwrap();
        let pruned = prune_all(&store, week, day(20)).await;
        assert_eq!(
            a.job_ids().await,
            HashSet::from([a3]),
            "A keeps its latest job"
        );
        assert_eq!(
            b.job_ids().await,
            HashSet::from([b2, b4]),
            "B keeps the job that opened its failure and its latest"
        );
        assert_eq!(
            c.job_ids().await,
            HashSet::from([c1, queued]),
            "C keeps its latest finished job and the queued one"
        );
        assert_eq!(pruned.jobs, 4, "A's two older, B's first and third");
        assert_eq!(
            pruned.job_exports, 4,
            "each pruned job's export result goes with it"
        );
        assert_eq!(a.event_times().await.len(), 1, "A keeps its latest event");
        assert_eq!(
            b.event_times().await,
            vec![day(2)],
            "B keeps the event that opened its failure"
        );
        assert_eq!(pruned.health_events, 1);
        let q = store
            .list_quarantine(f.account, a.conn, None, 10)
            .await
            .unwrap();
        assert_eq!(
            q.len(),
            1,
            "only the latest job's quarantined record stays: {q:?}"
        );
        assert_eq!(q[0].job_id, a3);
        assert_eq!(pruned.quarantine, 2);
        assert_eq!((pruned.webhook_deliveries, pruned.webhook_messages), (1, 1));
        let live_deliveries = store
            .list_deliveries(f.account, live.id, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(live_deliveries.items.len(), 1, "the pending delivery stays");
        let after = store.table_rows().await.unwrap();
        for table in [
            "jobs",
            "health_events",
            "quarantine",
            "webhook_deliveries",
            "webhook_messages",
        ] {
            assert!(
                rows(&after, table) < rows(&before, table),
                "{table}: {before:?} → {after:?}"
            );
        }
        assert_eq!(rows(&after, "webhook_messages"), 1);
        let _ = a1;

        // Once B is healthy again its failure is closed: its old history may go.
        store.cancel_job(queued, "make way").await.unwrap();
        let b5 = b.job(Healthy, day(5)).await;
        prune_all(&store, week, day(20)).await;
        assert_eq!(b.job_ids().await, HashSet::from([b5]));
        assert_eq!(b.event_times().await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_count_rule_keeps_the_newest_per_connection_and_open_failures() {
    each_backend("retention_count", |store, _| async move {
        let f = fixture(&store).await;
        let vendor = tributary_model::Vendor::named("CROWDSTRIKE");
        let t0 = Utc::now().trunc_subsecs(6);
        let at = |s: i64| t0 + Duration::seconds(s);
        use HealthName::{Healthy, VendorServerError as Down};

        let mut a = Timeline::new(&store, &f, vendor, false).await;
        let mut a_jobs = Vec::new();
        for i in 0..5 {
            a_jobs.push(a.job(Healthy, at(i)).await);
        }
        let mut b = Timeline::new(&store, &f, vendor, false).await;
        let _b1 = b.job(Healthy, at(1)).await;
        let b2 = b.job(Down, at(2)).await;
        let _b3 = b.job(Down, at(3)).await;
        let b4 = b.job(Down, at(4)).await;
        let b5 = b.job(Down, at(5)).await;

        let two = RetentionPolicy {
            max_age: None,
            keep_per_connection: Some(2),
        };
        let pruned = prune_all(&store, two, at(10)).await;
        assert_eq!(a.job_ids().await, HashSet::from([a_jobs[3], a_jobs[4]]));
        assert_eq!(
            b.job_ids().await,
            HashSet::from([b2, b4, b5]),
            "the open failure's first job stays beyond the count"
        );
        assert_eq!(pruned.jobs, 5);
        assert_eq!(
            b.event_times().await.len(),
            2,
            "B's two events are within the count"
        );
        // A second pass finds nothing more.
        assert_eq!(prune_all(&store, two, at(10)).await, Pruned::default());
        assert_eq!(rows(&store.table_rows().await.unwrap(), "jobs"), 5);
    })
    .await;
}

//! Test databases: a temporary SQLite file, or a fresh schema on the PostgreSQL server
//! named by [`POSTGRES_ENV`]. Without that variable, PostgreSQL tests report that they
//! skipped instead of failing.

use std::sync::Arc;

use uuid::Uuid;

use crate::{open, OpenOptions, Store};

/// The environment variable holding the PostgreSQL URL for tests
/// (e.g. `postgres://postgres@127.0.0.1:5432/test`); `.ci/run` sets it.
pub const POSTGRES_ENV: &str = "TRIBUTARY_TEST_POSTGRES_URL";

/// Which backend a test database runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub backend: Backend,
    /// The URL to open (for SQLite, the file).
    pub url: String,
    /// The PostgreSQL schema this test owns.
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("tributary.db").display());
        TestDatabase {
            backend: Backend::Sqlite,
            url,
            schema: None,
            _dir: Some(dir),
        }
    }

    /// A fresh schema on the test PostgreSQL server, or None (with a note on stderr)
    /// when [`POSTGRES_ENV`] is not set.
    pub fn postgres(test_name: &str) -> Option<Self> {
        let Ok(url) = std::env::var(POSTGRES_ENV) else {
            eprintln!("SKIPPED (PostgreSQL): {test_name}: set {POSTGRES_ENV} to run it");
            return None;
        };
        Some(TestDatabase {
            backend: Backend::Postgres,
            url,
            schema: Some(format!("t_{}", Uuid::new_v4().simple())),
            _dir: None,
        })
    }

    /// A fresh schema on the PostgreSQL server at `url` (a test's own server).
    pub fn postgres_at(url: &str) -> Self {
        TestDatabase {
            backend: Backend::Postgres,
            url: url.to_owned(),
            schema: Some(format!("t_{}", Uuid::new_v4().simple())),
            _dir: None,
        }
    }

    /// SQLite always, plus PostgreSQL when configured.
    pub fn all(test_name: &str) -> Vec<TestDatabase> {
        let mut dbs = vec![TestDatabase::sqlite()];
        dbs.extend(TestDatabase::postgres(test_name));
        dbs
    }

    pub fn options(&self) -> OpenOptions {
        OpenOptions {
            postgres_schema: self.schema.clone(),
            max_connections: 0,
            acquire_timeout: None,
            api_key_memo: None,
        }
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        open(&self.url, &self.options())
            .await
            .unwrap_or_else(|e| panic!("open {:?} test store: {e}", self.backend))
    }

    /// Runs `sql` (one or more statements) on this database, outside any store: tests
    /// inject storage faults with it (a trigger that refuses writes) and remove them.
    pub async fn execute(&self, sql: &str) -> Result<(), crate::StoreError> {
        use sqlx::{ConnectOptions, Connection};
        use std::str::FromStr;
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(&self.url)?
                    .connect()
                    .await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
                conn.close().await?;
            }
            Backend::Postgres => {
                let mut opts = sqlx::postgres::PgConnectOptions::from_str(&self.url)?;
                if let Some(schema) = &self.schema {
                    opts = opts.options([("search_path", schema.as_str())]);
                }
                let mut conn = opts.connect().await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
                conn.close().await?;
            }
        }
        Ok(())
    }

    /// The SQLite file path (SQLite only).
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self.url.strip_prefix("sqlite://").map(Into::into)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let url = self.url.clone();
        // Drop runs outside async code; use a private runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                let _ = rt.block_on(crate::drop_schema(&url, &schema));
            }
        })
        .join();
    }
}

/// A job a worker holds, ready for page commits: see [`leased_job`].
#[derive(Debug, Clone, Copy)]
pub struct LeasedJob {
    pub account_id: Uuid,
    pub connection_id: Uuid,
    pub job_id: Uuid,
}

/// A new account's ACTIVE connection to `vendor`, with a job leased to `worker` for five
/// minutes and its `exports` begun: what page commits and reconciliations need.
pub async fn leased_job(
    store: &Arc<dyn Store>,
    vendor: tributary_model::Vendor,
    exports: &[tributary_model::DataExportType],
    worker: &str,
) -> LeasedJob {
    use crate::models::{NewConnection, NewOrganization};
    let account_id = store.create_account("test").await.expect("account").id;
    let org = NewOrganization {
        name: "customer".into(),
        identifier: None,
    };
    let org = store
        .create_organization(account_id, org)
        .await
        .expect("organization");
    let conn = NewConnection {
        id: Uuid::now_v7(),
        organization_id: org.id,
        vendor,
        identifier: None,
        state: tributary_model::ConnectionState::Active,
        refresh_interval_secs: 14400,
        timeout_secs: 1800,
        options: None,
        sealed_credentials: b"sealed".to_vec(),
        next_run_at: None,
        freshness_target_secs: None,
    };
    let connection_id = store
        .create_connection(account_id, conn)
        .await
        .expect("connection")
        .id;
    let trigger = tributary_model::job::JobTrigger::Manual;
    let job = store
        .enqueue_job(account_id, connection_id, trigger)
        .await
        .expect("job");
    let now = chrono::Utc::now();
    let lease = now + chrono::Duration::minutes(5);
    let claimed = store.claim_job(worker, now, lease).await.expect("claim");
    assert_eq!(
        claimed.map(|c| c.job.id),
        Some(job.id),
        "no other job is queued"
    );
    let begun: Vec<_> = exports
        .iter()
        .map(|e| (*e, vec![format!("/{e}")]))
        .collect();
    store.begin_exports(job.id, &begun).await.expect("exports");
    LeasedJob {
        account_id,
        connection_id,
        job_id: job.id,
    }
}

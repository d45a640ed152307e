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
        }
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        open(&self.url, &self.options())
            .await
            .unwrap_or_else(|e| panic!("open {:?} test store: {e}", self.backend))
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

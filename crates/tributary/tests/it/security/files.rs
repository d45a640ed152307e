//! Files: the data directory is the owner's alone (0700), and so are the SQLite database,
//! its WAL and shared memory (0600), for a new install and for an existing one.

use std::{os::unix::fs::PermissionsExt, path::Path};

use reqwest::StatusCode;
use tributary::Config;

use crate::support::TestApp;
use tributary_store::testing::TestDatabase;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn check_modes(data: &Path, config: Config) {
    let db = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(db, dir, config).await;
    let (status, _) = app
        .post(
            "/v1/provisioning/organizations",
            serde_json::json!({"name": "o"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mode(data), 0o700, "{}", data.display());
    for name in [
        "tributary.db",
        "tributary.db-wal",
        "tributary.db-shm",
        "master.key",
    ] {
        let file = data.join(name);
        assert!(file.exists(), "{name}");
        assert_eq!(mode(&file), 0o600, "{name}");
    }
    app.stop().await;
}

fn config_for(data: &Path) -> Config {
    let mut config = crate::support::test_config(&TestDatabase::sqlite(), data);
    config.database_url = None; // the embedded default: DATA_DIR/tributary.db
    config
}

#[tokio::test]
async fn a_new_data_directory_and_database_are_private() {
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("data");
    check_modes(&data, config_for(&data)).await;
}

#[tokio::test]
async fn an_existing_world_readable_install_is_tightened() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    for name in ["tributary.db", "tributary.db-wal"] {
        std::fs::write(data.join(name), b"").unwrap();
        std::fs::set_permissions(data.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    check_modes(&data, config_for(&data)).await;
}

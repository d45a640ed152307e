//! What every command needs: logging, the store, the master key.

use std::{
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
    sync::{Arc, Once},
};

use anyhow::Context;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};
use tributary_engine::Keyring;
use tributary_store::{OpenOptions, Store};

use crate::config::Config;

const FINGERPRINT_KEY: &str = "master_key_fingerprint";

/// Starts logging once per process (text or JSON, filtered by `RUST_LOG` or the config).
pub fn init_logging(config: &Config) {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log_level));
        let registry = tracing_subscriber::registry().with(filter);
        let result = if config.log_format == "json" {
            registry
                .with(fmt::layer().json().with_writer(std::io::stderr))
                .try_init()
        } else {
            registry
                .with(
                    fmt::layer()
                        .with_ansi(std::io::stderr().is_terminal())
                        .with_writer(std::io::stderr),
                )
                .try_init()
        };
        let _ = result;
    });
}

/// Opens the configured store, creating the data directory for SQLite. The directory is
/// the owner's alone (0700) and so are the database and its WAL (0600): they hold
/// alerts, devices and API-key hashes.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        private_dir(&config.data_dir)?;
        if let Some(path) = sqlite_file(&url) {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                private_dir(dir)?;
            }
            private_database_files(&path)?;
        }
    }
    let options = OpenOptions {
        postgres_schema: config.database_schema.clone(),
        max_connections: config.database_max_connections,
        acquire_timeout: (config.database_acquire_timeout_secs > 0)
            .then(|| std::time::Duration::from_secs(config.database_acquire_timeout_secs)),
        api_key_memo: Some(std::time::Duration::from_secs(config.api_key_cache_secs)),
    };
    tributary_store::open(&url, &options)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                tributary_store::redact_url(&url)
            )
        })
}

/// Loads the master key (config, key file, or a new key file) and checks it against
/// the fingerprint stored in the database, refusing a changed key.
pub async fn keyring(config: &Config, store: &dyn Store) -> anyhow::Result<Keyring> {
    let master = match &config.master_key {
        Some(text) => Keyring::parse_master_key(text)?,
        None => load_or_create_key_file(&config.master_key_path())?,
    };
    let keyring = Keyring::new(master);
    match store.get_meta(FINGERPRINT_KEY).await? {
        None => {
            store
                .set_meta(FINGERPRINT_KEY, keyring.fingerprint())
                .await?
        }
        Some(stored) if stored == keyring.fingerprint() => {}
        Some(stored) => anyhow::bail!(
            "the master key does not match the one this database was created with \
             (fingerprint {}, expected {stored}). Stored credentials cannot be opened with \
             it: restore the original key (TRIBUTARY_MASTER_KEY or {}).",
            keyring.fingerprint(),
            config.master_key_path().display()
        ),
    }
    Ok(keyring)
}

fn load_or_create_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the master key file {}", path.display()))?;
        return Keyring::parse_master_key(&text)
            .with_context(|| format!("the master key file {} is not a valid key", path.display()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir)?;
    }
    let key = Keyring::generate_master_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create the master key file {}", path.display()))?;
    file.write_all(key.as_bytes())?;
    tracing::warn!(
        path = %path.display(),
        "generated a new master key; back it up: without it stored credentials cannot be \
         opened. Set TRIBUTARY_MASTER_KEY (or master_key_file) in production."
    );
    Ok(Keyring::parse_master_key(&key)?)
}

/// The file of a `sqlite://PATH[?…]` URL (none for an in-memory database).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(':')).then(|| PathBuf::from(path))
}

/// Creates `dir` (and its parents) if needed and makes it the owner's alone (0700).
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    restrict(dir, 0o700)
}

/// Creates the database file empty with mode 0600 before SQLite opens it (SQLite gives
/// its WAL and shared-memory files the database's mode), and tightens the files of an
/// existing database.
fn private_database_files(db: &Path) -> anyhow::Result<()> {
    if !db.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(db)
            .with_context(|| format!("cannot create the database {}", db.display()))?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        if file.exists() {
            restrict(&file, 0o600)?;
        }
    }
    Ok(())
}

/// Sets `path`'s mode when it grants more than `mode` (Unix; elsewhere nothing to do).
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if current & !mode != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("cannot restrict the mode of {}", path.display()))?;
            tracing::info!(path = %path.display(), from = format!("{current:o}"), to = format!("{mode:o}"), "restricted file mode");
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

//! A PostgreSQL server of a test's own, for tests that stop and start the database:
//! `initdb` into a temp dir, `pg_ctl start` / `pg_ctl stop` on a free port with the
//! socket in that dir. The machine's shared server (other tests use it at once) is never
//! touched. As root the binaries run as the `postgres` OS user (`initdb` refuses root).

use std::path::{Path, PathBuf};

use tokio::process::Command;

pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// Run the binaries through `runuser -u postgres` (we are root).
    as_postgres: bool,
}

impl PrivatePostgres {
    /// Initializes and starts a server, or None after saying on stderr why it cannot
    /// (no PostgreSQL binaries, or root without a `postgres` user).
    pub async fn start(test: &str) -> Option<PrivatePostgres> {
        let Some(bin) = binaries() else {
            eprintln!(
                "SKIPPED (private PostgreSQL): {test}: no initdb/pg_ctl under \
                 /usr/lib/postgresql/*/bin (set TRIBUTARY_TEST_PG_BIN to their directory)"
            );
            return None;
        };
        let as_postgres = output("id", &["-u"]).await.as_deref() == Some("0");
        if as_postgres && output("id", &["-u", "postgres"]).await.is_none() {
            eprintln!(
                "SKIPPED (private PostgreSQL): {test}: running as root and there is no \
                 `postgres` user to run initdb as"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        if as_postgres {
            let dir = dir.path().to_str().unwrap();
            assert!(
                output("chown", &["postgres:", dir]).await.is_some(),
                "chown {dir} to postgres"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let pg = PrivatePostgres {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )
        .await;
        pg.start_server().await;
        Some(pg)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub async fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let data = self.data();
        let log = log.to_str().unwrap();
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-o", &options, "-l", log, "-w", "-t", "60", "start",
            ],
        )
        .await;
    }

    /// Stops the server the way an operator restarting it does (`-m fast`: sessions
    /// are cut, open transactions rolled back) and waits until it is down.
    pub async fn stop_server(&self) {
        let data = self.data();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"])
            .await;
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_str().unwrap().to_owned()
    }

    fn command(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        }
    }

    async fn run(&self, program: &str, args: &[&str]) {
        let out = Command::from(self.command(program))
            .args(args)
            .output()
            .await
            .unwrap_or_else(|e| panic!("{program} could not start: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The directory holding `initdb` and `pg_ctl`: `TRIBUTARY_TEST_PG_BIN`, or the newest
/// `/usr/lib/postgresql/*/bin`.
fn binaries() -> Option<PathBuf> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("TRIBUTARY_TEST_PG_BIN") {
        return Some(PathBuf::from(dir)).filter(|d| has_both(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A command's trimmed stdout when it succeeds.
async fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().await.ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

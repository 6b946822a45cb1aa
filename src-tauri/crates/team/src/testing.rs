//! Test support (feature `test-support`): a real, throwaway PostgreSQL server per test —
//! `initdb` and `pg_ctl` in a temp dir, listening on a free loopback port, stopped
//! (`-m immediate`) and deleted on drop. Missing binaries fail the test with what to
//! install; nothing is skipped. As root (CI), the server runs as the `postgres` user.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use tokio_postgres::NoTls;

/// The superuser the cluster is created with (trusted on the Unix socket only).
pub const SUPERUSER: &str = "proofsheet_test";
const SUPERUSER_PASSWORD: &str = "superuser-test-password";

/// The studio every team test sets up: `ana` the admin, `bob` a member, database
/// `studio`, team "Acme".
pub const STUDIO: &str = "studio";
pub const ANA: (&str, &str) = ("ana", "ana-pw");
pub const BOB: (&str, &str) = ("bob", "bob-pw");
pub const TEAM: &str = "Acme";

pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

fn bin_dir() -> PathBuf {
    if let Ok(d) = std::env::var("PROOFSHEET_PG_BIN") {
        return PathBuf::from(d);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, b)) = found.pop() {
        return b;
    }
    for d in std::env::var("PATH").unwrap_or_default().split(':') {
        if Path::new(d).join("initdb").exists() && Path::new(d).join("pg_ctl").exists() {
            return PathBuf::from(d);
        }
    }
    panic!(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's `postgresql` \
         package (`apt-get install postgresql`; .ci/setup.sh does) or point PROOFSHEET_PG_BIN \
         at their folder"
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl PgServer {
    /// initdb + start. Panics with the server's log when it cannot start.
    pub fn start() -> PgServer {
        let t0 = Instant::now();
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("proofsheet-pg-")
            .tempdir()
            .expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()));
        }
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).expect("pwfile");
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(&pwfile));
        }
        let mut server = PgServer {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        let data = server.data();
        server.pg(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--pwfile",
                pwfile.to_str().unwrap(),
                "--no-sync",
                "--no-instructions",
                "-E",
                "UTF8",
            ],
        );
        // A port taken between the probe and the start: try another.
        for _ in 0..5 {
            server.port = free_port();
            if server.pg_ctl_start() {
                tracing::debug!(ms = t0.elapsed().as_millis(), "test PostgreSQL up");
                return server;
            }
        }
        let log = std::fs::read_to_string(server.dir.path().join("log")).unwrap_or_default();
        panic!("the test PostgreSQL did not start:\n{log}");
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn pg(&self, tool: &str, args: &[&str]) {
        run(self.command(tool).args(args));
    }

    fn pg_ctl_start(&self) -> bool {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off \
             -c full_page_writes=off -c max_connections=300 -c shared_buffers=16MB",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        self.command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(&log)
            .args(["-o", &opts, "-w", "-t", "30", "start"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Stops the server at once (as a crash would), keeping its data.
    pub fn stop(&self) {
        self.pg(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts it again on the same port after [`PgServer::stop`].
    pub fn restart(&self) {
        assert!(self.pg_ctl_start(), "the test PostgreSQL did not restart");
    }

    /// A URL for `user` on database `db` (password in it when given).
    pub fn url(&self, user: &str, password: Option<&str>, db: &str) -> String {
        match password {
            Some(p) => format!("postgres://{user}:{p}@127.0.0.1:{}/{db}", self.port),
            None => format!("postgres://{user}@127.0.0.1:{}/{db}", self.port),
        }
    }

    /// Runs SQL as the superuser on `db`.
    pub async fn sql(&self, db: &str, sql: &str) {
        let url = self.url(SUPERUSER, Some(SUPERUSER_PASSWORD), db);
        let (client, conn) = tokio_postgres::connect(&url, NoTls)
            .await
            .expect("superuser connect");
        let task = tokio::spawn(conn);
        // One statement at a time: CREATE DATABASE cannot run in the implicit
        // transaction of a multi-statement batch.
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            client.batch_execute(stmt).await.expect("superuser sql");
        }
        drop(client);
        let _ = task.await;
    }

    /// A superuser connection to `db`, for tests that read the server directly.
    pub async fn client(&self, db: &str) -> tokio_postgres::Client {
        let url = self.url(SUPERUSER, Some(SUPERUSER_PASSWORD), db);
        let (client, conn) = tokio_postgres::connect(&url, NoTls)
            .await
            .expect("superuser connect");
        tokio::spawn(conn);
        client
    }

    /// A studio database as the README sets it up: `admin` owns it; each member is a
    /// login role with CONNECT. Returns nothing; log in with [`PgServer::url`].
    pub async fn studio(&self, db: &str, admin: (&str, &str), members: &[(&str, &str)]) {
        let mut sql = format!(
            "CREATE ROLE {0} LOGIN PASSWORD '{1}'; CREATE DATABASE {db} OWNER {0};
             REVOKE CONNECT ON DATABASE {db} FROM PUBLIC;",
            admin.0, admin.1
        );
        for (m, pw) in members {
            sql.push_str(&format!(
                "CREATE ROLE {m} LOGIN PASSWORD '{pw}'; GRANT CONNECT ON DATABASE {db} TO {m};"
            ));
        }
        self.sql("postgres", &sql).await;
    }
}

impl PgServer {
    /// A fresh server with the usual studio ([`STUDIO`], [`ANA`] admin, [`BOB`] member).
    pub async fn start_studio() -> PgServer {
        let pg = PgServer::start();
        pg.studio(STUDIO, ANA, &[BOB]).await;
        pg
    }

    /// `who` joins the studio from `machine` (the first to join creates team [`TEAM`]).
    pub async fn join(&self, who: (&str, &str), machine: &str) -> crate::Team {
        crate::Team::join(&self.url(who.0, None, STUDIO), Some(who.1), machine, TEAM)
            .await
            .unwrap_or_else(|e| panic!("{} joins from {machine}: {e}", who.0))
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

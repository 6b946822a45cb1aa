//! Test support (feature `test-support`): a real S3 server process per test — `s3s-fs`
//! (the s3s project's file-backed S3 server) on a free loopback port, over a temp dir,
//! with its own access keys; killed and deleted on drop. `.ci/setup.sh` installs it
//! under the target dir; a missing binary fails the test with how to install it.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::storage::{Storage, StorageConfig};

pub const ACCESS_KEY: &str = "proofsheet-test-key";
pub const SECRET_KEY: &str = "proofsheet-test-secret-0123456789";

pub struct S3Server {
    dir: tempfile::TempDir,
    child: Option<Child>,
    pub port: u16,
}

/// Where `.ci/setup.sh` installs s3s-fs: `<target dir>/s3s/bin/s3s-fs`.
fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("PROOFSHEET_S3S_FS") {
        return PathBuf::from(p);
    }
    let mut candidates = Vec::new();
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(t).join("s3s/bin/s3s-fs"));
    }
    // A test binary lives in <target>/<profile>/deps/.
    if let Ok(exe) = std::env::current_exe() {
        for up in exe.ancestors().skip(1).take(4) {
            candidates.push(up.join("s3s/bin/s3s-fs"));
        }
    }
    for d in std::env::var("PATH").unwrap_or_default().split(':') {
        candidates.push(PathBuf::from(d).join("s3s-fs"));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the S3 test server `s3s-fs` is not installed: run .ci/setup.sh (it runs `cargo \
             install s3s-fs --version 0.14.1 --features binary --locked --debug --root \
             $CARGO_TARGET_DIR/s3s`) or point PROOFSHEET_S3S_FS at the binary"
            )
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl S3Server {
    /// Starts the server with one empty bucket per name in `buckets`.
    pub fn start(buckets: &[&str]) -> S3Server {
        let dir = tempfile::Builder::new()
            .prefix("proofsheet-s3-")
            .tempdir()
            .expect("temp dir");
        for b in buckets {
            std::fs::create_dir_all(dir.path().join("data").join(b)).expect("bucket dir");
        }
        let mut s = S3Server {
            dir,
            child: None,
            port: 0,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let bin = binary();
        for _ in 0..5 {
            let port = if self.port == 0 {
                free_port()
            } else {
                self.port
            };
            let log = std::fs::File::create(self.dir.path().join("log")).expect("log");
            let mut child = Command::new(&bin)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(self.dir.path().join("data"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(10) {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    self.port = port;
                    self.child = Some(child);
                    return;
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        panic!("s3s-fs did not start:\n{log}");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The bucket's config with this server's keys.
    pub fn config(&self, bucket: &str) -> StorageConfig {
        StorageConfig {
            url: format!("s3://{bucket}"),
            endpoint: Some(self.endpoint()),
            region: None,
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
        }
    }

    pub fn storage(&self, bucket: &str) -> Storage {
        Storage::connect(&self.config(bucket)).expect("storage")
    }

    /// Kills the server (as an outage would), keeping its data.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port after [`S3Server::stop`].
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "still running");
        self.spawn();
    }

    /// The files s3s-fs keeps for a bucket's objects (the ground truth of what was
    /// uploaded), excluding its own metadata.
    pub fn object_files(&self, bucket: &str) -> usize {
        self.files_under(bucket, "sha256")
    }

    /// Like [`S3Server::object_files`], for the objects under key prefix `prefix`.
    pub fn files_under(&self, bucket: &str, prefix: &str) -> usize {
        fn walk(p: &std::path::Path, n: &mut usize) {
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, n);
                } else if !e.file_name().to_string_lossy().starts_with('.') {
                    *n += 1;
                }
            }
        }
        let mut n = 0;
        walk(
            &self.dir.path().join("data").join(bucket).join(prefix),
            &mut n,
        );
        n
    }

    /// Deletes an object behind the server's back (a bucket that lost it).
    pub fn remove_object(&self, bucket: &str, key: &str) {
        let path = self.dir.path().join("data").join(bucket).join(key);
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

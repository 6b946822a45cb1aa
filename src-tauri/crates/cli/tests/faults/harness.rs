//! Runs the real `proofsheet-cli` binary: cleared environment, a temp data dir, a unique
//! empty keychain service, keys from `PROOFSHEET_<P>_API_KEY`, every provider pointed
//! at the fake. Processes can be signalled (SIGKILL, SIGINT, SIGTERM) at any moment.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::fake::{Fake, PREFIX};

const BIN: &str = env!("CARGO_BIN_EXE_proofsheet-cli");

/// A private copy of the binary cargo built for this test (or of `FAULTS_CLI`, to audit
/// another build), taken once at the start:
/// helpers sharing one `CARGO_TARGET_DIR` can rebuild `target/debug/proofsheet-cli` from
/// another branch while the suite runs.
pub fn binary() -> &'static Path {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let src = std::env::var_os("FAULTS_CLI").map_or_else(|| PathBuf::from(BIN), PathBuf::from);
        let dir = std::env::temp_dir().join(format!("faults-bin-{}", std::process::id()));
        let copy = dir.join("proofsheet-cli");
        let ok = std::fs::create_dir_all(&dir).is_ok() && std::fs::copy(&src, &copy).is_ok();
        if ok { copy } else { src }
    })
}

/// Removes the private copy (end of the suite).
pub fn remove_binary_copy() {
    let b = binary();
    if let Some(dir) = b
        .parent()
        .filter(|d| d.ends_with(format!("faults-bin-{}", std::process::id())))
    {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Fake keys, recognisable so a leak can be found byte by byte.
pub const KEYS: &[(&str, &str)] = &[
    ("OPENAI", "sk-FAULTKEY-7f3a9c1e5b2d4e6f8a0b"),
    ("GOOGLE", "AIzaFAULTKEY-33aa44bb55cc66dd"),
    ("BFL", "bfl-FAULTKEY-11aa22bb33cc44dd"),
    ("FAL", "fal-FAULTKEY-55ee66ff77aa88bb"),
    ("REPLICATE", "r8_FAULTKEY-99cc00dd11ee22ff"),
    ("OPENROUTER", "sk-or-FAULTKEY-0a1b2c3d4e5f6a7b"),
    ("XAI", "xai-FAULTKEY-8d9e0f1a2b3c4d5e"),
];

/// A per-call client timeout the CLI is asked to use, so "no answer" ends in seconds.
pub const HTTP_TIMEOUT_MS: u64 = 2000;

#[derive(Debug, Clone)]
pub struct Out {
    /// Exit code, or 128 + signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The harness had to SIGKILL it at the deadline.
    pub timed_out: bool,
}

impl Out {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or(serde_json::Value::Null)
    }
    pub fn brief(&self) -> String {
        let last = |s: &str| s.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
        format!("exit {} stderr: {}", self.code, last(&self.stderr))
    }
}

/// One library (data dir) with its own environment.
pub struct Lib {
    pub tmp: TempDir,
    pub vars: Vec<(String, String)>,
    pub transcript: Mutex<String>,
    /// The requests (tags) made against this library.
    pub tags: Mutex<Vec<String>>,
}

impl Lib {
    pub fn new(fake: &Fake) -> Lib {
        let tmp = tempfile::Builder::new()
            .prefix("faults-")
            .tempdir()
            .expect("tempdir");
        let mut vars = vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".into(), tmp.path().join("home").display().to_string()),
            (
                "XDG_DATA_HOME".into(),
                tmp.path().join("xdg").display().to_string(),
            ),
            (
                "PROOFSHEET_KEYCHAIN_SERVICE".into(),
                format!("com.proofsheet.faults.{}", uuid::Uuid::new_v4().simple()),
            ),
            ("PROOFSHEET_POLL_INTERVAL_MS".into(), "50".into()),
            (
                "PROOFSHEET_HTTP_TIMEOUT_MS".into(),
                HTTP_TIMEOUT_MS.to_string(),
            ),
            ("PROOFSHEET_LOG".into(), "info".into()),
        ];
        for (id, suffix) in PREFIX {
            vars.push((
                format!("PROOFSHEET_{id}_BASE_URL"),
                format!("{}{suffix}", fake.base),
            ));
        }
        for (id, key) in KEYS {
            vars.push((format!("PROOFSHEET_{id}_API_KEY"), (*key).into()));
        }
        Lib {
            tmp,
            vars,
            transcript: Mutex::default(),
            tags: Mutex::default(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    /// A fresh request tag and a prompt that selects `fault` at the fake.
    pub fn prompt(&self, fault: &str) -> (String, String) {
        static NEXT: AtomicU64 = AtomicU64::new(0x1000);
        let tag = format!("tg{:010x}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.tags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tag.clone());
        (tag.clone(), format!("a red fox {tag} fx-{fault} at dusk"))
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(binary());
        c.env_clear();
        // Lifecycle judged on a fixed day: the tests route to models with announced shutdowns.
        c.env("PROOFSHEET_CATALOG_DATE", "2026-11-29");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.arg("--data-dir").arg(self.data_dir()).args(args);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self.command(args).spawn().expect("spawn proofsheet-cli");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let pump = |mut r: Box<dyn Read + Send>, buf: Arc<Mutex<Vec<u8>>>| {
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = r.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    buf.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend_from_slice(&chunk[..n]);
                }
            })
        };
        let threads = vec![
            pump(
                Box::new(child.stdout.take().expect("stdout")),
                stdout.clone(),
            ),
            pump(
                Box::new(child.stderr.take().expect("stderr")),
                stderr.clone(),
            ),
        ];
        Running {
            child,
            stdout,
            stderr,
            threads,
            started: Instant::now(),
        }
    }

    /// Runs to the end, SIGKILLed at `deadline`.
    pub fn run(&self, args: &[&str], deadline: Duration) -> Out {
        let r = self.spawn(args);
        let out = r.wait(deadline);
        self.record(&out);
        out
    }

    pub fn record(&self, out: &Out) {
        let mut t = self.transcript.lock().unwrap_or_else(|p| p.into_inner());
        t.push_str(&out.stdout);
        t.push_str(&out.stderr);
    }

    /// `project create` with the chains pinned to `offer` (no surprise fallbacks).
    pub fn project(&self, name: &str, budget: &str, soft: bool, offer: &str) -> Out {
        let mut a = vec![
            "project",
            "create",
            name,
            "--budget",
            budget,
            "--draft-chain",
            offer,
            "--final-chain",
            offer,
        ];
        if soft {
            a.push("--soft");
        }
        self.run(&a, Duration::from_secs(20))
    }
}

pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    pub started: Instant,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -<sig> <pid>` (KILL, INT, TERM); a process already gone is fine.
    pub fn signal(&mut self, sig: &str) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    pub fn stderr_has(&self, needle: &str) -> bool {
        let e = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&e).contains(needle)
    }

    pub fn wait(mut self, deadline: Duration) -> Out {
        let mut timed_out = false;
        let status = loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                break s;
            }
            if self.started.elapsed() > deadline {
                timed_out = true;
                let _ = self.child.kill();
                match self.child.wait() {
                    Ok(s) => break s,
                    Err(_) => return self.collect(-1, true),
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        self.collect(code, timed_out)
    }

    fn collect(self, code: i32, timed_out: bool) -> Out {
        for t in self.threads {
            let _ = t.join();
        }
        let text = |b: &Arc<Mutex<Vec<u8>>>| {
            String::from_utf8_lossy(&b.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
        };
        Out {
            code,
            stdout: text(&self.stdout),
            stderr: text(&self.stderr),
            timed_out,
        }
    }
}

/// SplitMix64: small, seeded, good enough to pick kill moments reproducibly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

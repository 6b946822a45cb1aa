//! Runs the real `proofsheet-cli` binary against a temp data dir, a unique keychain
//! service and wiremock providers. The child gets a cleared environment, so a
//! developer's own keys, data or keychain are never touched.
#![allow(dead_code)]

pub mod team;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use base64::Engine as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const BIN: &str = env!("CARGO_BIN_EXE_proofsheet-cli");

/// The binary under test: `PROOFSHEET_TEST_CLI_BIN` when set (a private copy: in a
/// target dir shared by several worktrees another build can replace `BIN` mid-run),
/// else the one cargo just built.
pub fn bin() -> std::ffi::OsString {
    std::env::var_os("PROOFSHEET_TEST_CLI_BIN").unwrap_or_else(|| BIN.into())
}

/// Every provider id, for `PROOFSHEET_<ID>_BASE_URL`.
const PROVIDERS: &[(&str, &str)] = &[
    ("OPENAI", "/v1"),
    ("STABILITY", ""),
    ("GOOGLE", "/v1beta"),
    ("REPLICATE", "/v1"),
    ("FAL", ""),
    ("BFL", ""),
    ("TOGETHER", "/v1"),
    ("OPENROUTER", "/api/v1"),
    ("A1111", ""),
    ("COMFYUI", ""),
    ("OPENAI_COMPATIBLE", "/v1"),
];

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn code(self, want: i32) -> Self {
        assert_eq!(
            self.code, want,
            "wrong exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub struct Env {
    pub tmp: TempDir,
    pub server: MockServer,
    pub vars: Vec<(String, String)>,
    /// Every stdout/stderr seen, for leak scans.
    pub transcript: std::sync::Mutex<String>,
}

impl Env {
    pub async fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let server = MockServer::start().await;
        let mut vars = vec![
            (
                "PATH".to_string(),
                std::env::var("PATH").unwrap_or_default(),
            ),
            (
                "HOME".to_string(),
                tmp.path().join("home").display().to_string(),
            ),
            (
                "PROOFSHEET_KEYCHAIN_SERVICE".to_string(),
                format!("com.proofsheet.test.{}", uuid::Uuid::new_v4()),
            ),
            ("PROOFSHEET_POLL_INTERVAL_MS".to_string(), "100".to_string()),
            ("PROOFSHEET_LOG".to_string(), "info".to_string()),
        ];
        if keyring_available() {
            for k in [
                "DBUS_SESSION_BUS_ADDRESS",
                "XDG_RUNTIME_DIR",
                "XDG_DATA_HOME",
            ] {
                if let Ok(v) = std::env::var(k) {
                    vars.push((k.to_string(), v));
                }
            }
        } else {
            vars.push((
                "XDG_DATA_HOME".to_string(),
                tmp.path().join("xdg").display().to_string(),
            ));
        }
        for (id, suffix) in PROVIDERS {
            vars.push((
                format!("PROOFSHEET_{id}_BASE_URL"),
                format!("{}{suffix}", server.uri()),
            ));
        }
        Self {
            tmp,
            server,
            vars,
            transcript: Default::default(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_string(), value.to_string()));
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(bin());
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
        c.kill_on_drop(true);
        c
    }

    pub async fn run(&self, args: &[&str]) -> Out {
        let out = self
            .command(args)
            .output()
            .await
            .expect("run proofsheet-cli");
        self.record(out)
    }

    pub async fn run_stdin(&self, args: &[&str], stdin: &str) -> Out {
        let mut c = self.command(args);
        c.stdin(Stdio::piped());
        let mut child = c.spawn().expect("spawn proofsheet-cli");
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(stdin.as_bytes()).await.expect("write stdin");
        drop(pipe);
        let out = child.wait_with_output().await.expect("wait");
        self.record(out)
    }

    pub fn record(&self, out: Output) -> Out {
        let o = Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if let Ok(mut t) = self.transcript.lock() {
            t.push_str(&o.stdout);
            t.push_str(&o.stderr);
        }
        o
    }

    /// Runs and expects success with a JSON document on stdout.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        self.run(&a).await.ok().json()
    }

    /// A project whose chains are pinned to the given offers (no surprise fallbacks).
    pub async fn project(&self, name: &str, budget: &str, draft: &str, final_: &str) -> Value {
        self.json(&[
            "project",
            "create",
            name,
            "--budget",
            budget,
            "--draft-chain",
            draft,
            "--final-chain",
            final_,
        ])
        .await
    }

    pub async fn requests_to(&self, method_: &str, path_: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.method.as_str() == method_ && r.url.path() == path_)
            .count()
    }
}

/// True under .ci/with-keyring.sh. Without it the keychain tests skip locally, and fail
/// under `CI=true`, where a skip would look green.
pub fn keyring_available() -> bool {
    if std::env::var_os("PROOFSHEET_KEYRING_TESTS").is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI expects a throwaway keyring; run the tests under .ci/with-keyring.sh"
    );
    false
}

pub fn png(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, shade])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// OpenAI images: `POST /v1/images/generations` → base64 PNG + token usage (providers.md §1).
pub async fn mount_openai_ok(server: &MockServer, shade: u8) {
    let body = json!({
        "created": 1_700_000_000,
        "data": [{ "b64_json": b64(&png(64, 64, shade)) }],
        "usage": {
            "input_tokens": 12,
            "input_tokens_details": { "text_tokens": 12, "image_tokens": 0 },
            "output_tokens": 272,
            "output_tokens_details": { "text_tokens": 0, "image_tokens": 272 },
            "total_tokens": 284
        }
    });
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A decimal string from a JSON money field; panics (test failure) if it is not a string.
#[track_caller]
pub fn money(v: &Value, field: &str) -> rust_decimal::Decimal {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} must be a decimal string, got {}", v[field]));
    s.parse()
        .unwrap_or_else(|_| panic!("{field} = {s:?} is not a decimal"))
}

/// `secret-tool lookup service <service> username <user>`: the stored secret, read from
/// the keyring itself rather than through Proofsheet.
pub fn secret_tool_lookup(service: &str, user: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", user])
        .output()
        .expect("secret-tool must be installed (apt-get install libsecret-tools)");
    (out.status.success() && !out.stdout.is_empty())
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// This library's own spend on `project`, from its ledger's running totals. A team
/// project's `project show` reports the team's totals from the server instead, so tests
/// that check the libraries against the server read each library here.
pub fn library_spent(env: &Env, project: &str) -> rust_decimal::Decimal {
    let c = rusqlite::Connection::open_with_flags(
        env.data_dir().join("proofsheet.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the library");
    let nanos: i64 = c
        .query_row(
            "SELECT t.spent_nanos FROM project_totals t JOIN projects p ON p.id = t.project_id
             WHERE p.name = ?1",
            [project],
            |r| r.get(0),
        )
        .expect("the project's running totals");
    rust_decimal::Decimal::new(nanos, 9)
}

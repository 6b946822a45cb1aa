//! Real gateways (issue 16 §6): a LiteLLM proxy (PyPI `litellm[proxy]`) and a Portkey
//! gateway (npm `@portkey-ai/gateway`), both pinned and installed by
//! `.ci/setup-gateways.sh` under tests/gateways/, run on loopback in front of a wiremock
//! OpenAI Images server. The real `proofsheet-cli` adds each gateway (key and secret
//! header on stdin), tests it, and generates through it: the image lands, the cost is
//! the bound catalog formula on the reported usage plus the 5 % markup, the gateway's
//! own figure is recorded beside it, and no key or secret header appears in any output,
//! log or file. A gateway that cannot start fails the test; outside CI (CI=true),
//! PROOFSHEET_SKIP_REAL_GATEWAYS=1 skips them (said loudly). Needs the keychain:
//! `.ci/with-keyring.sh cargo test -p proofsheet-cli --test real_gateways`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const UPSTREAM_KEY: &str = "sk-upstream-OPENAI-77aa88bb99cc";
const LITELLM_MASTER: &str = "sk-litellm-MASTER-0f1e2d3c4b5a";
const PORTKEY_SECRET: &str = "tok-portkey-SECRET-5a6b7c8d9e0f";
/// 20 text-in × $5/M + 1056 image-out × $30/M on openai:gpt-image-2 = $0.03178, + 5 %.
const EXPECTED_USD: &str = "0.033369";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// None when the run asked to skip (printed), else the tool's path or a failure.
fn tool(rel: &str, what: &str) -> Option<PathBuf> {
    // CI never skips them: a missing gateway there is a failed build, not a pass.
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if std::env::var_os("PROOFSHEET_SKIP_REAL_GATEWAYS").is_some() && !ci {
        eprintln!("SKIPPED (PROOFSHEET_SKIP_REAL_GATEWAYS is set): {what} real-gateway test");
        return None;
    }
    assert!(
        keyring_available(),
        "the real-gateway tests store gateway secrets in the keychain: run them under \
         .ci/with-keyring.sh (or set PROOFSHEET_SKIP_REAL_GATEWAYS=1 to skip them)"
    );
    let p = root().join(rel);
    assert!(
        p.exists(),
        "{what} is not installed at {}: run .ci/setup-gateways.sh (make gateways-setup)",
        p.display()
    );
    Some(p)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A gateway process, killed when dropped; its output goes to a log file.
struct Gateway {
    child: tokio::process::Child,
    log: PathBuf,
}

impl Gateway {
    fn spawn(cmd: &Path, args: &[String], log: PathBuf, envs: &[(&str, &str)]) -> Self {
        let file = std::fs::File::create(&log).expect("log file");
        let mut c = tokio::process::Command::new(cmd);
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", log.parent().expect("dir"))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .kill_on_drop(true);
        for (k, v) in envs {
            c.env(k, v);
        }
        let child = c
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", cmd.display()));
        Self { child, log }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits (bounded) until `url` answers 2xx; fails the test with the log otherwise.
    async fn wait_ready(&mut self, url: &str, limit: Duration) {
        let http = reqwest::Client::new();
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the gateway exited ({status}) before answering:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(r) = http.get(url).timeout(Duration::from_secs(2)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        panic!(
            "the gateway did not answer {url} within {} s:\n{}",
            limit.as_secs(),
            self.log_tail()
        );
    }
}

/// The upstream: OpenAI Images wire format, token usage and an aggregator-style `cost`.
async fn mount_upstream(server: &MockServer) {
    let body = json!({
        "created": 1_700_000_000,
        "data": [{ "b64_json": b64(&png(64, 64, 9)) }],
        "usage": {
            "input_tokens": 20,
            "input_tokens_details": { "text_tokens": 20, "image_tokens": 0 },
            "output_tokens": 1056,
            "output_tokens_details": { "text_tokens": 0, "image_tokens": 1056 },
            "total_tokens": 1076,
            "cost": 0.0321
        }
    });
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"object": "list", "data": [{"id": "gpt-image-2", "object": "model"}]}),
        ))
        .mount(server)
        .await;
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// Generates through `offer` and checks what every gateway run must show.
async fn generate_through(env: &Env, offer: &str) -> Value {
    let direct = env
        .json(&[
            "estimate",
            "--prompt",
            "a paper lantern",
            "--offer",
            "openai:gpt-image-2",
        ])
        .await;
    let via = env
        .json(&["estimate", "--prompt", "a paper lantern", "--offer", offer])
        .await;
    assert_eq!(
        money(&via["estimates"][0], "expected_usd"),
        money(&direct["estimates"][0], "expected_usd") * d("1.05"),
        "the gateway is priced as the bound offer + 5 %: {via}"
    );
    let out = env
        .run(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a paper lantern",
            "--final",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(out["status"], "succeeded", "{out}");
    let img = &out["images"][0];
    let p = img["path"].as_str().expect("image path");
    assert!(Path::new(p).is_file(), "the image landed at {p}");
    assert_eq!(money(&out, "cost_usd"), d(EXPECTED_USD), "{out}");
    let attempt = &out["attempts"][0];
    assert_eq!(attempt["offer_id"], offer);
    assert_eq!(attempt["provider"], "gateway");
    out
}

fn assert_no_secret(env: &Env, gateway_dir: &Path, secrets: &[&str]) {
    let transcript = env.transcript.lock().expect("transcript").clone();
    for s in secrets {
        assert!(!transcript.contains(s), "a secret reached the CLI's output");
    }
    for f in files_under(env.tmp.path()) {
        // The gateway's own config and log are its business, not ours.
        if f.starts_with(gateway_dir) {
            continue;
        }
        let bytes = std::fs::read(&f).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for s in secrets {
            assert!(!text.contains(s), "a secret is stored in {}", f.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_through_a_real_litellm_proxy() {
    let Some(litellm) = tool("tests/gateways/.venv/bin/litellm", "LiteLLM") else {
        return;
    };
    let mut env = Env::new().await;
    env.set("PROOFSHEET_LOG", "debug");
    mount_upstream(&env.server).await;
    let dir = env.tmp.path().join("gw");
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("litellm.yaml");
    std::fs::write(
        &config,
        format!(
            "model_list:\n  - model_name: gpt-image-2\n    litellm_params:\n      \
             model: openai/gpt-image-1\n      api_base: {}/v1\n      api_key: {UPSTREAM_KEY}\n\
             general_settings:\n  master_key: {LITELLM_MASTER}\n",
            env.server.uri()
        ),
    )
    .expect("config");
    let port = free_port();
    let mut gw = Gateway::spawn(
        &litellm,
        &[
            "--config".into(),
            config.display().to_string(),
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
        ],
        dir.join("litellm.log"),
        &[("LITELLM_LOG", "ERROR"), ("LITELLM_TELEMETRY", "False")],
    );
    gw.wait_ready(
        &format!("http://127.0.0.1:{port}/health/liveliness"),
        Duration::from_secs(180),
    )
    .await;

    let base = format!("http://127.0.0.1:{port}/v1");
    let added = env
        .run_stdin(
            &[
                "gateway",
                "add",
                "lite",
                "--base-url",
                &base,
                "--model",
                "gpt-image-2=openai:gpt-image-2",
                "--markup",
                "5",
                "--key-stdin",
                "--json",
            ],
            &format!("{LITELLM_MASTER}\n"),
        )
        .await
        .ok()
        .json();
    assert_eq!(added["key_set"], true, "{added}");
    assert_eq!(added["models"][0]["offer_id"], "gateway:lite/gpt-image-2");
    let t = env.json(&["gateway", "test", "lite"]).await;
    assert_eq!(
        (t["reachable"].clone(), t["key_accepted"].clone()),
        (json!(true), json!(true)),
        "{t}"
    );
    assert_eq!(t["served"], json!(["gpt-image-2"]), "{t}");

    env.project(
        "p",
        "5",
        "gateway:lite/gpt-image-2",
        "gateway:lite/gpt-image-2",
    )
    .await;
    let out = generate_through(&env, "gateway:lite/gpt-image-2").await;
    // LiteLLM prices the call itself (x-litellm-response-cost): recorded, not charged.
    let reported = money(&out["attempts"][0], "gateway_reported_usd");
    assert!(reported > Decimal::ZERO, "{out}");
    // LiteLLM called the upstream with its own key; ours stayed with LiteLLM.
    let reqs = env.server.received_requests().await.unwrap_or_default();
    let upstream = reqs
        .iter()
        .find(|r| r.url.path() == "/v1/images/generations")
        .expect("LiteLLM reached the upstream");
    assert_eq!(
        upstream
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {UPSTREAM_KEY}").as_str())
    );
    let listed = env.json(&["gateway", "list"]).await;
    assert_eq!(listed["gateways"][0]["name"], "lite");
    assert_no_secret(&env, &dir, &[LITELLM_MASTER, UPSTREAM_KEY]);
    drop(gw);
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_through_a_real_portkey_gateway() {
    let Some(portkey) = tool(
        "tests/gateways/portkey/node_modules/.bin/gateway",
        "Portkey gateway",
    ) else {
        return;
    };
    let mut env = Env::new().await;
    env.set("PROOFSHEET_LOG", "debug");
    mount_upstream(&env.server).await;
    let dir = env.tmp.path().join("gw");
    std::fs::create_dir_all(&dir).expect("dir");
    let port = free_port();
    let mut gw = Gateway::spawn(
        &portkey,
        &[format!("--port={port}"), "--headless".into()],
        dir.join("portkey.log"),
        &[("NODE_ENV", "production")],
    );
    gw.wait_ready(
        &format!("http://127.0.0.1:{port}/"),
        Duration::from_secs(60),
    )
    .await;

    let base = format!("http://127.0.0.1:{port}/v1");
    let custom_host = format!("x-portkey-custom-host={}/v1", env.server.uri());
    let added = env
        .run_stdin(
            &[
                "gateway",
                "add",
                "pk",
                "--base-url",
                &base,
                "--header",
                "x-portkey-provider=openai",
                "--header",
                &custom_host,
                "--header",
                "x-portkey-forward-headers=x-upstream-token",
                "--secret-header",
                "x-upstream-token",
                "--model",
                "gpt-image-2=openai:gpt-image-2",
                "--markup",
                "5",
                "--key-stdin",
                "--json",
            ],
            &format!("{PORTKEY_SECRET}\n{UPSTREAM_KEY}\n"),
        )
        .await
        .ok()
        .json();
    let secret = added["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h["name"] == "x-upstream-token")
        .expect("secret header listed")
        .clone();
    assert_eq!(
        (
            secret["secret"].clone(),
            secret["secret_set"].clone(),
            secret["value"].clone()
        ),
        (json!(true), json!(true), Value::Null)
    );
    // Portkey checks its headers but relays no model list (1.15.2 answers HTTP 500 to a
    // relayed GET /v1/models): reachable, headers accepted, key and models unchecked.
    let t = env
        .run(&["gateway", "test", "pk", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(
        (t["reachable"].clone(), t["key_accepted"].clone()),
        (json!(true), Value::Null),
        "{t}"
    );
    assert_eq!(
        (t["served"].clone(), t["missing"].clone()),
        (json!([]), json!([])),
        "{t}"
    );
    let said = t["message"].as_str().unwrap_or_default();
    assert!(said.starts_with("headers accepted by Portkey"), "{t}");
    // Wrong headers are named as such.
    env.json(&[
        "gateway",
        "add",
        "pk-bad",
        "--base-url",
        &base,
        "--header",
        "x-portkey-provider=no-such-provider",
        "--model",
        "gpt-image-2=openai:gpt-image-2",
    ])
    .await;
    let bad = env
        .run(&["gateway", "test", "pk-bad", "--json"])
        .await
        .json();
    let said = bad["message"].as_str().unwrap_or_default();
    assert!(
        said.contains("Portkey refused the headers: Invalid provider passed"),
        "{bad}"
    );
    env.json(&["gateway", "remove", "pk-bad"]).await;

    env.project("p", "5", "gateway:pk/gpt-image-2", "gateway:pk/gpt-image-2")
        .await;
    let out = generate_through(&env, "gateway:pk/gpt-image-2").await;
    // Portkey passes the upstream body through: its usage.cost is the reported figure.
    assert_eq!(
        money(&out["attempts"][0], "gateway_reported_usd"),
        d("0.0321"),
        "{out}"
    );
    let reqs = env.server.received_requests().await.unwrap_or_default();
    let upstream = reqs
        .iter()
        .find(|r| r.url.path() == "/v1/images/generations")
        .expect("Portkey reached the upstream");
    let h = |n: &str| {
        upstream
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(h("authorization"), Some(format!("Bearer {UPSTREAM_KEY}")));
    assert_eq!(
        h("x-upstream-token").as_deref(),
        Some(PORTKEY_SECRET),
        "secret header forwarded"
    );
    assert_no_secret(&env, &dir, &[PORTKEY_SECRET, UPSTREAM_KEY]);

    let removed = env.json(&["gateway", "remove", "pk"]).await;
    assert_eq!(removed["removed"], true);
    let left = env.json(&["gateway", "list"]).await;
    assert_eq!(left["gateways"], json!([]));
    drop(gw);
}

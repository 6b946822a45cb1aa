//! Shared fixtures: an engine on a temp data dir with fast retry timings, keys injected
//! in memory (tests never touch a keychain), and wiremock providers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use engine::api::*;
use engine::{Engine, EngineConfig, EngineOptions, ProgressFn, RecoveryMode, RetryPolicy};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const KEY: &str = "sk-test-ENGINE-5e4d3c2b1a";

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 13) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

pub fn options() -> EngineOptions {
    let keys: HashMap<String, String> = ["openai", "stability", "fal", "bfl", "google"]
        .iter()
        .map(|p| ((*p).to_owned(), KEY.to_owned()))
        .collect();
    EngineOptions {
        retry: RetryPolicy {
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        http_timeout: Duration::from_secs(10),
        poll_interval: Duration::from_millis(10),
        poll_deadline: Duration::from_secs(10),
        recovery: RecoveryMode::Manual,
        keys,
        ..EngineOptions::default()
    }
}

pub fn config(dir: &std::path::Path) -> EngineConfig {
    EngineConfig {
        data_dir: dir.to_path_buf(),
        // Unique per test; with keys injected the keychain is never reached anyway.
        keychain_service: format!("com.proofsheet.test.{}", uuid::Uuid::new_v4()),
    }
}

/// Opens an engine whose providers point at the given mock servers.
pub async fn engine(
    dir: &std::path::Path,
    endpoints: &[(&str, String)],
    opts: EngineOptions,
) -> Engine {
    let e = Engine::open_with(config(dir), opts)
        .await
        .expect("open engine");
    let view = e.settings().await.expect("settings");
    let endpoints = view
        .endpoints
        .into_iter()
        .map(|mut ep| {
            ep.base_url = endpoints
                .iter()
                .find(|(p, _)| *p == ep.provider.as_str())
                .map(|(_, u)| u.clone());
            ep
        })
        .collect();
    e.settings_save(SettingsInput {
        endpoints,
        gateways: Vec::new(),
        max_concurrent_jobs: 8,
        max_calls_per_provider: None,
    })
    .await
    .expect("save settings");
    e
}

pub fn project(name: &str, budget: Option<&str>, draft: &[&str], fin: &[&str]) -> ProjectInput {
    ProjectInput {
        name: name.into(),
        client: Some("ACME".into()),
        budget_usd: budget.map(d),
        period: BudgetPeriod::Total,
        hard: true,
        warn_at: Vec::new(),
        draft_chain: draft.iter().map(|s| (*s).to_owned()).collect(),
        final_chain: fin.iter().map(|s| (*s).to_owned()).collect(),
        allow_safety_fallback: false,
        preflight_moderation: false,
        final_quality: None,
    }
}

pub fn params(seed: Option<u32>) -> RequestParams {
    RequestParams {
        prompt: "a paper lantern floating over a lake".into(),
        negative_prompt: None,
        width: 1024,
        height: 1024,
        quality: None,
        n: 1,
        steps: None,
        seed,
        ..RequestParams::text("", 0, 0)
    }
}

pub fn input(project: &str, route: Route, seed: Option<u32>) -> GenerateInput {
    GenerateInput {
        project: project.into(),
        params: params(seed),
        route,
        no_dedup: false,
    }
}

/// A progress callback that records every event.
pub fn recorder() -> (ProgressFn, Arc<Mutex<Vec<JobEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    (Arc::new(move |ev| e.lock().expect("lock").push(ev)), events)
}

pub fn noop() -> ProgressFn {
    Arc::new(|_| {})
}

/// Stability v2beta core: raw PNG bytes, finish reason and seed in headers.
pub async fn stability_ok(server: &MockServer, route: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/v2beta/stable-image/generate/{route}")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .insert_header("finish-reason", "SUCCESS")
                .insert_header("seed", "42")
                .set_body_bytes(png(16, 16)),
        )
        .mount(server)
        .await;
}

/// OpenAI Images success with token usage.
pub fn openai_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "created": 1,
        "data": [{"b64_json": b64(&png(16, 16))}],
        "usage": {"input_tokens": 20, "input_tokens_details": {"text_tokens": 20, "image_tokens": 0},
                  "output_tokens": 272, "total_tokens": 292}
    }))
}

pub async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

//! `PROOFSHEET_<PROVIDER>_BASE_URL` wins over settings. Env vars are process-wide (and
//! `set_var` is unsafe), so the test re-runs this binary as a child with the variable set.

use crate::common::*;
use providers::{ProgressSink, provider_for};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const VAR: &str = "PROOFSHEET_TOGETHER_BASE_URL";

#[tokio::test]
async fn child_uses_env_base_url() {
    if std::env::var(VAR).is_err() {
        return; // only meaningful inside the child process below
    }
    // Settings point at a dead port; the env override must win.
    let p = provider_for(
        vocab::ProviderId::Together,
        &cfg("http://127.0.0.1:9"),
        client(),
    )
    .expect("provider");
    let out = p
        .generate(&req("m"), Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("env base URL used");
    assert_eq!(out.images.len(), 1);
}

#[tokio::test]
async fn env_var_overrides_settings() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"b64_json": png_b64(4, 4)}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let exe = std::env::current_exe().expect("test binary");
    let out = tokio::process::Command::new(exe)
        .args([
            "--exact",
            "env_override::child_uses_env_base_url",
            "--test-threads=1",
        ])
        .env(VAR, format!("{}/v1", server.uri()))
        .output()
        .await
        .expect("child runs");
    assert!(
        out.status.success(),
        "child test failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    server.verify().await;
}

//! Two settings saves at once never leave memory disagreeing with the library
//! (issue 13 §1.10: settings, clients and catalog used to be swapped under three locks,
//! so interleaved saves could keep one in memory and the other on disk).

use crate::common::*;
use engine::Engine;
use engine::api::{ProviderEndpoint, ProviderId, SettingsInput};

fn input(url: &str, jobs: u32) -> SettingsInput {
    SettingsInput {
        endpoints: vec![ProviderEndpoint {
            provider: ProviderId::OpenAi,
            base_url: Some(url.into()),
            default_base_url: String::new(),
            env_base_url: None,
        }],
        gateways: Vec::new(),
        max_concurrent_jobs: jobs,
        max_calls_per_provider: None,
    }
}

fn openai_url(s: &engine::api::SettingsView) -> Option<String> {
    s.endpoints
        .iter()
        .find(|e| e.provider == ProviderId::OpenAi)
        .and_then(|e| e.base_url.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_settings_saves_keep_memory_and_library_in_step() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = std::sync::Arc::new(
        Engine::open_with(config(dir.path()), options())
            .await
            .expect("open"),
    );
    for round in 0..15 {
        let (a, b) = (e.clone(), e.clone());
        let first = tokio::spawn(async move { a.settings_save(input("http://a.test", 2)).await });
        let second = tokio::spawn(async move { b.settings_save(input("http://b.test", 5)).await });
        first.await.expect("join").expect("save a");
        second.await.expect("join").expect("save b");
        let in_memory = e.settings().await.expect("settings");
        let reopened = Engine::open_with(config(dir.path()), options())
            .await
            .expect("reopen");
        let on_disk = reopened.settings().await.expect("settings");
        assert_eq!(
            openai_url(&in_memory),
            openai_url(&on_disk),
            "round {round}: memory and library disagree"
        );
        let expected_jobs = if openai_url(&on_disk).as_deref() == Some("http://a.test") {
            2
        } else {
            5
        };
        assert_eq!(on_disk.max_concurrent_jobs, expected_jobs, "round {round}");
        assert_eq!(
            in_memory.max_concurrent_jobs, expected_jobs,
            "round {round}"
        );
    }
}

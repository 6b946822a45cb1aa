//! Engine benchmarks (DESIGN.md §7):
//! - `generation/full`: one draft generation end to end against a zero-latency loopback
//!   provider (wiremock, 16×16 PNG). `generation/provider_call` is the bare HTTP call
//!   and `generation/persist` the store's image write, both measured alone so the
//!   engine's own overhead is `full − provider_call − persist`.
//! - `concurrent/32x500ms`: 32 generations at once against a provider with 500 ms latency.
//!
//! Run: `cargo bench -p proofsheet-engine --bench engine`

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use engine::api::{
    BudgetPeriod, GenerateInput, GenerationStatus, ProjectInput, RequestParams, Route,
    SettingsInput,
};
use engine::{Engine, EngineConfig, EngineOptions, ProgressFn, RecoveryMode};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 9) as u8, (y * 5) as u8, 3]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

async fn provider(delay: Duration) -> MockServer {
    // No request log: it would grow with every iteration and skew later samples.
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/generate/core"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .insert_header("finish-reason", "SUCCESS")
                .set_body_bytes(png(16, 16))
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

async fn open(dir: &std::path::Path, server: &MockServer, jobs: u32) -> Engine {
    let opts = EngineOptions {
        recovery: RecoveryMode::Manual,
        keys: HashMap::from([("stability".to_owned(), "sk-bench".to_owned())]),
        max_concurrent_jobs: Some(jobs),
        provider_concurrency: Some(jobs as usize),
        ..EngineOptions::default()
    };
    let e = Engine::open_with(
        EngineConfig {
            data_dir: dir.to_path_buf(),
            keychain_service: "com.proofsheet.bench".into(),
        },
        opts,
    )
    .await
    .expect("open");
    let mut s = e.settings().await.expect("settings");
    for ep in &mut s.endpoints {
        if ep.provider == engine::api::ProviderId::Stability {
            ep.base_url = Some(server.uri());
        }
    }
    e.settings_save(SettingsInput {
        endpoints: s.endpoints,
        gateways: vec![],
        max_concurrent_jobs: jobs,
        max_calls_per_provider: None,
    })
    .await
    .expect("settings");
    for i in 0..PROJECTS {
        e.project_upsert(project(&format!("bench{i}")))
            .await
            .expect("project");
    }
    e
}

/// Spend is summed from a project's ledger rows, so a single project holding every
/// benchmark iteration would measure a degenerate project; spread them out instead.
const PROJECTS: u32 = 200;

fn project(name: &str) -> ProjectInput {
    ProjectInput {
        name: name.into(),
        client: None,
        budget_usd: None,
        period: BudgetPeriod::Total,
        hard: true,
        warn_at: vec![],
        draft_chain: vec!["stability:stable-image-core".into()],
        final_chain: vec![],
        allow_safety_fallback: false,
        preflight_moderation: false,
        final_quality: None,
    }
}

fn input(seed: u32) -> GenerateInput {
    GenerateInput {
        project: format!("bench{}", (seed / 50) % PROJECTS),
        params: RequestParams {
            prompt: "a bench in a park".into(),
            negative_prompt: None,
            width: 1024,
            height: 1024,
            quality: None,
            n: 1,
            steps: None,
            seed: Some(seed),
            ..RequestParams::text("", 0, 0)
        },
        route: Route::Draft,
        no_dedup: false,
    }
}

fn noop() -> ProgressFn {
    Arc::new(|_| {})
}

fn generation(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tmp");
    let server = rt.block_on(provider(Duration::ZERO));
    let engine = rt.block_on(open(dir.path(), &server, 4));
    let seed = AtomicU32::new(1);
    let mut g = c.benchmark_group("generation");
    g.sample_size(200);
    g.bench_function("full", |b| {
        b.to_async(&rt).iter(|| async {
            // A new seed each time: a dedup miss, so the provider is called.
            let r = engine
                .generate(input(seed.fetch_add(1, Ordering::Relaxed)), noop())
                .await;
            assert!(matches!(r, Ok(ref r) if r.status == GenerationStatus::Succeeded));
        })
    });

    // The bare provider call, same mock, same client stack.
    let client = providers::provider_for(
        engine::api::ProviderId::Stability,
        &providers::ProviderConfig {
            base_url: Some(server.uri()),
            ..Default::default()
        },
        providers::http::default_client(),
    )
    .expect("client");
    let req = providers::GenerateRequest::new("stable-image-core", "a bench in a park");
    let cancel = providers::CancellationToken::new();
    g.bench_function("provider_call", |b| {
        b.to_async(&rt).iter(|| async {
            let out = client
                .generate(
                    &req,
                    Some("sk-bench"),
                    &providers::ProgressSink::noop(),
                    &cancel,
                )
                .await;
            assert!(out.is_ok());
        })
    });

    // The store's image write alone (hash, atomic write, thumbnail, row).
    let store = store::Store::open(dir.path()).expect("store");
    let pid = store.project_by_name("bench0").expect("project").id;
    let gid = store
        .create_generation(&store::NewGeneration {
            project_id: pid,
            request: store::CanonicalRequest {
                prompt: "p".into(),
                provider: "x".into(),
                model: "y".into(),
                n: 1,
                ..Default::default()
            },
            tier: store::Tier::Draft,
            parent_id: None,
            offer_id: None,
            estimate: None,
            seed_honoured: true,
        })
        .expect("generation");
    let bytes = png(16, 16);
    let idx = AtomicU32::new(0);
    g.bench_function("persist", |b| {
        b.iter(|| {
            store
                .persist_image(gid, idx.fetch_add(1, Ordering::Relaxed), &bytes, None)
                .expect("persist")
        })
    });
    g.finish();
}

fn concurrent(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tmp");
    let server = rt.block_on(provider(Duration::from_millis(500)));
    let engine = Arc::new(rt.block_on(open(dir.path(), &server, 32)));
    let seed = Arc::new(AtomicU32::new(1_000_000));
    let mut g = c.benchmark_group("concurrent");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("32x500ms", |b| {
        b.to_async(&rt).iter(|| {
            let engine = engine.clone();
            let seed = seed.clone();
            async move {
                let jobs: Vec<_> = (0..32)
                    .map(|_| {
                        let e = engine.clone();
                        let s = seed.fetch_add(1, Ordering::Relaxed);
                        tokio::spawn(async move { e.generate(input(s), noop()).await })
                    })
                    .collect();
                for j in jobs {
                    let r = j.await.expect("join");
                    assert!(matches!(r, Ok(ref r) if r.status == GenerationStatus::Succeeded));
                }
            }
        })
    });
    g.finish();
}

criterion_group!(benches, generation, concurrent);
criterion_main!(benches);

//! Proofsheet's side of the side-by-side benchmark (issue 17, `make bench-compare`).
//!
//! Talks to an OpenAI Images server at `--base-url` (the fast fake in tests/bench) and
//! answers one command per stdin line, so the orchestrator can interleave it with
//! LiteLLM and the gateways in the same run:
//!   `raw N`      N bare HTTP calls with the engine's own HTTP client (no parsing)
//!   `client N`   N calls through the OpenAI provider client (request + parse + decode)
//!   `full N`     N draft generations through the engine (new seed each: no dedup hit)
//!   `persist N`  N image writes through the store alone
//! Each answer is one JSON line: `{"what": .., "ms": [..]}`.
//!
//! Run: `cargo run --release -p proofsheet-engine --example bench_compare -- --base-url URL`

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Instant;

use engine::api::{
    BudgetPeriod, GenerateInput, GenerationStatus, ProjectInput, ProviderId, RequestParams, Route,
    SettingsInput,
};
use engine::{Engine, EngineConfig, EngineOptions, ProgressFn, RecoveryMode};

const OFFER: &str = "openai:gpt-image-2";
const PROJECTS: u32 = 200;

fn project(name: &str) -> ProjectInput {
    ProjectInput {
        name: name.into(),
        client: None,
        budget_usd: None,
        period: BudgetPeriod::Total,
        hard: true,
        warn_at: vec![],
        draft_chain: vec![OFFER.into()],
        final_chain: vec![],
        allow_safety_fallback: false,
        preflight_moderation: false,
        final_quality: None,
    }
}

fn input(seed: u32) -> GenerateInput {
    GenerateInput {
        // Spread over projects: spend is summed per project, as in the criterion bench.
        project: format!("bench{}", (seed / 50) % PROJECTS),
        params: RequestParams {
            // gpt-image models ignore seeds, so the seed is not in the dedup key: a new
            // prompt each time makes every call a dedup miss that reaches the provider.
            prompt: format!("a bench in a park, take {seed}"),
            negative_prompt: None,
            width: 1024,
            height: 1024,
            quality: Some("low".into()),
            n: 1,
            steps: None,
            seed: Some(seed),
            ..RequestParams::text("", 0, 0)
        },
        route: Route::Draft,
        no_dedup: false,
    }
}

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip_while(|a| a != name);
    args.next();
    args.next()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = arg("--base-url").ok_or("usage: bench_compare --base-url URL")?;
    let dir = tempfile::tempdir()?;
    let engine = Engine::open_with(
        EngineConfig {
            data_dir: dir.path().to_path_buf(),
            keychain_service: "com.proofsheet.bench".into(),
        },
        EngineOptions {
            recovery: RecoveryMode::Manual,
            keys: HashMap::from([("openai".to_owned(), "sk-bench".to_owned())]),
            ..EngineOptions::default()
        },
    )
    .await?;
    let mut s = engine.settings().await?;
    for ep in &mut s.endpoints {
        if ep.provider == ProviderId::OpenAi {
            ep.base_url = Some(format!("{base}/v1"));
        }
    }
    engine
        .settings_save(SettingsInput {
            endpoints: s.endpoints,
            gateways: vec![],
            max_concurrent_jobs: 4,
            max_calls_per_provider: None,
        })
        .await?;
    for i in 0..PROJECTS {
        engine.project_upsert(project(&format!("bench{i}"))).await?;
    }

    let http = providers::http::default_client();
    let client = providers::provider_for(
        ProviderId::OpenAi,
        &providers::ProviderConfig {
            base_url: Some(format!("{base}/v1")),
            ..Default::default()
        },
        http.clone(),
    )?;
    let req = providers::GenerateRequest::new("gpt-image-2", "a bench in a park");
    let cancel = providers::CancellationToken::new();
    let store = store::Store::open(dir.path())?;
    let pid = store.project_by_name("bench0")?.id;
    let gid = store.create_generation(&store::NewGeneration {
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
    })?;
    let png = png16();
    let noop: ProgressFn = Arc::new(|_| {});
    let body = serde_json::json!({"model": "gpt-image-2", "prompt": "a bench in a park", "n": 1});
    let (mut seed, mut image) = (1u32, 0u32);

    println!("ready");
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line?;
        let mut parts = line.split_whitespace();
        let (Some(what), Some(n)) = (
            parts.next(),
            parts.next().and_then(|n| n.parse::<u32>().ok()),
        ) else {
            continue;
        };
        let mut ms = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let t = Instant::now();
            match what {
                "raw" => {
                    let r = http
                        .post(format!("{base}/v1/images/generations"))
                        .bearer_auth("sk-bench")
                        .json(&body)
                        .send()
                        .await?;
                    r.bytes().await?;
                }
                "client" => {
                    client
                        .generate(
                            &req,
                            Some("sk-bench"),
                            &providers::ProgressSink::noop(),
                            &cancel,
                        )
                        .await?;
                }
                "full" => {
                    seed += 1;
                    let r = engine.generate(input(seed), noop.clone()).await?;
                    if r.status != GenerationStatus::Succeeded {
                        return Err(format!("generation ended {:?}", r.status).into());
                    }
                }
                "persist" => {
                    image += 1;
                    store.persist_image(gid, image, &png, None)?;
                }
                other => return Err(format!("unknown command {other}").into()),
            }
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", serde_json::json!({"what": what, "ms": ms}))?;
        out.flush()?;
    }
    Ok(())
}

/// The same 16×16 PNG the fake returns, for the store-only measurement.
fn png16() -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 16, |x, y| {
        image::Rgb([(x * 16) as u8, (y * 16) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    let _ = img.write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

//! The UI's browser fake (`ui/src/lib/api/fake/`) answers from fixtures recorded here
//! from the real engine: the bundled catalog's offers, real estimates for a few fixed
//! requests, the real validation limits and error texts, default settings. The checked-in
//! files must match what the engine says today; `make bindings` rewrites them
//! (PROOFSHEET_BLESS=1, exactly like the bindings check: this test's name contains
//! "bindings" so the same filter regenerates and checks both).
//!
//! The recording runs in a child process of this test binary with a cleared environment
//! and `PROOFSHEET_CATALOG_DATE` pinned: lifecycle (shut-down models) is read once per
//! process from that variable, and no key or base URL of the machine may leak in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::api::{JobEvent, ProviderId};
use engine::{Engine, EngineConfig, EngineOptions, RecoveryMode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const FIXTURES_DIR: &str = "ui/src/lib/api/fixtures";
const OUT_VAR: &str = "PROOFSHEET_FIXTURES_OUT";
/// The day lifecycle is judged on, as in every other test (gpt-image-1-mini shuts down
/// 2026-12-01).
const CATALOG_DATE: &str = "2026-11-29";
/// Providers the fake starts with keys for (its seeded Settings → Keys).
const KEYED: [&str; 5] = ["openai", "bfl", "fal", "stability", "google"];
const PROMPT: &str = "a lighthouse at dusk, long exposure";

#[test]
fn bindings_for_the_ui_fake_are_fresh() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES_DIR);
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "fake_fixtures::record",
            "--ignored",
            "--test-threads=1",
        ])
        .env_clear()
        .env("PROOFSHEET_CATALOG_DATE", CATALOG_DATE)
        .env(OUT_VAR, dir.path())
        .output()
        .expect("run the recorder");
    assert!(
        out.status.success(),
        "recording the fake's fixtures failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut fresh: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("read recorded fixtures")
        .map(|e| e.expect("dir entry").path())
        .collect();
    fresh.sort();
    assert!(!fresh.is_empty(), "the recorder wrote nothing");
    // Stale: a recorded file differs from (or is missing in) the checked-in copy, or a
    // checked-in file is no longer recorded (the fake would read old data).
    let names: Vec<_> = fresh.iter().filter_map(|p| p.file_name()).collect();
    let mut stale: Vec<PathBuf> = fresh
        .iter()
        .filter(|p| {
            let target = checked_in.join(p.file_name().unwrap_or_default());
            std::fs::read_to_string(target).ok() != std::fs::read_to_string(p).ok()
        })
        .cloned()
        .collect();
    let extra: Vec<PathBuf> = std::fs::read_dir(&checked_in)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| !names.contains(&e.file_name().as_os_str()))
        .map(|e| e.path())
        .collect();
    if stale.is_empty() && extra.is_empty() {
        return;
    }
    // As the bindings check: blessing rewrites the files and still fails, so a
    // PROOFSHEET_BLESS left set never turns this into a writer that passes; in CI it
    // never writes at all.
    let bless = std::env::var_os("PROOFSHEET_BLESS").is_some();
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let listed = stale
        .iter()
        .map(|p| checked_in.join(p.file_name().unwrap_or_default()))
        .chain(extra.iter().cloned())
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if bless && !ci {
        std::fs::create_dir_all(&checked_in).expect("create fixtures dir");
        for path in stale.drain(..) {
            let target = checked_in.join(path.file_name().unwrap_or_default());
            std::fs::copy(&path, target).expect("write fixture");
        }
        for path in &extra {
            std::fs::remove_file(path).expect("remove old fixture");
        }
        panic!(
            "the UI fake's fixtures were rewritten ({listed}): review and commit them (the next run passes)"
        );
    }
    panic!(
        "the UI fake's fixtures are stale ({listed}): run `make bindings` and commit the result{}",
        if bless {
            " (PROOFSHEET_BLESS is ignored in CI)"
        } else {
            ""
        }
    );
}

/// The recorder; only the freshness test above runs it (in a clean child process).
#[test]
#[ignore = "run by bindings_for_the_ui_fake_are_fresh in a clean environment"]
fn record() {
    let out = PathBuf::from(std::env::var_os(OUT_VAR).expect("PROOFSHEET_FIXTURES_OUT"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(record_into(&out));
}

async fn record_into(out: &Path) {
    let data = tempfile::tempdir().expect("temp data dir");
    let engine = open(data.path()).await;
    let mut fixtures = Fixtures::default();

    write(out, "offers.json", &pretty(&to_value(&engine.offers())));
    write(out, "estimates.json", &estimates(&engine).await);
    write(out, "inputs.json", &pretty(&inputs(&engine).await));

    fixtures.limits(&engine).await;
    fixtures.errors(&engine).await;
    fixtures.state(&engine, data.path()).await;
    write(out, "engine.json", &pretty(&json!(fixtures.0)));
}

async fn open(dir: &Path) -> Engine {
    let keys = KEYED
        .iter()
        .map(|p| ((*p).to_owned(), "sk-fixture-not-a-real-key-0000".to_owned()))
        .collect();
    let config = EngineConfig {
        data_dir: dir.to_path_buf(),
        // A test service nobody stores under (the recorder's cleared environment cannot
        // reach a keyring anyway); keys are injected, so none is asked for.
        keychain_service: format!("com.proofsheet.test.fixtures.{}", std::process::id()),
    };
    let options = EngineOptions {
        keys,
        recovery: RecoveryMode::Manual,
        ..EngineOptions::default()
    };
    Engine::open_with(config, options)
        .await
        .expect("open engine")
}

fn params(extra: Value) -> Value {
    let mut p = json!({
        "prompt": PROMPT, "negative_prompt": null, "width": 1024, "height": 1024,
        "quality": null, "n": 1, "steps": null, "seed": null,
    });
    if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(extra.clone());
    }
    p
}

/// Real estimates on every offer for the requests the fake prices; it answers other
/// requests from the nearest of these (same count first, then size).
async fn estimates(engine: &Engine) -> String {
    let long_prompt = "a quiet harbour at dawn with fishing boats, ".repeat(120);
    let requests = [
        params(json!({})),
        params(json!({ "n": 4 })),
        params(json!({ "width": 1536, "height": 1024 })),
        params(json!({ "width": 1024, "height": 1536 })),
        params(json!({ "width": 1920, "height": 1080 })),
        params(json!({ "quality": "low" })),
        params(json!({ "quality": "high" })),
        params(json!({ "seed": 42, "negative_prompt": "text, watermark", "steps": 30 })),
        params(json!({ "prompt": long_prompt })),
    ];
    let mut entries = Vec::new();
    for p in requests {
        let input = json!({ "params": p, "project": null, "tier": "all", "offers": [] });
        let result = engine.estimate(from(input)).await.expect("estimate");
        let rows: Vec<String> = result
            .estimates
            .iter()
            .map(|e| format!("    {}", to_value(e)))
            .collect();
        entries.push(format!(
            "  {{\n    \"params\": {},\n    \"estimates\": [\n{}\n    ]\n  }}",
            p,
            rows.iter()
                .map(|r| format!("  {r}"))
                .collect::<Vec<_>>()
                .join(",\n")
        ));
    }
    format!("[\n{}\n]\n", entries.join(",\n"))
}

/// A PNG of `w`×`h` (RGBA when `mask`: transparent top half = the region to edit).
fn png(w: u32, h: u32, shade: u8, mask: bool) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        let alpha = if mask && y < h / 2 { 0 } else { 255 };
        image::Rgba([(x % 256) as u8, (y % 256) as u8, shade, alpha])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// Image inputs (issue 15): what importing answers, real estimates of an edit, an edit
/// with three references, an inpaint and an upscale on every offer (supported or with
/// why not), and the engine's refusals of bad inputs.
async fn inputs(engine: &Engine) -> Value {
    let import = |bytes: Vec<u8>| async move {
        engine
            .import_input_image(bytes)
            .await
            .expect("import input")
    };
    let subject = import(png(1024, 1024, 1, false)).await;
    let mut refs = Vec::new();
    for shade in 2..5 {
        refs.push(import(png(1024, 1024, shade, false)).await);
    }
    let mask = import(png(1024, 1024, 0, true)).await;
    let blob = |sha: &str, role: &str| json!({ "source": { "kind": "blob", "sha256": sha }, "role": role });
    let mut three = vec![blob(&subject.sha256, "subject")];
    three.extend(refs.iter().map(|r| blob(&r.sha256, "reference")));
    let requests = [
        params(
            json!({ "operation": "edit", "inputs": [blob(&subject.sha256, "subject")],
                       "fidelity": "high" }),
        ),
        params(json!({ "operation": "edit", "inputs": three, "fidelity": "high" })),
        params(
            json!({ "operation": "inpaint", "inputs": [blob(&subject.sha256, "subject")],
                       "mask": { "kind": "blob", "sha256": mask.sha256 } }),
        ),
        params(
            json!({ "operation": "upscale", "inputs": [blob(&subject.sha256, "subject")],
                       "scale": 2, "width": 2048, "height": 2048 }),
        ),
    ];
    let mut estimates = Vec::new();
    for p in requests {
        let input = json!({ "params": p, "project": null, "tier": "all", "offers": [] });
        let result = engine.estimate(from(input)).await.expect("estimate");
        estimates.push(json!({ "params": p, "estimates": to_value(&result.estimates) }));
    }
    let est = |p: Value| json!({ "params": p, "project": null, "tier": "all", "offers": [] });
    let small_mask = import(png(512, 512, 0, true)).await;
    let errors = json!({
        "input_not_image": err(engine.import_input_image(b"not an image".to_vec()).await),
        "mask_size_mismatch": err(engine.estimate(from(est(params(json!({
            "operation": "inpaint", "inputs": [blob(&subject.sha256, "subject")],
            "mask": { "kind": "blob", "sha256": small_mask.sha256 } }))))).await),
        "operation_needs_subject": err(engine.estimate(from(est(params(json!({
            "operation": "upscale" }))))).await),
        "inpaint_needs_mask": err(engine.estimate(from(est(params(json!({
            "operation": "inpaint", "inputs": [blob(&subject.sha256, "subject")] }))))).await),
    });
    json!({
        "imported": { "subject": subject, "references": refs, "mask": mask },
        "estimates": estimates,
        "errors": errors,
    })
}

#[derive(Default)]
struct Fixtures(BTreeMap<&'static str, Value>);

impl Fixtures {
    /// The request bounds the engine enforces, found by asking it (not copied from it).
    async fn limits(&mut self, engine: &Engine) {
        let one = engine.offers().first().map(|o| o.offer_id.clone());
        let ok = &|w: u32, h: u32, n: u32| {
            let input = json!({
                "params": params(json!({ "width": w, "height": h, "n": n })),
                "project": null, "tier": "all", "offers": [one],
            });
            async move {
                engine
                    .estimate(from::<engine::api::EstimateInput>(input))
                    .await
                    .is_ok()
            }
        };
        let min_side = first_true(1, 1024, |v| ok(v, 1024, 1)).await;
        let max_side =
            first_true(1024, 1 << 16, |v| async move { !ok(v, 1024, 1).await }).await - 1;
        let max_n = first_true(1, 1024, |v| async move { !ok(1024, 1024, v).await }).await - 1;
        let min_n = if ok(1024, 1024, 0).await { 0 } else { 1 };
        self.0.insert(
            "limits",
            json!({ "min_side": min_side, "max_side": max_side, "min_n": min_n, "max_n": max_n }),
        );
    }

    async fn errors(&mut self, engine: &Engine) {
        let mut e = BTreeMap::new();
        let est = |p: Value| json!({ "params": p, "project": null, "tier": "all", "offers": [] });
        e.insert(
            "prompt_empty",
            err(engine
                .estimate(from(est(params(json!({ "prompt": "  " })))))
                .await),
        );
        // Templates: the probe's values are replaced by {placeholders} the fake fills in.
        let size = err(engine
            .estimate(from(est(params(json!({ "width": 9001, "height": 33 })))))
            .await);
        e.insert(
            "size_out_of_range",
            template(size, &[("9001", "{width}"), ("33", "{height}")]),
        );
        let count = err(engine.estimate(from(est(params(json!({ "n": 99 }))))).await);
        e.insert("count_out_of_range", template(count, &[("99", "{n}")]));
        let unknown = json!({ "params": params(json!({})), "project": null, "tier": "all", "offers": ["nobody:nothing"] });
        let unknown = err(engine.estimate(from(unknown)).await);
        e.insert(
            "estimate_unknown_offer",
            template(unknown, &[("nobody:nothing", "{offers}")]),
        );

        let project = |name: &str, budget: Value| {
            json!({
                "name": name, "client": null, "budget_usd": budget, "period": "total", "hard": true,
                "warn_at": [], "draft_chain": [], "final_chain": [], "allow_safety_fallback": false,
                "preflight_moderation": false, "final_quality": null,
            })
        };
        e.insert(
            "project_name_empty",
            err(engine.project_upsert(from(project(" ", json!(null)))).await),
        );
        e.insert(
            "project_budget_negative",
            err(engine
                .project_upsert(from(project("Probe", json!("-1"))))
                .await),
        );
        let mut chain = project("Probe", json!(null));
        chain["draft_chain"] = json!(["nobody:nothing"]);
        let chain = err(engine.project_upsert(from(chain)).await);
        e.insert(
            "project_chain_unknown",
            template(
                chain,
                &[("draft", "{what}"), ("nobody:nothing", "{offers}")],
            ),
        );
        let missing = err(engine.project_show("Probe that does not exist").await);
        e.insert(
            "project_not_found",
            template(missing, &[("Probe that does not exist", "{name}")]),
        );
        for name in ["Taken", "Renamed"] {
            engine
                .project_upsert(from(project(name, json!(null))))
                .await
                .expect("project");
        }
        let taken = err(engine.project_rename("Renamed", "Taken").await);
        e.insert(
            "project_name_taken",
            template(taken, &[("Taken", "{name}")]),
        );
        let bad = err(engine.generation_detail("gen-1").await);
        e.insert("generation_id_invalid", template(bad, &[("gen-1", "{id}")]));
        let gone = "00000000-0000-4000-8000-000000000001";
        let gone = template(err(engine.generation_detail(gone).await), &[(gone, "{id}")]);
        e.insert("generation_not_found", gone);

        e.insert(
            "catalog_not_json",
            err(engine.catalog_import("{ not json".into()).await),
        );
        // The shape the old fake invented (offer_id/price_usd): the real engine refuses it.
        let invented = r#"{"version":"x","offers":[{"offer_id":"a/b","provider":"a","model":"b","price_usd":4}]}"#;
        e.insert(
            "catalog_invented_schema",
            err(engine.catalog_import(invented.into()).await),
        );

        let settings = engine.settings().await.expect("settings");
        let save = |max: u32, url: Option<&str>| {
            let mut endpoints = to_value(&settings.endpoints);
            if let (Some(url), Some(first)) = (url, endpoints.get_mut(0)) {
                first["base_url"] = json!(url);
            }
            json!({ "endpoints": endpoints, "gateways": [], "max_concurrent_jobs": max })
        };
        let first_provider = settings
            .endpoints
            .first()
            .map(|p| p.provider.to_string())
            .unwrap_or_default();
        let bad = err(engine.settings_save(from(save(4, Some("ftp://x")))).await);
        e.insert(
            "settings_bad_base_url",
            template(
                bad,
                &[("ftp://x", "{url}"), (first_provider.as_str(), "{owner}")],
            ),
        );
        // The job limit is not refused but clamped: record the bounds it is clamped to.
        let mut clamp = Vec::new();
        for asked in [0, 100_000] {
            let saved = engine
                .settings_save(from(save(asked, None)))
                .await
                .expect("settings save");
            clamp.push(saved.max_concurrent_jobs);
        }
        engine
            .settings_save(from(save(settings.max_concurrent_jobs, None)))
            .await
            .expect("restore settings");
        self.0.insert(
            "max_concurrent_jobs",
            json!({ "min": clamp[0], "max": clamp[1] }),
        );
        // The per-provider call cap is refused outside its range, not clamped: record
        // the range the engine takes and its refusal.
        let calls = |n: u32| {
            let mut v = save(settings.max_concurrent_jobs, None);
            v["max_calls_per_provider"] = json!(n);
            v
        };
        let (lo, hi) = (1, 256);
        for ok in [lo, hi] {
            engine
                .settings_save(from(calls(ok)))
                .await
                .expect("cap in range");
        }
        assert!(engine.settings_save(from(calls(hi + 1))).await.is_err());
        let bad = err(engine.settings_save(from(calls(lo - 1))).await);
        e.insert(
            "settings_calls_out_of_range",
            template(bad, &[("got 0", "got {got}")]),
        );
        engine
            .settings_save(from(calls(settings.max_calls_per_provider)))
            .await
            .expect("restore the cap");
        self.0
            .insert("max_calls_per_provider", json!({ "min": lo, "max": hi }));

        let rate = |id: &str, m: &str| {
            from::<Vec<_>>(json!([{ "offer_id": id, "multiplier": m, "price_cap_usd": null }]))
        };
        let unknown = err(engine
            .price_overrides_set(rate("nobody:nothing", "0.8"))
            .await);
        e.insert(
            "override_unknown_offer",
            template(unknown, &[("nobody:nothing", "{offer_id}")]),
        );
        let first = engine
            .offers()
            .first()
            .map(|o| o.offer_id.clone())
            .unwrap_or_default();
        // Which multipliers the engine takes is its call: record the refusal of a negative
        // one, and whether zero (a free deal) passes.
        let negative = err(engine.price_overrides_set(rate(&first, "-1")).await);
        e.insert(
            "override_multiplier_negative",
            template(negative, &[(first.as_str(), "{offer_id}")]),
        );
        let zero_ok = engine.price_overrides_set(rate(&first, "0")).await.is_ok();
        engine
            .price_overrides_set(Vec::new())
            .await
            .expect("clear rates");
        self.0.insert("override_zero_accepted", json!(zero_ok));

        // An unknown provider id never reaches the engine: `key_set` takes a `ProviderId`,
        // and the IPC boundary refuses any other string. Refused before the keychain is reached (the key is checked first).
        e.insert(
            "key_empty",
            err(engine.key_set(ProviderId::OpenAi, "   ".into()).await),
        );
        e.insert(
            "key_has_spaces",
            err(engine
                .key_set(ProviderId::OpenAi, "sk-abc def".into())
                .await),
        );
        let feed = "http://example.com/feed.json";
        let plain = err(engine.catalog_set_feed_url(Some(feed.into())).await);
        e.insert("feed_url_not_https", template(plain, &[(feed, "{url}")]));

        // A hard budget of one cent, then an offer that needs more, and an empty prompt.
        let tiny = engine
            .project_upsert(from(project("Tiny", json!("0.01"))))
            .await
            .expect("project");
        let offer = "openai:gpt-image-2";
        let submit = |p: Value| {
            json!({
                "project": tiny.name, "params": p, "route": { "kind": "offer", "offer_id": offer }, "no_dedup": false,
            })
        };
        let events = submit_events(engine, submit(params(json!({})))).await;
        let needed = engine
            .estimate(from(json!({ "params": params(json!({})), "project": null, "tier": "all", "offers": [offer] })))
            .await
            .expect("estimate")
            .estimates
            .first()
            .map(|e| e.worst_case_usd)
            .expect("one estimate");
        let probe = [
            ("needed", needed.to_string()),
            ("remaining", "0.01".into()),
            ("budget", "0.01".into()),
            ("spent", "0".into()),
            ("reserved", "0".into()),
        ];
        e.insert("submit_over_budget", amounts_template(&events, &probe));
        self.0.insert(
            "over_budget",
            json!({ "offer_id": offer, "budget_usd": "0.01", "events": events }),
        );
        let events = submit_events(engine, submit(params(json!({ "prompt": "" })))).await;
        self.0
            .insert("submit_prompt_empty", json!({ "events": events }));
        library_errors(engine, &mut e).await;
        self.0.insert("errors", json!(e));
    }

    /// What a fresh library shows: default settings, catalog, presets, a new project.
    async fn state(&mut self, engine: &Engine, data_dir: &Path) {
        let dir = data_dir.display().to_string();
        let mut settings = to_value(&engine.settings().await.expect("settings"));
        replace_str(
            &mut settings,
            &dir,
            "/home/designer/.local/share/proofsheet",
        );
        self.0.insert("settings", settings);
        self.0.insert("keyed_providers", json!(KEYED));
        self.0
            .insert("providers", to_value(&engine::provider_facts::all()));
        let mut status = to_value(&engine.catalog_status().await.expect("catalog status"));
        for volatile in ["age_days", "last_checked_at", "applied_at"] {
            if let Some(v) = status.get_mut(volatile) {
                *v = Value::Null;
            }
        }
        self.0.insert("catalog_status", status);
        self.0
            .insert("size_presets", to_value(&engine.size_presets().await));
        let p = json!({
            "name": "Defaults", "client": null, "budget_usd": "50", "period": "total", "hard": true,
            "warn_at": [], "draft_chain": [], "final_chain": [], "allow_safety_fallback": false,
            "preflight_moderation": false, "final_quality": null,
        });
        self.0.insert(
            "new_project",
            to_value(&engine.project_upsert(from(p)).await.expect("project")),
        );
    }
}

/// Refusals of the gallery, invoice, drift, gateway and discovery commands.
async fn library_errors(engine: &Engine, e: &mut BTreeMap<&'static str, Value>) {
    let gone = "00000000-0000-4000-8000-000000000001";
    let rating = err(engine.set_rating(gone, 6).await);
    e.insert(
        "rating_out_of_range",
        template(rating, &[("6", "{rating}")]),
    );
    e.insert(
        "board_name_empty",
        err(engine.add_to_board(gone, "  ").await),
    );
    let board = err(engine.delete_board("No such board").await);
    e.insert(
        "board_not_found",
        template(board, &[("No such board", "{board}")]),
    );
    let range = json!({ "project": "Taken", "from": "2026-11-20", "to": "2026-11-01", "markup_percent": null });
    let range = err(engine.invoice(from(range)).await);
    e.insert(
        "invoice_range_reversed",
        template(range, &[("2026-11-20", "{from}"), ("2026-11-01", "{to}")]),
    );
    let window = err(engine
        .drift_settings_save(from(json!({ "window": 1, "threshold_pct": "10" })))
        .await);
    e.insert(
        "drift_window_out_of_range",
        template(window, &[("1", "{window}")]),
    );
    let pct = err(engine
        .drift_settings_save(from(json!({ "window": 10, "threshold_pct": "250" })))
        .await);
    e.insert(
        "drift_threshold_out_of_range",
        template(pct, &[("250", "{threshold_pct}")]),
    );
    let gateway = |name: &str, url: &str, offer: Option<&str>| {
        json!({
            "name": name, "base_url": url, "dialect": "images", "headers": [],
            "models": [{ "name": "probe-model", "offer_id": offer }], "markup_percent": null,
            "markup_per_image_usd": null, "price_per_image_usd": null, "cost_header": null,
            "cost_json_path": null, "key": null,
        })
    };
    let name = err(engine
        .gateway_save(from(gateway("bad name!", "http://127.0.0.1:4000/v1", None)))
        .await);
    e.insert(
        "gateway_bad_name",
        template(name, &[("bad name!", "{name}")]),
    );
    let url = err(engine
        .gateway_save(from(gateway("studio", "ftp://x", None)))
        .await);
    e.insert("gateway_bad_url", template(url, &[("ftp://x", "{url}")]));
    let offer = err(engine
        .gateway_save(from(gateway(
            "studio",
            "http://127.0.0.1:4000/v1",
            Some("nobody:nothing"),
        )))
        .await);
    e.insert(
        "gateway_unknown_offer",
        template(
            offer,
            &[("probe-model", "{model}"), ("nobody:nothing", "{offer_id}")],
        ),
    );
    let missing = err(engine.gateway_remove("nope").await);
    e.insert(
        "gateway_not_found",
        template(missing, &[("nope", "{name}")]),
    );
    let import = err(engine
        .offers_import(ProviderId::OpenAi, vec!["gpt-image-9".into()])
        .await);
    e.insert(
        "import_unpriced_provider",
        template(import, &[("openai", "{provider}")]),
    );
    let refund = err(engine.charge_refund("nope").await);
    e.insert("charge_id_invalid", template(refund, &[("nope", "{id}")]));
    let refund = err(engine.charge_refund("999999").await);
    e.insert("charge_not_found", template(refund, &[("999999", "{id}")]));
}

/// A submit the engine refuses: the job id comes back at once, then the events.
async fn submit_events(engine: &Engine, input: Value) -> Value {
    let events = Arc::new(Mutex::new(Vec::<Value>::new()));
    let sink = events.clone();
    let progress: engine::ProgressFn = Arc::new(move |e: JobEvent| {
        if let Ok(mut v) = sink.lock() {
            v.push(to_value(&e));
        }
    });
    let job = engine
        .submit(from(input), progress)
        .await
        .expect("submit returns a job id");
    for _ in 0..500 {
        let done = events
            .lock()
            .map(|v| v.iter().any(is_final))
            .unwrap_or(false);
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut events = Value::Array(events.lock().map(|v| v.clone()).unwrap_or_default());
    assert!(
        events.as_array().is_some_and(|v| v.iter().any(is_final)),
        "no final event: {events}"
    );
    replace_str(&mut events, &job, "{job_id}");
    events
}

/// The budget refusal's text with its dollar amounts replaced, in order, by the named
/// slots; each amount must equal the probe's value for that slot.
fn amounts_template(events: &Value, probe: &[(&str, String)]) -> Value {
    let failed = events
        .as_array()
        .and_then(|v| v.iter().find(|e| e["stage"] == "failed"))
        .expect("a failed event");
    let msg = failed["message"].as_str().expect("failure message");
    let mut out = String::new();
    let mut rest = msg;
    for (slot, value) in probe {
        let at = rest
            .find('$')
            .unwrap_or_else(|| panic!("no amount for {slot} in: {msg}"));
        let end = rest[at + 1..]
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(rest.len(), |i| at + 1 + i);
        let end = if rest[..end].ends_with('.') {
            end - 1
        } else {
            end
        };
        let found: rust_decimal::Decimal = rest[at + 1..end].parse().expect("amount");
        let want: rust_decimal::Decimal = value.parse().expect("probe amount");
        assert_eq!(found, want, "the amount for {slot} moved in: {msg}");
        out.push_str(&rest[..=at]);
        out.push_str(&format!("{{{slot}}}"));
        rest = &rest[end..];
    }
    out.push_str(rest);
    json!({ "kind": "budget", "message": out })
}

fn is_final(e: &Value) -> bool {
    matches!(e["stage"].as_str(), Some("done" | "failed"))
}

/// The smallest `v` in `lo..hi` for which `f(v)` holds (f monotone: false…false true…).
async fn first_true<F, Fut>(mut lo: u32, mut hi: u32, f: F) -> u32
where
    F: Fn(u32) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if f(mid).await {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// The error exactly as it crosses IPC (the shell's `AppError`).
#[track_caller]
fn err<T: std::fmt::Debug>(r: engine::Result<T>) -> Value {
    let e = r.expect_err("the engine must refuse this probe");
    to_value(&proofsheet_lib::AppError::from(e))
}

fn template(mut error: Value, subs: &[(&str, &str)]) -> Value {
    let msg = error["message"].as_str().unwrap_or_default().to_owned();
    let mut t = msg.clone();
    for (value, slot) in subs {
        assert!(
            t.contains(value),
            "`{value}` is not in the engine's message: {msg}"
        );
        t = t.replacen(value, slot, 1);
    }
    error["message"] = json!(t);
    error
}

fn replace_str(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) => *s = s.replace(from, to),
        Value::Array(a) => a.iter_mut().for_each(|x| replace_str(x, from, to)),
        Value::Object(o) => o.values_mut().for_each(|x| replace_str(x, from, to)),
        _ => {}
    }
}

fn from<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("IPC input shape")
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serialize")
}

fn pretty(v: &Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).expect("json"))
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write fixture");
}

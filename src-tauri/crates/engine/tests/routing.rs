//! The one routing decision (issue 12 §1, walkthrough 1.1, 1.2, 1.10, 1.16): what the
//! cost table marks usable, Draft runs; the preview says what will run before it does;
//! promote renders at the final quality; a reuse adds no gallery twin; a provider
//! cooling down is shown and passed over.

use std::time::Duration;

use crate::common::*;
use engine::BreakerPolicy;
use engine::api::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GPT2: &str = "openai:gpt-image-2";
const SUNBURST: &str = "openai:gpt-image-2.5-sunburst";
const CORE: &str = "stability:stable-image-core";

async fn openai_server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(openai_ok())
        .mount(&s)
        .await;
    s
}

/// JSON bodies OpenAI received, in order.
async fn bodies(s: &MockServer) -> Vec<serde_json::Value> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| serde_json::from_slice(&r.body).ok())
        .collect()
}

fn wide(neg: Option<&str>) -> RequestParams {
    RequestParams {
        width: 1920,
        height: 1080,
        negative_prompt: neg.map(str::to_owned),
        ..params(None)
    }
}

fn preview_input(route: Route, p: RequestParams) -> RoutePreviewInput {
    RoutePreviewInput {
        project: "p".into(),
        params: p,
        route,
    }
}

#[tokio::test]
async fn a_1920x1080_draft_with_a_negative_prompt_runs_what_the_table_marks_usable() {
    let openai = openai_server().await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[GPT2, CORE], &[]))
        .await
        .expect("project");
    let p = wide(Some("blurry, text"));

    // The table: usable rows, with the snap and the ignored negative prompt said.
    let table = e
        .estimate(EstimateInput {
            params: p.clone(),
            project: Some("p".into()),
            tier: TierFilter::All,
            offers: vec![GPT2.into(), CORE.into()],
        })
        .await
        .expect("estimate");
    let row = table
        .estimates
        .iter()
        .find(|r| r.offer_id == GPT2)
        .expect("row");
    assert!(row.supported, "{row:?}");
    assert_eq!(
        row.fit, 1,
        "1080 is not a multiple of 16: snapped, still 16:9"
    );
    assert!(
        row.notes.iter().any(|n| n.contains("size snapped to")),
        "{row:?}"
    );

    // The button's decision, before it is pressed.
    let dec = e
        .route_preview(preview_input(Route::Draft, p.clone()))
        .await
        .expect("preview");
    assert!(dec.can_run, "{dec:?}");
    assert_eq!(dec.offer_id.as_deref(), Some(GPT2));
    assert_ne!((dec.width, dec.height), (1920, 1080));
    assert!(
        dec.notes.iter().any(|n| n.contains("negative prompt")),
        "{dec:?}"
    );
    assert!(dec.reserve_usd.is_some_and(|r| r > d("0")));

    // Pressing Draft runs it, snapped, without the negative prompt.
    let r = e
        .generate(
            GenerateInput {
                project: "p".into(),
                params: p,
                route: Route::Draft,
                no_dedup: false,
            },
            noop(),
        )
        .await
        .expect("draft runs");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(r.attempts[0].offer_id, GPT2);
    let sent = bodies(&openai).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["size"], format!("{}x{}", dec.width, dec.height));
    assert!(sent[0].get("negative_prompt").is_none(), "{:?}", sent[0]);
}

#[tokio::test]
async fn the_preview_says_why_a_route_cannot_run_and_the_fix() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut opts = options();
    opts.keys.remove("openai");
    let e = engine(dir.path(), &[], opts).await;
    e.project_upsert(project("p", None, &[GPT2], &[]))
        .await
        .expect("project");
    let dec = e
        .route_preview(preview_input(Route::Draft, params(None)))
        .await
        .expect("preview");
    assert!(!dec.can_run);
    assert!(
        dec.reason
            .as_deref()
            .is_some_and(|r| r.contains("no API key for openai")),
        "{dec:?}"
    );
    assert!(
        dec.fix
            .as_deref()
            .is_some_and(|f| f.contains("Settings → Keys"))
    );

    let none = e
        .route_preview(RoutePreviewInput {
            project: "nope".into(),
            params: params(None),
            route: Route::Draft,
        })
        .await
        .expect("preview");
    assert!(!none.can_run);
    assert!(none.fix.as_deref().is_some_and(|f| f.contains("project")));
}

#[tokio::test]
async fn promote_renders_at_final_quality_says_what_differs_and_is_free_the_second_time() {
    let openai = openai_server().await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[GPT2], &[SUNBURST]))
        .await
        .expect("project");
    let mut p = params(None);
    p.quality = Some("low".into());
    let draft = e
        .generate(
            GenerateInput {
                project: "p".into(),
                params: p,
                route: Route::Draft,
                no_dedup: false,
            },
            noop(),
        )
        .await
        .expect("draft");
    let id = draft.generation_id.clone();

    let pv = e.promote_preview(&id).await.expect("preview");
    assert!(!pv.already_promoted);
    assert!(pv.decision.can_run && !pv.decision.dedup_hit, "{pv:?}");
    assert_eq!(pv.decision.offer_id.as_deref(), Some(SUNBURST));
    assert_eq!(
        pv.decision.quality.as_deref(),
        Some("high"),
        "the best standard quality, not xhigh/max and not the draft's low"
    );
    let diff = pv.differences.join("\n");
    assert!(diff.contains("Quality: low → high"), "{diff}");
    assert!(diff.contains("Model: GPT Image 2 →"), "{diff}");
    assert!(diff.contains("ignores seeds: expect a new image"), "{diff}");
    assert!(
        pv.estimates[0].expected_usd == pv.decision.expected_usd.unwrap_or_default(),
        "the table prices the same quality the job runs"
    );

    let fin = e.promote_and_wait(&id, noop()).await.expect("promote");
    assert_eq!(fin.status, GenerationStatus::Succeeded, "{fin:?}");
    let sent = bodies(&openai).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["quality"], "low");
    assert_eq!(
        sent[1]["quality"], "high",
        "the final is not rendered at low"
    );

    // A second promote of the same draft: the preview says it is free, and it is.
    let again = e.promote_preview(&id).await.expect("preview again");
    assert!(again.already_promoted);
    assert!(again.decision.dedup_hit, "{again:?}");
    assert_eq!(again.decision.expected_usd, Some(d("0")));
    let twin = e
        .promote_and_wait(&id, noop())
        .await
        .expect("promote again");
    assert_eq!(twin.status, GenerationStatus::Reused);
    assert_eq!(twin.cost_usd, d("0"));
    assert_eq!(bodies(&openai).await.len(), 2, "nothing sent");

    // The reuse points at the final already shown: two tiles, not three.
    let page = e
        .gallery_page(GalleryQuery {
            project: Some("p".into()),
            board: None,
            provider: None,
            tier: None,
            from: None,
            to: None,
            favourites_only: false,
            min_rating: None,
            search: None,
            cursor: None,
            limit: 50,
        })
        .await
        .expect("gallery");
    assert_eq!(page.total, 2, "{:?}", page.items);
    assert_eq!(page.items.len(), 2);
}

#[tokio::test]
async fn a_provider_cooling_down_is_shown_and_draft_uses_the_next_one() {
    let openai = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .mount(&openai)
        .await;
    let stability = MockServer::start().await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut opts = options();
    opts.breaker = BreakerPolicy {
        failures: 1,
        cool_down: Duration::from_secs(120),
    };
    let e = engine(
        dir.path(),
        &[("openai", openai.uri()), ("stability", stability.uri())],
        opts,
    )
    .await;
    e.project_upsert(project("p", Some("5"), &[GPT2, CORE], &[]))
        .await
        .expect("project");
    let first = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect("draft");
    assert_eq!(first.status, GenerationStatus::Succeeded, "{first:?}");
    let sent = requests(&openai).await;
    assert!(sent >= 1);

    let mut p = params(None);
    p.prompt = "another lantern".into();
    let table = e
        .estimate(EstimateInput {
            params: p.clone(),
            project: Some("p".into()),
            tier: TierFilter::All,
            offers: vec![GPT2.into(), CORE.into()],
        })
        .await
        .expect("estimate");
    let gpt = table
        .estimates
        .iter()
        .find(|r| r.offer_id == GPT2)
        .expect("row");
    assert!(
        gpt.cooling_down
            .as_deref()
            .is_some_and(|c| c.contains("cooling down")),
        "{gpt:?}"
    );
    let dec = e
        .route_preview(preview_input(Route::Draft, p.clone()))
        .await
        .expect("preview");
    assert!(dec.can_run, "{dec:?}");
    assert_eq!(dec.offer_id.as_deref(), Some(CORE));
    assert!(dec.skipped.iter().any(|s| s.offer_id == GPT2));

    let r = e
        .generate(
            GenerateInput {
                project: "p".into(),
                params: p,
                route: Route::Draft,
                no_dedup: false,
            },
            noop(),
        )
        .await
        .expect("draft");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(
        requests(&openai).await,
        sent,
        "nothing sent to a cooling provider"
    );
}

#[tokio::test]
async fn presets_are_sizes_some_usable_offer_makes_exactly() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut opts = options();
    opts.keys.retain(|p, _| p == "stability");
    let e = engine(dir.path(), &[], opts).await;
    let presets = e.size_presets().await;
    let sizes: Vec<(u32, u32)> = presets.iter().map(|p| (p.width, p.height)).collect();
    assert!(sizes.contains(&(1024, 1024)), "{sizes:?}");
    assert!(
        sizes.contains(&(1344, 768)),
        "Stability makes 1344×768: {sizes:?}"
    );
    assert!(
        !sizes.contains(&(1920, 1080)),
        "no Stability model makes 1920×1080 exactly: {sizes:?}"
    );
    assert!(
        !sizes.contains(&(1536, 1024)),
        "only OpenAI makes 1536×1024, and it has no key here: {sizes:?}"
    );
    assert!(
        presets
            .iter()
            .all(|p| p.offers.iter().all(|o| !o.contains("GPT")))
    );
}

#[tokio::test]
async fn a_project_final_quality_overrides_the_default() {
    let openai = openai_server().await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    let mut input = project("p", Some("5"), &[GPT2], &[SUNBURST]);
    input.final_quality = Some("medium".into());
    let view = e.project_upsert(input).await.expect("project");
    assert_eq!(view.final_quality.as_deref(), Some("medium"));
    let draft = e.generate(input_low(), noop()).await.expect("draft");
    let pv = e
        .promote_preview(&draft.generation_id)
        .await
        .expect("preview");
    assert_eq!(pv.decision.quality.as_deref(), Some("medium"));
    let fin = e
        .promote_and_wait(&draft.generation_id, noop())
        .await
        .expect("promote");
    assert_eq!(fin.status, GenerationStatus::Succeeded);
    assert_eq!(bodies(&openai).await[1]["quality"], "medium");
}

fn input_low() -> GenerateInput {
    let mut p = params(None);
    p.quality = Some("low".into());
    GenerateInput {
        project: "p".into(),
        params: p,
        route: Route::Draft,
        no_dedup: false,
    }
}

//! The pipeline against wiremock providers: fallbacks, rate limits, safety blocks,
//! quota, dedup, promote lineage, budget refusal and cancellation.

use crate::common::*;
use engine::ErrorKind;
use engine::api::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// A live OpenAI offer that ignores seeds (gpt-image-1-mini shuts down 2026-12-01).
const MINI: &str = "openai:gpt-image-2";
const CORE: &str = "stability:stable-image-core";
const ULTRA: &str = "stability:stable-image-ultra";

#[tokio::test]
async fn draft_chain_falls_back_from_503_to_next_offer() {
    let openai = MockServer::start().await;
    let stability = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .mount(&openai)
        .await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(
        dir.path(),
        &[("openai", openai.uri()), ("stability", stability.uri())],
        options(),
    )
    .await;
    e.project_upsert(project("p", Some("5"), &[MINI, CORE], &[]))
        .await
        .expect("project");
    let (progress, events) = recorder();
    let r = e
        .generate(input("p", Route::Draft, None), progress)
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    let outcomes: Vec<_> = r
        .attempts
        .iter()
        .map(|a| (a.offer_id.as_str(), a.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (MINI, "transient"),
            (MINI, "transient"),
            (MINI, "transient"),
            (CORE, "succeeded")
        ],
        "one call plus two retries on the failing offer, then the next offer"
    );
    assert_eq!(requests(&openai).await, 3);
    assert_eq!(r.cost_usd, d("0.03"), "stable image core is 3 credits");
    assert!(
        r.attempts[..3]
            .iter()
            .all(|a| !a.billed && a.cost_usd.is_zero())
    );
    assert_eq!(r.images.len(), 1);
    assert!(std::path::Path::new(&r.images[0].path).exists());
    let ev = events.lock().expect("lock").clone();
    assert!(matches!(ev.first(), Some(JobEvent::Queued { .. })));
    assert!(matches!(ev.last(), Some(JobEvent::Done { .. })));
    let p = e.project_show("p").await.expect("show");
    assert_eq!(
        (p.spent_usd, p.reserved_usd),
        (d("0.03"), d("0")),
        "settled, nothing held"
    );
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_then_retries() {
    let openai = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&openai)
        .await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(openai_ok())
        .mount(&openai)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    e.project_upsert(project("p", None, &[MINI], &[]))
        .await
        .expect("project");
    let (progress, events) = recorder();
    let r = e
        .generate(input("p", Route::Draft, None), progress)
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(
        requests(&openai).await,
        2,
        "the second request came after the wait"
    );
    let ev = events.lock().expect("lock").clone();
    let wait = ev
        .iter()
        .position(|e| matches!(e, JobEvent::WaitingRateLimit { seconds: 1, .. }));
    let running: Vec<usize> = ev
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, JobEvent::Running { .. }))
        .map(|(i, _)| i)
        .collect();
    assert!(wait.is_some(), "{ev:?}");
    assert_eq!(running.len(), 2);
    assert!(
        running[0] < wait.unwrap_or(0) && wait.unwrap_or(0) < running[1],
        "{ev:?}"
    );
    assert_eq!(r.attempts[0].outcome.as_str(), "rate_limited");
    assert!(r.cost_usd > d("0"), "token usage was settled");
}

#[tokio::test]
async fn billed_safety_block_is_charged_and_not_retried() {
    let openai = MockServer::start().await;
    let stability = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/generate/core"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .insert_header("finish-reason", "CONTENT_FILTERED")
                .set_body_bytes(png(16, 16)),
        )
        .mount(&stability)
        .await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(openai_ok())
        .mount(&openai)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(
        dir.path(),
        &[("openai", openai.uri()), ("stability", stability.uri())],
        options(),
    )
    .await;
    e.project_upsert(project("p", Some("5"), &[CORE, MINI], &[]))
        .await
        .expect("project");
    let r = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Failed);
    assert_eq!(
        requests(&stability).await,
        1,
        "never retried on the same offer"
    );
    assert_eq!(
        requests(&openai).await,
        0,
        "no fallback unless the project allows it"
    );
    assert_eq!(r.attempts.len(), 1);
    let a = &r.attempts[0];
    assert_eq!(
        (a.outcome.as_str(), a.billed, a.cost_usd),
        ("safety_block", true, d("0.03"))
    );
    assert!(
        r.error.as_deref().is_some_and(|m| m.contains("safety")),
        "{:?}",
        r.error
    );
    let p = e.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.reserved_usd), (d("0.03"), d("0")));

    // With safety fallback allowed, the next offer is tried.
    let mut pi = project("p", Some("5"), &[CORE, MINI], &[]);
    pi.allow_safety_fallback = true;
    e.project_upsert(pi).await.expect("project");
    let r = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(requests(&openai).await, 1);
}

#[tokio::test]
async fn quota_exhausted_stops_the_offer_and_moves_on() {
    let openai = MockServer::start().await;
    let stability = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {
            "message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}})))
        .mount(&openai)
        .await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(
        dir.path(),
        &[("openai", openai.uri()), ("stability", stability.uri())],
        options(),
    )
    .await;
    e.project_upsert(project("p", None, &[MINI, CORE], &[]))
        .await
        .expect("project");
    let r = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded);
    assert_eq!(requests(&openai).await, 1, "quota is not retried");
    assert_eq!(r.attempts[0].outcome.as_str(), "quota_exhausted");
    assert_eq!(r.attempts[1].outcome.as_str(), "succeeded");
}

#[tokio::test]
async fn dedup_hit_costs_nothing_and_records_the_saving() {
    let stability = MockServer::start().await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    let first = e
        .generate(input("p", Route::Draft, Some(42)), noop())
        .await
        .expect("first");
    assert_eq!(first.status, GenerationStatus::Succeeded);
    let est = e
        .estimate(EstimateInput {
            params: params(Some(42)),
            project: Some("p".into()),
            tier: TierFilter::Draft,
            offers: vec![CORE.into()],
        })
        .await
        .expect("estimate");
    assert!(est.estimates[0].dedup_hit && est.estimates[0].has_key);

    let again = e
        .generate(input("p", Route::Draft, Some(42)), noop())
        .await
        .expect("again");
    assert_eq!(again.status, GenerationStatus::Reused);
    assert!(again.dedup_hit);
    assert_eq!((again.cost_usd, again.saved_usd), (d("0"), d("0.03")));
    assert_eq!(again.images[0].hash, first.images[0].hash);
    assert_eq!(requests(&stability).await, 1, "never pay twice");
    let p = e.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.saved_usd), (d("0.03"), d("0.03")));

    let mut fresh = input("p", Route::Draft, Some(42));
    fresh.no_dedup = true;
    let third = e.generate(fresh, noop()).await.expect("regenerate anyway");
    assert_eq!(third.status, GenerationStatus::Succeeded);
    assert_eq!(requests(&stability).await, 2);
}

#[tokio::test]
async fn promote_renders_on_the_final_chain_and_links_lineage() {
    let stability = MockServer::start().await;
    stability_ok(&stability, "core").await;
    stability_ok(&stability, "ultra").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[ULTRA]))
        .await
        .expect("project");
    let draft = e
        .generate(input("p", Route::Draft, Some(7)), noop())
        .await
        .expect("draft");
    let preview = e
        .promote_preview(&draft.generation_id)
        .await
        .expect("preview");
    assert_eq!(preview.estimates[0].offer_id, ULTRA);
    assert_eq!(
        preview.difference_usd,
        d("0.08") - d("0.03"),
        "ultra 8 credits minus core 3"
    );
    let fin = e
        .promote_and_wait(&draft.generation_id, noop())
        .await
        .expect("promote");
    assert_eq!(fin.status, GenerationStatus::Succeeded, "{fin:?}");
    let detail = e
        .generation_detail(&fin.generation_id)
        .await
        .expect("detail");
    assert_eq!(
        detail.parent_id.as_deref(),
        Some(draft.generation_id.as_str())
    );
    assert_eq!(detail.tier, Tier::Final);
    assert_eq!(detail.params.seed, Some(7), "same seed");
    let parent = e
        .generation_detail(&draft.generation_id)
        .await
        .expect("draft detail");
    assert_eq!(parent.children, vec![fin.generation_id.clone()]);
    let sent = stability.received_requests().await.unwrap_or_default();
    assert!(sent.iter().any(|r| r.url.path().ends_with("/ultra")));
}

#[tokio::test]
async fn hard_budget_refuses_before_any_network_call() {
    let stability = MockServer::start().await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    e.project_upsert(project("p", Some("0.02"), &[CORE], &[]))
        .await
        .expect("project");
    let err = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect_err("refused");
    assert_eq!(err.kind, ErrorKind::Budget);
    assert!(
        err.message.contains("0.02") && err.message.contains("0.03"),
        "{}",
        err.message
    );
    assert_eq!(requests(&stability).await, 0);
    let p = e.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.reserved_usd), (d("0"), d("0")));
}

#[tokio::test]
/// Cancel after the request was sent (F3): the provider may bill it, so its estimate is
/// booked as an unconfirmed charge; the rest of the reservation is released.
async fn cancel_after_send_books_an_unconfirmed_charge_and_releases_the_rest() {
    let stability = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/generate/core"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(png(16, 16))
                .set_delay(std::time::Duration::from_secs(20)),
        )
        .mount(&stability)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let progress: engine::ProgressFn = std::sync::Arc::new(move |ev| {
        let _ = tx.send(ev);
    });
    let job = e
        .submit(input("p", Route::Draft, None), progress)
        .await
        .expect("submit");
    while let Some(ev) = rx.recv().await {
        if matches!(ev, JobEvent::Running { .. }) {
            break;
        }
    }
    assert!(e.cancel(&job));
    let last = loop {
        match rx.recv().await {
            Some(ev @ (JobEvent::Done { .. } | JobEvent::Failed { .. })) => break ev,
            Some(_) => {}
            None => panic!("job ended without a terminal event"),
        }
    };
    match last {
        JobEvent::Failed {
            result: Some(r), ..
        } => {
            assert_eq!(r.status, GenerationStatus::Cancelled);
            assert_eq!(r.unconfirmed_usd, d("0.03"), "{r:?}");
            assert!(r.attempts.iter().any(|a| a.unconfirmed), "{r:?}");
        }
        other => panic!("expected a cancelled result, got {other:?}"),
    }
    let p = e.project_show("p").await.expect("show");
    assert_eq!(
        (p.spent_usd, p.reserved_usd, p.unconfirmed_usd),
        (d("0.03"), d("0"), d("0.03"))
    );
    assert!(requests(&stability).await <= 1, "never resent");
}

#[tokio::test]
async fn offers_that_cannot_make_the_request_are_skipped_and_ignored_params_are_not() {
    let openai = MockServer::start().await;
    let stability = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(openai_ok())
        .mount(&openai)
        .await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(
        dir.path(),
        &[("openai", openai.uri()), ("stability", stability.uri())],
        options(),
    )
    .await;
    e.project_upsert(project("p", None, &[CORE, MINI], &[]))
        .await
        .expect("project");
    // A prompt past Stability's 10,000 characters: a hard limit, so it is skipped with
    // the reason and no call; gpt-image-2 takes 32,000 and runs it.
    let mut long = input("p", Route::Draft, None);
    long.params.prompt = "a paper lantern ".repeat(750);
    let r = e.generate(long, noop()).await.expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(r.attempts[0].outcome.as_str(), "skipped");
    assert!(
        r.attempts[0]
            .error
            .as_deref()
            .is_some_and(|m| m.contains("at most 10000")),
        "{:?}",
        r.attempts[0].error
    );
    assert_eq!(requests(&stability).await, 0);
    assert_eq!(requests(&openai).await, 1);

    // A fixed seed is an optional parameter: a model that ignores seeds runs the request
    // and says so (the same rule as the cost table, issue 12 §1.1), it is not skipped.
    e.project_upsert(project("p", None, &[MINI, CORE], &[]))
        .await
        .expect("project");
    let r = e
        .generate(input("p", Route::Draft, Some(3)), noop())
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded);
    assert_eq!(r.attempts[0].offer_id, MINI);
    assert_eq!(r.attempts[0].outcome.as_str(), "succeeded");
    assert_eq!(requests(&stability).await, 0);
}

#[tokio::test]
async fn estimates_and_projects_work_without_a_keychain() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut opts = options();
    opts.keys.clear();
    let e = engine(dir.path(), &[], opts).await;
    e.project_upsert(project("p", Some("10"), &[], &[]))
        .await
        .expect("project");
    let est = e
        .estimate(EstimateInput {
            params: params(None),
            project: Some("p".into()),
            tier: TierFilter::All,
            offers: vec![],
        })
        .await
        .expect("estimate");
    assert!(est.estimates.len() >= 40);
    let budget = est.budget.expect("budget");
    assert_eq!(budget.remaining_usd, Some(d("10")));
    assert!(e.offers().len() >= 40);
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
    assert!(page.items.is_empty());
}

//! Issue 11, the money path under faults: a named job is resumed, never resubmitted
//! (F1); a billed failure is charged once (F2); an unknown outcome is booked as an
//! unconfirmed charge and never resent (F2/F3); a cancel before sending costs nothing;
//! a charge above the reservation is recorded in full (F7); reported costs are bounded
//! (F8); dedup never serves a partial or file-less result (F5, F14); identical
//! concurrent requests pay once (F13).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::common::*;
use engine::api::*;
use engine::{ErrorKind, ProviderOverrides};
use providers::{
    CancellationToken, ErrorClass, GenerateOutput, GenerateRequest, GeneratedImage, KeyCheck,
    ProgressSink, ProviderError, RawUsage,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CORE: &str = "stability:stable-image-core";
const ULTRA: &str = "stability:stable-image-ultra";
const FLUX: &str = "bfl:flux-dev";

type Behaviour = Arc<dyn Fn(u32) -> Result<GenerateOutput, ProviderError> + Send + Sync>;

/// A stand-in for the stability client whose answer is chosen per call.
struct Fake {
    calls: AtomicU32,
    delay: Duration,
    answer: Behaviour,
}

#[async_trait::async_trait]
impl providers::ImageProvider for Fake {
    fn id(&self) -> &'static str {
        "stability"
    }
    async fn generate(
        &self,
        _req: &GenerateRequest,
        _key: Option<&str>,
        _progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::select! {
            _ = tokio::time::sleep(self.delay) => (self.answer)(n),
            _ = cancel.cancelled() => Err(ProviderError::new(
                "stability", ErrorClass::Cancelled, "cancelled").outcome_unknown()),
        }
    }
    async fn check_key(&self, _key: &str) -> KeyCheck {
        KeyCheck::Valid { balance: None }
    }
}

fn fake(delay: Duration, answer: Behaviour) -> Arc<Fake> {
    Arc::new(Fake {
        calls: AtomicU32::new(0),
        delay,
        answer,
    })
}

fn with_fake(f: &Arc<Fake>) -> engine::EngineOptions {
    let mut o = options();
    let client: Arc<dyn providers::ImageProvider> = f.clone();
    o.provider_overrides = ProviderOverrides([("stability".to_owned(), client)].into());
    o
}

fn image_out(reported: Option<&str>) -> GenerateOutput {
    GenerateOutput {
        images: vec![GeneratedImage {
            bytes: png(16, 16),
            mime: vocab::ImageMime::Png,
            width: 16,
            height: 16,
            seed: Some(1),
        }],
        remote_id: None,
        usage: RawUsage {
            reported_usd: reported.map(d),
            ..RawUsage::default()
        },
        safety: None,
    }
}

fn prompt(p: &str) -> GenerateInput {
    GenerateInput {
        project: "p".into(),
        params: RequestParams {
            prompt: p.into(),
            ..params(Some(7))
        },
        route: Route::Draft,
        no_dedup: false,
    }
}

#[tokio::test]
async fn unknown_outcome_is_booked_unconfirmed_and_never_resent() {
    let f = fake(
        Duration::ZERO,
        Arc::new(|_| {
            Err(ProviderError::new(
                "stability",
                ErrorClass::Transient,
                "connection closed mid-response",
            )
            .outcome_unknown())
        }),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], with_fake(&f)).await;
    e.project_upsert(project("p", Some("5"), &[CORE, ULTRA], &[]))
        .await
        .expect("project");
    let r = e.generate(prompt("unknown"), noop()).await.expect("run");
    assert_eq!(f.calls.load(Ordering::SeqCst), 1, "no resend, no fallback");
    assert_eq!(r.status, GenerationStatus::Failed, "{r:?}");
    assert_eq!((r.cost_usd, r.unconfirmed_usd), (d("0.03"), d("0.03")));
    assert!(r.attempts[0].unconfirmed && r.attempts[0].billed, "{r:?}");
    let p = e.project_show("p").await.expect("show");
    assert_eq!(
        (p.spent_usd, p.unconfirmed_usd, p.reserved_usd),
        (d("0.03"), d("0.03"), d("0"))
    );
    // The user checks the dashboard: billed. Confirming keeps the amount.
    let c = e.charges(None).await.expect("charges");
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].amount_usd, d("0.03"));
    e.charge_confirm(&c[0].id, None).await.expect("confirm");
    let p = e.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.unconfirmed_usd), (d("0.03"), d("0")));
}

#[tokio::test]
async fn billed_malformed_200_is_charged_once_and_not_resent() {
    let f = fake(
        Duration::ZERO,
        Arc::new(|_| {
            Err(
                ProviderError::malformed("stability", "the image bytes are not an image")
                    .with_usage(RawUsage {
                        reported_usd: Some(d("0.03")),
                        ..RawUsage::default()
                    }),
            )
        }),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], with_fake(&f)).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    let r = e.generate(prompt("broken"), noop()).await.expect("run");
    assert_eq!(
        f.calls.load(Ordering::SeqCst),
        1,
        "a billed answer is not resent"
    );
    assert_eq!(r.status, GenerationStatus::Failed);
    assert_eq!((r.cost_usd, r.unconfirmed_usd), (d("0.03"), d("0")));
    assert!(r.attempts[0].billed && !r.attempts[0].unconfirmed);
    let p = e.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.reserved_usd), (d("0.03"), d("0")));
}

#[tokio::test]
async fn cancel_before_sending_costs_nothing() {
    let f = fake(
        Duration::from_millis(600),
        Arc::new(|_| Ok(image_out(None))),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let mut o = with_fake(&f);
    o.provider_concurrency = Some(1);
    let e = engine(dir.path(), &[], o).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    let first = e.submit(prompt("first"), noop()).await.expect("first");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let progress: engine::ProgressFn = Arc::new(move |ev| {
        let _ = tx.send(ev);
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = e.submit(prompt("second"), progress).await.expect("second");
    while let Some(ev) = rx.recv().await {
        if matches!(ev, JobEvent::Reserved { .. }) {
            break;
        }
    }
    // The second waits for the provider slot the first holds: nothing was sent yet.
    assert!(e.cancel(&second));
    let last = loop {
        match rx.recv().await {
            Some(ev @ (JobEvent::Done { .. } | JobEvent::Failed { .. })) => break ev,
            Some(_) => {}
            None => panic!("no terminal event"),
        }
    };
    let JobEvent::Failed {
        result: Some(r), ..
    } = last
    else {
        panic!("expected a cancelled result, got {last:?}")
    };
    assert_eq!(r.status, GenerationStatus::Cancelled);
    assert_eq!((r.cost_usd, r.unconfirmed_usd), (d("0"), d("0")), "{r:?}");
    assert!(r.attempts.is_empty(), "never sent: {r:?}");
    let _ = first;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_charge_above_the_reservation_is_recorded_in_full_under_a_hard_budget() {
    let f = fake(Duration::ZERO, Arc::new(|_| Ok(image_out(Some("0.07")))));
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], with_fake(&f)).await;
    e.project_upsert(project("p", Some("0.05"), &[CORE], &[]))
        .await
        .expect("project");
    let r = e.generate(prompt("over"), noop()).await.expect("run");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(r.cost_usd, d("0.07"), "never truncated to the $0.03 held");
    let p = e.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.reserved_usd), (d("0.07"), d("0")));
    assert!(p.over_budget, "{p:?}");
    let err = e
        .generate(prompt("next"), noop())
        .await
        .expect_err("refused until the budget is raised");
    assert_eq!(err.kind, ErrorKind::Budget, "{err:?}");
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_implausible_reported_cost_is_capped_and_flagged() {
    let f = fake(
        Duration::ZERO,
        Arc::new(|_| Ok(image_out(Some("123456789.5")))),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], with_fake(&f)).await;
    e.project_upsert(project("p", None, &[CORE], &[]))
        .await
        .expect("project");
    let r = e.generate(prompt("huge"), noop()).await.expect("run");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(r.images.len(), 1, "images kept");
    assert_eq!(r.cost_usd, d("0.3"), "min(reported, worst case × 10)");
    assert!(r.attempts[0].review.is_some(), "{r:?}");
}

async fn bfl_submit(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/flux-dev"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "job-9",
            "polling_url": format!("{}/eu1/get_result?id=job-9", server.uri()),
            "cost": 4
        })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_bad_poll_resumes_the_same_job_and_never_resubmits() {
    let server = MockServer::start().await;
    bfl_submit(&server).await;
    Mock::given(method("GET"))
        .and(path("/eu1/get_result"))
        .respond_with(ResponseTemplate::new(500).set_body_string("{\"detail\":\"glitch\"}"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut o = options();
    o.retry.resume_for = Duration::from_millis(300);
    let e = engine(dir.path(), &[("bfl", server.uri())], o).await;
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    let r = e
        .generate(input("p", Route::Offer(FLUX.into()), Some(3)), noop())
        .await
        .expect("run");
    let posts =
        |reqs: Vec<wiremock::Request>| reqs.iter().filter(|r| r.method.as_str() == "POST").count();
    assert_eq!(
        posts(server.received_requests().await.unwrap_or_default()),
        1,
        "one submission"
    );
    assert_eq!(r.status, GenerationStatus::Failed, "{r:?}");
    // Abandoned: BFL's submit cost (4 credits) is booked as unconfirmed.
    assert_eq!(
        (r.cost_usd, r.unconfirmed_usd),
        (d("0.04"), d("0.04")),
        "{r:?}"
    );

    // Later the job turns out finished: recovery polls the stored regional URL and
    // confirms the charge at its real price, adding the image.
    server.reset().await;
    bfl_submit(&server).await;
    Mock::given(method("GET"))
        .and(path("/eu1/get_result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "job-9", "status": "Ready",
            "result": {"sample": format!("{}/delivery/s.png", server.uri()), "seed": 3}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/delivery/s.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(8, 8)))
        .mount(&server)
        .await;
    let report = e.recover().await.expect("recover");
    assert!(!report.messages.is_empty(), "{report:?}");
    assert_eq!(
        posts(server.received_requests().await.unwrap_or_default()),
        0,
        "never resubmitted"
    );
    let detail = e.generation_detail(&r.generation_id).await.expect("detail");
    assert_eq!(detail.unconfirmed_usd, d("0"), "{detail:?}");
    assert_eq!(detail.images.len(), 1);
    let p = e.project_show("p").await.expect("show");
    assert_eq!(p.unconfirmed_usd, d("0"));
    assert_eq!(p.reserved_usd, d("0"));
}

#[tokio::test]
async fn dedup_never_serves_a_partial_or_file_less_result() {
    let stability = MockServer::start().await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    let two = GenerateInput {
        params: RequestParams {
            n: 2,
            ..params(Some(11))
        },
        ..input("p", Route::Draft, Some(11))
    };
    let r = e.generate(two.clone(), noop()).await.expect("first");
    assert_eq!(r.status, GenerationStatus::Succeeded);
    assert_eq!(r.images.len(), 2);
    assert_eq!(requests(&stability).await, 2, "two calls of one image");

    // What F5 left behind: a "succeeded" multi-call generation holding 1 of its 2 images.
    let db = rusqlite::Connection::open(dir.path().join("proofsheet.sqlite3")).expect("db");
    db.execute(
        "DELETE FROM images WHERE generation_id = ?1 AND idx = 1",
        [&r.generation_id],
    )
    .expect("delete");
    let again = e.generate(two.clone(), noop()).await.expect("again");
    assert!(!again.dedup_hit, "a partial result is never served");
    assert_eq!(again.images.len(), 2);
    assert_eq!(requests(&stability).await, 4);

    // F14: a complete result whose file is gone is not served either.
    let one = input("p", Route::Draft, Some(12));
    let r = e.generate(one.clone(), noop()).await.expect("one");
    std::fs::remove_file(&r.images[0].path).expect("rm");
    let again = e.generate(one, noop()).await.expect("again");
    assert!(!again.dedup_hit, "{again:?}");
    assert!(std::path::Path::new(&again.images[0].path).exists());
    assert_eq!(requests(&stability).await, 6);
}

#[tokio::test]
async fn identical_requests_on_two_engines_pay_once() {
    let stability = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/generate/core"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .insert_header("finish-reason", "SUCCESS")
                .insert_header("seed", "42")
                .set_body_bytes(png(16, 16))
                .set_delay(Duration::from_millis(500)),
        )
        .mount(&stability)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let a = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    a.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    let b = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    let same = input("p", Route::Draft, Some(21));
    let (ra, rb, ra2) = tokio::join!(
        a.generate(same.clone(), noop()),
        b.generate(same.clone(), noop()),
        a.generate(same.clone(), noop()),
    );
    let results = [ra.expect("a"), rb.expect("b"), ra2.expect("a2")];
    assert_eq!(requests(&stability).await, 1, "{results:?}");
    assert_eq!(
        results.iter().filter(|r| r.dedup_hit).count(),
        2,
        "{results:?}"
    );
    assert!(results.iter().all(|r| matches!(
        r.status,
        GenerationStatus::Succeeded | GenerationStatus::Reused
    )));
    let p = a.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.reserved_usd), (d("0.03"), d("0")));
}

#[tokio::test]
async fn a_full_disk_settles_in_process_and_says_the_images_were_paid_for() {
    let f = fake(Duration::ZERO, Arc::new(|_| Ok(image_out(None))));
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], with_fake(&f)).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    // Writing any image file fails (as on a full disk): `images` is not a folder.
    let images = dir.path().join("images");
    let _ = std::fs::remove_dir_all(&images);
    std::fs::write(&images, b"not a folder").expect("block");
    let r = e.generate(prompt("full disk"), noop()).await.expect("run");
    assert_eq!(r.status, GenerationStatus::Failed, "{r:?}");
    assert_eq!(
        r.cost_usd,
        d("0.03"),
        "the provider billed: the charge stays"
    );
    assert!(
        r.error
            .as_deref()
            .is_some_and(|m| m.contains("could not be saved")),
        "{r:?}"
    );
    let p = e.project_show("p").await.expect("show");
    assert_eq!(
        (p.spent_usd, p.reserved_usd),
        (d("0.03"), d("0")),
        "not left running"
    );
}

#[tokio::test]
async fn concurrent_promotes_of_one_draft_make_one_final() {
    let stability = MockServer::start().await;
    stability_ok(&stability, "core").await;
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/generate/ultra"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .insert_header("finish-reason", "SUCCESS")
                .insert_header("seed", "42")
                .set_body_bytes(png(16, 16))
                .set_delay(Duration::from_millis(400)),
        )
        .mount(&stability)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[ULTRA]))
        .await
        .expect("project");
    let draft = e
        .generate(input("p", Route::Draft, Some(5)), noop())
        .await
        .expect("draft");
    let id = draft.generation_id.clone();
    let (a, b, c) = tokio::join!(
        e.promote_and_wait(&id, noop()),
        e.promote_and_wait(&id, noop()),
        e.promote_and_wait(&id, noop()),
    );
    let finals = [a.expect("a"), b.expect("b"), c.expect("c")];
    let ultra = stability
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().ends_with("/ultra"))
        .count();
    assert_eq!(ultra, 1, "one paid final: {finals:?}");
    assert_eq!(finals.iter().filter(|r| r.dedup_hit).count(), 2);
}

#[tokio::test]
async fn an_invalid_reported_amount_never_aborts_the_job_or_loses_its_images() {
    let f = fake(Duration::ZERO, Arc::new(|_| Ok(image_out(Some("-3")))));
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], with_fake(&f)).await;
    e.project_upsert(project("p", Some("5"), &[CORE], &[]))
        .await
        .expect("project");
    let r = e.generate(prompt("negative"), noop()).await.expect("run");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(r.images.len(), 1);
    assert_eq!(r.cost_usd, d("0.03"), "the estimate, not a negative charge");
    assert!(r.attempts[0].review.is_some());
}

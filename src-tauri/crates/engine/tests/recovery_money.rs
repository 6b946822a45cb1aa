//! Recovery on the money path (issue 11): an answered attempt whose files are durable is
//! finished, not lost (F4); a BFL job the provider forgot is closed by its billing
//! evidence, never "still running" forever (F10).

use crate::common::*;
use engine::api::*;
use serde_json::json;
use store::{CanonicalRequest, NewAttempt, NewGeneration, Status, Store};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn running(
    s: &Store,
    offer: &str,
    provider: &str,
    model: &str,
    estimate: &str,
) -> store::GenerationId {
    let pid = s.project_by_name("p").expect("project").id;
    let gid = s
        .create_generation(&NewGeneration {
            project_id: pid,
            request: CanonicalRequest {
                prompt: "x".into(),
                provider: provider.into(),
                model: model.into(),
                width: 1024,
                height: 1024,
                n: 1,
                ..Default::default()
            },
            tier: store::Tier::Draft,
            parent_id: None,
            offer_id: Some(offer.into()),
            estimate: Some(d(estimate)),
            seed_honoured: true,
        })
        .expect("generation");
    s.set_status(gid, Status::Running, None).expect("running");
    s.reserve(pid, gid, d(estimate)).expect("reserve");
    gid
}

#[tokio::test]
async fn an_answered_attempt_with_durable_files_is_finished_by_recovery() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    let s = Store::open(dir.path()).expect("store");
    let gid = running(
        &s,
        "stability:stable-image-core",
        "stability",
        "core",
        "0.03",
    );
    let attempt = s
        .start_sent_attempt(
            gid,
            &NewAttempt {
                provider: vocab::OfferProvider::Stability,
                model: "core".into(),
                offer_id: "stability:stable-image-core".into(),
                remote_job: None,
            },
            None,
            d("0.03"),
        )
        .expect("attempt");
    // Killed after the files were written and the attempt marked answered, before the
    // settlement transaction.
    let file = s.write_image_file(&png(8, 8)).expect("file");
    s.mark_answered(
        attempt,
        &json!({"cost": "0.03", "review": null, "usage": null,
                "images": [{"idx": 0, "file": file, "seed": 4}]}),
    )
    .expect("answered");
    let report = e.recover().await.expect("recover");
    assert_eq!(report.resumed, vec![gid.to_string()], "{report:?}");
    let detail = e.generation_detail(&gid.to_string()).await.expect("detail");
    assert_eq!(detail.status, GenerationStatus::Succeeded);
    assert_eq!(detail.images.len(), 1);
    assert_eq!(
        (detail.cost_usd, detail.unconfirmed_usd),
        (d("0.03"), d("0"))
    );
    let p = e.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.reserved_usd), (d("0.03"), d("0")));
}

#[tokio::test]
async fn a_forgotten_bfl_job_is_closed_at_its_submit_cost_not_left_running() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/eu1/get_result"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"status": "Task not found"})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("bfl", server.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    let s = Store::open(dir.path()).expect("store");
    let gid = running(&s, "bfl:flux-dev", "bfl", "flux-dev", "0.025");
    let job = json!({
        "provider": "bfl", "model": "flux-dev", "remote_id": "job-5",
        "poll_url": format!("{}/eu1/get_result?id=job-5", server.uri()),
        "extra": {"submit_credits": 4}
    });
    s.start_sent_attempt(
        gid,
        &NewAttempt {
            provider: vocab::OfferProvider::Bfl,
            model: "flux-dev".into(),
            offer_id: "bfl:flux-dev".into(),
            remote_job: Some(job),
        },
        None,
        d("0.025"),
    )
    .expect("attempt");
    let report = e.recover().await.expect("recover");
    assert!(report.still_running.is_empty(), "{report:?}");
    assert_eq!(report.failed, vec![gid.to_string()]);
    let polled = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/eu1/get_result")
        .count();
    assert!(polled >= 1, "the stored regional polling URL is used");
    let p = e.project_show("p").await.expect("show");
    // BFL billed at submit and said so (`cost: 4` credits): the provider's own figure is
    // billing proof, so the charge is confirmed at $0.04; nothing is left held.
    assert_eq!(
        (p.spent_usd, p.unconfirmed_usd, p.reserved_usd),
        (d("0.04"), d("0"), d("0"))
    );
}

#[tokio::test]
async fn a_multi_call_request_killed_midway_is_failed_with_its_images_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    let s = Store::open(dir.path()).expect("store");
    let pid = s.project_by_name("p").expect("project").id;
    let gid = s
        .create_generation(&NewGeneration {
            project_id: pid,
            request: CanonicalRequest {
                prompt: "two".into(),
                provider: "stability".into(),
                model: "core".into(),
                width: 1024,
                height: 1024,
                n: 2,
                ..Default::default()
            },
            tier: store::Tier::Draft,
            parent_id: None,
            offer_id: Some("stability:stable-image-core".into()),
            estimate: Some(d("0.06")),
            seed_honoured: true,
        })
        .expect("generation");
    s.set_status(gid, Status::Running, None).expect("running");
    s.reserve(pid, gid, d("0.06")).expect("reserve");
    let new = NewAttempt {
        provider: vocab::OfferProvider::Stability,
        model: "core".into(),
        offer_id: "stability:stable-image-core".into(),
        remote_job: None,
    };
    // Call 1 finished and was settled with its image; call 2 was in flight at the kill.
    let first = s
        .start_sent_attempt(gid, &new, None, d("0.03"))
        .expect("call 1");
    let file = s.write_image_file(&png(8, 8)).expect("file");
    s.settle_call(
        first,
        &store::CallSettle {
            outcome: "succeeded".into(),
            billed: true,
            cost: d("0.03"),
            ..Default::default()
        },
        &[store::NewImage {
            idx: 0,
            file,
            seed: None,
        }],
        None,
    )
    .expect("settle 1");
    s.start_sent_attempt(gid, &new, None, d("0.03"))
        .expect("call 2");
    let report = e.recover().await.expect("recover");
    assert_eq!(report.failed, vec![gid.to_string()], "{report:?}");
    let detail = e.generation_detail(&gid.to_string()).await.expect("detail");
    assert_eq!(detail.status, GenerationStatus::Failed, "never succeeded");
    assert_eq!(detail.images.len(), 1, "the paid image is kept");
    assert_eq!(
        (detail.cost_usd, detail.unconfirmed_usd),
        (d("0.06"), d("0.03"))
    );
    let g = s.generation(gid).expect("gen");
    assert!(
        g.error.as_deref().is_some_and(|m| m.contains("1 of 2")),
        "{:?}",
        g.error
    );
    let p = e.project_show("p").await.expect("show");
    assert_eq!(p.reserved_usd, d("0"));
}

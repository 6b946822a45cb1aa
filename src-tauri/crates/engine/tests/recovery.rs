//! A process dies mid-poll; the next start polls the same remote job (never
//! resubmits), stores the image, settles the cost and releases the rest.

use std::time::Duration;

use crate::common::*;
use engine::api::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mount_submit(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/flux-dev"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "job-77",
            "polling_url": format!("{}/v1/get_result?id=job-77", server.uri()),
            "cost": 2.5
        })))
        .mount(server)
        .await;
}

#[test]
fn crash_mid_poll_is_resumed_not_resubmitted() {
    let main = tokio::runtime::Runtime::new().expect("runtime");
    let server = main.block_on(MockServer::start());
    main.block_on(async {
        mount_submit(&server).await;
        Mock::given(method("GET"))
            .and(path("/v1/get_result"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"id": "job-77", "status": "Pending"})),
            )
            .mount(&server)
            .await;
    });
    let dir = tempfile::tempdir().expect("tmp");

    // First process: submit, see it polling, then die without any clean-up.
    let first = tokio::runtime::Runtime::new().expect("runtime");
    let engine_a = first.block_on(async {
        let e = engine(dir.path(), &[("bfl", server.uri())], options()).await;
        e.project_upsert(project("p", Some("5"), &[], &[]))
            .await
            .expect("project");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let progress: engine::ProgressFn = std::sync::Arc::new(move |ev| {
            let _ = tx.send(ev);
        });
        e.submit(
            input("p", Route::Offer("bfl:flux-dev".into()), Some(5)),
            progress,
        )
        .await
        .expect("submit");
        while let Some(ev) = rx.recv().await {
            if matches!(ev, JobEvent::Polling { .. }) {
                break;
            }
        }
        // The job id is saved off the async workers; give that write a moment.
        let store = store::Store::open(dir.path()).expect("store");
        for _ in 0..200 {
            let running = store.running_generations().expect("running");
            if running.iter().any(|r| {
                r.last_attempt
                    .as_ref()
                    .is_some_and(|a| a.remote_job.is_some())
            }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        e
    });
    first.shutdown_background();
    drop(engine_a);

    // The job finishes at the provider while nobody is watching.
    main.block_on(async {
        server.reset().await;
        mount_submit(&server).await;
        Mock::given(method("GET"))
            .and(path("/v1/get_result"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "job-77", "status": "Ready",
                "result": {"sample": format!("{}/delivery/s.png", server.uri()), "seed": 5}
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/delivery/s.png"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(png(8, 8)))
            .mount(&server)
            .await;
    });

    main.block_on(async {
        let e = engine(dir.path(), &[("bfl", server.uri())], options()).await;
        let report = e.recover().await.expect("recover");
        assert_eq!(report.resumed.len(), 1, "{report:?}");
        assert!(report.failed.is_empty());
        let posts = server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count();
        assert_eq!(posts, 0, "the second process never resubmitted");
        let detail = e
            .generation_detail(&report.resumed[0])
            .await
            .expect("detail");
        assert_eq!(detail.status, GenerationStatus::Succeeded);
        assert_eq!(detail.images.len(), 1);
        assert_eq!(detail.cost_usd, d("0.025"), "flux-dev is 2.5 credits");
        let p = e.project_show("p").await.expect("show");
        assert_eq!(
            (p.spent_usd, p.reserved_usd),
            (d("0.025"), d("0")),
            "ledger balanced"
        );
        // A second pass finds nothing left to do.
        let again = e.recover().await.expect("recover again");
        assert!(again.resumed.is_empty() && again.failed.is_empty());
    });
}

#[tokio::test]
async fn interrupted_sync_call_is_booked_unconfirmed_at_its_estimate() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    // Simulate a crash: a running generation with a reservation and an open attempt.
    let s = store::Store::open(dir.path()).expect("store");
    let pid = s.project_by_name("p").expect("project").id;
    let gid = s
        .create_generation(&store::NewGeneration {
            project_id: pid,
            request: store::CanonicalRequest {
                prompt: "x".into(),
                provider: "stability".into(),
                model: "core".into(),
                width: 1024,
                height: 1024,
                n: 1,
                ..Default::default()
            },
            tier: store::Tier::Draft,
            parent_id: None,
            offer_id: Some("stability:stable-image-core".into()),
            estimate: Some(d("0.03")),
            seed_honoured: true,
        })
        .expect("generation");
    s.set_status(gid, store::Status::Running, None)
        .expect("running");
    s.reserve(pid, gid, d("0.03")).expect("reserve");
    s.start_attempt(
        gid,
        &store::NewAttempt {
            provider: vocab::OfferProvider::Stability,
            model: "core".into(),
            offer_id: "stability:stable-image-core".into(),
            remote_job: None,
        },
    )
    .expect("attempt");
    let report = e.recover().await.expect("recover");
    assert_eq!(report.failed, vec![gid.to_string()]);
    // F3: the call was sent and never answered; the provider may have billed it, so its
    // estimate is booked as an unconfirmed charge, never "$0, released".
    assert_eq!(report.charged_usd, d("0.03"), "{report:?}");
    assert_eq!(report.released_usd, d("0"));
    let p = e.project_show("p").await.expect("show");
    assert_eq!(
        (p.spent_usd, p.reserved_usd, p.unconfirmed_usd),
        (d("0.03"), d("0"), d("0.03"))
    );
    let detail = e.generation_detail(&gid.to_string()).await.expect("detail");
    assert_eq!(detail.unconfirmed_usd, d("0.03"));
    assert!(detail.attempts[0].unconfirmed, "{detail:?}");
    let charges = e.charges(Some("p".into())).await.expect("charges");
    assert_eq!(charges.len(), 1);
    // The user checks the provider's dashboard: it was not billed.
    assert_eq!(
        e.charge_refund(&charges[0].id).await.expect("refund"),
        d("0.03")
    );
    let p = e.project_show("p").await.expect("show");
    assert_eq!((p.spent_usd, p.unconfirmed_usd), (d("0"), d("0")));
}

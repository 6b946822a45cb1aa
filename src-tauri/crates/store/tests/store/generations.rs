#![allow(clippy::unwrap_used)]

use store::{AttemptFinish, NewAttempt, Status, StoreError, Tier};

use crate::common::{d, generation, new_gen, open, png, project, request};

#[test]
fn lifecycle_follows_allowed_transitions() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    assert_eq!(fx.store.generation(g).unwrap().status, Status::Queued);
    fx.store.set_status(g, Status::Running, None).unwrap();
    fx.store
        .set_status(g, Status::Failed, Some("all offers failed"))
        .unwrap();
    let rec = fx.store.generation(g).unwrap();
    assert_eq!(rec.status, Status::Failed);
    assert_eq!(rec.error.as_deref(), Some("all offers failed"));
    assert!(rec.finished_at.is_some());
    let err = fx.store.set_status(g, Status::Running, None).unwrap_err();
    assert!(matches!(err, StoreError::InvalidTransition { .. }));
    assert!(
        fx.store
            .set_status(uuid::Uuid::new_v4(), Status::Running, None)
            .is_err()
    );
}

/// `start_attempt` and `start_sent_attempt` write the same `sent` row (one INSERT); only
/// the latter records an expected cost: without one, recovery charges an unknown outcome
/// at the generation's estimate. Both refuse a generation that does not exist.
#[test]
fn start_attempt_leaves_the_expected_cost_unset_and_start_sent_attempt_records_it() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    let new = NewAttempt {
        provider: vocab::OfferProvider::OpenAi,
        model: "gpt-image-1".into(),
        offer_id: "o1".into(),
        remote_job: Some(serde_json::json!({"id": "job-1"})),
    };
    let plain = fx
        .store
        .start_attempt_calibrated(g, &new, Some("k1"))
        .unwrap();
    let sent = fx
        .store
        .start_sent_attempt(g, &new, Some("k2"), d("0.04"))
        .unwrap();
    let attempts = fx.store.attempts(g).unwrap();
    assert_eq!(
        attempts.iter().map(|a| (a.id, a.n)).collect::<Vec<_>>(),
        vec![(plain.id, 1), (sent, 2)]
    );
    for a in &attempts {
        assert_eq!(a.state, "sent");
        assert_eq!(a.offer_id, "o1");
        assert_eq!(a.remote_job, new.remote_job);
        assert!(a.finished_at.is_none() && a.outcome.is_none());
    }
    assert_eq!(attempts[0].expected, None);
    assert_eq!(attempts[1].expected, Some(d("0.04")));

    let gone = uuid::Uuid::new_v4();
    for err in [
        fx.store.start_attempt(gone, &new).unwrap_err(),
        fx.store
            .start_sent_attempt(gone, &new, None, d("0.04"))
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "generation",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(fx.store.attempts(g).unwrap().len(), 2);
}

#[test]
fn attempts_are_numbered_and_keep_usage_and_remote_job() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    let a1 = fx
        .store
        .start_attempt(
            g,
            &NewAttempt {
                provider: vocab::OfferProvider::OpenAi,
                model: "gpt-image-1".into(),
                offer_id: "o1".into(),
                remote_job: None,
            },
        )
        .unwrap();
    fx.store
        .finish_attempt(
            a1.id,
            &AttemptFinish {
                outcome: "rate_limited".into(),
                billed: false,
                cost: d("0"),
                usage: None,
                error: Some("429 retry after 4s".into()),
            },
        )
        .unwrap();
    let a2 = fx
        .store
        .start_attempt(
            g,
            &NewAttempt {
                provider: vocab::OfferProvider::Replicate,
                model: "flux-schnell".into(),
                offer_id: "o2".into(),
                remote_job: None,
            },
        )
        .unwrap();
    let job = serde_json::json!({"prediction_id": "abc123"});
    fx.store.set_remote_job(a2.id, &job).unwrap();
    let attempts = fx.store.attempts(g).unwrap();
    assert_eq!(attempts.iter().map(|a| a.n).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(attempts[0].outcome.as_deref(), Some("rate_limited"));
    assert_eq!(attempts[1].remote_job, Some(job));
    assert!(attempts[1].finished_at.is_none());
}

#[test]
fn running_generations_carry_their_last_remote_job_and_reservation() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let running = generation(&fx.store, &p, "a");
    let queued = generation(&fx.store, &p, "b");
    fx.store.set_status(running, Status::Running, None).unwrap();
    fx.store.reserve(p.id, running, d("0.5")).unwrap();
    fx.store
        .start_attempt(
            running,
            &NewAttempt {
                provider: vocab::OfferProvider::Replicate,
                model: "flux".into(),
                offer_id: "o".into(),
                remote_job: Some(serde_json::json!({"id": "job-1"})),
            },
        )
        .unwrap();
    let list = fx.store.running_generations().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].generation.id, running);
    assert_eq!(list[0].reserved, d("0.5"));
    assert_eq!(
        list[0].last_attempt.as_ref().unwrap().remote_job,
        Some(serde_json::json!({"id": "job-1"}))
    );
    assert_ne!(list[0].generation.id, queued);
}

#[test]
fn detail_shows_lineage_attempts_and_images() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let draft = generation(&fx.store, &p, "a fox");
    fx.store
        .persist_image(draft, 0, &png(64, 64, 1), Some(42))
        .unwrap();
    let mut fin = new_gen(&p, request("a fox"), Tier::Final);
    fin.parent_id = Some(draft);
    let fin = fx.store.create_generation(&fin).unwrap();
    let detail = fx.store.generation_detail(draft).unwrap();
    assert_eq!(
        detail.children.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![fin]
    );
    assert_eq!(detail.images.len(), 1);
    assert!(detail.parent.is_none());
    let detail = fx.store.generation_detail(fin).unwrap();
    assert_eq!(detail.parent.unwrap().id, draft);
    assert_eq!(detail.generation.tier, Tier::Final);
    assert_eq!(detail.generation.request, request("a fox"));
}

#[test]
fn fallback_offer_updates_the_dedup_key() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    let before = fx.store.generation(g).unwrap().dedup_key;
    let mut req = request("a");
    req.provider = "fal".into();
    req.model = "flux-dev".into();
    fx.store
        .set_generation_offer(g, "fal/flux-dev", &req)
        .unwrap();
    let rec = fx.store.generation(g).unwrap();
    assert_ne!(rec.dedup_key, before);
    assert_eq!(rec.dedup_key, store::dedup_key(&req));
    assert_eq!(
        (rec.provider.as_str(), rec.offer_id.as_deref()),
        ("fal", Some("fal/flux-dev"))
    );
}

#[test]
fn start_running_records_the_owner_and_only_from_queued() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    fx.store.start_running(g, "instance-a").unwrap();
    let running = fx.store.running_generations().unwrap();
    assert_eq!(running[0].owner.as_deref(), Some("instance-a"));
    assert!(matches!(
        fx.store.start_running(g, "instance-b").unwrap_err(),
        StoreError::InvalidTransition { .. }
    ));
    assert!(!fx.store.claim_running(g, Some("instance-b"), "c").unwrap());
    assert!(fx.store.claim_running(g, Some("instance-a"), "c").unwrap());
    fx.store.set_status(g, Status::Succeeded, None).unwrap();
    assert!(
        !fx.store.claim_running(g, Some("c"), "d").unwrap(),
        "finished generations cannot be claimed"
    );
}

/// A provider id this build does not know (a ledger written by a newer Proofsheet, or
/// another program) is a classified error naming the column and the value, never a panic
/// and never silently read as some other provider.
#[test]
fn an_unknown_provider_in_the_library_is_a_classified_error() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "a");
    fx.store
        .start_attempt(
            g,
            &NewAttempt {
                provider: vocab::OfferProvider::Fal,
                model: "m".into(),
                offer_id: "o".into(),
                remote_job: None,
            },
        )
        .unwrap();
    let c = rusqlite::Connection::open(fx.store.db_path()).unwrap();
    c.execute("UPDATE attempts SET provider = 'midjourney'", [])
        .unwrap();
    drop(c);
    let err = fx.store.attempts(g).expect_err("an unknown provider");
    match &err {
        StoreError::UnknownValue { column, source } => {
            assert_eq!(*column, "attempts.provider");
            assert_eq!(source.value, "midjourney");
        }
        other => panic!("expected UnknownValue, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("midjourney") && msg.contains("update Proofsheet"),
        "{msg}"
    );
}

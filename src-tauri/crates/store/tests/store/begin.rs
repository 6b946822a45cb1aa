//! Issue 17: claim + reservation + first `sent` attempt in one transaction
//! (`Store::begin_generation`), each step keeping its own rule.
#![allow(clippy::unwrap_used)]

use store::{Budget, Claim, NewAttempt, SendNow, Start, Status, StoreError, Tier};

use crate::common::{d, new_gen, open, project, request};

fn send() -> SendNow {
    SendNow {
        attempt: NewAttempt {
            provider: vocab::OfferProvider::OpenAi,
            model: "gpt-image-1".into(),
            offer_id: "openai:gpt-image-1".into(),
            remote_job: None,
        },
        calibration_key: None,
        expected: d("0.04"),
    }
}

#[test]
fn claim_reservation_and_sent_commit_together_and_the_wal_sync_is_requested() {
    let fx = open();
    let p = project(&fx.store, "P", Some(Budget::hard(d("1"))));
    let id = uuid::Uuid::new_v4();
    let new = new_gen(&p, request("one"), Tier::Draft);
    let syncs = fx.store.wal_syncs();
    let b = fx
        .store
        .begin_generation(
            id,
            &new,
            "me",
            Start::Claim,
            Some((p.id, d("0.08"))),
            Some(&send()),
        )
        .unwrap();
    assert_eq!(b.claim, Claim::Created(id));
    assert_eq!(b.held.unwrap().unwrap().reserved, d("0.08"));
    let attempt = b.sent.expect("sent written");
    let a = fx.store.attempts(id).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!((a[0].id, a[0].state.as_str()), (attempt, "sent"));
    assert_eq!(a[0].expected, Some(d("0.04")));
    assert_eq!(fx.store.generation_status(id).unwrap().0, Status::Running);
    assert_eq!(fx.store.reserved_for(id).unwrap(), d("0.08"));
    fx.store.wait_wal_synced();
    assert!(
        fx.store.wal_syncs() > syncs,
        "the `sent` row asked for a WAL sync"
    );

    // An identical request is now in flight: nothing is written for the second.
    let twin = fx
        .store
        .begin_generation(
            uuid::Uuid::new_v4(),
            &new,
            "me",
            Start::Claim,
            Some((p.id, d("0.08"))),
            Some(&send()),
        )
        .unwrap();
    assert_eq!(
        twin.claim,
        Claim::InFlight {
            generation: id,
            owner: Some("me".into())
        }
    );
    assert!(twin.held.is_none() && twin.sent.is_none());
    // "Regenerate anyway" creates it regardless.
    let again = uuid::Uuid::new_v4();
    let b = fx
        .store
        .begin_generation(again, &new, "me", Start::Always, None, None)
        .unwrap();
    assert_eq!(b.claim, Claim::Created(again));
    assert!(b.held.is_none() && b.sent.is_none());
    assert!(fx.store.attempts(again).unwrap().is_empty());
}

#[test]
fn a_refused_reservation_commits_the_claim_alone_and_sends_nothing() {
    let fx = open();
    let p = project(&fx.store, "Tight", Some(Budget::hard(d("0.05"))));
    let id = uuid::Uuid::new_v4();
    let new = new_gen(&p, request("too dear"), Tier::Draft);
    let b = fx
        .store
        .begin_generation(
            id,
            &new,
            "me",
            Start::Claim,
            Some((p.id, d("0.08"))),
            Some(&send()),
        )
        .unwrap();
    assert_eq!(b.claim, Claim::Created(id));
    assert!(
        matches!(b.held, Some(Err(StoreError::BudgetExceeded { .. }))),
        "{:?}",
        b.held
    );
    assert!(b.sent.is_none());
    assert!(fx.store.attempts(id).unwrap().is_empty(), "no attempt");
    assert_eq!(fx.store.reserved_for(id).unwrap(), d("0"));
    let s = fx.store.project_summary("Tight").unwrap();
    assert_eq!((s.spent, s.reserved), (d("0"), d("0")));
    assert_eq!(fx.store.generation_status(id).unwrap().0, Status::Running);
}

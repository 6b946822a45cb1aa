//! Cross-process recovery: a running generation is reconciled only when the engine
//! instance that runs it is gone (its lease file missing or unlocked). Two engines on
//! one data dir in one process stand in for two processes: the lease is a flock-style
//! lock, which conflicts between open file descriptions even inside one process.

use crate::common::*;
use store::{CanonicalRequest, GenerationId, NewGeneration, Status, Store};

/// A generation set running by `owner`, with a reservation and an open attempt that
/// never named a remote job (a synchronous call in flight).
fn running_generation(s: &Store, owner: &str) -> GenerationId {
    let pid = s.project_by_name("p").expect("project").id;
    let gid = s
        .create_generation(&NewGeneration {
            project_id: pid,
            request: CanonicalRequest {
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
    s.start_running(gid, owner).expect("running");
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
    gid
}

#[tokio::test]
async fn a_live_instance_keeps_its_job_until_it_is_gone() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = engine(dir.path(), &[], options()).await;
    a.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    let s = Store::open(dir.path()).expect("store");
    let gid = running_generation(&s, a.instance_id());

    // A second instance on the same data dir must not touch the live job.
    let b = engine(dir.path(), &[], options()).await;
    assert_ne!(a.instance_id(), b.instance_id());
    let report = b.recover().await.expect("recover");
    assert!(
        report.failed.is_empty() && report.resumed.is_empty(),
        "{report:?}"
    );
    assert_eq!(s.generation(gid).expect("gen").status, Status::Running);
    assert_eq!(s.reserved_for(gid).expect("held"), d("0.03"));

    // Once the owner is gone, the next pass reconciles it. The call was in flight, so
    // the provider may have billed it: its estimate is booked as unconfirmed (F3), never
    // "$0, released".
    drop(a);
    let report = b.recover().await.expect("recover");
    assert_eq!(report.failed, vec![gid.to_string()], "{report:?}");
    assert_eq!(report.charged_usd, d("0.03"));
    assert_eq!(s.generation(gid).expect("gen").status, Status::Failed);
    let p = b.project_show("p").await.expect("show");
    assert_eq!(
        (p.spent_usd, p.reserved_usd, p.unconfirmed_usd),
        (d("0.03"), d("0"), d("0.03"))
    );
}

#[tokio::test]
async fn a_killed_instance_leaves_an_unlocked_lease_that_is_reclaimed_and_removed() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    // What SIGKILL leaves: the lock file stays, but the OS dropped the lock.
    let dead = uuid::Uuid::new_v4().to_string();
    let file = dir.path().join("instances").join(format!("{dead}.lock"));
    std::fs::write(&file, b"").expect("stale lease");
    let s = Store::open(dir.path()).expect("store");
    let gid = running_generation(&s, &dead);

    let report = e.recover().await.expect("recover");
    assert_eq!(report.failed, vec![gid.to_string()], "{report:?}");
    assert!(!file.exists(), "the stale lease file is removed");
    assert!(
        dir.path()
            .join("instances")
            .join(format!("{}.lock", e.instance_id()))
            .exists(),
        "our own lease stays"
    );
    let again = e.recover().await.expect("recover again");
    assert!(again.failed.is_empty() && again.resumed.is_empty());
}

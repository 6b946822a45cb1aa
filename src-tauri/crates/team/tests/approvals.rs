//! Approval of spend against a real PostgreSQL (issue 18 item 5).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal_macros::dec;
use team::testing::{ANA, BOB, PgServer};
use team::{ApprovalAsk, ApprovalState, ErrorClass, Gate, ProjectBudget, Team};

async fn studio() -> (PgServer, Team, Team) {
    let pg = PgServer::start_studio().await;
    let ana = pg.join(ANA, "ana-laptop").await;
    let bob = pg.join(BOB, "bob-mac").await;
    ana.set_project("Poster", &ProjectBudget::hard(dec!(10)))
        .await
        .unwrap();
    (pg, ana, bob)
}

fn ask(estimate: rust_decimal::Decimal) -> ApprovalAsk<'static> {
    ApprovalAsk {
        project: "Poster",
        prompt_summary: "a lighthouse at dusk",
        offer: "openai/gpt-image-1",
        estimate,
    }
}

#[tokio::test]
async fn a_request_over_the_threshold_waits_for_an_admin() {
    let (_pg, ana, bob) = studio().await;
    // No threshold: nothing to approve.
    assert_eq!(
        bob.request_approval_if_needed(&ask(dec!(5))).await.unwrap(),
        Gate::NotNeeded
    );
    ana.set_approval_threshold("Poster", Some(dec!(0.5)))
        .await
        .unwrap();
    assert_eq!(
        bob.approval_threshold("Poster").await.unwrap(),
        Some(dec!(0.5))
    );
    // At the threshold: runs. Above: recorded, pending.
    assert_eq!(
        bob.request_approval_if_needed(&ask(dec!(0.5)))
            .await
            .unwrap(),
        Gate::NotNeeded
    );
    let Gate::Requested(a) = bob
        .request_approval_if_needed(&ask(dec!(0.51)))
        .await
        .unwrap()
    else {
        panic!("above the threshold must wait");
    };
    assert_eq!(
        (
            a.state,
            a.requester.as_str(),
            a.machine.as_str(),
            a.estimate
        ),
        (ApprovalState::Pending, "bob", "bob-mac", dec!(0.51))
    );
    assert_eq!(a.prompt_summary, "a lighthouse at dusk");
    // Admins see it in the pending list; nothing was reserved.
    let pending = ana.approvals(true).await.unwrap();
    assert_eq!(pending.iter().map(|p| p.id).collect::<Vec<_>>(), [a.id]);
    assert_eq!(ana.meter("Poster").await.unwrap().reserved, dec!(0));

    // The requester cannot claim it before it is approved; once approved, exactly once.
    assert!(!bob.claim_approval(a.id).await.unwrap());
    let done = ana.approve(a.id).await.unwrap();
    assert_eq!(
        (done.state, done.decided_by.as_deref()),
        (ApprovalState::Approved, Some("ana"))
    );
    // Another machine (ana's) cannot take bob's approval.
    assert!(!ana.claim_approval(a.id).await.unwrap());
    let (one, two) = tokio::join!(bob.claim_approval(a.id), bob.claim_approval(a.id));
    assert_eq!(
        [one.unwrap(), two.unwrap()].iter().filter(|w| **w).count(),
        1
    );
    assert_eq!(
        bob.approval(a.id).await.unwrap().state,
        ApprovalState::Claimed
    );
    // A decided request cannot be decided again.
    let e = ana.refuse(a.id, "too late").await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Invalid, "{e}");
}

#[tokio::test]
async fn a_refusal_says_why_and_only_admins_decide() {
    let (pg, ana, bob) = studio().await;
    // A member cannot set a threshold, approve or refuse: a clear, classified error.
    let e = bob
        .set_approval_threshold("Poster", Some(dec!(1)))
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Forbidden);
    assert!(e.to_string().contains("only a team admin"), "{e}");
    ana.set_approval_threshold("Poster", Some(dec!(1)))
        .await
        .unwrap();
    let Gate::Requested(a) = bob.request_approval_if_needed(&ask(dec!(2))).await.unwrap() else {
        panic!("must wait");
    };
    assert_eq!(
        bob.approve(a.id).await.unwrap_err().class(),
        ErrorClass::Forbidden
    );
    assert_eq!(
        bob.refuse(a.id, "no").await.unwrap_err().class(),
        ErrorClass::Forbidden
    );
    // A member only sees their own requests; an admin sees the team's.
    assert_eq!(bob.approvals(false).await.unwrap().len(), 1);
    assert!(
        ana.refuse(a.id, "  ").await.is_err(),
        "a reason is required"
    );

    // The database refuses it too, whatever the client: bob's own login, raw SQL.
    let (raw, conn) = tokio_postgres::connect(
        &pg.url("bob", Some("bob-pw"), "studio"),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let e = raw
        .execute(
            "UPDATE approvals SET state = 'approved' WHERE id = $1",
            &[&a.id],
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
    for sql in [
        "UPDATE team_projects SET approval_threshold_usd = NULL",
        "UPDATE team_projects SET budget_usd = 1000",
        "UPDATE members SET role = 'admin' WHERE name = 'bob'",
    ] {
        let e = raw.execute(sql, &[]).await.unwrap_err();
        assert_eq!(
            e.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}"
        );
    }
    assert_eq!(
        bob.approval(a.id).await.unwrap().state,
        ApprovalState::Pending
    );

    let r = ana.refuse(a.id, "use the draft tier first").await.unwrap();
    assert_eq!(
        (r.state, r.reason.as_deref()),
        (ApprovalState::Refused, Some("use the draft tier first"))
    );
    assert!(!bob.claim_approval(a.id).await.unwrap());
    assert_eq!(ana.meter("Poster").await.unwrap().spent, dec!(0));
}

#[tokio::test]
async fn a_request_expires_or_is_cancelled_by_its_requester() {
    let (pg, ana, bob) = studio().await;
    ana.set_approval_threshold("Poster", Some(dec!(0)))
        .await
        .unwrap();
    let Gate::Requested(a) = bob.request_approval_if_needed(&ask(dec!(1))).await.unwrap() else {
        panic!("must wait");
    };
    let Gate::Requested(b) = bob.request_approval_if_needed(&ask(dec!(1))).await.unwrap() else {
        panic!("must wait");
    };
    // Only the requester cancels.
    assert!(ana.cancel_approval(b.id).await.is_err());
    let c = bob.cancel_approval(b.id).await.unwrap();
    assert_eq!(c.state, ApprovalState::Cancelled);
    assert!(ana.approve(b.id).await.is_err());

    pg.sql(
        "studio",
        &format!(
            "UPDATE approvals SET expires_at = now() - interval '1 minute' WHERE id = {}",
            a.id
        ),
    )
    .await;
    assert_eq!(
        bob.approval(a.id).await.unwrap().state,
        ApprovalState::Expired
    );
    assert!(ana.approvals(true).await.unwrap().is_empty());
    let e = ana.approve(a.id).await.unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");
}

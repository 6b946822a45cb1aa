//! Approval folded into the reservation (issue 18): the first hold checks the project's
//! threshold in its own transaction, an approved request is claimed by the reservation
//! that uses it (exactly one of two wins), and a claim whose generation ended on the
//! server with nothing charged (its process died before sending) can be resumed once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal_macros::dec;
use team::ledger::Booked;
use team::testing::{ANA, BOB, PgServer};
use team::{ApprovalAsk, ApprovalState, ErrorClass, Gate, ProjectBudget, TeamError, Ticket};

fn closed(cost: rust_decimal::Decimal) -> Booked {
    Booked {
        cost,
        unconfirmed: dec!(0),
        closed: true,
    }
}

#[tokio::test]
async fn the_reservation_checks_the_threshold_and_claims_an_approval_once() {
    let pg = PgServer::start_studio().await;
    let ana = pg.join(ANA, "ana-laptop").await;
    let bob = pg.join(BOB, "bob-mac").await;
    ana.set_project("Poster", &ProjectBudget::hard(dec!(10)))
        .await
        .unwrap();
    ana.set_approval_threshold("Poster", Some(dec!(0.1)))
        .await
        .unwrap();

    // Above the threshold: refused, typed, nothing written.
    let e = bob
        .reserve_with("Poster", "g-0", None, dec!(0.5), Ticket::Check)
        .await
        .unwrap_err();
    assert!(matches!(e, TeamError::NeedsApproval { .. }), "{e:?}");
    assert_eq!(e.class(), ErrorClass::Approval);
    let a = ana.audit("Poster").await.unwrap();
    assert_eq!((a.reserved, a.open_generations), (dec!(0), 0), "{a:?}");
    // Within it: one round trip, held.
    bob.reserve_with("Poster", "g-small", None, dec!(0.05), Ticket::Check)
        .await
        .unwrap();
    bob.sync("g-small", closed(dec!(0.05))).await.unwrap();

    // Asked and approved: two processes present it; exactly one reservation claims it.
    let Gate::Requested(asked) = bob
        .request_approval_if_needed(&ApprovalAsk {
            project: "Poster",
            prompt_summary: "a lighthouse",
            offer: "openai/gpt-image-1",
            estimate: dec!(0.5),
        })
        .await
        .unwrap()
    else {
        panic!("0.5 is above the threshold");
    };
    ana.approve(asked.id).await.unwrap();
    let bob2 = pg.join(BOB, "bob-mac").await;
    let ticket = Ticket::Approved {
        id: asked.id,
        replaces: None,
    };
    let (one, two) = tokio::join!(
        bob.reserve_with("Poster", "g-a", None, dec!(0.5), ticket),
        bob2.reserve_with("Poster", "g-b", None, dec!(0.5), ticket),
    );
    assert_eq!(
        [one.is_ok(), two.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{one:?} {two:?}"
    );
    let (won, lost) = if one.is_ok() {
        ("g-a", two)
    } else {
        ("g-b", one)
    };
    assert!(
        matches!(lost, Err(TeamError::ApprovalTaken { .. })),
        "{lost:?}"
    );
    assert_eq!(ana.audit("Poster").await.unwrap().reserved, dec!(0.5));
    assert_eq!(
        bob.approval(asked.id).await.unwrap().state,
        ApprovalState::Claimed
    );

    // The winner's process died before sending: while its generation is open the claim
    // stays its own; once recovery closed it at $0, one new generation takes it over.
    let resumed = |g: &'static str, replaces: &'static str| {
        bob.reserve_with(
            "Poster",
            g,
            None,
            dec!(0.5),
            Ticket::Approved {
                id: asked.id,
                replaces: Some(replaces),
            },
        )
    };
    let e = resumed("g-c", won).await.unwrap_err();
    assert!(
        matches!(e, TeamError::ApprovalTaken { .. }),
        "still open: {e:?}"
    );
    bob.sync(won, closed(dec!(0))).await.unwrap();
    resumed("g-c", won).await.unwrap();
    let e = resumed("g-d", won).await.unwrap_err();
    assert!(matches!(e, TeamError::ApprovalTaken { .. }), "once: {e:?}");
    // A generation that was charged is never replaced (it ran).
    bob.sync("g-c", closed(dec!(0.2))).await.unwrap();
    let e = resumed("g-e", "g-c").await.unwrap_err();
    assert!(matches!(e, TeamError::ApprovalTaken { .. }), "ran: {e:?}");
    let a = ana.audit("Poster").await.unwrap();
    assert!(a.balanced(), "{a:?}");
    assert_eq!((a.spent, a.reserved), (dec!(0.25), dec!(0)));
}

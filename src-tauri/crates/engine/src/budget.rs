//! Budget moves of one generation: reserve the worst case before any network call,
//! top the reservation up before a fallback that needs more, charge each billed
//! attempt (the store releases the rest when the generation ends). The store enforces the hard-budget invariant inside one
//! IMMEDIATE transaction; this module turns its refusals into designer-readable errors.

use rust_decimal::Decimal;
use store::{GenerationId, ProjectId, ReservationOutcome, Store, StoreError};

use crate::error::{EngineError, Result, blocking};

pub(crate) fn budget_error(e: StoreError) -> EngineError {
    match e {
        StoreError::BudgetExceeded {
            budget,
            spent,
            reserved,
            remaining,
            needed,
        } => EngineError::budget(format!(
            "Not sent: this request needs up to ${needed} but only ${remaining} is left of the \
             ${budget} budget (${spent} spent, ${reserved} held for jobs in flight). Raise the \
             budget, pick a cheaper offer or make the budget soft."
        )),
        other => other.into(),
    }
}

/// Reserves `amount` for a generation (hard budgets refuse what would exceed them).
pub(crate) async fn reserve(
    store: &Store,
    project: ProjectId,
    generation: GenerationId,
    amount: Decimal,
) -> Result<ReservationOutcome> {
    let s = store.clone();
    blocking(move || s.reserve(project, generation, amount).map_err(budget_error)).await
}

/// Makes sure at least `needed` is still held for the generation (after billed
/// failures ate into it), topping up through the same budget check.
pub(crate) async fn ensure_reserved(
    store: &Store,
    project: ProjectId,
    generation: GenerationId,
    needed: Decimal,
) -> Result<()> {
    let s = store.clone();
    blocking(move || {
        let held = s.reserved_for(generation)?;
        if held < needed {
            s.reserve(project, generation, needed - held)
                .map_err(budget_error)?;
        }
        Ok(())
    })
    .await
}

/// Charges a billed attempt at its true amount: above the reservation if the provider
/// billed more, even under a hard budget (F7: the ledger never shows less than what was
/// billed; the project then shows over budget and refuses new work).
pub(crate) async fn charge(
    store: &Store,
    generation: GenerationId,
    cost: Decimal,
) -> Result<Decimal> {
    let s = store.clone();
    blocking(move || {
        s.charge_true(generation, cost)?;
        Ok(cost)
    })
    .await
}

pub(crate) fn warning_text(o: &ReservationOutcome) -> Option<String> {
    let w = o.warning.as_ref()?;
    let pct = (w.used_fraction * Decimal::from(100)).round_dp(0);
    Some(if w.over_budget {
        format!("Over budget: this project is at {pct}% of its soft budget.")
    } else {
        format!("Budget warning: this project is at {pct}% of its budget.")
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::error::ErrorKind;
    use crate::test_store::{generation, open, project, usd};
    use store::{Budget, Status};

    #[tokio::test]
    async fn reserve_charge_and_finish_balance_the_ledger() {
        let lib = open();
        let s = &lib.store;
        let p = project(s, "Ledger", Some(Budget::hard(usd("1.00"))));
        let g = generation(s, &p, "a lighthouse");
        s.start_running(g, "test").unwrap();
        reserve(s, p.id, g, usd("0.40")).await.expect("reserve");
        // A billed failure ate 0.25; the fallback needs 0.40 held again.
        assert_eq!(
            charge(s, g, usd("0.25")).await.expect("charge"),
            usd("0.25")
        );
        ensure_reserved(s, p.id, g, usd("0.40"))
            .await
            .expect("top up");
        assert_eq!(s.reserved_for(g).unwrap(), usd("0.40"));
        charge(s, g, usd("0.30")).await.expect("charge");
        let released = s.finish_generation(g, Status::Succeeded, None).unwrap();
        let m = s.project_summary("Ledger").unwrap();
        assert_eq!(m.spent, usd("0.55"));
        assert_eq!(
            m.reserved,
            Decimal::ZERO,
            "nothing stays held after the end"
        );
        // Everything ever held (0.40, then 0.25 topped up) is spent or released.
        assert_eq!(released, usd("0.10"));
        assert_eq!(m.spent + released, usd("0.65"));
    }

    #[tokio::test]
    async fn a_hard_budget_refuses_with_what_is_left_and_what_to_do() {
        let lib = open();
        let s = &lib.store;
        let p = project(s, "Tight", Some(Budget::hard(usd("0.50"))));
        let first = generation(s, &p, "one");
        let second = generation(s, &p, "two");
        reserve(s, p.id, first, usd("0.40")).await.expect("fits");
        let e = reserve(s, p.id, second, usd("0.20"))
            .await
            .expect_err("over the hard budget");
        assert_eq!(e.kind, ErrorKind::Budget);
        assert!(e.message.contains("only $0.1 is left"), "{}", e.message);
        assert!(e.message.contains("Raise the budget"), "{}", e.message);
        assert_eq!(
            s.reserved_for(second).unwrap(),
            Decimal::ZERO,
            "nothing held"
        );
        // Topping up through the same check is refused too.
        let e = ensure_reserved(s, p.id, first, usd("0.60"))
            .await
            .expect_err("top up");
        assert_eq!(e.kind, ErrorKind::Budget);
    }

    #[tokio::test]
    async fn a_provider_billing_more_than_held_is_charged_in_full() {
        let lib = open();
        let s = &lib.store;
        let p = project(s, "Over", Some(Budget::hard(usd("0.10"))));
        let g = generation(s, &p, "x");
        s.start_running(g, "test").unwrap();
        let held = reserve(s, p.id, g, usd("0.10")).await.expect("reserve");
        let warning = warning_text(&held).expect("the whole budget is held");
        assert!(warning.contains("100%"), "{warning}");
        charge(s, g, usd("0.12")).await.expect("true charge");
        s.finish_generation(g, Status::Succeeded, None).unwrap();
        let m = s.project_summary("Over").unwrap();
        assert_eq!((m.spent, m.reserved), (usd("0.12"), Decimal::ZERO));
        assert!(m.over_budget, "the ledger never shows less than was billed");
    }
}

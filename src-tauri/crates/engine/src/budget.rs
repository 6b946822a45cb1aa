//! Budget moves of one generation: reserve the worst case before any network call,
//! top the reservation up before a fallback that needs more, charge each billed
//! attempt, release the rest. The store enforces the hard-budget invariant inside one
//! IMMEDIATE transaction; this module turns its refusals into designer-readable errors.

use std::sync::Arc;

use rust_decimal::Decimal;
use store::{GenerationId, ProjectId, ReservationOutcome, StoreError};

use crate::context::Core;
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
    core: &Arc<Core>,
    project: ProjectId,
    generation: GenerationId,
    amount: Decimal,
) -> Result<ReservationOutcome> {
    let s = core.store.clone();
    blocking(move || s.reserve(project, generation, amount).map_err(budget_error)).await
}

/// Makes sure at least `needed` is still held for the generation (after billed
/// failures ate into it), topping up through the same budget check.
pub(crate) async fn ensure_reserved(
    core: &Arc<Core>,
    project: ProjectId,
    generation: GenerationId,
    needed: Decimal,
) -> Result<()> {
    let s = core.store.clone();
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
    core: &Arc<Core>,
    generation: GenerationId,
    cost: Decimal,
) -> Result<Decimal> {
    let s = core.store.clone();
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

//! The money ledger and the budget invariant.
//!
//! Every reservation, charge, release and saving is one row. For a project:
//! spent = Σ charge + Σ unconfirmed − Σ refund (in the budget period), reserved =
//! Σ reserve − Σ release − Σ charge − Σ unconfirmed (money held for calls in flight),
//! unconfirmed = Σ unconfirmed − Σ confirm − Σ refund (charges the provider has not proven:
//! counted as spent, shown apart), saved = Σ saving. Those sums are kept as running
//! totals in `project_totals`, moved by every ledger row in the same transaction, so
//! reserve/charge/release and the budget meter cost O(1) however long the history.
//! `reserve` runs as one `BEGIN IMMEDIATE` transaction, so two processes or threads can
//! never both pass the check against the same remaining money.

use chrono::{Datelike, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::money::{from_nanos, to_nanos};
use crate::projects::{Budget, load_budget};
use crate::types::{BudgetPeriod, GenerationId, ProjectId, Status};
use crate::{Store, now_ms};

/// Result of a successful reservation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReservationOutcome {
    pub reserved: Decimal,
    /// Budget minus spent and reserved after this reservation (negative when a soft budget
    /// is overrun); `None` without a budget.
    pub remaining: Option<Decimal>,
    pub warning: Option<BudgetWarning>,
}

/// A warning threshold crossed by a reservation, or a soft budget overrun.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetWarning {
    /// The highest threshold crossed (a fraction such as 0.8), if any.
    pub threshold: Option<Decimal>,
    /// (spent + reserved) / budget after the reservation.
    pub used_fraction: Decimal,
    /// True when a soft budget is now exceeded.
    pub over_budget: bool,
}

/// Money moved when a generation is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub charged: Decimal,
    pub released: Decimal,
}

/// The budget meter of one project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub project_id: ProjectId,
    pub name: String,
    pub budget: Option<Decimal>,
    pub period: Option<BudgetPeriod>,
    pub hard: bool,
    pub thresholds: Vec<Decimal>,
    pub spent: Decimal,
    pub reserved: Decimal,
    /// `budget - spent - reserved`; `None` without a budget.
    pub remaining: Option<Decimal>,
    pub saved: Decimal,
    /// The part of `spent` booked as unconfirmed (an outcome the provider never proved).
    pub unconfirmed: Decimal,
    /// Spent is above the budget (a provider billed more than was held): a hard budget
    /// refuses new work until it is raised.
    pub over_budget: bool,
}

struct Totals {
    spent: i64,
    reserved: i64,
    saved: i64,
    unconfirmed: i64,
}

/// Start of the current UTC month in unix ms.
fn month_start_ms() -> i64 {
    let now = Utc::now();
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0)
}

/// The project's running totals (one row, maintained by [`insert_entry`]); spent counts
/// the budget's period: everything for a total budget, this month for a monthly one.
fn totals(c: &Connection, project: ProjectId, period: Option<BudgetPeriod>) -> Result<Totals> {
    let row = c
        .prepare_cached(
            "SELECT spent_nanos, reserved_nanos, saved_nanos, month_start, month_spent_nanos,
                    unconfirmed_nanos
             FROM project_totals WHERE project_id = ?1",
        )?
        .query_row([project], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .optional()?;
    let Some((spent, reserved, saved, month, month_spent, unconfirmed)) = row else {
        return Ok(Totals {
            spent: 0,
            reserved: 0,
            saved: 0,
            unconfirmed: 0,
        });
    };
    let spent = match period {
        Some(BudgetPeriod::Monthly) if month == month_start_ms() => month_spent,
        Some(BudgetPeriod::Monthly) => 0,
        _ => spent,
    };
    Ok(Totals {
        spent,
        reserved,
        saved,
        unconfirmed,
    })
}

/// Outstanding reservation of one generation.
pub(crate) fn outstanding(c: &Connection, generation: &str) -> Result<i64> {
    Ok(c.prepare_cached(
        "SELECT coalesce(sum(CASE kind WHEN 'reserve' THEN amount_nanos
                                       WHEN 'release' THEN -amount_nanos
                                       WHEN 'charge' THEN -amount_nanos
                                       WHEN 'unconfirmed' THEN -amount_nanos ELSE 0 END), 0)
         FROM ledger WHERE generation_id = ?1",
    )?
    .query_row([generation], |r| r.get(0))?)
}

/// Appends one ledger row and moves the project's running totals with it (same
/// transaction: the caller's).
pub(crate) fn insert_entry(
    c: &Connection,
    project: ProjectId,
    generation: Option<&str>,
    kind: &str,
    nanos: i64,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO ledger(project_id, generation_id, kind, amount_nanos, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![project, generation, kind, nanos, now_ms()])?;
    // (spent, reserved, saved, unconfirmed) deltas.
    let (spent, reserved, saved, unconfirmed) = match kind {
        "reserve" => (0, nanos, 0, 0),
        "release" => (0, -nanos, 0, 0),
        "charge" => (nanos, -nanos, 0, 0),
        "saving" => (0, 0, nanos, 0),
        "unconfirmed" => (nanos, -nanos, 0, nanos),
        "confirm" => (0, 0, 0, -nanos),
        "refund" => (-nanos, 0, 0, -nanos),
        other => {
            return Err(StoreError::InvalidInput(format!(
                "unknown ledger entry kind {other:?}"
            )));
        }
    };
    c.prepare_cached(
        "INSERT INTO project_totals(project_id, spent_nanos, reserved_nanos, saved_nanos,
                                    month_start, month_spent_nanos, unconfirmed_nanos)
         VALUES (?1, ?2, ?3, ?4, ?5, ?2, ?6)
         ON CONFLICT(project_id) DO UPDATE SET
           spent_nanos = spent_nanos + excluded.spent_nanos,
           reserved_nanos = reserved_nanos + excluded.reserved_nanos,
           saved_nanos = saved_nanos + excluded.saved_nanos,
           unconfirmed_nanos = unconfirmed_nanos + excluded.unconfirmed_nanos,
           month_spent_nanos = CASE WHEN month_start = excluded.month_start
                                    THEN month_spent_nanos + excluded.month_spent_nanos
                                    ELSE excluded.month_spent_nanos END,
           month_start = excluded.month_start",
    )?
    .execute(params![
        project,
        spent,
        reserved,
        saved,
        month_start_ms(),
        unconfirmed
    ])?;
    Ok(())
}

fn generation_project(c: &Connection, generation: &str) -> Result<(ProjectId, Status)> {
    c.prepare_cached("SELECT project_id, status FROM generations WHERE id = ?1")?
        .query_row([generation], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::not_found("generation", generation))
}

fn crossed_threshold(budget: &Budget, before: i64, after: i64, amount: i64) -> Option<Decimal> {
    if amount <= 0 {
        return None;
    }
    let frac = |n: i64| Decimal::from(n) / Decimal::from(amount);
    let (b, a) = (frac(before), frac(after));
    budget
        .thresholds
        .iter()
        .copied()
        .filter(|t| b < *t && *t <= a)
        .max()
}

impl Store {
    /// Reserves the worst case of a generation against its project's budget.
    ///
    /// Hard budget: refused with [`StoreError::BudgetExceeded`] when
    /// spent + reserved + amount > budget. Soft budget: always proceeds, with a warning
    /// when a threshold is crossed or the budget is overrun.
    pub fn reserve(
        &self,
        project: ProjectId,
        generation: GenerationId,
        amount: Decimal,
    ) -> Result<ReservationOutcome> {
        let needed = to_nanos(amount)?;
        self.check_before_spending()?;
        let gen_id = generation.to_string();
        self.write(|tx| reserve_in(tx, project, &gen_id, needed))
    }

    /// Charges the actual cost of a generation against its reservation.
    pub fn charge(&self, generation: GenerationId, amount: Decimal) -> Result<()> {
        let nanos = to_nanos(amount)?;
        let gen_id = generation.to_string();
        self.write(|tx| charge_in(tx, &gen_id, nanos))
    }

    /// Releases whatever is still reserved for a generation; returns the amount released.
    pub fn release(&self, generation: GenerationId) -> Result<Decimal> {
        let gen_id = generation.to_string();
        self.write(|tx| release_in(tx, &gen_id).map(from_nanos))
    }

    /// Charges `cost` and releases the rest of the reservation, in one transaction.
    pub fn settle(&self, generation: GenerationId, cost: Decimal) -> Result<Settlement> {
        let nanos = to_nanos(cost)?;
        let gen_id = generation.to_string();
        self.write(|tx| {
            charge_in(tx, &gen_id, nanos)?;
            let released = release_in(tx, &gen_id)?;
            Ok(Settlement {
                charged: from_nanos(nanos),
                released: from_nanos(released),
            })
        })
    }

    /// Records money not spent thanks to reuse.
    pub fn record_saving(
        &self,
        project: ProjectId,
        generation: GenerationId,
        amount: Decimal,
    ) -> Result<()> {
        let nanos = to_nanos(amount)?;
        let gen_id = generation.to_string();
        self.write(|tx| saving_in(tx, project, &gen_id, nanos))
    }

    /// Outstanding reservation of one generation.
    pub fn reserved_for(&self, generation: GenerationId) -> Result<Decimal> {
        self.read(|c| outstanding(c, &generation.to_string()).map(from_nanos))
    }

    /// The budget meter of a project, by name.
    pub fn project_summary(&self, name: &str) -> Result<ProjectSummary> {
        let project = self.project_by_name(name)?;
        self.read(|c| {
            let budget = load_budget(c, project.id)?;
            let t = totals(c, project.id, budget.as_ref().map(|b| b.period))?;
            let limit = budget.as_ref().map(|b| to_nanos(b.amount)).transpose()?;
            Ok(ProjectSummary {
                project_id: project.id,
                name: project.name.clone(),
                budget: budget.as_ref().map(|b| b.amount),
                period: budget.as_ref().map(|b| b.period),
                hard: budget.as_ref().is_some_and(|b| b.hard),
                thresholds: budget.map(|b| b.thresholds).unwrap_or_default(),
                spent: from_nanos(t.spent),
                reserved: from_nanos(t.reserved),
                remaining: limit.map(|l| signed(l - t.spent - t.reserved)),
                saved: from_nanos(t.saved),
                unconfirmed: from_nanos(t.unconfirmed),
                over_budget: limit.is_some_and(|l| t.spent > l),
            })
        })
    }
}

fn signed(nanos: i64) -> Decimal {
    Decimal::new(nanos, 9).normalize()
}

pub(crate) fn charge_in(c: &Connection, gen_id: &str, nanos: i64) -> Result<()> {
    let (project, _) = generation_project(c, gen_id)?;
    let held = outstanding(c, gen_id)?;
    if nanos > held {
        let hard = load_budget(c, project)?.is_some_and(|b| b.hard);
        if hard {
            return Err(StoreError::ChargeExceedsReservation {
                generation: gen_id.to_string(),
                reserved: from_nanos(held),
                charge: from_nanos(nanos),
            });
        }
        // Soft or no budget: book the overrun as a reservation top-up so the
        // reservation account still balances to zero once settled.
        insert_entry(c, project, Some(gen_id), "reserve", nanos - held)?;
        c.prepare_cached(
            "UPDATE generations SET reserved_nanos = reserved_nanos + ?2 WHERE id = ?1",
        )?
        .execute(params![gen_id, nanos - held])?;
    }
    if nanos > 0 {
        insert_entry(c, project, Some(gen_id), "charge", nanos)?;
        c.prepare_cached("UPDATE generations SET cost_nanos = cost_nanos + ?2 WHERE id = ?1")?
            .execute(params![gen_id, nanos])?;
    }
    Ok(())
}

/// Books a charge at its true amount, `unconfirmed` or not.
///
/// Invariant (F7): a provider's charge is never truncated, hard budget or not. When it is
/// above what the generation still holds, the gap is first booked as a reservation
/// top-up (bypassing the budget check: the money is already spent), so the reservation
/// account still balances to zero and the project shows over budget; `reserve` then
/// refuses new work on a hard budget until the budget is raised.
pub(crate) fn charge_true_in(
    c: &Connection,
    gen_id: &str,
    nanos: i64,
    unconfirmed: bool,
) -> Result<()> {
    if nanos <= 0 {
        return Ok(());
    }
    let (project, _) = generation_project(c, gen_id)?;
    let held = outstanding(c, gen_id)?;
    if nanos > held {
        let gap = nanos - held.max(0);
        insert_entry(c, project, Some(gen_id), "reserve", gap)?;
        c.prepare_cached(
            "UPDATE generations SET reserved_nanos = reserved_nanos + ?2 WHERE id = ?1",
        )?
        .execute(params![gen_id, gap])?;
    }
    insert_entry(
        c,
        project,
        Some(gen_id),
        if unconfirmed { "unconfirmed" } else { "charge" },
        nanos,
    )?;
    c.prepare_cached(
        "UPDATE generations SET cost_nanos = cost_nanos + ?2,
            unconfirmed_nanos = unconfirmed_nanos + ?3 WHERE id = ?1",
    )?
    .execute(params![gen_id, nanos, if unconfirmed { nanos } else { 0 }])?;
    Ok(())
}

pub(crate) fn release_in(c: &Connection, gen_id: &str) -> Result<i64> {
    let (project, _) = generation_project(c, gen_id)?;
    let held = outstanding(c, gen_id)?;
    if held > 0 {
        insert_entry(c, project, Some(gen_id), "release", held)?;
    }
    Ok(held.max(0))
}

pub(crate) fn saving_in(
    c: &Connection,
    project: ProjectId,
    gen_id: &str,
    nanos: i64,
) -> Result<()> {
    let (gen_project, _) = generation_project(c, gen_id)?;
    if gen_project != project {
        return Err(StoreError::InvalidInput(format!(
            "generation {gen_id} belongs to project {gen_project}, not {project}"
        )));
    }
    if nanos > 0 {
        insert_entry(c, project, Some(gen_id), "saving", nanos)?;
        c.prepare_cached("UPDATE generations SET saved_nanos = saved_nanos + ?2 WHERE id = ?1")?
            .execute(params![gen_id, nanos])?;
    }
    Ok(())
}

/// [`Store::reserve`] inside the caller's transaction (`needed` in nanos; call
/// [`Store::check_before_spending`] first). A refusal returns before anything is written.
pub(crate) fn reserve_in(
    tx: &Connection,
    project: ProjectId,
    gen_id: &str,
    needed: i64,
) -> Result<ReservationOutcome> {
    let (gen_project, status) = generation_project(tx, gen_id)?;
    if gen_project != project {
        return Err(StoreError::InvalidInput(format!(
            "generation {gen_id} belongs to project {gen_project}, not {project}"
        )));
    }
    if status.is_terminal() {
        return Err(StoreError::InvalidInput(format!(
            "generation {gen_id} is {status}; nothing can be reserved for it"
        )));
    }
    let budget = load_budget(tx, project)?;
    let t = totals(tx, project, budget.as_ref().map(|b| b.period))?;
    let used = t.spent + t.reserved;
    let mut outcome = ReservationOutcome {
        reserved: from_nanos(needed),
        remaining: None,
        warning: None,
    };
    if let Some(b) = &budget {
        let limit = to_nanos(b.amount)?;
        let after = used + needed;
        if b.hard && after > limit {
            return Err(StoreError::BudgetExceeded {
                budget: b.amount,
                spent: from_nanos(t.spent),
                reserved: from_nanos(t.reserved),
                remaining: from_nanos((limit - used).max(0)),
                needed: from_nanos(needed),
            });
        }
        outcome.remaining = Some(signed(limit - after));
        let threshold = crossed_threshold(b, used, after, limit);
        let over_budget = after > limit;
        if threshold.is_some() || (over_budget && !b.hard) {
            outcome.warning = Some(BudgetWarning {
                threshold,
                used_fraction: if limit > 0 {
                    Decimal::from(after) / Decimal::from(limit)
                } else {
                    Decimal::ONE
                },
                over_budget,
            });
        }
    }
    if needed > 0 {
        insert_entry(tx, project, Some(gen_id), "reserve", needed)?;
        tx.prepare_cached(
            "UPDATE generations SET reserved_nanos = reserved_nanos + ?2 WHERE id = ?1",
        )?
        .execute(params![gen_id, needed])?;
    }
    Ok(outcome)
}

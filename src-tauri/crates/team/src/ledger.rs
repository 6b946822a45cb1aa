//! The team ledger, with the local ledger's semantics (store::ledger):
//! - `reserve` holds the worst case before any network call; a hard budget refuses
//!   what would exceed it (spent + reserved + needed ≤ budget), and a per-member
//!   monthly cap refuses what would exceed the member's share, whatever the budget;
//! - `sync` books what the member's library settled for a generation: charges and
//!   unconfirmed charges at their true amount (never truncated: above the hold, the gap
//!   is topped up past the budget, and the project then reads over budget), confirms
//!   and refunds, and on close releases the rest. It is idempotent (it books the
//!   difference from what the server already has), so a lost answer can be retried.
//!
//! Each call is one transaction that first takes `SELECT … FOR UPDATE` on the project's
//! row: all money moves of one project are serialised, on any machine. Every row says
//! which member (the generation's) and which machine wrote it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio_postgres::Transaction;

use crate::Team;
use crate::error::{Result, TeamError};

/// A successful reservation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub reserved: Decimal,
    /// Budget − spent − reserved after it; `None` without a budget.
    pub remaining: Option<Decimal>,
    /// A soft budget is now exceeded.
    pub over_budget: bool,
}

/// The meter of a team project, as every member sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    pub project: String,
    pub budget: Option<Decimal>,
    pub monthly: bool,
    pub hard: bool,
    pub member_cap: Option<Decimal>,
    /// Spent in the budget's period (this month for a monthly budget).
    pub spent: Decimal,
    pub reserved: Decimal,
    pub unconfirmed: Decimal,
    pub saved: Decimal,
    pub remaining: Option<Decimal>,
    /// This member's spend this month and what it holds now.
    pub member_month_spent: Decimal,
    pub member_reserved: Decimal,
}

/// The ledger recomputed from its rows against the running totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    pub spent: Decimal,
    pub reserved: Decimal,
    pub unconfirmed: Decimal,
    /// Σ charges + unconfirmed − refunds, from the rows.
    pub ledger_spent: Decimal,
    /// Σ reserve − release − charge − unconfirmed, from the rows.
    pub ledger_reserved: Decimal,
    pub ledger_unconfirmed: Decimal,
    /// Generations still open (reservations held for calls in flight).
    pub open_generations: i64,
    /// Σ of the per-generation costs.
    pub generations_cost: Decimal,
}

impl Audit {
    pub fn balanced(&self) -> bool {
        self.spent == self.ledger_spent
            && self.reserved == self.ledger_reserved
            && self.unconfirmed == self.ledger_unconfirmed
            && self.generations_cost == self.ledger_spent
    }
}

struct Locked {
    id: i64,
    budget: Option<Decimal>,
    monthly: bool,
    hard: bool,
    member_cap: Option<Decimal>,
    spent: Decimal,
    reserved: Decimal,
    month_spent: Decimal,
    approval_threshold: Option<Decimal>,
}

impl Locked {
    fn spent_in_period(&self) -> Decimal {
        if self.monthly {
            self.month_spent
        } else {
            self.spent
        }
    }
}

/// Takes the project's row lock, rolling its month over first.
async fn lock_project(tx: &Transaction<'_>, team: i64, name: &str) -> Result<Locked> {
    lock_by(tx, "team_id = $1 AND name = $2", &[&team, &name], name).await
}

/// The project's id under its row lock (for the gallery's bookings).
pub(crate) async fn lock_project_row(tx: &Transaction<'_>, team: i64, name: &str) -> Result<i64> {
    Ok(lock_project(tx, team, name).await?.id)
}

/// One ledger row with its running totals (the gallery's saving), under the lock.
pub(crate) async fn book(
    tx: &Transaction<'_>,
    project: i64,
    generation: &str,
    member: i64,
    machine: &str,
    kind: &str,
    amount: Decimal,
) -> Result<()> {
    insert_entry(tx, project, generation, member, machine, kind, amount).await
}

async fn lock_project_id(tx: &Transaction<'_>, id: i64) -> Result<Locked> {
    lock_by(tx, "id = $1", &[&id], &id.to_string()).await
}

async fn lock_by(
    tx: &Transaction<'_>,
    filter: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    label: &str,
) -> Result<Locked> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT id, budget_usd, period, hard, member_cap_usd, spent_usd, reserved_usd,
                        CASE WHEN month_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                             THEN month_spent_usd ELSE 0 END, approval_threshold_usd
                 FROM team_projects WHERE {filter} FOR UPDATE"
            ),
            params,
        )
        .await?
        .ok_or_else(|| TeamError::NotFound {
            what: "team project",
            name: label.to_owned(),
        })?;
    let l = Locked {
        id: row.get(0),
        budget: row.get(1),
        monthly: row.get::<_, String>(2) == "monthly",
        hard: row.get(3),
        member_cap: row.get(4),
        spent: row.get(5),
        reserved: row.get(6),
        month_spent: row.get(7),
        approval_threshold: row.get(8),
    };
    tx.execute("SELECT proofsheet_roll_month($1)", &[&l.id])
        .await?;
    Ok(l)
}

/// A member's held and this-month figures on a project (under the project's lock).
async fn member_figures(
    tx: &Transaction<'_>,
    project: i64,
    member: i64,
) -> Result<(Decimal, Decimal)> {
    let row = tx
        .query_opt(
            "SELECT reserved_usd,
                    CASE WHEN month_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                         THEN month_spent_usd ELSE 0 END
             FROM member_totals WHERE project_id = $1 AND member_id = $2",
            &[&project, &member],
        )
        .await?;
    Ok(row.map_or((Decimal::ZERO, Decimal::ZERO), |r| (r.get(0), r.get(1))))
}

/// Appends one ledger row and moves the project's, the member's and the generation's
/// running totals with it (the caller's transaction, under the project's lock).
async fn insert_entry(
    tx: &Transaction<'_>,
    project: i64,
    generation: &str,
    member: i64,
    machine: &str,
    kind: &str,
    amount: Decimal,
) -> Result<()> {
    if amount <= Decimal::ZERO {
        return Ok(());
    }
    // V6: the totals move only through the ledger's own function (a member's raw SQL
    // cannot change them).
    tx.execute(
        "SELECT proofsheet_book($1, $2, $3, $4, $5, $6)",
        &[&project, &generation, &member, &machine, &kind, &amount],
    )
    .await?;
    Ok(())
}

/// How a reservation treats the project's approval threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ticket<'a> {
    /// A generation's first hold: above the threshold it is refused with
    /// [`TeamError::NeedsApproval`] and nothing is written.
    Check,
    /// A top-up for a fallback of a request already let through (no check).
    TopUp,
    /// An approved request: claimed for this generation in the same transaction (one
    /// process wins). `replaces`: the generation a crashed process claimed it for,
    /// which may be replaced only once it ended on the server with nothing charged.
    Approved { id: i64, replaces: Option<&'a str> },
}

/// What the member's library has booked for one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked {
    /// Everything charged, unconfirmed included.
    pub cost: Decimal,
    /// The part of `cost` the provider never proved.
    pub unconfirmed: Decimal,
    /// The generation has ended: release what is still held.
    pub closed: bool,
}

/// The rows `sync` writes to move the server from (`cost`, `unconfirmed`) to `to`.
fn sync_moves(cost: Decimal, unconfirmed: Decimal, to: Booked) -> [(&'static str, Decimal); 4] {
    let z = Decimal::ZERO;
    // Cost only goes down by a refund, which takes unconfirmed money back.
    let refund = (cost - to.cost).max(z).min(unconfirmed);
    let (cost, unconfirmed) = (cost - refund, unconfirmed - refund);
    let confirm = (unconfirmed - to.unconfirmed).max(z);
    let new_unconfirmed = (to.unconfirmed - unconfirmed).max(z);
    let charge = (to.cost - cost - new_unconfirmed).max(z);
    [
        ("refund", refund),
        ("confirm", confirm),
        ("unconfirmed", new_unconfirmed),
        ("charge", charge),
    ]
}

impl Team {
    /// Holds `amount` for a generation of a team project before anything is sent.
    /// Additive, as the local ledger's `reserve`: a top-up for a fallback goes through
    /// the same checks.
    pub async fn reserve(
        &self,
        project: &str,
        generation: &str,
        request_hash: Option<&str>,
        amount: Decimal,
    ) -> Result<Reservation> {
        self.reserve_with(project, generation, request_hash, amount, Ticket::TopUp)
            .await
    }

    /// [`Team::reserve`] with the project's approval threshold checked in the same
    /// transaction (see [`Ticket`]): one round trip for a generation's first hold.
    pub async fn reserve_with(
        &self,
        project: &str,
        generation: &str,
        request_hash: Option<&str>,
        amount: Decimal,
        ticket: Ticket<'_>,
    ) -> Result<Reservation> {
        if amount.is_sign_negative() {
            return Err(TeamError::Invalid(format!("cannot reserve {amount}")));
        }
        let (team, member, machine) = (self.team_id, self.member.id, self.machine.as_str());
        self.conn
            .run(async |c| {
                let tx = c.transaction().await?;
                let p = lock_project(&tx, team, project).await?;
                if let Ticket::Check = ticket
                    && let Some(threshold) = p.approval_threshold
                    && amount > threshold
                {
                    return Err(TeamError::NeedsApproval {
                        threshold: threshold.normalize(),
                        estimate: amount.normalize(),
                    });
                }
                let used = p.spent_in_period() + p.reserved;
                let after = used + amount;
                if let Some(budget) = p.budget
                    && p.hard
                    && after > budget
                {
                    return Err(TeamError::BudgetExceeded {
                        budget: budget.normalize(),
                        spent: p.spent_in_period().normalize(),
                        reserved: p.reserved.normalize(),
                        remaining: (budget - used).max(Decimal::ZERO).normalize(),
                        needed: amount.normalize(),
                    });
                }
                if let Some(cap) = p.member_cap {
                    let (held, month) = member_figures(&tx, p.id, member).await?;
                    if held + month + amount > cap {
                        return Err(TeamError::MemberCapExceeded {
                            cap: cap.normalize(),
                            remaining: (cap - held - month).max(Decimal::ZERO).normalize(),
                            needed: amount.normalize(),
                        });
                    }
                }
                let g = tx
                    .query_one(
                        "INSERT INTO generations(id, project_id, member_id, machine_id, request_hash)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (id) DO UPDATE SET request_hash =
                           coalesce(generations.request_hash, excluded.request_hash)
                         RETURNING project_id, member_id, status",
                        &[&generation, &p.id, &member, &machine, &request_hash],
                    )
                    .await?;
                let (gp, gm, status): (i64, i64, String) = (g.get(0), g.get(1), g.get(2));
                if gp != p.id || gm != member || status != "open" {
                    return Err(TeamError::Invalid(format!(
                        "generation {generation} is not an open generation of yours on {project}"
                    )));
                }
                if let Ticket::Approved { id, replaces } = ticket {
                    crate::approvals::claim_for(&tx, id, (member, machine), generation, replaces)
                        .await?;
                }
                insert_entry(&tx, p.id, generation, member, machine, "reserve", amount).await?;
                tx.commit().await?;
                Ok(Reservation {
                    reserved: amount,
                    remaining: p.budget.map(|b| (b - after).normalize()),
                    over_budget: p.budget.is_some_and(|b| after > b),
                })
            })
            .await
    }

    /// Books what the member's library settled for a generation (see the module doc).
    /// A generation the server never held anything for and that cost nothing is a no-op.
    pub async fn sync(&self, generation: &str, to: Booked) -> Result<()> {
        if to.cost.is_sign_negative()
            || to.unconfirmed.is_sign_negative()
            || to.unconfirmed > to.cost
        {
            return Err(TeamError::Invalid(format!(
                "impossible settlement for {generation}: cost {} with {} unconfirmed",
                to.cost, to.unconfirmed
            )));
        }
        let machine = self.machine.as_str();
        self.conn
            .run(async |c| {
                let tx = c.transaction().await?;
                let Some(row) = tx
                    .query_opt(
                        "SELECT project_id FROM generations WHERE id = $1",
                        &[&generation],
                    )
                    .await?
                else {
                    if to.cost.is_zero() {
                        return Ok(());
                    }
                    return Err(TeamError::NotFound {
                        what: "team generation",
                        name: generation.to_owned(),
                    });
                };
                // Lock order: the project first, then read the generation under it.
                let p = lock_project_id(&tx, row.get(0)).await?;
                let g = tx
                    .query_one(
                        "SELECT member_id, reserved_usd, charged_usd, unconfirmed_usd, status
                         FROM generations WHERE id = $1",
                        &[&generation],
                    )
                    .await?;
                let (member, held, cost, unconfirmed): (i64, Decimal, Decimal, Decimal) =
                    (g.get(0), g.get(1), g.get(2), g.get(3));
                let moves = sync_moves(cost, unconfirmed, to);
                // Charged above what is held: top the hold up past any budget (never
                // truncate what a provider billed).
                let spend: Decimal = moves[2].1 + moves[3].1;
                if spend > held {
                    insert_entry(
                        &tx,
                        p.id,
                        generation,
                        member,
                        machine,
                        "reserve",
                        spend - held,
                    )
                    .await?;
                }
                for (kind, amount) in moves {
                    insert_entry(&tx, p.id, generation, member, machine, kind, amount).await?;
                }
                if to.closed {
                    let left: Decimal = tx
                        .query_one(
                            "SELECT reserved_usd FROM generations WHERE id = $1",
                            &[&generation],
                        )
                        .await?
                        .get(0);
                    insert_entry(&tx, p.id, generation, member, machine, "release", left).await?;
                    tx.execute(
                        "UPDATE generations SET status = 'closed', closed_at = now() WHERE id = $1",
                        &[&generation],
                    )
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// Records money saved by reuse on a team project.
    pub async fn record_saving(&self, generation: &str, amount: Decimal) -> Result<()> {
        let machine = self.machine.as_str();
        self.conn
            .run(async |c| {
                let tx = c.transaction().await?;
                let Some(row) = tx
                    .query_opt(
                        "SELECT project_id, member_id FROM generations WHERE id = $1",
                        &[&generation],
                    )
                    .await?
                else {
                    return Err(TeamError::NotFound {
                        what: "team generation",
                        name: generation.to_owned(),
                    });
                };
                let p = lock_project_id(&tx, row.get(0)).await?;
                insert_entry(&tx, p.id, generation, row.get(1), machine, "saving", amount).await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    /// Generations this machine still holds money for on the server (to settle after a
    /// crash or an outage): (generation id, project name).
    pub async fn open_generations(&self) -> Result<Vec<(String, String)>> {
        let machine = self.machine.as_str();
        self.conn
            .run(async |c| {
                let rows = c
                    .query(
                        "SELECT g.id, p.name FROM generations g
                         JOIN team_projects p ON p.id = g.project_id
                         WHERE g.machine_id = $1 AND g.status = 'open' ORDER BY g.created_at",
                        &[&machine],
                    )
                    .await?;
                Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            })
            .await
    }

    /// The project's meter, as every member sees it.
    pub async fn meter(&self, project: &str) -> Result<Meter> {
        let (team, member) = (self.team_id, self.member.id);
        self.conn
            .run(async |c| {
                let r = c
                    .query_opt(
                        "SELECT p.id, p.budget_usd, p.period, p.hard, p.member_cap_usd,
                                CASE WHEN p.period = 'monthly' THEN
                                  CASE WHEN p.month_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                                       THEN p.month_spent_usd ELSE 0 END
                                ELSE p.spent_usd END,
                                p.reserved_usd, p.unconfirmed_usd, p.saved_usd,
                                coalesce(m.reserved_usd, 0),
                                coalesce(CASE WHEN m.month_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                                              THEN m.month_spent_usd END, 0)
                         FROM team_projects p
                         LEFT JOIN member_totals m ON m.project_id = p.id AND m.member_id = $3
                         WHERE p.team_id = $1 AND p.name = $2",
                        &[&team, &project, &member],
                    )
                    .await?
                    .ok_or_else(|| TeamError::NotFound {
                        what: "team project",
                        name: project.to_owned(),
                    })?;
                let budget: Option<Decimal> = r.get(1);
                let (spent, reserved): (Decimal, Decimal) = (r.get(5), r.get(6));
                Ok(Meter {
                    project: project.to_owned(),
                    // NUMERIC keeps its scale ("5.000000000"); a designer reads "5".
                    budget: budget.map(|b| b.normalize()),
                    monthly: r.get::<_, String>(2) == "monthly",
                    hard: r.get(3),
                    member_cap: r.get::<_, Option<Decimal>>(4).map(|c| c.normalize()),
                    spent: spent.normalize(),
                    reserved: reserved.normalize(),
                    unconfirmed: r.get::<_, Decimal>(7).normalize(),
                    saved: r.get::<_, Decimal>(8).normalize(),
                    remaining: budget.map(|b| (b - spent - reserved).normalize()),
                    member_reserved: r.get::<_, Decimal>(9).normalize(),
                    member_month_spent: r.get::<_, Decimal>(10).normalize(),
                })
            })
            .await
    }

    /// Recomputes a project's money from its ledger rows (all time) and compares it with
    /// the running totals.
    pub async fn audit(&self, project: &str) -> Result<Audit> {
        let team = self.team_id;
        self.conn
            .run(async |c| {
                let r = c
                    .query_opt(
                        "SELECT p.spent_usd, p.reserved_usd, p.unconfirmed_usd,
                          coalesce(sum(CASE l.kind WHEN 'charge' THEN l.amount_usd
                            WHEN 'unconfirmed' THEN l.amount_usd WHEN 'refund' THEN -l.amount_usd
                            ELSE 0 END), 0),
                          coalesce(sum(CASE l.kind WHEN 'reserve' THEN l.amount_usd
                            WHEN 'release' THEN -l.amount_usd WHEN 'charge' THEN -l.amount_usd
                            WHEN 'unconfirmed' THEN -l.amount_usd ELSE 0 END), 0),
                          coalesce(sum(CASE l.kind WHEN 'unconfirmed' THEN l.amount_usd
                            WHEN 'confirm' THEN -l.amount_usd WHEN 'refund' THEN -l.amount_usd
                            ELSE 0 END), 0),
                          (SELECT count(*) FROM generations g
                            WHERE g.project_id = p.id AND g.status = 'open'),
                          (SELECT coalesce(sum(g.charged_usd), 0) FROM generations g
                            WHERE g.project_id = p.id)
                         FROM team_projects p LEFT JOIN ledger l ON l.project_id = p.id
                         WHERE p.team_id = $1 AND p.name = $2
                         GROUP BY p.id",
                        &[&team, &project],
                    )
                    .await?
                    .ok_or_else(|| TeamError::NotFound {
                        what: "team project",
                        name: project.to_owned(),
                    })?;
                let d = |i: usize| r.get::<_, Decimal>(i).normalize();
                Ok(Audit {
                    spent: d(0),
                    reserved: d(1),
                    unconfirmed: d(2),
                    ledger_spent: d(3),
                    ledger_reserved: d(4),
                    ledger_unconfirmed: d(5),
                    open_generations: r.get(6),
                    generations_cost: d(7),
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn booked(cost: Decimal, unconfirmed: Decimal) -> Booked {
        Booked {
            cost,
            unconfirmed,
            closed: true,
        }
    }

    #[test]
    fn sync_books_only_the_difference() {
        let z = Decimal::ZERO;
        // Nothing yet → a charge and an unconfirmed charge.
        let m = sync_moves(z, z, booked(dec!(0.5), dec!(0.2)));
        assert_eq!(
            m,
            [
                ("refund", z),
                ("confirm", z),
                ("unconfirmed", dec!(0.2)),
                ("charge", dec!(0.3))
            ]
        );
        // Same again → nothing (idempotent).
        let m = sync_moves(dec!(0.5), dec!(0.2), booked(dec!(0.5), dec!(0.2)));
        assert!(m.iter().all(|(_, a)| a.is_zero()), "{m:?}");
        // The user confirmed the unconfirmed part.
        let m = sync_moves(dec!(0.5), dec!(0.2), booked(dec!(0.5), z));
        assert_eq!(m[1], ("confirm", dec!(0.2)));
        assert!(m[3].1.is_zero() && m[0].1.is_zero());
        // The user refunded it.
        let m = sync_moves(dec!(0.5), dec!(0.2), booked(dec!(0.3), z));
        assert_eq!(m[0], ("refund", dec!(0.2)));
        assert!(m[1].1.is_zero() && m[2].1.is_zero() && m[3].1.is_zero());
    }
}

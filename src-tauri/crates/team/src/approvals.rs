//! Approval of spend (issue 18 item 5). A team project may have an approval threshold:
//! a request whose worst case (the amount its reservation would hold) exceeds it is
//! not reserved or sent; it is recorded here as a pending approval, and an admin
//! approves or refuses it. The requester's process then claims an approved request in
//! one statement (`approved → claimed`), so it runs exactly once even when two
//! processes of the same library see the approval.
//!
//! Roles are checked here (a clear [`TeamError::Forbidden`]) and again by the database
//! (V4's triggers), so a member cannot approve with a hand-written UPDATE either.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio_postgres::{Row, Transaction};

use crate::Team;
use crate::error::{Result, TeamError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalState {
    Pending,
    Approved,
    Refused,
    Cancelled,
    /// Approved and taken by the requester's process: it runs (or ran) once.
    Claimed,
    /// Still pending when it expired: it can no longer be approved.
    Expired,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Refused => "refused",
            ApprovalState::Cancelled => "cancelled",
            ApprovalState::Claimed => "claimed",
            ApprovalState::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => ApprovalState::Pending,
            "approved" => ApprovalState::Approved,
            "refused" => ApprovalState::Refused,
            "cancelled" => ApprovalState::Cancelled,
            "claimed" => ApprovalState::Claimed,
            "expired" => ApprovalState::Expired,
            other => {
                return Err(TeamError::Database(format!(
                    "unknown approval state {other:?}"
                )));
            }
        })
    }
}

/// An approval request as admins and the requester see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub id: i64,
    pub project: String,
    pub requester: String,
    pub machine: String,
    pub prompt_summary: String,
    pub offer: String,
    /// The worst case the reservation would hold.
    pub estimate: Decimal,
    pub state: ApprovalState,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub expires_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
}

/// What a requester asks approval for.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalAsk<'a> {
    pub project: &'a str,
    pub prompt_summary: &'a str,
    pub offer: &'a str,
    pub estimate: Decimal,
}

/// [`Team::request_approval_if_needed`]'s answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    /// No threshold, or the worst case is within it: reserve and send as usual.
    NotNeeded,
    /// Recorded as pending: nothing may be reserved or sent until it is approved.
    Requested(Box<Approval>),
}

const TS: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

fn select() -> String {
    format!(
        "SELECT a.id, p.name, m.name, a.machine_id, a.prompt_summary, a.offer_id, a.estimate_usd,
                CASE WHEN a.state = 'pending' AND now() > a.expires_at THEN 'expired'
                     ELSE a.state END,
                to_char(a.created_at AT TIME ZONE 'UTC', {TS}),
                to_char(a.expires_at AT TIME ZONE 'UTC', {TS}),
                d.name, to_char(a.decided_at AT TIME ZONE 'UTC', {TS}), a.reason
         FROM approvals a
         JOIN team_projects p ON p.id = a.project_id
         JOIN members m ON m.id = a.member_id
         LEFT JOIN members d ON d.id = a.decided_by"
    )
}

fn approval(r: &Row) -> Result<Approval> {
    Ok(Approval {
        id: r.get(0),
        project: r.get(1),
        requester: r.get(2),
        machine: r.get(3),
        prompt_summary: r.get(4),
        offer: r.get(5),
        estimate: r.get::<_, Decimal>(6).normalize(),
        state: ApprovalState::parse(r.get(7))?,
        created_at: r.get(8),
        expires_at: r.get(9),
        decided_by: r.get(10),
        decided_at: r.get(11),
        reason: r.get(12),
    })
}

/// Longest prompt summary kept on the server (the rest stays in the library).
const SUMMARY_CHARS: usize = 200;

impl Team {
    /// Sets (or, with `None`, removes) a team project's approval threshold (admins only).
    pub async fn set_approval_threshold(
        &self,
        project: &str,
        threshold: Option<Decimal>,
    ) -> Result<()> {
        self.require_admin("set a team project's approval threshold")?;
        if let Some(t) = threshold
            && t.is_sign_negative()
        {
            return Err(TeamError::Invalid(format!(
                "the approval threshold must be zero or more (got {t})"
            )));
        }
        let team = self.team_id;
        let n = self
            .conn
            .run(async |c| {
                Ok(c.execute(
                    "UPDATE team_projects SET approval_threshold_usd = $3
                     WHERE team_id = $1 AND name = $2",
                    &[&team, &project, &threshold],
                )
                .await?)
            })
            .await?;
        if n == 0 {
            return Err(TeamError::NotFound {
                what: "team project",
                name: project.to_owned(),
            });
        }
        Ok(())
    }

    /// A team project's approval threshold (`None`: approval is off).
    pub async fn approval_threshold(&self, project: &str) -> Result<Option<Decimal>> {
        let team = self.team_id;
        self.conn
            .run(async |c| {
                let r = c
                    .query_opt(
                        "SELECT approval_threshold_usd FROM team_projects
                         WHERE team_id = $1 AND name = $2",
                        &[&team, &project],
                    )
                    .await?
                    .ok_or_else(|| TeamError::NotFound {
                        what: "team project",
                        name: project.to_owned(),
                    })?;
                Ok(r.get::<_, Option<Decimal>>(0).map(|d| d.normalize()))
            })
            .await
    }

    /// Before anything is reserved: when the project's threshold is exceeded by the
    /// worst case, records a pending approval (one transaction) and returns it.
    pub async fn request_approval_if_needed(&self, ask: &ApprovalAsk<'_>) -> Result<Gate> {
        if ask.estimate.is_sign_negative() {
            return Err(TeamError::Invalid(format!(
                "cannot ask approval for {}",
                ask.estimate
            )));
        }
        let (team, member, machine) = (self.team_id, self.member.id, self.machine.as_str());
        let summary: String = ask.prompt_summary.chars().take(SUMMARY_CHARS).collect();
        self.conn
            .run(async |c| {
                let tx = c.transaction().await?;
                let p = tx
                    .query_opt(
                        "SELECT id, approval_threshold_usd FROM team_projects
                         WHERE team_id = $1 AND name = $2",
                        &[&team, &ask.project],
                    )
                    .await?
                    .ok_or_else(|| TeamError::NotFound {
                        what: "team project",
                        name: ask.project.to_owned(),
                    })?;
                let (project, threshold): (i64, Option<Decimal>) = (p.get(0), p.get(1));
                if threshold.is_none_or(|t| ask.estimate <= t) {
                    return Ok(Gate::NotNeeded);
                }
                let id: i64 = tx
                    .query_one(
                        "INSERT INTO approvals(project_id, member_id, machine_id, prompt_summary,
                                               offer_id, estimate_usd)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        &[
                            &project,
                            &member,
                            &machine,
                            &summary,
                            &ask.offer,
                            &ask.estimate,
                        ],
                    )
                    .await?
                    .get(0);
                let r = tx
                    .query_one(&format!("{} WHERE a.id = $1", select()), &[&id])
                    .await?;
                let a = approval(&r)?;
                tx.commit().await?;
                Ok(Gate::Requested(Box::new(a)))
            })
            .await
    }

    /// Approval requests: an admin sees the team's, a member only their own; newest
    /// first. `pending_only` keeps those still waiting for a decision.
    pub async fn approvals(&self, pending_only: bool) -> Result<Vec<Approval>> {
        let (team, member) = (self.team_id, self.member.id);
        let admin = self.member.role == crate::Role::Admin;
        self.conn
            .run(async |c| {
                let rows = c
                    .query(
                        &format!(
                            "{} WHERE p.team_id = $1 AND ($2 OR a.member_id = $3)
                               AND (NOT $4 OR (a.state = 'pending' AND now() <= a.expires_at))
                             ORDER BY a.id DESC",
                            select()
                        ),
                        &[&team, &admin, &member, &pending_only],
                    )
                    .await?;
                rows.iter().map(approval).collect()
            })
            .await
    }

    /// One approval request (admins: any of the team's; members: their own).
    pub async fn approval(&self, id: i64) -> Result<Approval> {
        let (team, member) = (self.team_id, self.member.id);
        let admin = self.member.role == crate::Role::Admin;
        self.conn
            .run(async |c| {
                let r = c
                    .query_opt(
                        &format!(
                            "{} WHERE a.id = $1 AND p.team_id = $2 AND ($3 OR a.member_id = $4)",
                            select()
                        ),
                        &[&id, &team, &admin, &member],
                    )
                    .await?
                    .ok_or_else(|| TeamError::NotFound {
                        what: "approval request",
                        name: id.to_string(),
                    })?;
                approval(&r)
            })
            .await
    }

    /// Approves a pending request (admins only).
    pub async fn approve(&self, id: i64) -> Result<Approval> {
        self.require_admin("approve a request")?;
        self.decide(id, ApprovalState::Approved, None).await
    }

    /// Refuses a pending request with a reason the requester is shown (admins only).
    pub async fn refuse(&self, id: i64, reason: &str) -> Result<Approval> {
        self.require_admin("refuse a request")?;
        if reason.trim().is_empty() {
            return Err(TeamError::Invalid(
                "say why the request is refused: the requester is shown the reason".into(),
            ));
        }
        self.decide(id, ApprovalState::Refused, Some(reason)).await
    }

    async fn decide(&self, id: i64, to: ApprovalState, reason: Option<&str>) -> Result<Approval> {
        let (team, admin) = (self.team_id, self.member.id);
        let n = self
            .conn
            .run(async |c| {
                Ok(c.execute(
                    "UPDATE approvals a SET state = $3, decided_by = $4, decided_at = now(),
                            reason = $5
                     FROM team_projects p
                     WHERE a.id = $1 AND p.id = a.project_id AND p.team_id = $2
                       AND a.state = 'pending' AND now() <= a.expires_at",
                    &[&id, &team, &to.as_str(), &admin, &reason],
                )
                .await?)
            })
            .await?;
        let a = self.approval(id).await?;
        if n == 0 {
            return Err(TeamError::Invalid(format!(
                "approval request {id} is {} already; only a pending request can be decided",
                a.state.as_str()
            )));
        }
        Ok(a)
    }

    /// The requester withdraws a request still pending (or approved and not yet run).
    pub async fn cancel_approval(&self, id: i64) -> Result<Approval> {
        let member = self.member.id;
        let n = self
            .conn
            .run(async |c| {
                Ok(c.execute(
                    "UPDATE approvals SET state = 'cancelled'
                     WHERE id = $1 AND member_id = $2 AND state IN ('pending', 'approved')",
                    &[&id, &member],
                )
                .await?)
            })
            .await?;
        let a = self.approval(id).await?;
        if n == 0 && a.state != ApprovalState::Cancelled {
            return Err(TeamError::Invalid(format!(
                "approval request {id} is {} and cannot be cancelled",
                a.state.as_str()
            )));
        }
        Ok(a)
    }

    /// Takes an approved request of this machine to run it: true for exactly one caller
    /// (one UPDATE from `approved` to `claimed`).
    pub async fn claim_approval(&self, id: i64) -> Result<bool> {
        let (member, machine) = (self.member.id, self.machine.as_str());
        self.conn
            .run(async |c| {
                let n = c
                    .execute(
                        "UPDATE approvals SET state = 'claimed', claimed_at = now()
                         WHERE id = $1 AND member_id = $2 AND machine_id = $3
                           AND state = 'approved'",
                        &[&id, &member, &machine],
                    )
                    .await?;
                Ok(n == 1)
            })
            .await
    }
}

/// Inside a reservation's transaction (under the project's lock): claims approval `id`
/// for `generation`, or moves a claim off `replaces` when that generation ended on the
/// server with nothing charged (its process died before sending). One UPDATE: of two
/// processes presenting the same approval, exactly one wins.
pub(crate) async fn claim_for(
    tx: &Transaction<'_>,
    id: i64,
    (member, machine): (i64, &str),
    generation: &str,
    replaces: Option<&str>,
) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE approvals a SET state = 'claimed', claimed_at = now(), generation_id = $4
             WHERE a.id = $1 AND a.member_id = $2 AND a.machine_id = $3
               AND (a.state = 'approved'
                    OR (a.state = 'claimed' AND $5::text IS NOT NULL
                        AND a.generation_id = $5::text
                        AND EXISTS (SELECT 1 FROM generations g
                                    WHERE g.id = $5::text AND g.status = 'closed'
                                      AND g.charged_usd = 0)))",
            &[&id, &member, &machine, &generation, &replaces],
        )
        .await?;
    if n == 1 {
        Ok(())
    } else {
        Err(TeamError::ApprovalTaken { id })
    }
}

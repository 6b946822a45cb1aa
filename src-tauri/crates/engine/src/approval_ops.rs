//! The facade's side of approval of spend (issue 18): resuming requests that waited
//! across a restart, and the team's approval commands. Kept apart from `approval` (the
//! pipeline's gate) so the pipeline never depends on the facade.

use rust_decimal::Decimal;

use crate::api::{AwaitingApprovalView, GenerationResult, TeamApprovalView, TeamApprovals};
use crate::approval::{Waiting, approvals_of, forget, key, records, team_error};
use crate::config::ProgressFn;
use crate::error::{EngineError, Result};
use crate::job_spec::{JobSpec, Resumed};

fn spec_of(w: Waiting) -> JobSpec {
    let mut spec = crate::facade::spec(w.input, w.parent.and_then(|p| p.parse().ok()));
    spec.later = w.later;
    spec.approval = Some(Resumed {
        id: w.approval_id,
        estimate: w.estimate_usd,
    });
    spec
}

impl crate::Engine {
    /// This library's requests waiting for a team admin's approval (kept across restarts).
    pub async fn awaiting_approvals(&self) -> Result<Vec<AwaitingApprovalView>> {
        Ok(records(&self.core)
            .await?
            .into_iter()
            .map(|w| AwaitingApprovalView {
                approval_id: w.approval_id,
                project: w.input.project,
                prompt: w.input.params.prompt,
                estimate_usd: w.estimate_usd,
                requested_at: w.requested_at,
            })
            .collect())
    }

    /// Resumes the wait of a request asked before this process started (after a crash
    /// or a restart) as a job; returns its job id. It runs once approved.
    pub async fn resume_approval(&self, approval_id: &str, progress: ProgressFn) -> Result<String> {
        let spec = self.resumed_spec(approval_id).await?;
        let (job_id, _handle) = crate::jobs::spawn(&self.core, spec, progress);
        Ok(job_id)
    }

    /// `resume_approval`, run to completion (CLI, tests).
    pub async fn resume_approval_and_wait(
        &self,
        approval_id: &str,
        progress: ProgressFn,
    ) -> Result<GenerationResult> {
        let spec = self.resumed_spec(approval_id).await?;
        let (_job, handle) = crate::jobs::spawn(&self.core, spec, progress);
        handle.await?
    }

    async fn resumed_spec(&self, approval_id: &str) -> Result<JobSpec> {
        let k = key(approval_id);
        let v = self
            .core
            .store_op(move |s| s.setting(&k))
            .await?
            .ok_or_else(|| {
                EngineError::not_found(format!(
                    "no request {approval_id} is waiting for approval in this library"
                ))
            })?;
        let w: Waiting = serde_json::from_value(v)
            .map_err(|e| EngineError::internal(format!("approval record {approval_id}: {e}")))?;
        Ok(spec_of(w))
    }

    /// The team's approval requests (admins) or this member's own.
    pub async fn team_approvals(&self, pending_only: bool) -> Result<TeamApprovals> {
        approvals_of(&self.core)?
            .list_approvals(pending_only)
            .await
            .map_err(team_error)
    }

    /// Approves a request (admins only): its requester's job then runs, once.
    pub async fn team_approve(&self, approval_id: &str) -> Result<TeamApprovalView> {
        approvals_of(&self.core)?
            .decide(approval_id, None)
            .await
            .map_err(team_error)
    }

    /// Refuses a request with a reason its requester is shown (admins only).
    pub async fn team_refuse(&self, approval_id: &str, reason: &str) -> Result<TeamApprovalView> {
        approvals_of(&self.core)?
            .decide(approval_id, Some(reason))
            .await
            .map_err(team_error)
    }

    /// Sets (or, with `None`, removes) a team project's approval threshold (admins only).
    pub async fn team_set_approval_threshold(
        &self,
        project: &str,
        threshold: Option<Decimal>,
    ) -> Result<()> {
        approvals_of(&self.core)?
            .set_threshold(project, threshold)
            .await
            .map_err(team_error)
    }

    /// Withdraws a request waiting for approval (on the server and here). A job of this
    /// process waiting on it ends as withdrawn at its next check.
    pub async fn cancel_approval(&self, approval_id: &str) -> Result<()> {
        approvals_of(&self.core)?
            .cancel_approval(approval_id)
            .await
            .map_err(team_error)?;
        forget(&self.core, approval_id).await;
        Ok(())
    }
}

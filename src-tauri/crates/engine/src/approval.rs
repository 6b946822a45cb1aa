//! Approval of spend on team projects (issue 18 item 5). Before the claim (so before
//! anything is reserved or sent), a team project's request asks the server whether its
//! worst case exceeds the project's approval threshold. If it does, the server records
//! a pending approval, the library records the job (`team.approval.<id>` setting, so a
//! crash loses nothing), and the job waits as "awaiting approval" without holding a
//! queue slot. On approval it claims the request on the server (one statement: exactly
//! one process of the library wins) and goes on through the normal path; on refusal,
//! expiry or withdrawal it ends with the reason and nothing is charged.
//!
//! While it waits, an unreachable server is waited out: the request stays pending there
//! and here.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use crate::api::{GenerateInput, JobEvent};
use crate::claim::worst_of;
use crate::config::ProgressFn;
use crate::context::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::job_spec::JobSpec;
use crate::routing::Candidate;
use crate::team_hook::{ApprovalAsk, ApprovalCheck, SharedApprovals, SharedError};

const PREFIX: &str = "team.approval.";

/// A job waiting for approval, as the library keeps it until it is decided.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Waiting {
    pub(crate) approval_id: String,
    pub(crate) input: GenerateInput,
    pub(crate) parent: Option<String>,
    pub(crate) later: bool,
    pub(crate) estimate_usd: Decimal,
    pub(crate) requested_at: String,
}

pub(crate) fn key(id: &str) -> String {
    format!("{PREFIX}{id}")
}

pub(crate) async fn forget(core: &Arc<Core>, id: &str) {
    let k = key(id);
    if let Err(e) = core.store_op(move |s| s.remove_setting(&k)).await {
        tracing::warn!(
            approval = id,
            "could not forget the approval record: {}",
            e.message
        );
    }
}

/// Asks for approval when needed and waits for it. `Ok` means: go on (no approval
/// needed, or approved and claimed by this process, with a queue slot in `slot`).
pub(crate) async fn gate(
    core: &Arc<Core>,
    spec: &JobSpec,
    team: Option<&str>,
    cands: &[Candidate],
    cancel: &CancellationToken,
    emit: &ProgressFn,
    slot: &mut Option<OwnedSemaphorePermit>,
) -> Result<()> {
    // The team project's name was read in the run's first store hop (solo: none).
    let Some(name) = team.map(str::to_owned) else {
        return Ok(());
    };
    let shared = crate::shared::hook(core)?;
    let Some(approvals) = shared.approvals() else {
        return Ok(());
    };
    let (id, estimate) = match &spec.approval {
        Some(r) => (r.id.clone(), r.estimate),
        None => {
            let Some(first) = cands.iter().find(|c| c.skip.is_none()) else {
                return Ok(()); // nothing can run: the attempts say why
            };
            let worst = worst_of(cands.iter());
            let ask = ApprovalAsk {
                project: name,
                prompt_summary: spec.params.prompt.chars().take(200).collect(),
                offer: first.offer.id.to_string(),
                estimate: worst,
            };
            let Some(id) = approvals
                .request_approval(&ask)
                .await
                .map_err(crate::shared::refused)?
            else {
                return Ok(());
            };
            let record = Waiting {
                approval_id: id.clone(),
                input: GenerateInput {
                    project: spec.project.clone(),
                    params: spec.params.clone(),
                    route: spec.route.clone(),
                    no_dedup: spec.no_dedup,
                },
                parent: spec.parent.map(|p| p.to_string()),
                later: spec.later,
                estimate_usd: worst,
                requested_at: chrono::Utc::now().to_rfc3339(),
            };
            let value = serde_json::to_value(&record)
                .map_err(|e| EngineError::internal(format!("approval record: {e}")))?;
            let k = key(&id);
            core.store_op(move |s| s.set_setting(&k, &value)).await?;
            (id, worst)
        }
    };
    emit(JobEvent::AwaitingApproval {
        approval_id: id.clone(),
        estimate_usd: estimate,
    });
    // Waiting for a person must not hold up other jobs.
    *slot = None;
    let out = wait(core, approvals, &id, cancel, slot).await;
    forget(core, &id).await;
    out
}

async fn wait(
    core: &Arc<Core>,
    approvals: &dyn SharedApprovals,
    id: &str,
    cancel: &CancellationToken,
    slot: &mut Option<OwnedSemaphorePermit>,
) -> Result<()> {
    let every = core.options().poll_interval;
    loop {
        let state = match approvals.approval_state(id).await {
            Ok(s) => s,
            Err(e) => {
                // Server away (or a transient error): the request stays pending there.
                tracing::warn!(approval = id, "approval state unknown: {}", e.message);
                ApprovalCheck::Pending
            }
        };
        match state {
            ApprovalCheck::Pending => {}
            ApprovalCheck::Approved => {
                // A slot first, so a claimed approval is not left waiting in the queue.
                if slot.is_none() {
                    *slot = core.runs().queue().slot(cancel).await;
                    if slot.is_none() {
                        return Err(withdraw(approvals, id).await);
                    }
                }
                match approvals.claim_approval(id).await {
                    Ok(true) => return Ok(()),
                    Ok(false) => continue, // re-read: claimed elsewhere or withdrawn
                    Err(e) => {
                        tracing::warn!(approval = id, "claim failed: {}", e.message);
                    }
                }
            }
            ApprovalCheck::Refused { by, reason } => {
                return Err(EngineError::budget(format!(
                    "Not sent: request {id} was refused by {}: {reason}. Nothing was reserved or \
                     charged.",
                    by.as_deref().unwrap_or("a team admin")
                )));
            }
            ApprovalCheck::Expired => {
                return Err(EngineError::budget(format!(
                    "Not sent: request {id} expired before a team admin decided; nothing was \
                     charged. Send it again to ask anew."
                )));
            }
            ApprovalCheck::Cancelled => {
                return Err(EngineError::new(
                    ErrorKind::Cancelled,
                    format!("request {id} was withdrawn; nothing was charged"),
                ));
            }
            ApprovalCheck::Claimed => {
                return Err(EngineError::validation(format!(
                    "request {id} was approved and is run by another process of this library; \
                     nothing was sent from this one"
                )));
            }
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = cancel.cancelled() => return Err(withdraw(approvals, id).await),
        }
    }
}

/// The requester cancelled the job: the request is withdrawn on the server too.
async fn withdraw(approvals: &dyn SharedApprovals, id: &str) -> EngineError {
    if let Err(e) = approvals.cancel_approval(id).await {
        tracing::warn!(
            approval = id,
            "withdrawing on the server failed: {}",
            e.message
        );
    }
    EngineError::cancelled()
}

pub(crate) fn approvals_of(core: &Arc<Core>) -> Result<&dyn SharedApprovals> {
    let shared = core.options().shared_ledger.0.as_ref().ok_or_else(|| {
        EngineError::validation(
            "this library is not connected to a team; join one first \
             (`proofsheet-cli team join`)",
        )
    })?;
    shared
        .approvals()
        .ok_or_else(|| EngineError::validation("this team connection does not support approvals"))
}

/// A team server's refusal of an approval action (not an admin, already decided, server
/// away): the message says which and what to do.
pub(crate) fn team_error(e: SharedError) -> EngineError {
    EngineError::validation(e.message)
}

pub(crate) async fn records(core: &Arc<Core>) -> Result<Vec<Waiting>> {
    let rows = core.store_op(|s| s.settings_with_prefix(PREFIX)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, v)| match serde_json::from_value::<Waiting>(v) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(key = k, "unreadable approval record: {e}");
                None
            }
        })
        .collect())
}

//! Approval of spend on team projects (issue 18 item 5). A team request's first
//! reservation on the server checks the project's approval threshold in the same
//! transaction (no round trip of its own). Above it, the server refuses and nothing is
//! held there; the local generation ends unsent, the request is recorded on the server
//! as pending and in the library (`team.approval.<id>` setting, so a crash loses
//! nothing), and the job waits as "awaiting approval" without holding a queue slot. On
//! approval it runs as a new generation whose reservation claims the approval (one
//! statement: exactly one process of the library wins); on refusal, expiry or
//! withdrawal it ends with the reason and nothing is charged.
//!
//! The library's record names the generation the approval was claimed for until the job
//! ends: if the process dies after the claim and before any attempt, `team resume` moves
//! the claim to a new generation, once (the server checks the old one ended at $0).
//!
//! While it waits, an unreachable server is waited out: the request stays pending there
//! and here.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use crate::api::{GenerateInput, JobEvent};
use crate::config::ProgressFn;
use crate::context::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::job_spec::{JobSpec, Resumed};
use crate::team_hook::{ApprovalAsk, ApprovalCheck, ReserveTicket, SharedApprovals, SharedError};
use store::GenerationId;

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
    /// The generation the approval was claimed for (set just before the server's claim).
    #[serde(default)]
    pub(crate) generation: Option<String>,
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

/// After a team reservation refused for want of approval (`needs`): asks for it (the
/// server records a pending request), records the job in the library (so a crash loses
/// nothing) and returns it as resumed, for the pipeline to wait on and run anew.
/// `None`: the threshold changed meanwhile and no approval is needed now.
pub(crate) async fn ask(
    core: &Arc<Core>,
    spec: &JobSpec,
    needs: &crate::shared::NeedsApproval,
) -> Result<Option<Resumed>> {
    let shared = crate::shared::hook(core)?;
    let Some(approvals) = shared.approvals() else {
        return Err(EngineError::budget(
            "Not sent: this team project needs an admin's approval and this team connection \
             cannot ask for it",
        ));
    };
    let g = needs.generation;
    let offer = core
        .store_op(move |s| Ok(s.generation(g)?.offer_id))
        .await?
        .unwrap_or_default();
    let ask = ApprovalAsk {
        project: needs.project.clone(),
        prompt_summary: spec.params.prompt.chars().take(200).collect(),
        offer,
        estimate: needs.estimate,
    };
    let Some(id) = approvals
        .request_approval(&ask)
        .await
        .map_err(crate::shared::refused)?
    else {
        return Ok(None);
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
        estimate_usd: needs.estimate,
        requested_at: chrono::Utc::now().to_rfc3339(),
        generation: None,
    };
    save(core, &record).await?;
    Ok(Some(Resumed {
        id,
        estimate: needs.estimate,
    }))
}

async fn save(core: &Arc<Core>, record: &Waiting) -> Result<()> {
    let value = serde_json::to_value(record)
        .map_err(|e| EngineError::internal(format!("approval record: {e}")))?;
    let k = key(&record.approval_id);
    core.store_op(move |s| s.set_setting(&k, &value)).await
}

/// Before a resumed request's generation is reserved on the server: the library's
/// record names that generation, so if this process dies between the server's claim
/// and the first attempt, the claim can be moved to a new generation once (no attempt
/// of the named one was ever sent).
pub(crate) async fn claiming(core: &Arc<Core>, id: &str, generation: GenerationId) -> Result<()> {
    let k = key(id);
    let Some(v) = core.store_op(move |s| s.setting(&k)).await? else {
        return Ok(());
    };
    let mut w: Waiting = serde_json::from_value(v)
        .map_err(|e| EngineError::internal(format!("approval record {id}: {e}")))?;
    w.generation = Some(generation.to_string());
    save(core, &w).await
}

/// How a team request reserves: a fresh one lets the server check the threshold in the
/// reservation itself (no round trip here); a resumed one (approval already asked)
/// waits until an admin decides, without its queue slot, and then presents the
/// approval to the reservation, which claims it (exactly one process wins).
pub(crate) async fn ticket(
    core: &Arc<Core>,
    spec: &JobSpec,
    team: Option<&str>,
    cancel: &CancellationToken,
    emit: &ProgressFn,
    slot: &mut Option<OwnedSemaphorePermit>,
) -> Result<ReserveTicket> {
    let (Some(_), Some(r)) = (team, &spec.approval) else {
        return Ok(ReserveTicket::Check);
    };
    let shared = crate::shared::hook(core)?;
    let Some(approvals) = shared.approvals() else {
        return Ok(ReserveTicket::Check);
    };
    emit(JobEvent::AwaitingApproval {
        approval_id: r.id.clone(),
        estimate_usd: r.estimate,
    });
    // Waiting for a person must not hold up other jobs.
    *slot = None;
    let out = wait(core, approvals, &r.id, cancel, slot).await;
    if out.is_err() {
        forget(core, &r.id).await;
    }
    out
}

async fn wait(
    core: &Arc<Core>,
    approvals: &dyn SharedApprovals,
    id: &str,
    cancel: &CancellationToken,
    slot: &mut Option<OwnedSemaphorePermit>,
) -> Result<ReserveTicket> {
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
        let replaces = match state {
            ApprovalCheck::Pending => None,
            ApprovalCheck::Approved => Some(None),
            ApprovalCheck::Claimed => match unsent_claim(core, id).await? {
                Some(g) => Some(Some(g)),
                None => {
                    return Err(EngineError::validation(format!(
                        "request {id} was approved and is run by another process of this \
                         library; nothing was sent from this one"
                    )));
                }
            },
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
        };
        if let Some(replaces) = replaces {
            // A slot first, so an approved request is not left waiting in the queue.
            if slot.is_none() {
                *slot = core.runs().queue().slot(cancel).await;
                if slot.is_none() {
                    return Err(withdraw(approvals, id).await);
                }
            }
            return Ok(ReserveTicket::Approved {
                id: id.to_owned(),
                replaces,
            });
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = cancel.cancelled() => return Err(withdraw(approvals, id).await),
        }
    }
}

/// A claimed approval whose claiming generation (named in this library's record) ended
/// here without a single attempt: its process died between the claim and the send.
/// The server moves the claim only if that generation also ended there at $0.
async fn unsent_claim(core: &Arc<Core>, id: &str) -> Result<Option<String>> {
    let k = key(id);
    let Some(v) = core.store_op(move |s| s.setting(&k)).await? else {
        return Ok(None);
    };
    let Some(g) = serde_json::from_value::<Waiting>(v)
        .ok()
        .and_then(|w| w.generation)
    else {
        return Ok(None);
    };
    let Ok(gid) = g.parse::<GenerationId>() else {
        return Ok(None);
    };
    let unsent = core
        .store_op(move |s| {
            let rec = s.generation(gid)?;
            Ok(rec.status.is_terminal() && s.attempts(gid)?.is_empty())
        })
        .await
        .unwrap_or(false);
    Ok(unsent.then_some(g))
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

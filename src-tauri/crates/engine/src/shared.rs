//! Team projects (issue 18): a project whose money lives on the team server. The local
//! ledger still books every move (so the library balances on its own), but the team
//! server is the authority: before the local reservation, the same amount is reserved
//! there, under the team's hard budget and the member's cap; when a generation ends
//! (or recovery finishes it after a crash) its settled money is synced there.
//!
//! - A project is a team project when its `project.<id>.team` setting is true (set by
//!   `team project` commands), so the engine knows it without the network.
//! - The server side is a [`SharedLedger`] supplied by the embedder (the CLI adapts the
//!   `team` crate); without one, or with the server unreachable, paid work on a team
//!   project is refused before anything is sent. There is never a local fallback: it
//!   could overrun the shared budget.
//! - Sync is idempotent (the server books the difference), so a lost answer or an
//!   outage is caught up by [`catch_up`] at the next recovery pass.

use std::sync::Arc;

use rust_decimal::Decimal;
use store::{GenerationId, ProjectId};

use crate::team_hook::{ReserveTicket, Settled, SharedError, SharedErrorKind};

use crate::api::RecoveryReport;
use crate::context::Core;
use crate::error::{EngineError, Result};

pub(crate) use crate::team_project::{SETTING, team_name};

/// A team reservation refused for want of an admin's approval (the error's source):
/// the pipeline asks for it and waits, then runs the request as a new generation.
#[derive(Debug, thiserror::Error)]
#[error("needs approval: ${estimate} on {project}")]
pub(crate) struct NeedsApproval {
    pub(crate) project: String,
    pub(crate) generation: GenerationId,
    pub(crate) estimate: Decimal,
}

/// An approved request this process presented was claimed by another (the error's
/// source): that process runs it, and keeps the library's record of it.
#[derive(Debug, thiserror::Error)]
#[error("approval taken")]
pub(crate) struct ApprovalTaken;

pub(crate) fn needs_approval(e: &EngineError) -> Option<&NeedsApproval> {
    e.source.as_deref()?.downcast_ref::<NeedsApproval>()
}

pub(crate) fn approval_taken(e: &EngineError) -> bool {
    e.source
        .as_deref()
        .is_some_and(|s| s.downcast_ref::<ApprovalTaken>().is_some())
}

pub(crate) fn refused(e: SharedError) -> EngineError {
    // Both are budget refusals: nothing was sent, and the message says why.
    match e.kind {
        SharedErrorKind::Budget | SharedErrorKind::NeedsApproval => {
            EngineError::budget(format!("Not sent: {}", e.message))
        }
        SharedErrorKind::ApprovalTaken => {
            let mut err = EngineError::validation(e.message);
            err.source = Some(Arc::new(ApprovalTaken));
            err
        }
        SharedErrorKind::Unreachable | SharedErrorKind::Other => EngineError::budget(format!(
            "Not sent: this is a team project and {}",
            e.message
        )),
    }
}

/// Inside a store hop that already read the project: its name when it is a team
/// project (so a generation learns it in its first hop, not one of its own).
pub(crate) fn team_of(
    s: &store::Store,
    project: ProjectId,
    name: String,
) -> store::Result<Option<String>> {
    let key = Core::project_setting_key(project, SETTING);
    let team = s.setting(&key)?.and_then(|v| v.as_bool()).unwrap_or(false);
    Ok(team.then_some(name))
}

/// Whether `project` is a team project (a local setting: no network).
pub(crate) async fn is_team(core: &Arc<Core>, project: ProjectId) -> Result<bool> {
    let key = Core::project_setting_key(project, SETTING);
    core.store_op(move |s| Ok(s.setting(&key)?.and_then(|v| v.as_bool()).unwrap_or(false)))
        .await
}

pub(crate) fn hook(core: &Core) -> Result<&Arc<dyn crate::team_hook::SharedLedger>> {
    core.options().shared_ledger.0.as_ref().ok_or_else(|| {
        EngineError::budget(
            "Not sent: this is a team project and this library has not joined the team server; \
             join in Settings → Team (or with `proofsheet-cli team join`)",
        )
    })
}

/// Reserves `amount` on the team server first, when the project is a team project
/// (`team`: its name, as [`team_of`] read it). Call before the local reservation,
/// before anything is sent. Solo projects cost no store hop here.
pub(crate) async fn reserve(
    core: &Arc<Core>,
    team: Option<&str>,
    generation: GenerationId,
    amount: Decimal,
    ticket: &ReserveTicket,
) -> Result<()> {
    if amount <= Decimal::ZERO {
        return Ok(());
    }
    let Some(name) = team else {
        return Ok(());
    };
    let shared = hook(core)?;
    let key = core
        .store_op(move |s| Ok(s.generation(generation)?.dedup_key))
        .await?;
    shared
        .reserve(name, &generation.to_string(), &key, amount, ticket)
        .await
        .map_err(|e| {
            let needs = e.kind == SharedErrorKind::NeedsApproval;
            let mut err = refused(e);
            if needs {
                err.source = Some(Arc::new(NeedsApproval {
                    project: name.to_owned(),
                    generation,
                    estimate: amount,
                }));
            }
            err
        })
}

/// Before a local top-up to `needed`: the same top-up on the team server.
pub(crate) async fn ensure(
    core: &Arc<Core>,
    team: Option<&str>,
    generation: GenerationId,
    needed: Decimal,
) -> Result<()> {
    if team.is_none() {
        return Ok(());
    }
    let held = core.store_op(move |s| s.reserved_for(generation)).await?;
    if held < needed {
        reserve(core, team, generation, needed - held, &ReserveTicket::TopUp).await?;
    }
    Ok(())
}

/// Pushes a generation's settled money to the team server (after it ran). A failure is
/// logged, not returned: the server keeps holding the reservation (never less than
/// was spent) until [`catch_up`] syncs it.
pub(crate) async fn after_generation(core: &Arc<Core>, generation: GenerationId) {
    match sync(core, generation).await {
        Err(e) => tracing::warn!(%generation, "team sync deferred: {}", e.message),
        // Closed on the server: its images and record go to the team's storage.
        Ok(true) => {
            if let Err(e) = crate::team_sync::publish(core, generation).await {
                tracing::warn!(%generation, "{}", e.message);
            }
        }
        Ok(false) => {}
    }
}

async fn sync(core: &Arc<Core>, generation: GenerationId) -> Result<bool> {
    // Not joined: nothing to sync to (and a team project could not have reserved).
    if core.options().shared_ledger.0.is_none() {
        return Ok(false);
    }
    let rec = core.store_op(move |s| s.generation(generation)).await?;
    if team_name(core, rec.project_id).await?.is_none() {
        return Ok(false);
    }
    let shared = hook(core)?;
    let settled = Settled {
        cost: rec.cost,
        unconfirmed: rec.unconfirmed,
        closed: rec.status.is_terminal(),
    };
    shared
        .sync(&generation.to_string(), settled)
        .await
        .map_err(refused)?;
    Ok(settled.closed)
}

/// Syncs every generation this machine still holds open on the team server (after a
/// crash, an outage or a lost answer). Part of each recovery pass; a no-op solo.
pub(crate) async fn catch_up(core: &Arc<Core>, report: &mut RecoveryReport) {
    let Some(shared) = core.options().shared_ledger.0.clone() else {
        return;
    };
    let open = match shared.open_generations().await {
        Ok(open) => open,
        Err(e) => {
            report
                .messages
                .push(format!("team server not synced: {}", e.message));
            return;
        }
    };
    for id in open {
        let Ok(generation) = id.parse::<GenerationId>() else {
            continue;
        };
        // Running here (or by a live process on this library): synced when it ends.
        if core.runs().active().contains(&generation) {
            continue;
        }
        if let Err(e) = sync(core, generation).await {
            report
                .messages
                .push(format!("team sync of generation {id}: {}", e.message));
        }
    }
    crate::team_sync::outbox(core, report).await;
}

impl crate::Engine {
    /// Marks a local project as a team project (its money then goes through the team
    /// server), or back to solo.
    pub async fn set_team_project(&self, name: &str, team: bool) -> Result<()> {
        let name = name.to_owned();
        self.core
            .store_op(move |s| {
                let p = s.project_by_name(&name)?;
                let key = Core::project_setting_key(p.id, SETTING);
                s.set_setting(&key, &serde_json::Value::Bool(team))
            })
            .await
    }

    /// Whether the named local project is a team project.
    pub async fn is_team_project(&self, name: &str) -> Result<bool> {
        let name = name.to_owned();
        let id = self
            .core
            .store_op(move |s| Ok(s.project_by_name(&name)?.id))
            .await?;
        Ok(team_name(&self.core, id).await?.is_some())
    }
}

//! Single flight and dedup before a generation runs (F13), in as few store hops as the
//! request allows (issue 17): the gallery check, the in-flight claim and the up-front
//! reservation share one blocking hop when nothing has to happen between them.

use std::sync::Arc;

use rust_decimal::Decimal;
use store::{GenerationId, NewGeneration, ProjectId};
use tokio_util::sync::CancellationToken;

use crate::api::{GenerationResult, Tier};
use crate::context::Core;
use crate::convert;
use crate::error::{EngineError, Result};
use crate::routing::Candidate;

/// What reserving the worst case answered, when it ran in the claim's hop.
pub(crate) type Held = std::result::Result<store::ReservationOutcome, store::StoreError>;

/// The worst case of any one usable candidate: what a generation holds up front.
pub(crate) fn worst_of<'a>(cands: impl Iterator<Item = &'a Candidate>) -> Decimal {
    cands
        .filter(|c| c.skip.is_none())
        .map(|c| c.estimate.worst_case)
        .max()
        .unwrap_or_default()
}

pub(crate) enum Claimed {
    /// Ours to run, with its reservation when `hold` asked for one and its first
    /// attempt when `send` asked for one and the reservation held.
    Mine(GenerationId, Option<Held>, Option<i64>),
    /// An identical request had succeeded: served from the gallery.
    Reused(Box<GenerationResult>),
    /// An identical request was in flight and has ended: try the gallery again.
    TwinDone,
}

/// Single flight (F13). Invariant: two identical requests (same dedup key) never both
/// pay. The store claims the key in one IMMEDIATE transaction (a queued or running
/// generation with the key is "in flight", whichever process runs it); a late-comer
/// waits here until the twin ends, then reuses its result. A twin whose owner died is
/// reconciled by recovery first. `no_dedup` ("regenerate anyway") skips all of it.
/// With `reuse`, the gallery is checked first in the same store hop (a hit is served,
/// a cancel before the claim claims nothing). The claim, the reservation and the `sent`
/// attempt are one transaction (`Store::begin_generation`).
pub(crate) async fn claim(
    core: &Arc<Core>,
    new: &NewGeneration,
    no_dedup: bool,
    cancel: &CancellationToken,
    reuse: Option<Reuse>,
    hold: Option<(ProjectId, Decimal)>,
    send: Option<store::SendNow>,
) -> Result<Claimed> {
    if no_dedup {
        if cancel.is_cancelled() {
            return Err(EngineError::cancelled());
        }
        let (id, held, sent) = create_running(core, new, hold, send).await?;
        return Ok(Claimed::Mine(id, held, sent));
    }
    let id = uuid::Uuid::new_v4();
    let owner = core.runs().owner().to_owned();
    // Active before it is running under our id: recovery in this process skips our own
    // generations only while they are in the active set.
    core.runs().active().insert(id);
    let n = new.clone();
    let stop = cancel.clone();
    let claimed = core
        .store_op(move |s| {
            if let Some(r) = reuse
                && let Some(result) = r.run_in(s)?
            {
                return Ok(Err(Some(Box::new(result))));
            }
            if stop.is_cancelled() {
                return Ok(Err(None));
            }
            let b = s.begin_generation(id, &n, &owner, store::Start::Claim, hold, send.as_ref())?;
            Ok(Ok(b))
        })
        .await;
    let twin = match claimed {
        Ok(Ok(store::Begun {
            claim: store::Claim::Created(id),
            held,
            sent,
        })) => return Ok(Claimed::Mine(id, held, sent)),
        Ok(Ok(store::Begun {
            claim: store::Claim::InFlight { generation, owner },
            ..
        })) => {
            core.runs().active().remove(&id);
            (generation, owner)
        }
        Ok(Err(reused)) => {
            core.runs().active().remove(&id);
            return match reused {
                Some(result) => Ok(Claimed::Reused(result)),
                None => Err(EngineError::cancelled()),
            };
        }
        Err(e) => {
            core.runs().active().remove(&id);
            return Err(e);
        }
    };
    wait_for_twin(core, twin.0, twin.1, cancel).await?;
    Ok(Claimed::TwinDone)
}

/// Waits until an identical in-flight generation ends (any process).
async fn wait_for_twin(
    core: &Arc<Core>,
    twin: GenerationId,
    owner: Option<String>,
    cancel: &CancellationToken,
) -> Result<()> {
    let deferred = core
        .store_op(move |s| Ok(s.attempts(twin)?.iter().any(crate::remote::is_pending)))
        .await?;
    if deferred {
        // Its provider may take a day: say so rather than wait.
        return Err(EngineError::validation(format!(
            "an identical request (generation {twin}) is already deferred to a provider's \
             batch; it lands in the gallery when the provider delivers it. Pass --no-dedup \
             (\"Regenerate anyway\") to pay for another one now"
        )));
    }
    tracing::info!(%twin, "an identical request is in flight; waiting for it");
    let me = core.runs().owner().to_owned();
    let mut owner = owner;
    let mut recovered = false;
    loop {
        let (status, now_owner) = core.store_op(move |s| s.generation_status(twin)).await?;
        if status.is_terminal() {
            return Ok(());
        }
        if now_owner != owner {
            owner = now_owner;
        }
        let mine = core.runs().active().contains(&twin);
        let dead = !mine
            && match owner.as_deref() {
                None => true,
                Some(o) if o == me => true,
                Some(o) => matches!(
                    crate::lease::probe(core.data_dir(), o)?,
                    crate::lease::Owner::Dead(_)
                ),
            };
        if dead && !recovered {
            // Its process is gone: reconcile it (books what it may have cost).
            recovered = true;
            crate::recovery::recover(core).await?;
            continue;
        }
        if dead {
            // Recovery could not close it: its provider job is still running, or it never
            // started. Running this request now could pay twice, so say so instead.
            return Err(EngineError::validation(format!(
                "an identical request (generation {twin}) was left unfinished by a Proofsheet \
                 that stopped, and its provider job may still be running; run `recover` later \
                 to collect it, or pass --no-dedup (\"Regenerate anyway\") to pay for a new one"
            )));
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
            _ = cancel.cancelled() => return Err(EngineError::cancelled()),
        }
    }
}

/// Creates the generation running under this instance (no claim), reserves `hold` for
/// it and writes `send` as its first attempt, in one transaction.
async fn create_running(
    core: &Arc<Core>,
    new: &NewGeneration,
    hold: Option<(ProjectId, Decimal)>,
    send: Option<store::SendNow>,
) -> Result<(GenerationId, Option<Held>, Option<i64>)> {
    let owner = core.runs().owner().to_owned();
    let active = core.runs().active().clone();
    let new = new.clone();
    let id = uuid::Uuid::new_v4();
    // Active before it is running under our id (recovery skips our active generations).
    active.insert(id);
    let begun = core
        .store_op(move |s| {
            s.begin_generation(id, &new, &owner, store::Start::Always, hold, send.as_ref())
        })
        .await;
    match begun {
        Ok(b) => Ok((id, b.held, b.sent)),
        Err(e) => {
            active.remove(&id);
            Err(e)
        }
    }
}

/// Serves the request from the gallery when an identical one already succeeded: the
/// dedup keys of the usable candidates, looked up in order.
#[derive(Clone)]
pub(crate) struct Reuse {
    keys: Vec<String>,
    project: ProjectId,
    tier: store::Tier,
    parent: Option<GenerationId>,
}

impl Reuse {
    pub(crate) fn new(
        cands: &[Candidate],
        req: &pricing::EstimateRequest,
        inputs: &store::CanonicalInputs,
        project: ProjectId,
        tier: &Tier,
        parent: Option<GenerationId>,
    ) -> Self {
        Reuse {
            keys: cands
                .iter()
                .filter(|c| c.skip.is_none())
                .map(|c| store::dedup_key(&c.canonical(req, inputs)))
                .collect(),
            project,
            tier: convert::to_store_tier(tier),
            parent,
        }
    }

    /// The dedup keys, in the order they are tried (team-wide dedup uses them too).
    pub(crate) fn keys(&self) -> &[String] {
        &self.keys
    }

    pub(crate) fn tier_parent(&self) -> (store::Tier, Option<GenerationId>) {
        (self.tier, self.parent)
    }

    pub(crate) async fn run(self, core: &Arc<Core>) -> Result<Option<GenerationResult>> {
        core.store_op(move |s| self.run_in(s)).await
    }

    fn run_in(&self, s: &store::Store) -> store::Result<Option<GenerationResult>> {
        for key in &self.keys {
            let Some(hit) = s.find_reusable(key)? else {
                continue;
            };
            let id = s.reuse_generation(hit.generation.id, self.project, self.tier, self.parent)?;
            let g = s.generation(id)?;
            let images = s.images(id)?;
            return Ok(Some(convert::result_of(s, &g, &images, &[])));
        }
        Ok(None)
    }
}

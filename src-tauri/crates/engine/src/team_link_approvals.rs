//! Approval of spend over the team link (issue 18): [`Link`] asks the `team` crate, and
//! [`TeamSwitch`] forwards to the current link (or refuses: not joined).

use rust_decimal::Decimal;

use crate::api::{ApprovalStateView, TeamApprovalView, TeamApprovals};
use crate::team_hook::{ApprovalAsk, ApprovalCheck, SharedApprovals, SharedFuture};
use crate::team_link::{Link, approval_id, shared};
use crate::team_switch::{TeamSwitch, not_joined};

/// The team crate's approval as the engine's IPC shape.
fn view(a: team::Approval) -> TeamApprovalView {
    use team::ApprovalState as S;
    TeamApprovalView {
        approval_id: a.id.to_string(),
        project: a.project,
        requester: a.requester,
        machine: a.machine,
        prompt_summary: a.prompt_summary,
        offer_id: a.offer,
        estimate_usd: a.estimate,
        state: match a.state {
            S::Pending => ApprovalStateView::Pending,
            S::Approved => ApprovalStateView::Approved,
            S::Refused => ApprovalStateView::Refused,
            S::Cancelled => ApprovalStateView::Cancelled,
            S::Claimed => ApprovalStateView::Claimed,
            S::Expired => ApprovalStateView::Expired,
        },
        created_at: a.created_at,
        expires_at: a.expires_at,
        decided_by: a.decided_by,
        decided_at: a.decided_at,
        reason: a.reason,
    }
}

impl SharedApprovals for Link {
    fn request_approval<'a>(&'a self, ask: &'a ApprovalAsk) -> SharedFuture<'a, Option<String>> {
        Box::pin(async move {
            let gate = self
                .shared_team()
                .await?
                .request_approval_if_needed(&team::ApprovalAsk {
                    project: &ask.project,
                    prompt_summary: &ask.prompt_summary,
                    offer: &ask.offer,
                    estimate: ask.estimate,
                })
                .await
                .map_err(shared)?;
            Ok(match gate {
                team::Gate::NotNeeded => None,
                team::Gate::Requested(a) => Some(a.id.to_string()),
            })
        })
    }

    fn approval_state<'a>(&'a self, id: &'a str) -> SharedFuture<'a, ApprovalCheck> {
        Box::pin(async move {
            let a = self
                .shared_team()
                .await?
                .approval(approval_id(id)?)
                .await
                .map_err(shared)?;
            use team::ApprovalState as S;
            Ok(match a.state {
                S::Pending => ApprovalCheck::Pending,
                S::Approved => ApprovalCheck::Approved,
                S::Refused => ApprovalCheck::Refused {
                    by: a.decided_by,
                    reason: a.reason.unwrap_or_default(),
                },
                S::Cancelled => ApprovalCheck::Cancelled,
                S::Claimed => ApprovalCheck::Claimed,
                S::Expired => ApprovalCheck::Expired,
            })
        })
    }

    fn claim_approval<'a>(&'a self, id: &'a str) -> SharedFuture<'a, bool> {
        Box::pin(async move {
            self.shared_team()
                .await?
                .claim_approval(approval_id(id)?)
                .await
                .map_err(shared)
        })
    }

    fn cancel_approval<'a>(&'a self, id: &'a str) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            self.shared_team()
                .await?
                .cancel_approval(approval_id(id)?)
                .await
                .map(drop)
                .map_err(shared)
        })
    }

    fn list_approvals(&self, pending_only: bool) -> SharedFuture<'_, TeamApprovals> {
        Box::pin(async move {
            let t = self.shared_team().await?;
            let items = t.approvals(pending_only).await.map_err(shared)?;
            Ok(TeamApprovals {
                can_decide: t.member().role == team::Role::Admin,
                items: items.into_iter().map(view).collect(),
            })
        })
    }

    fn decide<'a>(
        &'a self,
        id: &'a str,
        refusal: Option<&'a str>,
    ) -> SharedFuture<'a, TeamApprovalView> {
        Box::pin(async move {
            let t = self.shared_team().await?;
            let id = approval_id(id)?;
            let a = match refusal {
                None => t.approve(id).await,
                Some(why) => t.refuse(id, why).await,
            };
            a.map(view).map_err(shared)
        })
    }

    fn set_threshold<'a>(
        &'a self,
        project: &'a str,
        threshold: Option<Decimal>,
    ) -> SharedFuture<'a, ()> {
        Box::pin(async move {
            self.shared_team()
                .await?
                .set_approval_threshold(project, threshold)
                .await
                .map_err(shared)
        })
    }
}

/// Every call goes to the link of the moment; none: the library has not joined.
impl SharedApprovals for TeamSwitch {
    fn request_approval<'a>(&'a self, ask: &'a ApprovalAsk) -> SharedFuture<'a, Option<String>> {
        self.on_link(
            not_joined,
            move |l| async move { l.request_approval(ask).await },
        )
    }

    fn approval_state<'a>(&'a self, id: &'a str) -> SharedFuture<'a, ApprovalCheck> {
        self.on_link(
            not_joined,
            move |l| async move { l.approval_state(id).await },
        )
    }

    fn claim_approval<'a>(&'a self, id: &'a str) -> SharedFuture<'a, bool> {
        self.on_link(
            not_joined,
            move |l| async move { l.claim_approval(id).await },
        )
    }

    fn cancel_approval<'a>(&'a self, id: &'a str) -> SharedFuture<'a, ()> {
        self.on_link(
            not_joined,
            move |l| async move { l.cancel_approval(id).await },
        )
    }

    fn list_approvals(&self, pending_only: bool) -> SharedFuture<'_, TeamApprovals> {
        self.on_link(not_joined, move |l| async move {
            l.list_approvals(pending_only).await
        })
    }

    fn decide<'a>(
        &'a self,
        id: &'a str,
        refusal: Option<&'a str>,
    ) -> SharedFuture<'a, TeamApprovalView> {
        self.on_link(
            not_joined,
            move |l| async move { l.decide(id, refusal).await },
        )
    }

    fn set_threshold<'a>(
        &'a self,
        project: &'a str,
        threshold: Option<Decimal>,
    ) -> SharedFuture<'a, ()> {
        self.on_link(not_joined, move |l| async move {
            l.set_threshold(project, threshold).await
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::team_hook::{ReserveTicket, Settled, SharedLedger};

    /// Not joined: money moves, downloads and approvals are refused with the "join
    /// first" message; syncs, publications and listings have nothing to do.
    #[tokio::test]
    async fn a_switch_without_a_link_refuses_money_and_does_nothing_else() {
        let switch = TeamSwitch::default();
        let e = switch
            .reserve("P", "g", "k", Decimal::ONE, &ReserveTicket::Check)
            .await
            .unwrap_err();
        assert!(e.message.contains("has not joined"), "{}", e.message);
        assert!(switch.meter("P").await.is_err());
        assert!(switch.download(&[]).await.is_err());
        assert!(switch.list_approvals(true).await.is_err());
        let settled = Settled {
            cost: Decimal::ZERO,
            unconfirmed: Decimal::ZERO,
            closed: true,
        };
        assert!(switch.sync("g", settled).await.is_ok());
        assert!(switch.open_generations().await.unwrap().is_empty());
        assert!(switch.lookup(&[]).await.unwrap().is_none());
        assert!(switch.pull("P", 0, 10).await.unwrap().is_empty());
    }
}

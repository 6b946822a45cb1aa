//! The window's background catch-up with the team (issue 18): one pass pushes this
//! machine's outbox and receives teammates' generations of the team projects (the same
//! code as `team sync`), reporting progress as it goes and announcing the gallery after
//! each page that brought something, so new images appear without a reload. Server or
//! bucket trouble ends the pass as `Unreachable`; the embedder retries later and nothing
//! is lost (the outbox stays on the server, the cursor stays before what failed).

use std::sync::Mutex;

use crate::api::{RecoveryReport, TeamCatchUpPhase, TeamCatchUpView};
use crate::team_sync::{self, TeamPull};

fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn view(phase: TeamCatchUpPhase, p: &TeamPull, message: Option<String>) -> TeamCatchUpView {
    TeamCatchUpView {
        phase,
        project: Some(p.project.clone()).filter(|s| !s.is_empty()),
        received: count(p.received),
        images: count(p.images),
        skipped: count(p.skipped),
        failed: count(p.failed.len() as u64),
        message,
    }
}

impl crate::Engine {
    /// One catch-up pass (see the module doc). `progress` sees `Receiving` views; the
    /// answer is the pass's end: `Idle` with what it received (summed over projects),
    /// `Unreachable` with why, or `Off` when this library has no team ledger.
    pub async fn team_catch_up(
        &self,
        progress: &(dyn Fn(&TeamCatchUpView) + Send + Sync),
    ) -> TeamCatchUpView {
        if self.core.options().shared_ledger.0.is_none() {
            return TeamCatchUpView::off();
        }
        let mut outbox = RecoveryReport {
            resumed: Vec::new(),
            failed: Vec::new(),
            still_running: Vec::new(),
            charged_usd: rust_decimal::Decimal::ZERO,
            released_usd: rust_decimal::Decimal::ZERO,
            messages: Vec::new(),
        };
        team_sync::outbox(&self.core, &mut outbox).await;
        if let Some(m) = outbox
            .messages
            .iter()
            .find(|m| m.starts_with(team_sync::OUTBOX_DOWN))
        {
            return view(
                TeamCatchUpPhase::Unreachable,
                &TeamPull::default(),
                Some(format!("{m}; retried in the background")),
            );
        }
        // Per project: the received count last announced (a page that brought something
        // refreshes the gallery, and the projects, whose cards count the images).
        let announced: Mutex<(String, u64)> = Mutex::new((String::new(), 0));
        let core = &self.core;
        let on_page = |p: &TeamPull| {
            let grew = {
                let mut a = announced
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if a.0 != p.project {
                    *a = (p.project.clone(), 0);
                }
                let grew = p.received > a.1;
                a.1 = p.received;
                grew
            };
            if grew {
                core.changes()
                    .emit(&[crate::DataTopic::Gallery, crate::DataTopic::Projects]);
            }
            // A pass that only re-reads what is here (the overlap) shows nothing.
            if p.received > 0 {
                progress(&view(TeamCatchUpPhase::Receiving, p, None));
            }
        };
        match self.team_pull(&on_page).await {
            Ok(all) => {
                let mut total = TeamPull::default();
                for p in &all {
                    total.received += p.received;
                    total.images += p.images;
                    total.skipped += p.skipped;
                    total.failed.extend(p.failed.iter().cloned());
                }
                let message = total.failed.first().map(|f| {
                    format!(
                        "{} teammate generation(s) not received yet ({f}); retried in the \
                         background",
                        total.failed.len()
                    )
                });
                view(TeamCatchUpPhase::Idle, &total, message)
            }
            Err(e) => view(
                TeamCatchUpPhase::Unreachable,
                &TeamPull::default(),
                Some(format!("{}; retried in the background", e.message)),
            ),
        }
    }
}

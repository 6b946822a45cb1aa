//! The window's background catch-up with the team (issue 18): while this library is in
//! a team with an image bucket (and at start), a pass every `PROOFSHEET_TEAM_SYNC_MS`
//! (default 15000), and at once after a join, pushes this machine's outbox and receives
//! teammates' generations. Its progress reaches the status area as `TeamCatchUp`
//! events; new images reach the gallery as `DataChanged`. Server trouble is shown and
//! retried quietly; nothing here ever blocks a command.

use std::sync::{Arc, Mutex, PoisonError};

use engine::api::TeamCatchUpView;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use tauri_specta::Event;
use tokio::sync::Notify;

use crate::error::CmdResult;

/// The catch-up's progress changed.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct TeamCatchUp {
    pub view: TeamCatchUpView,
}

/// The last progress (for a window that starts listening late) and the wake-up bell.
pub struct CatchUpState {
    last: Mutex<TeamCatchUpView>,
    kick: Notify,
}

impl CatchUpState {
    pub fn new() -> Arc<CatchUpState> {
        Arc::new(CatchUpState {
            last: Mutex::new(TeamCatchUpView::off()),
            kick: Notify::new(),
        })
    }

    /// Starts a pass now (after a join).
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    fn last(&self) -> TeamCatchUpView {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn publish<R: Runtime>(&self, app: &AppHandle<R>, view: TeamCatchUpView) {
        {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            if *last == view {
                return;
            }
            *last = view.clone();
        }
        if let Err(e) = (TeamCatchUp { view }).emit(app) {
            tracing::debug!("team catch-up progress not delivered: {e}");
        }
    }
}

/// Where the background catch-up is now.
#[tauri::command]
#[specta::specta]
pub async fn team_catch_up_status(
    state: State<'_, Arc<CatchUpState>>,
) -> CmdResult<TeamCatchUpView> {
    Ok(state.last())
}

pub fn spawn<R: Runtime>(
    app: AppHandle<R>,
    engine: Arc<engine::Engine>,
    team: Arc<engine::team_switch::TeamSwitch>,
    state: Arc<CatchUpState>,
) {
    let every = std::env::var("PROOFSHEET_TEAM_SYNC_MS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|ms| *ms >= 200)
        .unwrap_or(15_000);
    tauri::async_runtime::spawn(async move {
        loop {
            let with_bucket = team.current().is_some_and(|l| l.config().storage.is_some());
            let mut view = if with_bucket {
                let progress = |v: &TeamCatchUpView| state.publish(&app, v.clone());
                engine.team_catch_up(&progress).await
            } else {
                TeamCatchUpView::off()
            };
            // Left the team during the pass: its failure is no news.
            if team.current().is_none() {
                view = TeamCatchUpView::off();
            }
            if let Some(m) = view.message.as_deref() {
                tracing::debug!("team catch-up: {m}");
            }
            state.publish(&app, view);
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_millis(every)) => {}
                () = state.kick.notified() => {}
            }
        }
    });
}

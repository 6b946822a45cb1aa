//! The polling loop shared by async providers: fixed interval, overall deadline,
//! cancellation. No retries: a failed poll request ends the call with the job attached.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::types::{ProgressSink, ProviderProgress};

/// Providers whose generation is a queued job polled until it finishes (progress shows
/// "polling"); the others answer the request itself.
pub fn polls_for_result(provider: vocab::ProviderId) -> bool {
    use vocab::ProviderId as P;
    match provider {
        P::Replicate | P::Fal | P::Bfl | P::ComfyUi => true,
        P::OpenAi
        | P::Stability
        | P::Google
        | P::Together
        | P::OpenRouter
        | P::A1111
        | P::OpenAiCompatible
        | P::Ideogram
        | P::Recraft
        | P::Xai => false,
    }
}

pub enum Stop {
    Cancelled,
    Deadline,
}

pub struct Poller<'a> {
    interval: Duration,
    deadline: Instant,
    cancel: &'a CancellationToken,
    progress: &'a ProgressSink,
    pub attempt: u32,
}

impl<'a> Poller<'a> {
    pub fn new(
        interval: Duration,
        deadline: Duration,
        cancel: &'a CancellationToken,
        progress: &'a ProgressSink,
    ) -> Self {
        Self {
            interval,
            deadline: Instant::now() + deadline,
            cancel,
            progress,
            attempt: 0,
        }
    }

    /// Wait one interval before the next poll; stops on cancel or when the deadline passed.
    pub async fn tick(&mut self) -> Result<(), Stop> {
        if self.cancel.is_cancelled() {
            return Err(Stop::Cancelled);
        }
        if Instant::now() >= self.deadline {
            return Err(Stop::Deadline);
        }
        let wake = (Instant::now() + self.interval).min(self.deadline);
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(Stop::Cancelled),
            _ = tokio::time::sleep_until(wake) => {}
        }
        self.attempt += 1;
        self.progress.emit(ProviderProgress::Polling {
            attempt: self.attempt,
        });
        Ok(())
    }
}

//! Job progress on stderr (one line per stage), the job id for Ctrl-C, and the
//! terminal event for commands whose engine call returns before the job ends.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use engine::api::JobEvent;
use engine::{Engine, ProgressFn};
use tokio::sync::mpsc;

use crate::output::{clean, normalize_amounts, usd};

/// Shared between the progress callback (engine threads) and the command.
pub struct Job {
    engine: Arc<Engine>,
    id: Mutex<Option<String>>,
    cancel_requested: AtomicBool,
}

impl Job {
    /// Asks the engine to cancel; if the job id is not known yet, cancels as soon as
    /// the `Queued` event names it.
    pub fn request_cancel(&self) {
        self.cancel_requested.store(true, Ordering::SeqCst);
        if let Some(id) = self.id.lock().ok().and_then(|g| g.clone()) {
            self.engine.cancel(&id);
        }
    }

    pub fn cancel_requested(&self) -> bool {
        self.cancel_requested.load(Ordering::SeqCst)
    }

    fn queued(&self, id: &str) {
        if let Ok(mut g) = self.id.lock() {
            *g = Some(id.to_string());
        }
        if self.cancel_requested() {
            self.engine.cancel(id);
        }
    }
}

/// A progress callback that prints each stage to stderr (unless `quiet`) and forwards
/// the terminal event (`Done`/`Failed`) on the returned channel.
pub fn tracker(
    engine: &Arc<Engine>,
    quiet: bool,
) -> (ProgressFn, Arc<Job>, mpsc::UnboundedReceiver<JobEvent>) {
    let job = Arc::new(Job {
        engine: engine.clone(),
        id: Mutex::new(None),
        cancel_requested: AtomicBool::new(false),
    });
    let (tx, rx) = mpsc::unbounded_channel();
    let j = job.clone();
    let f: ProgressFn = Arc::new(move |event: JobEvent| {
        if let JobEvent::Queued { job_id } = &event {
            j.queued(job_id);
        }
        if !quiet {
            let mut err = std::io::stderr().lock();
            // A closed stderr must not stop the job.
            let _ = writeln!(err, "{}", describe(&event));
        }
        if matches!(event, JobEvent::Done { .. } | JobEvent::Failed { .. }) {
            let _ = tx.send(event);
        }
    });
    (f, job, rx)
}

pub fn describe(event: &JobEvent) -> String {
    let text = match event {
        JobEvent::Queued { job_id } => format!("queued (job {job_id})"),
        JobEvent::Estimating => "estimating".to_string(),
        JobEvent::AwaitingApproval {
            approval_id,
            estimate_usd,
        } => format!(
            "awaiting approval · est {} (request {approval_id}); an admin runs \
             `proofsheet-cli team approve {approval_id}`; Ctrl-C withdraws it",
            usd(*estimate_usd)
        ),
        JobEvent::Reserved {
            amount_usd,
            warning,
        } => match warning {
            Some(w) => format!("reserved {} of the budget. {w}", usd(*amount_usd)),
            None => format!("reserved {} of the budget", usd(*amount_usd)),
        },
        JobEvent::WaitingRateLimit { provider, seconds } => {
            format!("{provider} is rate limiting: waiting {seconds}s")
        }
        JobEvent::Running {
            provider,
            model,
            attempt,
        } => format!("running {provider} {model} (attempt {attempt})"),
        JobEvent::Polling {
            provider,
            remote_id,
            elapsed_s,
        } => {
            format!("polling {provider} job {remote_id} ({elapsed_s}s)")
        }
        JobEvent::Storing => "storing images".to_string(),
        JobEvent::Done { result } if result.status == engine::api::GenerationStatus::Deferred => {
            "deferred: the provider has the batch; it lands later".to_string()
        }
        JobEvent::Done { result } => format!("done: {}", usd(result.cost_usd)),
        JobEvent::Failed { message, .. } => format!("failed: {message}"),
    };
    // Provider ids, messages and warnings may carry provider or user text.
    format!("[proofsheet] {}", clean(&normalize_amounts(&text)))
}

/// Waits for a signal that means "stop" (Ctrl-C, or SIGTERM on Unix).
pub async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs `fut` to completion; the first interrupt cancels the job (the engine releases
/// the reservation and `fut` returns), a second one exits at once.
pub async fn cancellable<T>(job: &Job, quiet: bool, fut: impl Future<Output = T>) -> T {
    tokio::pin!(fut);
    loop {
        tokio::select! {
            out = &mut fut => return out,
            _ = interrupted() => {
                if job.cancel_requested() {
                    eprintln!("[proofsheet] interrupted again: quitting without waiting");
                    std::process::exit(i32::from(crate::exit::CANCELLED));
                }
                if !quiet {
                    eprintln!("[proofsheet] cancelling; releasing the reservation (Ctrl-C again to quit at once)");
                }
                job.request_cancel();
            }
        }
    }
}

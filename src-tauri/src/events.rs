//! App-wide typed events (job progress travels through per-job Channels instead).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri_specta::Event;
use tokio::sync::broadcast;

/// Something the UI shows changed (in this window, another one, or another process such
/// as the CLI): refetch what `topic` names.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct DataChanged {
    pub topic: engine::DataTopic,
}

/// How long a burst of notices is gathered before it is sent on (issue 17: 100 jobs at
/// once wrote several notices each, and every one was a script run in the window).
const BURST: Duration = Duration::from_millis(100);

/// Forwards the engine's data-change notices to the window as `DataChanged` until the
/// engine goes away. A listener that fell behind refetches everything (`library`).
pub fn forward<R: tauri::Runtime>(app: tauri::AppHandle<R>, engine: &engine::Engine) {
    let rx = engine.subscribe_changes();
    tauri::async_runtime::spawn(coalesce(rx, BURST, move |topic| {
        if let Err(e) = (DataChanged { topic }).emit(&app) {
            tracing::debug!("data-changed not delivered: {e}");
        }
    }));
}

/// Sends a lone notice at once; while notices keep coming, sends what arrived in each
/// `window` once per topic at the window's end. Ends when the channel closes.
pub async fn coalesce(
    mut rx: broadcast::Receiver<engine::DataTopic>,
    window: Duration,
    emit: impl Fn(engine::DataTopic),
) {
    use broadcast::error::RecvError;
    let recv = |r: Result<engine::DataTopic, RecvError>| match r {
        Ok(t) => Some(t),
        Err(RecvError::Lagged(_)) => Some(engine::DataTopic::Library),
        Err(RecvError::Closed) => None,
    };
    loop {
        let Some(first) = recv(rx.recv().await) else {
            return;
        };
        emit(first);
        // Gather what follows; a quiet window ends the burst.
        loop {
            let mut burst: Vec<engine::DataTopic> = Vec::new();
            let end = tokio::time::Instant::now() + window;
            let mut closed = false;
            while let Ok(r) = tokio::time::timeout_at(end, rx.recv()).await {
                match recv(r) {
                    Some(t) if !burst.contains(&t) => burst.push(t),
                    Some(_) => {}
                    None => {
                        closed = true;
                        break;
                    }
                }
            }
            // `library` means refetch everything: the other topics add nothing.
            if burst.contains(&engine::DataTopic::Library) {
                burst = vec![engine::DataTopic::Library];
            }
            let quiet = burst.is_empty();
            burst.into_iter().for_each(&emit);
            if closed {
                return;
            }
            if quiet {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use engine::DataTopic;

    use super::*;

    #[tokio::test]
    async fn a_burst_of_500_notices_reaches_the_window_a_few_times_each_topic_once() {
        let (tx, rx) = broadcast::channel(1024);
        let sent = Arc::new(Mutex::new(Vec::<DataTopic>::new()));
        let log = sent.clone();
        let task = tokio::spawn(coalesce(rx, Duration::from_millis(100), move |t| {
            log.lock().expect("lock").push(t);
        }));
        // 100 jobs × 5 notices over 1 s.
        let kinds = [
            DataTopic::Budgets,
            DataTopic::Gallery,
            DataTopic::Projects,
            DataTopic::Budgets,
            DataTopic::Gallery,
        ];
        let started = std::time::Instant::now();
        for i in 0..500 {
            tx.send(kinds[i % kinds.len()]).expect("send");
            if i % 10 == 9 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let windows = started.elapsed().as_millis() as usize / 100 + 2;
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(tx);
        task.await.expect("join");
        let sent = sent.lock().expect("lock").clone();
        // The first at once, then each topic at most once per 100 ms window (the count
        // of windows comes from the clock, so a slow machine does not fail it).
        assert!(
            sent.len() <= 1 + 3 * windows,
            "{} notices sent in {windows} windows",
            sent.len()
        );
        assert!(sent.len() < 100, "500 notices were folded: {}", sent.len());
        assert_eq!(
            sent[0],
            DataTopic::Budgets,
            "a lone first notice goes at once"
        );
        for t in [DataTopic::Budgets, DataTopic::Gallery, DataTopic::Projects] {
            assert!(sent.contains(&t), "{t:?} reached the window");
        }
    }

    #[tokio::test]
    async fn lone_notices_go_at_once_and_library_stands_for_all() {
        let (tx, rx) = broadcast::channel(16);
        let sent = Arc::new(Mutex::new(Vec::<DataTopic>::new()));
        let log = sent.clone();
        let task = tokio::spawn(coalesce(rx, Duration::from_millis(100), move |t| {
            log.lock().expect("lock").push(t);
        }));
        tx.send(DataTopic::Keys).expect("send");
        // Sent before the window (100 ms) could end: it did not wait for one.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(*sent.lock().expect("lock"), vec![DataTopic::Keys]);
        tokio::time::sleep(Duration::from_millis(500)).await;
        for t in [DataTopic::Gallery, DataTopic::Library, DataTopic::Budgets] {
            tx.send(t).expect("send");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(tx);
        task.await.expect("join");
        assert_eq!(
            *sent.lock().expect("lock"),
            vec![DataTopic::Keys, DataTopic::Gallery, DataTopic::Library]
        );
    }
}

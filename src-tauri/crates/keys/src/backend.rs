//! The platform credential store: connected lazily, shared by the process, reconnected
//! after the keychain went away. There is no fallback store of any kind.

#[cfg(target_os = "linux")]
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};

use crate::error::{KeyError, Result, from_connect, from_keyring, unavailable};
use crate::provider::Provider;

/// `None` until the first successful connection. A failed connection is not cached, so
/// starting gnome-keyring after Proofsheet is enough to make keys work.
static STORE: Mutex<Option<Arc<CredentialStore>>> = Mutex::new(None);

#[cfg(target_os = "linux")]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NoDefaultStore)
}

#[allow(
    clippy::significant_drop_tightening,
    reason = "connects happen under the lock on purpose (see CONNECT_STUCK)"
)]
fn store(provider: Option<Provider>) -> Result<Arc<CredentialStore>> {
    let mut guard = STORE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(store) = guard.as_ref() {
        return Ok(store.clone());
    }
    let store = connect_with_timeout(provider)?;
    *guard = Some(store.clone());
    Ok(store)
}

/// Opening the connection involves no user prompt, so it answers in milliseconds or
/// not at all (a wedged bus). Without this bound a caller would wait forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Set while a connection attempt runs. Connects happen under the `STORE` lock, so
/// finding it set on entry means an earlier attempt timed out and is still stuck: fail
/// at once instead of each call waiting the full timeout again.
static CONNECT_STUCK: AtomicBool = AtomicBool::new(false);

fn connect_with_timeout(provider: Option<Provider>) -> Result<Arc<CredentialStore>> {
    let timed_out = || {
        unavailable(
            "the keychain service did not answer within 10 seconds",
            "restart the keyring daemon (gnome-keyring or KeePassXC) or your desktop session",
            provider,
        )
    };
    if CONNECT_STUCK.load(Ordering::SeqCst) {
        return Err(timed_out());
    }
    let (tx, rx) = mpsc::channel();
    CONNECT_STUCK.store(true, Ordering::SeqCst);
    let spawned = std::thread::Builder::new()
        .name("keychain-connect".into())
        .spawn(move || {
            let result = connect();
            CONNECT_STUCK.store(false, Ordering::SeqCst);
            // The receiver is gone after a timeout; the next call connects afresh.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        CONNECT_STUCK.store(false, Ordering::SeqCst);
        return Err(KeyError::Keychain {
            message: format!("could not start the keychain connection thread: {e}"),
        });
    }
    match rx.recv_timeout(CONNECT_TIMEOUT) {
        Ok(result) => result.map_err(|e| from_connect(e, provider)),
        Err(_) => Err(timed_out()),
    }
}

/// Drops the shared connection so the next call reconnects (e.g. the keyring daemon
/// was restarted).
fn forget_store() {
    let mut guard = STORE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *guard = None;
}

/// One keychain item: `service` is the app identifier, `user` the provider id or the
/// index name.
pub(crate) struct Item<'a> {
    pub service: &'a str,
    pub user: &'a str,
    /// For the remedy in error messages.
    pub provider: Option<Provider>,
    /// Shown in keychain managers (Seahorse) on Linux.
    pub label: &'a str,
}

impl Item<'_> {
    /// Runs `op` on this item's entry. `Ok(None)` when the item does not exist.
    pub fn with_entry<T: Send>(
        &self,
        op: impl FnOnce(&Entry) -> keyring_core::Result<T> + Send,
    ) -> Result<Option<T>> {
        let result = off_runtime(|| {
            let store = store(self.provider)?;
            let entry = build(&store, self)
                .map_err(|e| from_keyring(e, self.service, self.user, self.provider))?;
            match op(&entry) {
                Ok(value) => Ok(Some(value)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(from_keyring(e, self.service, self.user, self.provider)),
            }
        });
        if matches!(result, Err(KeyError::Unavailable { .. })) {
            forget_store();
        }
        result
    }
}

#[cfg(target_os = "linux")]
fn build(store: &Arc<CredentialStore>, item: &Item<'_>) -> keyring_core::Result<Entry> {
    let modifiers = HashMap::from([("label", item.label)]);
    store.build(item.service, item.user, Some(&modifiers))
}

#[cfg(not(target_os = "linux"))]
fn build(store: &Arc<CredentialStore>, item: &Item<'_>) -> keyring_core::Result<Entry> {
    store.build(item.service, item.user, None)
}

/// The Linux store drives D-Bus through zbus's own Tokio runtime with `block_on`, which
/// panics on a thread that is already running async code. Inside any Tokio context we
/// therefore hop to a short-lived plain thread; plain threads call straight through.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

//! `AsyncKeyStore`: the same operations for async callers (the engine, Tauri commands),
//! each run on Tokio's blocking pool so a slow keychain or an unlock prompt never
//! stalls the runtime.

use crate::error::{KeyError, Result};
use crate::provider::Provider;
use crate::secret::Secret;
use crate::store::{KeyInfo, KeyStore};

/// Async face of [`KeyStore`]. Must be used inside a Tokio runtime.
#[derive(Debug, Clone)]
pub struct AsyncKeyStore {
    inner: KeyStore,
}

impl AsyncKeyStore {
    pub fn new(service: &str) -> Self {
        Self {
            inner: KeyStore::new(service),
        }
    }

    /// The blocking store, for code already on a blocking thread.
    pub fn blocking(&self) -> &KeyStore {
        &self.inner
    }

    pub async fn set(&self, provider: Provider, secret: Secret) -> Result<KeyInfo> {
        self.run(move |s| s.set(provider, secret)).await
    }

    pub async fn get(&self, provider: Provider) -> Result<Option<Secret>> {
        self.run(move |s| s.get(provider)).await
    }

    pub async fn has(&self, provider: Provider) -> Result<bool> {
        self.run(move |s| s.has(provider)).await
    }

    pub async fn delete(&self, provider: Provider) -> Result<bool> {
        self.run(move |s| s.delete(provider)).await
    }

    pub async fn list(&self) -> Result<Vec<KeyInfo>> {
        self.run(|s| s.list()).await
    }

    pub async fn check_available(&self) -> Result<()> {
        self.run(|s| s.check_available()).await
    }

    pub(crate) async fn run_blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&KeyStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.run(op).await
    }

    async fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&KeyStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.inner.clone();
        tokio::task::spawn_blocking(move || op(&store))
            .await
            .map_err(|e| KeyError::Keychain {
                message: format!("keychain task did not finish: {e}"),
            })?
    }
}

impl From<KeyStore> for AsyncKeyStore {
    fn from(inner: KeyStore) -> Self {
        Self { inner }
    }
}

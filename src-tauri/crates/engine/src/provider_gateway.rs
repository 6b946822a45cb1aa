//! The provider gateway (issue 13 §4): how a provider is reached with its key. The one
//! HTTP client, the keychain, keys injected in memory, and which providers have a key
//! (cached; nothing secret is read to answer that). The clients themselves are part of
//! the swapped configuration (`wiring`), since they are rebuilt with the settings.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use parking_lot::RwLock;

use crate::error::{EngineError, ErrorKind, Result};

/// What a provider call needs a key for.
/// The key stays a `Secret` (never printed, wiped on drop) until the request that uses
/// it reads it with `expose()`.
pub(crate) enum KeyLookup {
    Found(keys::Secret),
    /// The provider does not need one (local, gateways).
    NotNeeded,
    Missing,
}

/// Providers that run without a key (local servers, gateways).
pub(crate) fn key_optional(provider: &str) -> bool {
    provider
        .parse::<vocab::OfferProvider>()
        .is_ok_and(|p| p.key_optional())
}

pub(crate) struct ProviderGateway {
    http: reqwest::Client,
    keys: keys::AsyncKeyStore,
    /// Keys supplied in memory (`EngineOptions::keys`): win over the environment and the
    /// keychain; never persisted.
    injected: HashMap<String, String>,
    /// Which providers have a key (keychain index + env + injected), refreshed on change.
    key_presence: RwLock<Option<(Instant, HashSet<String>)>>,
    /// One keychain listing at a time: the window's first queries all ask at start-up,
    /// and each listing is a keychain round trip per provider (issue 17).
    listing: tokio::sync::Mutex<()>,
}

impl ProviderGateway {
    pub fn new(
        http: reqwest::Client,
        keys: keys::AsyncKeyStore,
        injected: HashMap<String, String>,
    ) -> Self {
        Self {
            http,
            keys,
            injected,
            key_presence: RwLock::new(None),
            listing: tokio::sync::Mutex::new(()),
        }
    }

    /// The one HTTP client every provider request goes through.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The keychain (saving, listing and deleting keys; gateway secrets). Reading a
    /// provider key for a call goes through `key_for`.
    pub fn keychain(&self) -> &keys::AsyncKeyStore {
        &self.keys
    }

    /// A usable key for `provider`: injected, then environment, then keychain.
    pub async fn key_for(&self, provider: &str) -> Result<KeyLookup> {
        if let Some(k) = self.injected.get(provider) {
            return Ok(KeyLookup::Found(keys::Secret::from_string(k.clone())));
        }
        let Some(p) = vocab::ProviderId::from_wire(provider) else {
            return Ok(KeyLookup::NotNeeded);
        };
        match self.keys.get(p).await {
            Ok(Some(s)) => Ok(KeyLookup::Found(s)),
            Ok(None) if key_optional(provider) => Ok(KeyLookup::NotNeeded),
            Ok(None) => Ok(KeyLookup::Missing),
            Err(_) if key_optional(provider) => Ok(KeyLookup::NotNeeded),
            Err(e) => Err(EngineError::new(
                ErrorKind::Keychain,
                format!("cannot read the {provider} key: {e}"),
            )),
        }
    }

    /// Providers with a key available, without reading any secret. A missing keychain
    /// only hides keychain keys; injected and environment keys still count.
    pub async fn providers_with_keys(&self) -> HashSet<String> {
        if let Some(p) = self.cached_presence() {
            return p;
        }
        // Whoever waited here while another caller listed takes its answer.
        let _one_listing = self.listing.lock().await;
        if let Some(p) = self.cached_presence() {
            return p;
        }
        let mut set: HashSet<String> = self.injected.keys().cloned().collect();
        for info in keys::KeyStore::environment_keys() {
            set.insert(info.provider.as_str().to_owned());
        }
        match self.keys.list().await {
            Ok(list) => {
                set.extend(list.into_iter().map(|i| i.provider.as_str().to_owned()));
                // Kept until a key is saved or deleted here (`forget_key_presence`); a day at most.
                let a_day = Instant::now() + std::time::Duration::from_secs(86_400);
                *self.key_presence.write() = Some((a_day, set.clone()));
            }
            // Cached briefly: the keychain may come up later (unlocked, daemon started).
            Err(e) => {
                tracing::debug!("keychain unavailable for key listing: {e}");
                let soon = Instant::now() + std::time::Duration::from_secs(30);
                *self.key_presence.write() = Some((soon, set.clone()));
            }
        }
        set
    }

    fn cached_presence(&self) -> Option<HashSet<String>> {
        match self.key_presence.read().clone() {
            Some((until, p)) if Instant::now() < until => Some(p),
            _ => None,
        }
    }

    pub fn forget_key_presence(&self) {
        *self.key_presence.write() = None;
    }
}

//! The context behind the facade: the store, keys, catalog, provider clients, limits
//! and the job registry. Cloned into every job task as `Arc<Core>`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use providers::ImageProvider;
use store::{GenerationId, Store};
use tokio_util::sync::CancellationToken;

use crate::catalog::CatalogState;
use crate::config::EngineConfig;
use crate::error::{EngineError, ErrorKind, Result};
use crate::limits::Limits;
use crate::options::EngineOptions;
use crate::queue::JobQueue;
use crate::settings::{Clients, Settings, client_key};

pub(crate) struct Core {
    pub config: EngineConfig,
    pub options: EngineOptions,
    pub store: Store,
    pub keys: keys::AsyncKeyStore,
    pub http: reqwest::Client,
    pub settings: RwLock<Settings>,
    pub catalog: RwLock<Arc<CatalogState>>,
    pub clients: RwLock<Arc<Clients>>,
    /// Named gateways as stored in the library (issue 16).
    pub gateways: RwLock<Arc<Vec<store::GatewayRow>>>,
    pub limits: Limits,
    pub queue: JobQueue,
    /// Job id → cancel token of queued and running jobs.
    pub jobs: Mutex<HashMap<String, CancellationToken>>,
    /// Generations this process is working on (recovery leaves them alone).
    pub active: Mutex<HashSet<GenerationId>>,
    /// This instance's lease; its id is stamped on the generations it runs.
    pub lease: crate::lease::Lease,
    /// Which providers have a key (keychain index + env + injected), refreshed on change.
    pub key_presence: RwLock<Option<(std::time::Instant, HashSet<String>)>>,
    /// What usage- and time-billed offers really cost (DESIGN.md §3): loaded from the
    /// store's settled attempts at open, fed as each successful keyed attempt settles.
    /// Estimates take a snapshot (copy-on-write: a sample recorded while a snapshot is
    /// out clones the small map, estimates never hold the lock).
    pub calibration: RwLock<Arc<pricing::Calibration>>,
    /// Offers whose settled costs drifted from their estimates (`drift::list`).
    pub drift: DriftCache,
    /// Held for the whole of every read-modify-write of settings, clients, catalog and
    /// named gateways (issue 13 §1.10): two saves never interleave and lose one.
    pub reconfigure: tokio::sync::Mutex<()>,
    /// Data-change notices for the window (`Engine::subscribe_changes`).
    pub changes: crate::changes::Changes,
}

/// The cached drift list: recomputed when stale (an attempt settled, a decision or the
/// settings changed, or `drift::CACHE_TTL` passed).
pub(crate) type DriftCache = RwLock<Option<(std::time::Instant, Arc<Vec<crate::api::DriftView>>)>>;

/// The context every estimate in the engine is made with: now, and the history.
pub(crate) fn estimate_ctx(calibration: &pricing::Calibration) -> pricing::EstimateContext<'_> {
    pricing::EstimateContext {
        calibration: Some(calibration),
        ..pricing::EstimateContext::new(chrono::Utc::now())
    }
}

/// A stored sample as pricing's calibration takes it.
pub(crate) fn sample_of(row: store::CalibrationRow) -> pricing::CalibrationSample {
    pricing::CalibrationSample {
        offer_id: row.offer_id,
        key: row.key,
        actual: row.actual,
    }
}

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

/// A new configuration, swapped in at once by `Core::swap` (`None` keeps a part).
#[derive(Default)]
pub(crate) struct Swap {
    pub settings: Option<Settings>,
    pub clients: Option<Clients>,
    pub catalog: Option<CatalogState>,
    pub gateways: Option<Vec<store::GatewayRow>>,
}

impl Core {
    /// Installs a new configuration with every lock taken first, so no reader sees new
    /// clients with old settings. Call with `reconfigure` held.
    pub fn swap(&self, next: Swap) {
        let mut settings = self.settings.write();
        let mut clients = self.clients.write();
        let mut catalog = self.catalog.write();
        let mut gateways = self.gateways.write();
        if let Some(s) = next.settings {
            *settings = s;
        }
        if let Some(c) = next.clients {
            *clients = Arc::new(c);
        }
        if let Some(c) = next.catalog {
            *catalog = Arc::new(c);
        }
        if let Some(g) = next.gateways {
            *gateways = Arc::new(g);
        }
    }

    pub fn catalog(&self) -> Arc<pricing::Catalog> {
        self.catalog.read().effective.clone()
    }

    /// A snapshot of the calibration history for one round of estimates.
    pub fn calibration(&self) -> Arc<pricing::Calibration> {
        self.calibration.read().clone()
    }

    /// Learns one settled cost (after its attempt row is written, so memory never knows
    /// more than the store a restart loads from).
    pub fn learn(&self, sample: pricing::CalibrationSample) {
        Arc::make_mut(&mut *self.calibration.write()).record(sample);
    }

    /// The drift list is recomputed on next use (an attempt settled, a decision).
    pub fn forget_drift(&self) {
        *self.drift.write() = None;
    }

    pub fn client(&self, offer_id: &str, provider: &str) -> Option<Arc<dyn ImageProvider>> {
        self.clients.read().get(&client_key(offer_id, provider))
    }

    /// A usable key for `provider`: injected, then environment, then keychain.
    pub async fn key_for(&self, provider: &str) -> Result<KeyLookup> {
        if let Some(k) = self.options.keys.get(provider) {
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
        if let Some((until, p)) = self.key_presence.read().clone()
            && std::time::Instant::now() < until
        {
            return p;
        }
        let mut set: HashSet<String> = self.options.keys.keys().cloned().collect();
        for info in keys::KeyStore::environment_keys() {
            set.insert(info.provider.as_str().to_owned());
        }
        match self.keys.list().await {
            Ok(list) => {
                set.extend(list.into_iter().map(|i| i.provider.as_str().to_owned()));
                let forever = std::time::Instant::now() + std::time::Duration::from_secs(86_400);
                *self.key_presence.write() = Some((forever, set.clone()));
            }
            // Cached briefly: the keychain may come up later (unlocked, daemon started).
            Err(e) => {
                tracing::debug!("keychain unavailable for key listing: {e}");
                let soon = std::time::Instant::now() + std::time::Duration::from_secs(30);
                *self.key_presence.write() = Some((soon, set.clone()));
            }
        }
        set
    }

    pub fn forget_key_presence(&self) {
        *self.key_presence.write() = None;
    }

    /// Whether `provider` can be called: a key is present, or it needs none and has an
    /// endpoint (local servers count only once the user configured them).
    pub fn provider_usable(&self, provider: &str, with_keys: &HashSet<String>) -> bool {
        self.availability(provider, with_keys) == vocab::Availability::Ready
    }

    /// Whether `provider` can be called now, and if not, what is missing.
    pub fn availability(&self, provider: &str, with_keys: &HashSet<String>) -> vocab::Availability {
        use vocab::Availability;
        let Ok(p) = provider.parse::<vocab::OfferProvider>() else {
            return Availability::NotConfigured;
        };
        match p.provider() {
            // A local server is set up by Settings or by PROOFSHEET_<PROVIDER>_BASE_URL
            // (issue 12 §1.8: the environment used to be ignored here).
            Some(id) if id.is_local() => {
                let set = self.settings.read().endpoints.contains_key(provider)
                    || std::env::var(id.base_url_env_var()).is_ok_and(|v| !v.trim().is_empty());
                if set {
                    Availability::Ready
                } else {
                    Availability::NotConfigured
                }
            }
            _ if p.key_optional() || with_keys.contains(provider) => Availability::Ready,
            _ => Availability::NoKey,
        }
    }

    pub async fn store_op<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> store::Result<T> + Send + 'static,
    {
        crate::error::on_store(&self.store, f).await
    }

    pub fn project_setting_key(project: store::ProjectId, what: &str) -> String {
        format!("project.{project}.{what}")
    }
}

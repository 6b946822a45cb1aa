//! The context behind the facade, cloned into every job task as `Arc<Core>`: a few
//! services with private state, each asked for by the modules that need it (issue 13
//! §4): the store, the configuration in use (`wiring`: settings, clients, catalog, named
//! gateways), the provider gateway (HTTP, keys), prices (calibration, drift), job runs
//! (queue, jobs, active set, limits, lease) and the data-change notices.

use std::collections::HashSet;
use std::path::Path;

use store::Store;

use crate::changes::Changes;

use crate::config::EngineConfig;
use crate::error::Result;
use crate::options::EngineOptions;
use crate::prices::Prices;
use crate::project_cache::ProjectCache;
use crate::provider_gateway::ProviderGateway;
use crate::runs::Runs;
use crate::wiring::Wiring;

pub(crate) struct Core {
    config: EngineConfig,
    options: EngineOptions,
    store: Store,
    wiring: Wiring,
    gateway: ProviderGateway,
    prices: Prices,
    runs: Runs,
    /// Data-change notices for the window (`Engine::subscribe_changes`).
    changes: Changes,
    /// Projects as generations read them, while the configuration is unchanged.
    projects: ProjectCache,
}

impl Core {
    pub fn new(
        config: EngineConfig,
        options: EngineOptions,
        store: Store,
        wiring: Wiring,
        gateway: ProviderGateway,
        prices: Prices,
        runs: Runs,
    ) -> Self {
        Self {
            config,
            options,
            store,
            wiring,
            gateway,
            prices,
            runs,
            changes: Changes::new(),
            projects: ProjectCache::default(),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The library folder this engine works on.
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Retry, timeouts, polling and test hooks, fixed at open.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// The library: ledger, generations, gallery (sync; `store_op` runs it off the
    /// async runtime).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The project read of a generation, cached (`project_read`).
    pub fn projects(&self) -> &ProjectCache {
        &self.projects
    }

    pub fn changes(&self) -> &Changes {
        &self.changes
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
                let set = self.wiring.settings().endpoints.contains_key(provider)
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

    /// Settings, clients, catalog and named gateways: the configuration in use.
    pub fn wiring(&self) -> &Wiring {
        &self.wiring
    }

    /// HTTP, keys and key presence: how a provider is reached.
    pub fn gateway(&self) -> &ProviderGateway {
        &self.gateway
    }

    /// Calibration and drift: what offers really cost.
    pub fn prices(&self) -> &Prices {
        &self.prices
    }

    /// Job runs: queue, cancel tokens, the active set, limits, the lease.
    pub fn runs(&self) -> &Runs {
        &self.runs
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

//! The configuration in use (issue 13 §4, §1.10): the user's settings, the provider
//! clients built from them, the catalog (bundled or imported, with overrides and named
//! gateways' offers) and the named gateways. They change together, so they live in one
//! snapshot behind one lock: a reader never sees new clients with old settings, and a
//! swap replaces the whole snapshot at once.

use std::sync::Arc;

use parking_lot::RwLock;
use providers::ImageProvider;

use crate::catalog::CatalogState;
use crate::settings::{Clients, Settings, client_key};

pub(crate) struct Wiring {
    current: RwLock<Arc<Wired>>,
    /// Held for the whole of every read-modify-write of the configuration (issue 13
    /// §1.10): two saves never interleave and lose one.
    reconfigure: tokio::sync::Mutex<()>,
}

/// One consistent configuration.
struct Wired {
    settings: Arc<Settings>,
    clients: Arc<Clients>,
    catalog: Arc<CatalogState>,
    /// Named gateways as stored in the library (issue 16).
    gateways: Arc<Vec<store::GatewayRow>>,
}

/// A new configuration, swapped in at once by `Wiring::swap` (`None` keeps a part).
#[derive(Default)]
pub(crate) struct Swap {
    pub settings: Option<Settings>,
    pub clients: Option<Clients>,
    pub catalog: Option<CatalogState>,
    pub gateways: Option<Vec<store::GatewayRow>>,
}

impl Wiring {
    pub fn new(
        settings: Settings,
        clients: Clients,
        catalog: CatalogState,
        gateways: Vec<store::GatewayRow>,
    ) -> Self {
        Self {
            current: RwLock::new(Arc::new(Wired {
                settings: Arc::new(settings),
                clients: Arc::new(clients),
                catalog: Arc::new(catalog),
                gateways: Arc::new(gateways),
            })),
            reconfigure: tokio::sync::Mutex::new(()),
        }
    }

    /// Taken for a read-modify-write of the configuration; `swap` under it.
    pub async fn reconfigure(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.reconfigure.lock().await
    }

    /// Installs a new configuration in one step. Call with `reconfigure` held.
    pub fn swap(&self, next: Swap) {
        let mut current = self.current.write();
        let old = current.clone();
        *current = Arc::new(Wired {
            settings: next.settings.map_or(old.settings.clone(), Arc::new),
            clients: next.clients.map_or(old.clients.clone(), Arc::new),
            catalog: next.catalog.map_or(old.catalog.clone(), Arc::new),
            gateways: next.gateways.map_or(old.gateways.clone(), Arc::new),
        });
    }

    pub fn settings(&self) -> Arc<Settings> {
        self.current.read().settings.clone()
    }

    /// The catalog with its parts: the base (bundled or imported) and the overrides.
    pub fn catalog_state(&self) -> Arc<CatalogState> {
        self.current.read().catalog.clone()
    }

    /// The catalog estimates and routes use (overrides and gateway offers applied).
    pub fn catalog(&self) -> Arc<pricing::Catalog> {
        self.current.read().catalog.effective.clone()
    }

    pub fn gateways(&self) -> Arc<Vec<store::GatewayRow>> {
        self.current.read().gateways.clone()
    }

    pub fn clients(&self) -> Arc<Clients> {
        self.current.read().clients.clone()
    }

    pub fn client(&self, offer_id: &str, provider: &str) -> Option<Arc<dyn ImageProvider>> {
        self.current
            .read()
            .clients
            .get(&client_key(offer_id, provider))
    }
}

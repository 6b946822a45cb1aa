//! Opening an engine: the store, the lease, the stored settings, catalog, overrides,
//! calibration history and named gateways, assembled into one `Core`.

use std::sync::Arc;

use crate::catalog::CatalogState;
use crate::config::EngineConfig;
use crate::context::Core;
use crate::error::{EngineError, Result, blocking};
use crate::limits::Limits;
use crate::options::EngineOptions;
use crate::prices::Prices;
use crate::provider_gateway::ProviderGateway;
use crate::queue::JobQueue;
use crate::runs::Runs;
use crate::settings::{self, Clients, Settings};
use crate::wiring::Wiring;

pub(crate) async fn core(config: EngineConfig, mut options: EngineOptions) -> Result<Arc<Core>> {
    // The store creates the folder, refuses a file in its place and opens a folder it
    // cannot write read-only (browse, estimate; every write refused).
    let dir = config.data_dir.clone();
    let open = store::OpenOptions {
        sweep: !options.defer_file_sweep,
        ..Default::default()
    };
    let store =
        blocking(move || store::Store::open_with(&dir, open).map_err(EngineError::from)).await?;
    let lease = if store.is_read_only() {
        crate::lease::Lease::read_only()
    } else {
        crate::lease::Lease::acquire(&config.data_dir)?
    };
    let s = store.clone();
    let (user, imported, overrides, samples, named) = blocking(move || {
        let user = Settings::load(&s)?;
        let imported = s
            .setting(settings::CATALOG_KEY)?
            .and_then(|v| v.as_str().map(str::to_owned));
        let imported = crate::feed::floor_at_open(&s, imported);
        let overrides = settings::parse_overrides(s.price_overrides()?);
        // The window's worth of history per (offer, parameters), oldest first.
        let samples = s.calibration_samples(pricing::Calibration::DEFAULT_WINDOW)?;
        let named = s.gateways()?;
        Ok((user, imported, overrides, samples, named))
    })
    .await?;
    let calibration =
        pricing::Calibration::from_samples(samples.into_iter().map(crate::prices::sample_of));
    let catalog = match CatalogState::build(imported.as_deref(), &user, &named, overrides.clone()) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                "stored catalog refused, using the bundled one: {}",
                e.message
            );
            CatalogState::build(None, &user, &named, overrides)?
        }
    };
    let http = providers::http::default_client();
    let clients = Clients::build(&user, &options, &http);
    let max_jobs = options
        .max_concurrent_jobs
        .unwrap_or_else(|| user.max_jobs());
    let gateway = ProviderGateway::new(
        http,
        keys::AsyncKeyStore::new(&config.keychain_service),
        std::mem::take(&mut options.keys),
    );
    let runs = Runs::new(
        Limits::new(
            options
                .provider_concurrency
                .unwrap_or(user.calls_per_provider() as usize),
            options.breaker.clone(),
        ),
        JobQueue::new(max_jobs),
        lease,
    );
    let core = Arc::new(Core::new(
        config,
        options,
        store,
        Wiring::new(user, clients, catalog, named),
        gateway,
        Prices::new(calibration),
        runs,
    ));
    if let Some(every) = core.options().outside_write_poll
        && !core.store().is_read_only()
    {
        crate::outside_writes::watch_outside_writes(Arc::downgrade(&core), every);
    }
    Ok(core)
}

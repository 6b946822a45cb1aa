//! Saving settings, negotiated price overrides and catalog imports: validate first,
//! persist, then swap the in-memory state (clients, catalog, queue size) at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::{CatalogImportReport, PriceOverrideInput, SettingsInput};
use crate::catalog::CatalogState;
use crate::context::Core;
use crate::error::{EngineError, Result};
use crate::settings::{self, Clients, Settings};
use crate::wiring::Swap;

pub(crate) async fn save(core: &Arc<Core>, input: SettingsInput) -> Result<()> {
    let _one_at_a_time = core.wiring().reconfigure().await;
    let mut endpoints = BTreeMap::new();
    for e in input.endpoints {
        if let Some(url) = e
            .base_url
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
        {
            endpoints.insert(e.provider.as_str().to_owned(), url);
        }
    }
    let next = Settings {
        endpoints,
        gateways: input.gateways,
        max_concurrent_jobs: Some(input.max_concurrent_jobs.max(1)),
        // Not sent (an older caller): keep what was set.
        max_calls_per_provider: input
            .max_calls_per_provider
            .or(core.wiring().settings().max_calls_per_provider),
        user_offers: core.wiring().settings().user_offers.clone(),
    };
    next.validate()?;
    // The catalog changes with the gateways' models: build it before saving anything.
    let (overrides, imported) = {
        let c = core.wiring().catalog_state();
        (c.overrides.clone(), None::<String>)
    };
    let imported = match imported {
        Some(i) => Some(i),
        None => core
            .store_op(|s| s.setting(settings::CATALOG_KEY))
            .await?
            .and_then(|v| v.as_str().map(str::to_owned)),
    };
    let named = core.wiring().gateways().clone();
    let catalog = CatalogState::build(imported.as_deref(), &next, &named, overrides)?;
    let value = serde_json::to_value(&next)
        .map_err(|e| EngineError::internal(format!("settings encode: {e}")))?;
    core.store_op(move |s| s.set_setting(settings::SETTINGS_KEY, &value))
        .await?;
    let clients = Clients::build(&next, core.options(), core.gateway().http());
    if core.options().max_concurrent_jobs.is_none() {
        core.runs().queue().resize(next.max_jobs());
    }
    if core.options().provider_concurrency.is_none() {
        core.runs()
            .limits()
            .resize(next.calls_per_provider() as usize);
    }
    core.wiring().swap(Swap {
        settings: Some(next),
        clients: Some(clients),
        catalog: Some(catalog),
        gateways: None,
    });
    Ok(())
}

/// Replaces the set of negotiated rates and price caps (a multiplier of 1 without a cap
/// removes an offer's rate).
pub(crate) async fn set_overrides(core: &Arc<Core>, input: Vec<PriceOverrideInput>) -> Result<()> {
    let _one_at_a_time = core.wiring().reconfigure().await;
    let wanted: Vec<PriceOverrideInput> = input
        .into_iter()
        .filter(|o| o.price_cap_usd.is_some() || o.multiplier != rust_decimal::Decimal::ONE)
        .collect();
    let (base, other) = {
        let c = core.wiring().catalog_state();
        // Unit-price and formula overrides are not edited here: keep them unless the
        // same offer now gets a multiplier.
        let other: Vec<pricing::PriceOverride> = c
            .overrides
            .iter()
            .filter(|o| !matches!(o.change, pricing::OverrideChange::Multiplier { .. }))
            .filter(|o| !wanted.iter().any(|w| w.offer_id == o.offer_id))
            .cloned()
            .collect();
        (c.base.clone(), other)
    };
    let mut overrides = other;
    overrides.extend(settings::overrides_from_input(&wanted));
    // Refused whole if any override is bad; nothing is stored then.
    let effective = base.with_overrides(&overrides)?;
    let rows: Vec<(String, serde_json::Value)> = overrides
        .iter()
        .map(|o| {
            serde_json::to_value(&o.change)
                .map(|v| (o.offer_id.clone(), v))
                .map_err(|e| EngineError::internal(format!("override encode: {e}")))
        })
        .collect::<Result<_>>()?;
    core.store_op(move |s| {
        for (id, _) in s.price_overrides()? {
            s.remove_price_override(&id)?;
        }
        for (id, v) in &rows {
            s.set_price_override(id, v)?;
        }
        Ok(())
    })
    .await?;
    core.wiring().swap(Swap {
        catalog: Some(CatalogState {
            base,
            overrides,
            effective: Arc::new(effective),
        }),
        ..Default::default()
    });
    Ok(())
}

pub(crate) async fn import_catalog(core: &Arc<Core>, json: String) -> Result<CatalogImportReport> {
    let parsed = pricing::Catalog::from_json(&json).map_err(|e| {
        EngineError::validation(format!("catalog refused, nothing was changed: {e}"))
    })?;
    let _one_at_a_time = core.wiring().reconfigure().await;
    let overrides = core.wiring().catalog_state().overrides.clone();
    let settings = core.wiring().settings().as_ref().clone();
    let named = core.wiring().gateways().clone();
    let state = CatalogState::build(Some(&json), &settings, &named, overrides)?;
    let value = serde_json::Value::String(json);
    core.store_op(move |s| s.set_setting(settings::CATALOG_KEY, &value))
        .await?;
    core.wiring().swap(Swap {
        catalog: Some(state),
        ..Default::default()
    });
    Ok(CatalogImportReport {
        version: parsed.version.clone(),
        offers: u32::try_from(parsed.offers().len()).unwrap_or(u32::MAX),
    })
}

/// The catalog as it would be with these named gateways (imported or bundled catalog,
/// legacy gateways and negotiated rates as they are now).
pub(crate) async fn catalog_with(
    core: &Arc<Core>,
    named: &[store::GatewayRow],
) -> Result<CatalogState> {
    let imported = core
        .store_op(|s| s.setting(settings::CATALOG_KEY))
        .await?
        .and_then(|v| v.as_str().map(str::to_owned));
    let settings = core.wiring().settings().as_ref().clone();
    let overrides = core.wiring().catalog_state().overrides.clone();
    match CatalogState::build(imported.as_deref(), &settings, named, overrides.clone()) {
        Ok(c) => Ok(c),
        // The stored catalog was refused at open too: the bundled one is in use.
        Err(e)
            if imported.is_some()
                && e.message.contains("catalog")
                && !e.message.contains("gateway") =>
        {
            CatalogState::build(None, &settings, named, overrides)
        }
        Err(e) => Err(e),
    }
}

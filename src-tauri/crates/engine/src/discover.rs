//! Provider model discovery (issue 14 §6): which image models a key can use that the
//! catalog lacks, which catalog offers the provider no longer lists, and importing the
//! prices OpenRouter and Together list as user offers (after the user confirms), kept in
//! the library's settings and layered over the catalog like gateway offers.

use std::collections::HashSet;
use std::sync::Arc;

use pricing::Catalog;
use providers::models::{ListedModel, ListedPrice};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::api::{DiscoveredModel, DiscoveryReport, OfferImportReport, ProviderDiscovery};
use crate::catalog::CatalogState;
use crate::context::Core;
use crate::error::{EngineError, Result};
use crate::provider_gateway::KeyLookup;
use crate::settings::SETTINGS_KEY;
use vocab::{DiscoveryStatus, ProviderId};

/// Output image tokens assumed per 1024² image when an OpenRouter listing is imported
/// (Gemini's 1,290; providers.md §13 F5). OpenRouter settles at its reported cost, and
/// a wrong assumption shows up as drift.
const ASSUMED_IMAGE_TOKENS: u64 = 1290;

/// Providers whose listed price can become an offer.
pub(crate) fn importable(provider: ProviderId) -> bool {
    matches!(provider, ProviderId::OpenRouter | ProviderId::Together)
}

/// Base URL of a provider's model list: environment, then settings, then its default.
fn list_base(core: &Core, provider: ProviderId) -> String {
    let (id, default) = providers::models::list_endpoint(provider);
    let cfg = providers::ProviderConfig {
        base_url: core.wiring().settings().endpoints.get(id).cloned(),
        ..Default::default()
    };
    providers::config::resolve_base_url(id, &cfg, default).unwrap_or_default()
}

async fn listing(core: &Arc<Core>, provider: ProviderId) -> Result<Option<Vec<ListedModel>>> {
    let key = match core.gateway().key_for(provider.as_str()).await? {
        KeyLookup::Found(k) => Some(k),
        KeyLookup::NotNeeded | KeyLookup::Missing => None,
    };
    if key.is_none() && !providers::models::lists_without_key(provider) {
        return Err(EngineError::new(
            crate::error::ErrorKind::Auth,
            format!("no {provider} key: add one in Settings → Keys to list its models"),
        ));
    }
    let http = providers::http::Http::new(
        core.gateway().http().clone(),
        provider.as_str(),
        &providers::ProviderConfig {
            timeout: core.options().http_timeout,
            ..Default::default()
        },
    );
    let base = list_base(core, provider);
    providers::models::list_models(
        &http,
        provider,
        &base,
        key.as_ref().map(keys::Secret::expose),
    )
    .await
    .map_err(|e| {
        let kind = match e.class {
            providers::ErrorClass::AuthFailed | providers::ErrorClass::QuotaExhausted => {
                crate::error::ErrorKind::Auth
            }
            _ => crate::error::ErrorKind::Provider,
        };
        EngineError::new(kind, e.message)
    })
}

/// Lists what each provider (or the one named) offers the key, against the catalog.
pub(crate) async fn discover(
    core: &Arc<Core>,
    only: Option<ProviderId>,
) -> Result<DiscoveryReport> {
    let providers: Vec<ProviderId> = match only {
        Some(p) => vec![p],
        None => ProviderId::ALL
            .iter()
            .copied()
            .filter(|p| providers::models::lists_models(*p))
            .collect(),
    };
    let with_keys = core.gateway().providers_with_keys().await;
    let mut out = Vec::new();
    for p in providers {
        let mut view = ProviderDiscovery {
            provider: p,
            status: DiscoveryStatus::Ok,
            message: None,
            listed: 0,
            new_models: Vec::new(),
            unlisted_offers: Vec::new(),
        };
        if !providers::models::lists_models(p) {
            view.status = DiscoveryStatus::Unsupported;
            view.message = Some(format!("{p} does not list its models"));
        } else if !providers::models::lists_without_key(p) && !with_keys.contains(p.as_str()) {
            view.status = DiscoveryStatus::NoKey;
            view.message = Some(format!(
                "add a {p} key in Settings → Keys to list its models"
            ));
        } else {
            match listing(core, p).await {
                Ok(Some(models)) => compare(core, p, &models, &mut view),
                Ok(None) => view.status = DiscoveryStatus::Unsupported,
                Err(e) => {
                    view.status = DiscoveryStatus::Error;
                    view.message = Some(e.message);
                }
            }
        }
        out.push(view);
    }
    Ok(DiscoveryReport { providers: out })
}

fn compare(
    core: &Core,
    provider: ProviderId,
    models: &[ListedModel],
    view: &mut ProviderDiscovery,
) {
    let catalog = core.wiring().catalog();
    let today = pricing::catalog_date(chrono::Utc::now());
    view.listed = u32::try_from(models.len()).unwrap_or(u32::MAX);
    let ours: Vec<&pricing::Offer> = catalog
        .offers()
        .iter()
        .filter(|o| o.provider.provider() == Some(provider))
        .collect();
    let known: HashSet<&str> = ours.iter().map(|o| o.model.as_ref() as &str).collect();
    for m in models {
        if m.makes_images == Some(false) || known.contains(m.id.as_str()) {
            continue;
        }
        let offer = importable(provider)
            .then(|| offer_json(&catalog, provider, m))
            .flatten();
        view.new_models.push(DiscoveredModel {
            model: m.id.clone(),
            name: m.name.clone(),
            offer_id: format!("{provider}:{}", m.id),
            listed_price: m.price.as_ref().map(describe),
            per_image_usd: m.price.as_ref().and_then(per_image),
            importable: offer.is_some(),
        });
    }
    // Replicate's list is one collection, not every model the key may run.
    if provider != ProviderId::Replicate {
        let listed: HashSet<&str> = models.iter().map(|m| m.id.as_str()).collect();
        view.unlisted_offers = ours
            .iter()
            .filter(|o| !o.is_shut_down(today) && !listed.contains(o.model.as_ref() as &str))
            .map(|o| o.id.to_string())
            .collect();
    }
}

fn describe(p: &ListedPrice) -> String {
    match p {
        ListedPrice::Tokens {
            prompt_per_m,
            completion_per_m,
            per_input_image,
            ..
        } => {
            let mut s = format!("${prompt_per_m}/M tokens in, ${completion_per_m}/M out");
            if let Some(i) = per_input_image {
                s.push_str(&format!(", ${i} per input image"));
            }
            s
        }
        ListedPrice::PerMegapixel { usd } => format!("${usd} per megapixel"),
    }
}

/// What a 1024² image costs at the listed price (tokens: the assumed output tokens).
fn per_image(p: &ListedPrice) -> Option<Decimal> {
    match p {
        ListedPrice::PerMegapixel { usd } => Some(*usd),
        ListedPrice::Tokens {
            completion_per_m,
            per_request,
            ..
        } => Some(
            (Decimal::from(ASSUMED_IMAGE_TOKENS) * completion_per_m / Decimal::from(1_000_000)
                + per_request.unwrap_or_default())
            .round_dp(6)
            .normalize(),
        ),
    }
}

/// A catalog offer for a listed model at its listed price, its capabilities taken from
/// an offer of the same provider (the provider's own limits), marked unverified.
fn offer_json(catalog: &Catalog, provider: ProviderId, m: &ListedModel) -> Option<Value> {
    let formula = match m.price.as_ref()? {
        ListedPrice::PerMegapixel { usd } => json!({
            "kind": "per_megapixel", "rate": usd.to_string(), "unit": "binary", "rounding": "none"
        }),
        ListedPrice::Tokens {
            prompt_per_m,
            completion_per_m,
            ..
        } => json!({
            "kind": "tokens",
            "rates": {"text_in": prompt_per_m.to_string(), "image_in": prompt_per_m.to_string(),
                      "image_out": completion_per_m.to_string(),
                      "text_out": completion_per_m.to_string()},
            "image_out_tokens": [{"width": 1024, "height": 1024, "tokens": ASSUMED_IMAGE_TOKENS}]
        }),
    };
    let template: Value = serde_json::from_str::<Value>(&catalog.to_json())
        .ok()?
        .get("offers")?
        .as_array()?
        .iter()
        .find(|o| o.get("provider").and_then(Value::as_str) == Some(provider.as_str()))?
        .clone();
    let today = pricing::catalog_date(chrono::Utc::now()).to_string();
    let name = m.name.clone().unwrap_or_else(|| m.id.clone());
    Some(json!({
        "id": format!("{provider}:{}", m.id),
        "provider": provider,
        "model": m.id,
        "display_name": format!("{name} ({provider}, imported)"),
        "tier": "draft",
        "formula": formula,
        "price_basis": "reported",
        "capabilities": template.get("capabilities")?.clone(),
        "source": format!("{provider} model list, imported by the user on {today}: {}",
                          describe(m.price.as_ref()?)),
        "verified_on": today,
        "unverified": true,
    }))
}

/// Imports the listed prices of `models` as offers, after the user confirmed them.
pub(crate) async fn import(
    core: &Arc<Core>,
    provider: ProviderId,
    models: Vec<String>,
) -> Result<OfferImportReport> {
    if !importable(provider) {
        return Err(EngineError::validation(format!(
            "{provider} does not list prices; only OpenRouter's and Together's listed prices \
             can be imported (add a negotiated rate or a price cap in Settings → Pricing)"
        )));
    }
    if models.is_empty() {
        return Err(EngineError::validation("name at least one model to import"));
    }
    let listed = listing(core, provider).await?.unwrap_or_default();
    let catalog = core.wiring().catalog();
    let mut offers = Vec::new();
    for id in &models {
        let m = listed.iter().find(|m| &m.id == id).ok_or_else(|| {
            EngineError::not_found(format!(
                "{provider} does not list `{id}` for this key (run `offers discover --provider \
                 {provider}`); nothing was imported"
            ))
        })?;
        if catalog.offer(&format!("{provider}:{id}")).is_some() {
            return Err(EngineError::validation(format!(
                "`{provider}:{id}` is already in the catalog; nothing was imported"
            )));
        }
        let o = offer_json(&catalog, provider, m).ok_or_else(|| {
            EngineError::validation(format!(
                "{provider} lists no price for `{id}`; nothing was imported"
            ))
        })?;
        offers.push(o);
    }
    let _one_at_a_time = core.wiring().reconfigure().await;
    let mut next = core.wiring().settings().as_ref().clone();
    next.user_offers.extend(offers);
    let overrides = core.wiring().catalog_state().overrides.clone();
    let stored = core
        .store_op(|s| s.setting(crate::settings::CATALOG_KEY))
        .await?
        .and_then(|v| v.as_str().map(str::to_owned));
    let named = core.wiring().gateways().clone();
    let state = CatalogState::build(stored.as_deref(), &next, &named, overrides)?;
    let added: Vec<String> = models
        .iter()
        .map(|m| format!("{provider}:{m}"))
        .filter(|id| state.effective.offer(id).is_some())
        .collect();
    if added.len() != models.len() {
        return Err(EngineError::validation(
            "the listed price could not be turned into a valid offer; nothing was imported",
        ));
    }
    let value = serde_json::to_value(&next)
        .map_err(|e| EngineError::internal(format!("settings encode: {e}")))?;
    core.store_op(move |s| s.set_setting(SETTINGS_KEY, &value))
        .await?;
    core.wiring().swap(crate::wiring::Swap {
        settings: Some(next),
        catalog: Some(state),
        ..Default::default()
    });
    Ok(OfferImportReport { imported: added })
}

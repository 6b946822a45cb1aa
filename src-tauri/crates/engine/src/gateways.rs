//! Named gateways (issue 16): definitions in the library, secrets in the keychain, one
//! offer `gateway:NAME/MODEL` per mapped model priced by the catalog offer it is bound
//! to (plus markup), a flat price, or `unknown`. Saved gateways are routable at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use pricing::{Catalog, Formula};
use providers::gateway::{Dialect, GATEWAY_ID, GatewaySpec};
use providers::{ImageProvider, ProviderConfig};
use rust_decimal::Decimal;
use store::{GatewayHeader, GatewayModel, GatewayRow};

use crate::api::{GatewayHeaderView, GatewayInput, GatewayModelView, GatewayTestView, GatewayView};
pub(crate) use crate::catalog::{gateway_of, offer_id};
use crate::context::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::provider_gateway::KeyLookup;

fn keychain_err(e: keys::KeyError) -> EngineError {
    let kind = if e.is_unavailable() {
        ErrorKind::Keychain
    } else {
        ErrorKind::Validation
    };
    EngineError::new(kind, e.to_string())
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(EngineError::validation(format!(
            "gateway name `{}` may only use letters, digits, - and _ (at most 40)",
            name.chars().take(40).collect::<String>()
        )))
    }
}

/// Validates what the user typed and turns it into the stored row (no secrets).
pub(crate) fn row_of(input: &GatewayInput, catalog: &Catalog) -> Result<GatewayRow> {
    check_name(&input.name)?;
    let url = input.base_url.trim().trim_end_matches('/').to_owned();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(EngineError::validation(format!(
            "`{url}` is not an http(s) URL (e.g. http://127.0.0.1:4000/v1)"
        )));
    }
    let dialect = Dialect::parse(&input.dialect).ok_or_else(|| {
        EngineError::validation(format!(
            "dialect `{}` is not `images` or `chat`",
            input.dialect
        ))
    })?;
    let mut headers = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for h in &input.headers {
        let name = h.name.trim().to_ascii_lowercase();
        providers::gateway::check_header(&name, h.value.as_deref().unwrap_or("x"))
            .map_err(EngineError::validation)?;
        if !seen.insert(name.clone()) {
            return Err(EngineError::validation(format!(
                "header `{name}` is given twice"
            )));
        }
        if !h.secret && h.value.is_none() {
            return Err(EngineError::validation(format!(
                "header `{name}` has no value (give K=V, or mark it secret)"
            )));
        }
        headers.push(GatewayHeader {
            name,
            value: if h.secret { None } else { h.value.clone() },
            secret: h.secret,
        });
    }
    let mut models = Vec::new();
    let mut names = std::collections::HashSet::new();
    for m in &input.models {
        let name = m.name.trim().to_owned();
        if name.is_empty()
            || name.len() > 200
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(EngineError::validation(format!(
                "model name `{}` is empty or has spaces",
                name.chars().take(60).collect::<String>()
            )));
        }
        if !names.insert(name.clone()) {
            return Err(EngineError::validation(format!(
                "model `{name}` is mapped twice"
            )));
        }
        let offer = m
            .offer_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(id) = offer {
            match catalog.offer(id) {
                Some(o) if o.provider != vocab::OfferProvider::Gateway => {}
                Some(_) => {
                    return Err(EngineError::validation(format!(
                        "model `{name}`: bind it to a provider's offer, not to another gateway's ({id})"
                    )));
                }
                None => {
                    return Err(EngineError::validation(format!(
                        "model `{name}`: no catalog offer `{id}` (see `proofsheet-cli offers`)"
                    )));
                }
            }
        }
        models.push(GatewayModel {
            name,
            offer_id: offer.map(str::to_owned),
        });
    }
    for (what, v) in [
        ("the price per image", input.price_per_image_usd),
        ("the markup per image", input.markup_per_image_usd),
    ] {
        if v.is_some_and(|p| p < Decimal::ZERO) {
            return Err(EngineError::validation(format!(
                "{what} cannot be negative"
            )));
        }
    }
    if input
        .markup_percent
        .is_some_and(|p| p <= Decimal::from(-100) || p > Decimal::from(1000))
    {
        return Err(EngineError::validation(
            "the markup must be above -100 % and at most 1000 %",
        ));
    }
    if let Some(h) = input
        .cost_header
        .as_deref()
        .filter(|h| !h.trim().is_empty())
    {
        providers::gateway::check_header(h, "x").map_err(EngineError::validation)?;
    }
    let clean = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(GatewayRow {
        name: input.name.clone(),
        base_url: url,
        dialect: dialect.as_str().to_owned(),
        headers,
        models,
        markup_percent: input.markup_percent.filter(|p| !p.is_zero()),
        markup_per_image_usd: input.markup_per_image_usd.filter(|p| !p.is_zero()),
        price_per_image_usd: input.price_per_image_usd,
        cost_header: clean(&input.cost_header).map(|h| h.to_ascii_lowercase()),
        cost_json_path: clean(&input.cost_json_path),
    })
}

fn view_of(g: &GatewayRow, catalog: &Catalog, key_set: bool, secrets: &[bool]) -> GatewayView {
    GatewayView {
        name: g.name.clone(),
        base_url: g.base_url.clone(),
        dialect: g.dialect.clone(),
        headers: g
            .headers
            .iter()
            .zip(secrets.iter().chain(std::iter::repeat(&false)))
            .map(|(h, set)| GatewayHeaderView {
                name: h.name.clone(),
                value: if h.secret { None } else { h.value.clone() },
                secret: h.secret,
                secret_set: h.secret && *set,
            })
            .collect(),
        models: g
            .models
            .iter()
            .map(|m| {
                let id = offer_id(&g.name, &m.name);
                let o = catalog.offer(&id);
                let pricing = match o.map(|o| &o.formula) {
                    Some(Formula::Unknown { .. }) | None => "unknown",
                    Some(_) if m.offer_id.is_some() => "bound",
                    Some(_) => "flat",
                };
                GatewayModelView {
                    name: m.name.clone(),
                    offer_id: id,
                    bound_offer: m.offer_id.clone(),
                    pricing: pricing.to_owned(),
                    tier: o.map_or(crate::api::Tier::Draft, |o| crate::convert::tier(o.tier)),
                }
            })
            .collect(),
        markup_percent: g.markup_percent,
        markup_per_image_usd: g.markup_per_image_usd,
        price_per_image_usd: g.price_per_image_usd,
        cost_header: g.cost_header.clone(),
        cost_json_path: g.cost_json_path.clone(),
        key_set,
    }
}

fn find(core: &Core, name: &str) -> Result<GatewayRow> {
    core.wiring()
        .gateways()
        .iter()
        .find(|g| g.name == name)
        .cloned()
        .ok_or_else(|| {
            EngineError::not_found(format!(
                "no gateway named `{name}` (see `proofsheet-cli gateway list`)"
            ))
        })
}

async fn view(core: &Core, g: &GatewayRow) -> GatewayView {
    let key_set = core
        .gateway()
        .keychain()
        .gateway_has(&g.name, keys::GatewaySecret::Key)
        .await
        .unwrap_or(false);
    let mut secrets = Vec::new();
    for h in &g.headers {
        secrets.push(
            h.secret
                && core
                    .gateway()
                    .keychain()
                    .gateway_has(&g.name, keys::GatewaySecret::Header(h.name.clone()))
                    .await
                    .unwrap_or(false),
        );
    }
    view_of(g, &core.wiring().catalog(), key_set, &secrets)
}

pub(crate) async fn list(core: &Arc<Core>) -> Result<Vec<GatewayView>> {
    let rows = core.wiring().gateways().clone();
    let mut out = Vec::new();
    for g in rows.iter() {
        out.push(view(core, g).await);
    }
    Ok(out)
}

pub(crate) async fn show(core: &Arc<Core>, name: &str) -> Result<GatewayView> {
    let g = find(core, name)?;
    Ok(view(core, &g).await)
}

/// Adds or replaces a gateway: validated and priced before anything is stored; secrets
/// to the keychain, the definition to the library, then the catalog swapped at once.
pub(crate) async fn save(core: &Arc<Core>, input: GatewayInput) -> Result<GatewayView> {
    let _one_at_a_time = core.wiring().reconfigure().await;
    let source = core.wiring().catalog_state().base.clone();
    let row = row_of(&input, &source)?;
    let mut rows: Vec<GatewayRow> = core
        .wiring()
        .gateways()
        .iter()
        .filter(|g| g.name != row.name)
        .cloned()
        .collect();
    let previous = core
        .wiring()
        .gateways()
        .iter()
        .find(|g| g.name == row.name)
        .cloned();
    rows.push(row.clone());
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let state = crate::settings_ops::catalog_with(core, &rows).await?;
    // Secrets first: a definition never names a secret the keychain refused.
    if let Some(k) = input.key.as_deref().filter(|k| !k.trim().is_empty()) {
        core.gateway()
            .keychain()
            .gateway_set(
                &row.name,
                keys::GatewaySecret::Key,
                keys::Secret::from_string(k.to_owned()),
            )
            .await
            .map_err(keychain_err)?;
    }
    for h in input.headers.iter().filter(|h| h.secret) {
        if let Some(v) = h.value.as_deref().filter(|v| !v.is_empty()) {
            core.gateway()
                .keychain()
                .gateway_set(
                    &row.name,
                    keys::GatewaySecret::Header(h.name.trim().to_ascii_lowercase()),
                    keys::Secret::from_string(v.to_owned()),
                )
                .await
                .map_err(keychain_err)?;
        }
    }
    let stored = row.clone();
    core.store_op(move |s| s.put_gateway(&stored)).await?;
    // Secret headers no longer listed leave the keychain too.
    for old in previous
        .iter()
        .flat_map(|p| p.headers.iter())
        .filter(|h| h.secret)
    {
        if !row.headers.iter().any(|h| h.secret && h.name == old.name) {
            let _ = core
                .gateway()
                .keychain()
                .gateway_delete(&row.name, keys::GatewaySecret::Header(old.name.clone()))
                .await;
        }
    }
    core.wiring().swap(crate::wiring::Swap {
        gateways: Some(rows),
        catalog: Some(state),
        ..Default::default()
    });
    tracing::info!(gateway = %row.name, models = row.models.len(), "gateway saved");
    Ok(view(core, &row).await)
}

/// Stores or replaces only the gateway's key.
pub(crate) async fn set_key(core: &Arc<Core>, name: &str, key: String) -> Result<GatewayView> {
    let g = find(core, name)?;
    core.gateway()
        .keychain()
        .gateway_set(
            name,
            keys::GatewaySecret::Key,
            keys::Secret::from_string(key),
        )
        .await
        .map_err(keychain_err)?;
    Ok(view(core, &g).await)
}

pub(crate) async fn remove(core: &Arc<Core>, name: &str) -> Result<()> {
    let _one_at_a_time = core.wiring().reconfigure().await;
    let g = find(core, name)?;
    let rows: Vec<GatewayRow> = core
        .wiring()
        .gateways()
        .iter()
        .filter(|x| x.name != name)
        .cloned()
        .collect();
    let state = crate::settings_ops::catalog_with(core, &rows).await?;
    let n = name.to_owned();
    core.store_op(move |s| s.remove_gateway(&n)).await?;
    let _ = core
        .gateway()
        .keychain()
        .gateway_delete(name, keys::GatewaySecret::Key)
        .await;
    for h in g.headers.iter().filter(|h| h.secret) {
        let _ = core
            .gateway()
            .keychain()
            .gateway_delete(name, keys::GatewaySecret::Header(h.name.clone()))
            .await;
    }
    core.wiring().swap(crate::wiring::Swap {
        gateways: Some(rows),
        catalog: Some(state),
        ..Default::default()
    });
    Ok(())
}

/// The call-time spec: plain headers, secret header values from the keychain.
async fn spec(core: &Core, g: &GatewayRow) -> std::result::Result<GatewaySpec, String> {
    let mut headers = Vec::new();
    let mut secrets = Vec::new();
    for h in &g.headers {
        if h.secret {
            let v = core
                .gateway()
                .keychain()
                .gateway_get(&g.name, keys::GatewaySecret::Header(h.name.clone()))
                .await
                .map_err(|e| format!("cannot read header {} of gateway {}: {e}", h.name, g.name))?
                .ok_or_else(|| {
                    format!(
                        "the secret header {} of gateway {} has no value in the keychain; set it again in Settings → Gateways",
                        h.name, g.name
                    )
                })?;
            secrets.push(v.expose().to_owned());
            headers.push((h.name.clone(), v.expose().to_owned()));
        } else if let Some(v) = &h.value {
            headers.push((h.name.clone(), v.clone()));
        }
    }
    let source = core.wiring().catalog_state().base.clone();
    let models: BTreeMap<String, Option<String>> = g
        .models
        .iter()
        .map(|m| {
            let upstream = m
                .offer_id
                .as_deref()
                .and_then(|id| source.offer(id))
                .map(|o| o.model.to_string());
            (m.name.clone(), upstream)
        })
        .collect();
    Ok(GatewaySpec {
        name: g.name.clone(),
        base_url: g.base_url.clone(),
        dialect: Dialect::parse(&g.dialect).unwrap_or_default(),
        headers,
        secrets,
        models,
        cost_header: g.cost_header.clone(),
        cost_json_path: g.cost_json_path.clone(),
    })
}

fn config(core: &Core) -> ProviderConfig {
    ProviderConfig {
        timeout: core.options().http_timeout,
        poll_interval: core.options().poll_interval,
        poll_deadline: core.options().poll_deadline,
        ..ProviderConfig::default()
    }
}

/// The client for one gateway offer, built per call (its secret headers are read then).
pub(crate) async fn client(
    core: &Core,
    offer_id: &str,
) -> std::result::Result<Arc<dyn ImageProvider>, String> {
    if let Some(c) = core.options().provider_overrides.0.get(GATEWAY_ID) {
        return Ok(c.clone());
    }
    let name = gateway_of(offer_id).ok_or_else(|| format!("`{offer_id}` names no gateway"))?;
    let g = find(core, name).map_err(|e| e.message)?;
    let spec = spec(core, &g).await?;
    Ok(providers::config::gateway_for(
        spec,
        &config(core),
        core.gateway().http().clone(),
    ))
}

/// The key an offer's calls use: its gateway's own key, or its provider's.
pub(crate) async fn key_for_offer(core: &Core, offer: &pricing::Offer) -> Result<KeyLookup> {
    match offer.provider.provider() {
        None => key(core, &offer.id).await,
        Some(p) => core.gateway().key_for(p.as_str()).await,
    }
}

/// The gateway's key: optional (a gateway may need none, or take it in a header).
pub(crate) async fn key(core: &Core, offer_id: &str) -> Result<KeyLookup> {
    let Some(name) = gateway_of(offer_id) else {
        return Ok(KeyLookup::NotNeeded);
    };
    match core
        .gateway()
        .keychain()
        .gateway_get(name, keys::GatewaySecret::Key)
        .await
    {
        Ok(Some(s)) => Ok(KeyLookup::Found(s)),
        Ok(None) => Ok(KeyLookup::NotNeeded),
        Err(e) if e.is_unavailable() => Ok(KeyLookup::NotNeeded),
        Err(e) => Err(keychain_err(e)),
    }
}

/// Lists the gateway's models: reachable, key accepted, which mapped models it serves.
pub(crate) async fn test(core: &Arc<Core>, name: &str) -> Result<GatewayTestView> {
    let g = find(core, name)?;
    let spec = spec(core, &g).await.map_err(EngineError::validation)?;
    let key = match key(core, &offer_id(name, "_")).await? {
        KeyLookup::Found(k) => Some(k),
        _ => None,
    };
    let gw = providers::gateway::Gateway::new(spec, &config(core), core.gateway().http().clone());
    let probe = gw.probe(key.as_ref().map(keys::Secret::expose)).await;
    let (served, missing): (Vec<String>, Vec<String>) = g
        .models
        .iter()
        .map(|m| m.name.clone())
        .filter(|_| probe.models_checked)
        .partition(|m| probe.listed.iter().any(|l| l == m));
    let mut message = probe.message.clone();
    if probe.key_accepted == Some(true) && !missing.is_empty() {
        message.push_str(&format!(
            "; not listed by the gateway: {}",
            missing.join(", ")
        ));
    }
    Ok(GatewayTestView {
        name: g.name,
        reachable: probe.reachable,
        key_accepted: probe.key_accepted,
        served,
        missing,
        listed: u32::try_from(probe.listed.len()).unwrap_or(u32::MAX),
        message,
    })
}

//! The catalog in use: the bundled or imported catalog, plus the offers the user's
//! settings add (gateway models, imported offers, named gateways), with the negotiated
//! price overrides applied. Pure: no store, no network.

use std::sync::Arc;

use pricing::{Catalog, Offer, OverrideChange, PriceOverride};
use providers::gateway::GATEWAY_ID;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use store::{GatewayModel, GatewayRow};

use crate::api::GatewayConfig;
use crate::error::{EngineError, Result};
use crate::settings::{GATEWAY, Settings};

/// The catalog in use and where it came from.
pub(crate) struct CatalogState {
    /// Bundled or imported, plus gateway offers; no overrides.
    pub base: Catalog,
    pub overrides: Vec<PriceOverride>,
    /// `base` with `overrides` applied: what estimates and settlement use.
    pub effective: Arc<Catalog>,
}

impl CatalogState {
    pub fn build(
        imported: Option<&str>,
        settings: &Settings,
        named: &[store::GatewayRow],
        overrides: Vec<PriceOverride>,
    ) -> Result<CatalogState> {
        let source = match imported {
            Some(text) => Catalog::from_json(text)?,
            None => Catalog::bundled().clone(),
        };
        let base = with_gateways(&source, &settings.gateways)?;
        let base = with_offers(&base, named)?;
        let base = with_user_offers(&base, &settings.user_offers);
        // Overrides naming offers that no longer exist are dropped, not fatal.
        let kept: Vec<PriceOverride> = overrides
            .into_iter()
            .filter(|o| match base.offer(&o.offer_id) {
                None => false,
                // A cap only stands in for an unknown price (a gateway model that got a
                // price or a binding no longer needs it).
                Some(offer) => {
                    !matches!(o.change, OverrideChange::PriceCap { .. })
                        || offer.formula.is_unknown()
                }
            })
            .collect();
        let effective = Arc::new(base.with_overrides(&kept)?);
        Ok(CatalogState {
            base,
            overrides: kept,
            effective,
        })
    }
}

/// Adds one offer per gateway model: flat at the price the user entered (a quote:
/// `reported`), or of unknown price, which is never estimated or reserved as $0.
fn with_gateways(c: &Catalog, gateways: &[GatewayConfig]) -> Result<Catalog> {
    if gateways.iter().all(|g| g.models.is_empty()) {
        return Ok(c.clone());
    }
    let mut doc: Value = serde_json::from_str(&c.to_json())
        .map_err(|e| EngineError::internal(format!("catalog round trip: {e}")))?;
    let today = chrono::Utc::now().date_naive().to_string();
    if let Some(offers) = doc.get_mut("offers").and_then(Value::as_array_mut) {
        for g in gateways {
            for m in &g.models {
                offers.push(json!({
                    "id": format!("openai_compatible:{}/{m}", g.name),
                    "provider": GATEWAY,
                    "model": m,
                    "display_name": format!("{m} ({})", g.name),
                    "tier": "draft",
                    "formula": match g.price_per_image_usd {
                        Some(p) => json!({"kind": "flat_per_image", "price": p.to_string()}),
                        None => json!({"kind": "unknown"}),
                    },
                    "price_basis": "reported",
                    "capabilities": {
                        "sizes": {"kind": "rule", "multiple_of": 8, "min_side": 256,
                                  "max_side": 4096, "max_pixels": 16_777_216},
                        "max_n": 1, "seed": false, "negative_prompt": false
                    },
                    "source": format!("user gateway {} ({})", g.name, g.base_url),
                    "verified_on": today,
                    "unverified": g.price_per_image_usd.is_none(),
                }));
            }
        }
    }
    Catalog::from_json(&doc.to_string())
        .map_err(|e| EngineError::validation(format!("a gateway model cannot be priced: {e}")))
}

/// `gateway:NAME/MODEL`.
pub(crate) fn offer_id(gateway: &str, model: &str) -> String {
    format!("gateway:{gateway}/{model}")
}

/// The gateway name of a `gateway:NAME/MODEL` offer id.
pub(crate) fn gateway_of(offer_id: &str) -> Option<&str> {
    offer_id
        .strip_prefix("gateway:")?
        .split_once('/')
        .map(|(g, _)| g)
}

/// Adds one offer per gateway model to `c` (which holds the offers they bind to).
pub(crate) fn with_offers(c: &Catalog, rows: &[GatewayRow]) -> Result<Catalog> {
    if rows.iter().all(|g| g.models.is_empty()) {
        return Ok(c.clone());
    }
    let mut doc: Value = serde_json::from_str(&c.to_json())
        .map_err(|e| EngineError::internal(format!("catalog round trip: {e}")))?;
    let today = chrono::Utc::now().date_naive().to_string();
    let mut added = Vec::new();
    for g in rows {
        for m in &g.models {
            let bound = m.offer_id.as_deref().and_then(|id| c.offer(id));
            let v = match bound {
                Some(b) => bound_offer(g, m, b)?,
                None => {
                    if m.offer_id.is_some() {
                        tracing::warn!(gateway = %g.name, model = %m.name, "bound offer not in this catalog; its price is unknown");
                    }
                    unbound_offer(g, m, &today)
                }
            };
            added.push(v);
        }
    }
    if let Some(offers) = doc.get_mut("offers").and_then(Value::as_array_mut) {
        offers.extend(added);
    }
    Catalog::from_json(&doc.to_string())
        .map_err(|e| EngineError::validation(format!("a gateway model cannot be priced: {e}")))
}

fn markup_text(g: &GatewayRow) -> String {
    let mut parts = Vec::new();
    if let Some(p) = g.markup_percent {
        parts.push(format!("+{}%", p.normalize()));
    }
    if let Some(p) = g.markup_per_image_usd {
        parts.push(format!("+${}/image", p.normalize()));
    }
    if parts.is_empty() {
        "no markup".into()
    } else {
        parts.join(" ")
    }
}

/// The bound offer's formula (× markup), capabilities, tier and lifecycle.
fn bound_offer(g: &GatewayRow, m: &GatewayModel, b: &Offer) -> Result<Value> {
    let mut o = b.clone();
    o.id = Arc::from(offer_id(&g.name, &m.name));
    o.provider = vocab::OfferProvider::Gateway;
    o.model = Arc::from(m.name.as_str());
    o.display_name = Arc::from(format!("{} via {}", b.display_name, g.name));
    if let Some(p) = g.markup_percent {
        o.formula.scale(Decimal::ONE + p / Decimal::from(100));
    }
    o.modifiers.markup_per_image_usd = g.markup_per_image_usd;
    o.source = format!(
        "{} priced as {} ({}); {}",
        g.name,
        b.id,
        markup_text(g),
        b.source
    );
    // A replacement is a direct offer; following it would leave the gateway.
    o.replaced_by = g
        .models
        .iter()
        .find(|x| x.offer_id.as_deref() == b.replaced_by.as_deref() && b.replaced_by.is_some())
        .map(|x| Arc::from(offer_id(&g.name, &x.name)));
    o.note = Some(format!("through gateway {} ({})", g.name, g.base_url));
    serde_json::to_value(&o).map_err(|e| EngineError::internal(format!("offer encode: {e}")))
}

fn unbound_offer(g: &GatewayRow, m: &GatewayModel, today: &str) -> Value {
    let price = g.price_per_image_usd;
    json!({
        "id": offer_id(&g.name, &m.name),
        "provider": GATEWAY_ID,
        "model": m.name,
        "display_name": format!("{} via {}", m.name, g.name),
        "tier": "draft",
        "formula": match price {
            Some(p) => json!({"kind": "flat_per_image", "price": p.to_string()}),
            None => json!({"kind": "unknown"}),
        },
        "price_basis": "reported",
        "capabilities": {
            "sizes": {"kind": "rule", "multiple_of": 8, "min_side": 256,
                      "max_side": 4096, "max_pixels": 16_777_216},
            "max_n": 1, "seed": false, "negative_prompt": false
        },
        "source": format!("gateway {} ({}): {}", g.name, g.base_url,
            if price.is_some() { "the price the user entered" } else { "no price known" }),
        "verified_on": today,
        "unverified": price.is_none(),
    })
}

/// The catalog plus the user's imported offers; a stored offer the catalog refuses (or
/// one it now has itself) is skipped, never fatal.
pub(crate) fn with_user_offers(base: &Catalog, offers: &[Value]) -> Catalog {
    let mut current = base.clone();
    for o in offers {
        let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
        if current.offer(id).is_some() {
            continue;
        }
        let Ok(mut doc) = serde_json::from_str::<Value>(&current.to_json()) else {
            continue;
        };
        if let Some(list) = doc.get_mut("offers").and_then(Value::as_array_mut) {
            list.push(o.clone());
        }
        match Catalog::from_json(&doc.to_string()) {
            Ok(c) => current = c,
            Err(e) => tracing::warn!(offer = id, "imported offer skipped: {e}"),
        }
    }
    current
}

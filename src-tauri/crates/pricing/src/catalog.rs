//! The dated, versioned price catalog: bundled at compile time, importable, and
//! overridable with negotiated rates.

use crate::capabilities::Capabilities;
use crate::error::CatalogError;
use crate::formula::Formula;
use crate::inputs::ReferenceTier;
use crate::lifecycle::check_replacements;
use crate::request::LatencyTier;
use crate::validate::{parse_date, validate_offer};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

const BUNDLED_JSON: &str = include_str!("../catalog/catalog.json");

/// Draft (cheap, fast) or final (premium) — a routing hint for the engine.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum OfferTier {
    Draft,
    Final,
}

/// One provider + model, priced by one formula. Quality, size and n are request
/// parameters, not separate offers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// Stable id, `provider:model` (e.g. `openai:gpt-image-1`, `fal:fal-ai/flux/dev`).
    pub id: Arc<str>,
    /// Who serves it (a built-in provider, or `gateway` for a named gateway).
    pub provider: vocab::OfferProvider,
    /// The model id sent to the provider.
    pub model: Arc<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    pub display_name: Arc<str>,
    pub tier: OfferTier,
    pub formula: Formula,
    #[serde(default)]
    pub modifiers: Modifiers,
    pub capabilities: Capabilities,
    /// Where the price comes from (URL or citation).
    pub source: String,
    pub verified_on: NaiveDate,
    /// Price or token counts come from secondary sources; estimates say `assumed`.
    #[serde(default)]
    pub unverified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whose word the price is: the provider's published page, or a quote (a gateway's
    /// or provider's listing, a price the user typed for a gateway model).
    #[serde(default, skip_serializing_if = "PriceBasis::is_published")]
    pub price_basis: PriceBasis,
    /// The provider marked the model deprecated on this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_on: Option<NaiveDate>,
    /// From this day the provider no longer serves the model: never routed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_on: Option<NaiveDate>,
    /// The offer to use instead (an id of the same catalog).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<Arc<str>>,
    /// "shut down on …, use …", formatted once: shut-down offers are estimated (as
    /// unsupported) on every keystroke, and date formatting is the slow part.
    #[serde(skip)]
    pub(crate) shutdown_text: TextCache,
    /// "… cannot make an image from a prompt; it can …" for offers that only edit or
    /// upscale: refused on every keystroke of a text-to-image request.
    #[serde(skip)]
    pub(crate) generate_refusal: TextCache,
}

/// A lazily formatted text that never makes two offers unequal.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextCache(OnceLock<Box<str>>);

impl TextCache {
    pub(crate) fn get_or_init(&self, f: impl FnOnce() -> String) -> &str {
        self.0.get_or_init(|| f().into_boxed_str())
    }
}

impl PartialEq for TextCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Whose word an offer's price is.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    /// The provider's own published price (possibly via a cited secondary source).
    #[default]
    Published,
    /// A quote: a provider's or gateway's price listing, or a price the user entered.
    Reported,
}

impl PriceBasis {
    fn is_published(&self) -> bool {
        *self == PriceBasis::Published
    }
}

/// Price modifiers applied on top of the formula.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Modifiers {
    /// Multipliers for non-standard latency tiers (batch ×0.5 on OpenAI and Gemini).
    #[serde(default)]
    pub latency: Vec<LatencyMultiplier>,
    /// Surge / off-peak windows by time of day.
    #[serde(default)]
    pub time_windows: Vec<TimeWindow>,
    /// Flat USD per reference image per call (Gemini 3 Pro image input $0.0011).
    #[serde(default)]
    pub reference_image_usd: Option<Decimal>,
    /// A gateway's markup in USD per image billed, on top of the formula.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markup_per_image_usd: Option<Decimal>,
    /// I5: with any input image the request is priced on this tier's formula instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_tier: Option<ReferenceTier>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LatencyMultiplier {
    pub tier: LatencyTier,
    pub multiplier: Decimal,
    /// For `batch`: the provider's promised turnaround ("within 24 h").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_hours: Option<u32>,
    /// Where the tier's price and turnaround are published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `[start, end)` local time of day ("HH:MM"); `end` < `start` wraps midnight. Evaluated
/// in `time_zone` (IANA) when given, else in the estimate context's zone.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    pub name: String,
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    pub multiplier: Decimal,
}

/// A validated catalog. Built only by [`Catalog::from_json`], [`Catalog::bundled`]
/// or [`Catalog::with_overrides`], so every offer in it passed validation.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Catalog {
    pub version: String,
    pub published: NaiveDate,
    offers: Vec<Offer>,
}

/// A negotiated rate layered over the catalog.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PriceOverride {
    pub offer_id: String,
    pub change: OverrideChange,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OverrideChange {
    /// Every price of the offer × factor (0.8 = 20% negotiated discount).
    Multiplier { factor: Decimal },
    /// Replace the single per-unit price (per image, per MP, per second, per credit,
    /// image-out per M tokens, local $/hour).
    UnitPrice { price: Decimal },
    /// Replace the whole formula.
    Formula { formula: Formula },
    /// The most the user accepts to pay per image on an offer whose price is unknown;
    /// estimates and reservations use it (only valid on `unknown` formulas).
    PriceCap { per_image: Decimal },
}

impl Catalog {
    /// The catalog bundled into the binary (validated by the crate's tests).
    pub fn bundled() -> &'static Catalog {
        static BUNDLED: OnceLock<Catalog> = OnceLock::new();
        BUNDLED.get_or_init(|| match Catalog::from_json(BUNDLED_JSON) {
            Ok(c) => c,
            // Unreachable in a tested build: `bundled_catalog_is_valid` parses this file.
            Err(e) => panic!("bundled price catalog is invalid: {e}"),
        })
    }

    /// Parses and validates a catalog file. Refuses it whole on the first problem.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| CatalogError::Syntax(e.to_string()))?;
        let Some(obj) = root.as_object() else {
            return Err(CatalogError::catalog("(root)", "expected a JSON object"));
        };
        let version = match obj.get("version").and_then(Value::as_str) {
            Some(v) if !v.trim().is_empty() => v.to_owned(),
            _ => return Err(CatalogError::catalog("version", "missing or empty")),
        };
        let published = match obj.get("published").and_then(Value::as_str) {
            Some(d) => parse_date(d).map_err(|r| CatalogError::catalog("published", r))?,
            None => {
                return Err(CatalogError::catalog(
                    "published",
                    "missing (expected YYYY-MM-DD)",
                ));
            }
        };
        let raw = match obj.get("offers").and_then(Value::as_array) {
            Some(a) if !a.is_empty() => a,
            Some(_) => return Err(CatalogError::catalog("offers", "no offers")),
            None => {
                return Err(CatalogError::catalog(
                    "offers",
                    "missing (expected an array)",
                ));
            }
        };
        let mut seen = HashSet::new();
        let mut offers = Vec::with_capacity(raw.len());
        for (i, v) in raw.iter().enumerate() {
            let id = match v.get("id").and_then(Value::as_str) {
                Some(id) if !id.trim().is_empty() => id.to_owned(),
                _ => {
                    return Err(CatalogError::offer(
                        &format!("#{i}"),
                        "id",
                        "missing or empty",
                    ));
                }
            };
            if !seen.insert(id.clone()) {
                return Err(CatalogError::offer(&id, "id", "duplicate id"));
            }
            precheck(&id, v)?;
            let offer: Offer =
                serde_json::from_value(v.clone()).map_err(|e| serde_error(&id, &e))?;
            validate_offer(&offer)?;
            offers.push(offer);
        }
        check_replacements(&offers)?;
        Ok(Catalog {
            version,
            published,
            offers,
        })
    }

    /// The catalog as a JSON document that [`Catalog::from_json`] reads back.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn offers(&self) -> &[Offer] {
        &self.offers
    }

    pub fn offer(&self, id: &str) -> Option<&Offer> {
        self.offers.iter().find(|o| &*o.id == id)
    }

    /// A new catalog with the overrides applied in order. Every override is checked
    /// and every changed offer re-validated before anything is returned; on error
    /// `self` is untouched and no partial result exists.
    pub fn with_overrides(&self, overrides: &[PriceOverride]) -> Result<Catalog, CatalogError> {
        let mut next = self.clone();
        for (index, o) in overrides.iter().enumerate() {
            let err = |field: &str, reason: String| CatalogError::Override {
                index,
                offer: o.offer_id.clone(),
                field: field.to_owned(),
                reason,
            };
            let Some(offer) = next.offers.iter_mut().find(|x| *x.id == *o.offer_id) else {
                return Err(err("offer_id", "no such offer in the catalog".into()));
            };
            match &o.change {
                OverrideChange::Multiplier { factor } => {
                    if *factor < Decimal::ZERO {
                        return Err(err("factor", format!("negative multiplier {factor}")));
                    }
                    offer.formula.scale(*factor);
                }
                OverrideChange::UnitPrice { price } => {
                    if *price < Decimal::ZERO {
                        return Err(err("price", format!("negative price {price}")));
                    }
                    offer
                        .formula
                        .set_unit_price(*price)
                        .map_err(|r| err("price", r.into()))?;
                }
                OverrideChange::Formula { formula } => offer.formula = formula.clone(),
                OverrideChange::PriceCap { per_image } => {
                    if *per_image <= Decimal::ZERO {
                        return Err(err(
                            "per_image",
                            format!("a price cap must be more than $0 (got {per_image})"),
                        ));
                    }
                    offer
                        .formula
                        .set_price_cap(*per_image)
                        .map_err(|r| err("per_image", r.into()))?;
                }
            }
            validate_offer(offer).map_err(|e| match e {
                CatalogError::Offer { field, reason, .. } => err(&field, reason),
                other => other,
            })?;
        }
        Ok(next)
    }
}

/// Checks done on the raw JSON so the error names the field even where serde would
/// only say "data did not match".
fn precheck(id: &str, v: &Value) -> Result<(), CatalogError> {
    let provider = v.get("provider").and_then(Value::as_str).unwrap_or("");
    if vocab::OfferProvider::from_wire(provider).is_none() {
        return Err(CatalogError::offer(
            id,
            "provider",
            format!("unknown provider `{provider}`"),
        ));
    }
    match v.get("source").and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => {}
        _ => {
            return Err(CatalogError::offer(
                id,
                "source",
                "missing or empty: every price needs a citation",
            ));
        }
    }
    match v.get("verified_on").and_then(Value::as_str) {
        Some(d) => {
            parse_date(d).map_err(|r| CatalogError::offer(id, "verified_on", r))?;
        }
        None => {
            return Err(CatalogError::offer(
                id,
                "verified_on",
                "missing (expected YYYY-MM-DD)",
            ));
        }
    }
    check_kind(id, v.get("formula"), "formula")
}

fn check_kind(id: &str, f: Option<&Value>, path: &str) -> Result<(), CatalogError> {
    let Some(f) = f else {
        return Err(CatalogError::offer(id, path, "missing"));
    };
    let kind = f.get("kind").and_then(Value::as_str).unwrap_or("");
    if vocab::BillingKind::from_wire(kind).is_none() {
        return Err(CatalogError::offer(
            id,
            format!("{path}.kind"),
            format!(
                "unknown formula kind `{kind}` (expected one of {})",
                vocab::BillingKind::known()
            ),
        ));
    }
    match kind {
        "credits" => check_kind(id, f.get("credits"), &format!("{path}.credits")),
        "step_scaled" => check_kind(id, f.get("base"), &format!("{path}.base")),
        _ => Ok(()),
    }
}

fn serde_error(id: &str, e: &serde_json::Error) -> CatalogError {
    let msg = e.to_string();
    // serde names the field in backticks for missing/unknown fields; use it when present.
    let field = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| msg.find(p).map(|i| &msg[i + p.len()..]))
        .and_then(|rest| rest.split('`').next())
        .unwrap_or("(offer)")
        .to_owned();
    CatalogError::offer(id, field, msg)
}

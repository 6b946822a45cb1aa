//! Pre-flight estimates: per offer, what a request will cost, why, and what will be
//! sent. Unsupported requests are explained, never dropped.

use crate::calibration::Calibration;
use crate::capabilities::Note;
use crate::catalog::{Catalog, Modifiers, Offer, OfferTier, PriceBasis};
use crate::formula::{PriceInput, Priced};
use crate::inputs::ReferenceTier;
use crate::lifecycle::{LifecycleNote, LifecycleStatus};
use crate::lines::Line;
use crate::money::{Amount, ser_norm};
use crate::operations::Refusal;
use crate::request::{EstimateRequest, LatencyTier, ResolvedRequest};
use crate::validate::parse_time;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Extra billed attempts the worst case must cover. `billed_retries: 2` means the
/// worst case is the worst single attempt × 3 (the original plus two retries that
/// the provider bills, e.g. post-generation safety blocks or time-billed failures).
/// Fallbacks to other offers are covered by the engine taking the max over candidates.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RetryAllowance {
    pub billed_retries: u32,
}

/// When and under what assumptions an estimate is made.
#[derive(Clone, Copy, Debug)]
pub struct EstimateContext<'a> {
    /// Time the request would be sent (time-of-day windows).
    pub at: DateTime<Utc>,
    /// Zone for windows that do not name their own.
    pub time_zone: Tz,
    pub retry_allowance: RetryAllowance,
    pub calibration: Option<&'a Calibration>,
    /// The day lifecycle dates are compared with (see [`crate::lifecycle::catalog_date`]).
    pub catalog_date: NaiveDate,
}

impl EstimateContext<'static> {
    /// `at`, UTC, no retries, no history.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            at,
            time_zone: Tz::UTC,
            retry_allowance: RetryAllowance::default(),
            calibration: None,
            catalog_date: crate::lifecycle::catalog_date(at),
        }
    }
}

/// Where the expected figure comes from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Confidence {
    /// The provider's published price applied to this request.
    Published,
    /// The median of this many recent actual costs for the same offer and parameters.
    Calibrated { samples: usize },
    /// An assumption (default seconds, secondary-source prices, wall time).
    Assumed,
}

/// Where an estimate's figure comes from. Every estimate carries one; `Unknown` is never
/// a $0 price (its `expected` is a user's cap, or zero and not to be shown as a price).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceSource {
    /// Exact from the provider's published price table.
    Published,
    /// Learned from this library's settled costs for the same offer and parameters.
    Calibrated { samples: usize },
    /// A provider's or gateway's quote rather than a published page.
    Reported,
    /// No price is known.
    Unknown,
}

impl PriceSource {
    /// The label that crosses IPC (the samples travel separately).
    pub fn kind(self) -> vocab::EstimateSource {
        match self {
            PriceSource::Published => vocab::EstimateSource::Published,
            PriceSource::Calibrated { .. } => vocab::EstimateSource::Calibrated,
            PriceSource::Reported => vocab::EstimateSource::Reported,
            PriceSource::Unknown => vocab::EstimateSource::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.kind().as_str()
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Estimate {
    pub offer_id: Arc<str>,
    pub provider: vocab::OfferProvider,
    pub model: Arc<str>,
    pub display_name: Arc<str>,
    pub tier: OfferTier,
    /// Formula kind, e.g. `tokens`, `per_megapixel`.
    pub billing: vocab::BillingKind,
    pub supported: bool,
    pub unsupported_reason: Option<String>,
    /// USD; zero when unsupported.
    #[serde(serialize_with = "ser_norm")]
    pub expected: Decimal,
    #[serde(serialize_with = "ser_norm")]
    pub worst_case: Decimal,
    #[serde(serialize_with = "ser_norm")]
    pub per_image: Decimal,
    pub confidence: Confidence,
    /// Where `expected` comes from.
    pub source: PriceSource,
    /// Deprecation or shutdown (a shut-down offer is also unsupported, with this reason).
    /// The replacement named is the offer's own `replaced_by`.
    pub lifecycle: Option<LifecycleNote>,
    pub lines: Vec<Line>,
    pub notes: Vec<Note>,
    /// What the engine must send so that what is billed is what was priced.
    pub resolved: ResolvedRequest,
}

/// Estimates one offer.
pub fn estimate(offer: &Offer, req: &EstimateRequest, ctx: &EstimateContext<'_>) -> Estimate {
    estimate_prepared(offer, req, ctx, &Prepared::of(req, ctx)).0
}

/// What every offer's estimate needs from the request, computed once per request.
struct Prepared {
    prompt_chars: usize,
    negative_chars: usize,
    /// The asked quality as a shared string: notes clone it instead of allocating.
    quality: Option<Arc<str>>,
    /// The day lifecycle dates are compared with.
    today: NaiveDate,
}

impl Prepared {
    fn of(req: &EstimateRequest, ctx: &EstimateContext<'_>) -> Self {
        Self {
            today: ctx.catalog_date,
            prompt_chars: req.prompt.chars().count(),
            negative_chars: req
                .negative_prompt
                .as_ref()
                .map_or(0, |s| s.chars().count()),
            quality: req.quality.as_deref().map(Arc::from),
        }
    }
}

/// The estimate, and whether another offer may do what this one refused (the
/// operation or its inputs), so the refusal can name it.
fn estimate_prepared(
    offer: &Offer,
    req: &EstimateRequest,
    ctx: &EstimateContext<'_>,
    prep: &Prepared,
) -> (Estimate, bool) {
    let mut res = offer
        .capabilities
        .resolve_counted(req, prep.prompt_chars, prep.quality.as_ref());
    let mut wants_another = false;
    if let Some(r) = &res.refusal {
        let text = || r.reason(&offer.display_name, &offer.capabilities);
        res.unsupported = Some(match r {
            Refusal::Operation(vocab::Operation::Generate) => {
                offer.generate_refusal.get_or_init(text).to_owned()
            }
            _ => text(),
        });
        wants_another = r.wants_another_offer();
    }
    let lifecycle = lifecycle_note(offer, prep.today);
    if let Some(note) = lifecycle
        .as_ref()
        .filter(|n| n.status == LifecycleStatus::ShutDown)
    {
        res.unsupported = Some(
            offer
                .shutdown_text
                .get_or_init(|| note.to_string())
                .to_owned(),
        );
        // The shutdown is the reason; it names its own replacement.
        wants_another = false;
    }
    let latency = latency_multiplier(&offer.modifiers, req.latency);
    if latency.is_none() {
        res.notes
            .push(Note::LatencyUnavailable(req.latency.as_str()));
        res.resolved.latency = LatencyTier::Standard;
    }
    // Built once at the end (an `Estimate` is a few hundred bytes; no `..base` moves).
    let finish = |res: crate::capabilities::Resolution,
                  priced: Option<(Priced, Confidence, PriceSource)>| {
        let supported = res.unsupported.is_none();
        let (expected, worst_case, per_image, confidence, source, lines) = match priced {
            Some((p, confidence, source)) => {
                let per_image = match res.resolved.n {
                    0 => Decimal::ZERO,
                    1 => p.expected,
                    n => p.expected / Decimal::from(n),
                };
                (p.expected, p.worst, per_image, confidence, source, p.lines)
            }
            None => (
                Decimal::ZERO,
                Decimal::ZERO,
                Decimal::ZERO,
                if offer.unverified || offer.formula.is_unknown() {
                    Confidence::Assumed
                } else {
                    Confidence::Published
                },
                base_source(offer, offer.formula.is_unknown()),
                Vec::new(),
            ),
        };
        Estimate {
            offer_id: offer.id.clone(),
            provider: offer.provider,
            model: offer.model.clone(),
            display_name: offer.display_name.clone(),
            tier: offer.tier,
            billing: offer.formula.kind(),
            supported,
            unsupported_reason: res.unsupported,
            expected,
            worst_case,
            per_image,
            confidence,
            source,
            lifecycle,
            lines,
            notes: res.notes,
            resolved: res.resolved,
        }
    };
    if res.unsupported.is_some() {
        return (finish(res, None), wants_another);
    }
    let r = &res.resolved;
    let input = PriceInput {
        width: r.width,
        height: r.height,
        quality: r.quality.as_ref(),
        images: r.n,
        calls: r.calls,
        steps: r.steps,
        prompt_chars: prep.prompt_chars
            + if r.negative_prompt {
                prep.negative_chars
            } else {
                0
            },
        reference_images: &req.reference_images,
        operation: r.operation,
        input_fidelity: r.input_fidelity,
    };
    let formula = ReferenceTier::pick(
        offer.modifiers.reference_tier.as_ref(),
        &offer.formula,
        req.reference_images.len(),
    );
    let mut priced = formula.price(&input);
    if let Some(t) = offer
        .modifiers
        .reference_tier
        .as_ref()
        .filter(|_| !req.reference_images.is_empty())
    {
        priced.lines.insert(
            0,
            Line::Text(format!("with a reference image: the {} price", t.name)),
        );
    }
    apply_reference_charge(&offer.modifiers, r, &mut priced);
    say_inputs_included(r, &mut priced);
    apply_markup_per_image(&offer.modifiers, r.n, &mut priced);
    let mut confidence = if priced.assumed || offer.unverified {
        Confidence::Assumed
    } else {
        Confidence::Published
    };
    let mut source = base_source(offer, priced.unknown);

    let calibrated = match ctx.calibration {
        Some(c) if offer.formula.is_usage_billed() => c.lookup(&offer.id, &r.calibration_key()),
        _ => None,
    };
    if let Some(cal) = calibrated {
        // Actual costs already include tier and window effects.
        priced.expected = cal.median;
        priced.worst = cal.max.max(cal.median);
        priced.lines.push(Line::Calibrated {
            samples: cal.samples,
            median: Amount::usd(cal.median),
        });
        confidence = Confidence::Calibrated {
            samples: cal.samples,
        };
        source = PriceSource::Calibrated {
            samples: cal.samples,
        };
    } else {
        if let Some(m) = latency.filter(|m| *m != Decimal::ONE) {
            priced.expected *= m;
            priced.worst *= m;
            priced.lines.push(Line::Latency {
                tier: req.latency.as_str(),
                multiplier: m,
            });
        }
        // Most offers have no windows: skip the time-zone work entirely.
        if !offer.modifiers.time_windows.is_empty()
            && let Some((name, m)) = window_multiplier(&offer.modifiers, ctx)
        {
            priced.expected *= m;
            priced.worst *= m;
            priced.lines.push(Line::Window {
                name: name.to_owned(),
                multiplier: m,
            });
        }
    }

    let retries = ctx.retry_allowance.billed_retries;
    if retries > 0 {
        priced.worst *= Decimal::from(1 + u64::from(retries));
        priced.lines.push(Line::Retries {
            retries,
            worst: Amount::usd(priced.worst),
        });
    }
    (finish(res, Some((priced, confidence, source))), false)
}

fn base_source(offer: &Offer, unknown: bool) -> PriceSource {
    if unknown {
        PriceSource::Unknown
    } else if offer.price_basis == PriceBasis::Reported {
        PriceSource::Reported
    } else {
        PriceSource::Published
    }
}

/// The offer's lifecycle on `today`, naming its own `replaced_by` (the catalog-resolved
/// live successor is [`Catalog::lifecycle`]; the bundled catalog points at live ones).
fn lifecycle_note(offer: &Offer, today: NaiveDate) -> Option<LifecycleNote> {
    if offer.deprecated_on.is_none() && offer.shutdown_on.is_none() {
        return None;
    }
    let status = offer.lifecycle_status(today);
    let on = match status {
        LifecycleStatus::Live => return None,
        LifecycleStatus::Deprecated => offer.deprecated_on?,
        LifecycleStatus::Retiring | LifecycleStatus::ShutDown => offer.shutdown_on?,
    };
    Some(LifecycleNote {
        status,
        on,
        replaced_by: offer.replaced_by.clone(),
    })
}

/// Estimates every offer of the catalog: cheapest expected first, unsupported last
/// (ties keep catalog order).
pub fn estimate_all(
    catalog: &Catalog,
    req: &EstimateRequest,
    ctx: &EstimateContext<'_>,
) -> Vec<Estimate> {
    estimate_offers(catalog.offers(), req, ctx)
}

/// As [`estimate_all`] for a chosen set of offers.
pub fn estimate_offers<'o>(
    offers: impl IntoIterator<Item = &'o Offer>,
    req: &EstimateRequest,
    ctx: &EstimateContext<'_>,
) -> Vec<Estimate> {
    let (mut all, wants_another): (Vec<Estimate>, Vec<bool>) = {
        let prep = Prepared::of(req, ctx);
        offers
            .into_iter()
            .map(|o| estimate_prepared(o, req, ctx, &prep))
            .unzip()
    };
    name_alternatives(&mut all, &wants_another);
    // Keys are computed once and the (large) estimates moved at most a few times each;
    // ties keep catalog order because the cached-key sort breaks them by index.
    // Comparing `Decimal`s of different scales rescales on every comparison, so the key
    // is one integer: the amount in units of 10^-28 USD (exact), unsupported offers last.
    // Amounts beyond ~10^10 USD do not fit and fall back to comparing the decimals.
    // Unknown prices are not cheap: they go after every known price, before unsupported.
    if all.iter().all(|e| fixed_point(e.expected).is_some()) {
        all.sort_by_cached_key(|e| match (e.supported, fixed_point(e.expected)) {
            (true, _) if e.source == PriceSource::Unknown => i128::MAX - 1,
            (true, Some(k)) => k,
            _ => i128::MAX,
        });
    } else {
        all.sort_by_cached_key(|e| (!e.supported, e.source == PriceSource::Unknown, e.expected));
    }
    all
}

/// "FLUX Kontext cannot edit a masked region; use FLUX.1 Fill [pro]": a refusal of the
/// operation names the cheapest offer of the same provider that can do the request.
fn name_alternatives(all: &mut [Estimate], wants_another: &[bool]) {
    if !wants_another.contains(&true) {
        return;
    }
    let hints: Vec<Option<Arc<str>>> = all
        .iter()
        .zip(wants_another)
        .map(|(e, want)| {
            if !*want {
                return None;
            }
            all.iter()
                .filter(|o| {
                    o.supported && o.provider == e.provider && o.source != PriceSource::Unknown
                })
                .min_by(|a, b| a.expected.cmp(&b.expected))
                .map(|o| o.display_name.clone())
        })
        .collect();
    for (e, hint) in all.iter_mut().zip(hints) {
        if let (Some(h), Some(reason)) = (hint, e.unsupported_reason.as_mut()) {
            reason.push_str("; use ");
            reason.push_str(&h);
        }
    }
}

/// `d` × 10^28 as an integer, when it fits below `i128::MAX` (amounts under ~1.7 × 10^10).
fn fixed_point(d: Decimal) -> Option<i128> {
    10i128
        .checked_pow(28 - d.scale().min(28))
        .and_then(|p| d.mantissa().checked_mul(p))
        .filter(|k| *k < i128::MAX)
}

/// `Some(multiplier)` when the tier is available (standard always is, at ×1).
fn latency_multiplier(m: &Modifiers, tier: LatencyTier) -> Option<Decimal> {
    if tier == LatencyTier::Standard {
        return Some(Decimal::ONE);
    }
    m.latency
        .iter()
        .find(|l| l.tier == tier)
        .map(|l| l.multiplier)
}

/// The first time window containing `ctx.at`, evaluated in its own zone or the context's.
pub(crate) fn window_multiplier<'m>(
    m: &'m Modifiers,
    ctx: &EstimateContext<'_>,
) -> Option<(&'m str, Decimal)> {
    window_at(m, ctx.at, ctx.time_zone)
}

pub(crate) fn window_at(
    m: &Modifiers,
    at: DateTime<Utc>,
    default_tz: Tz,
) -> Option<(&str, Decimal)> {
    m.time_windows.iter().find_map(|w| {
        let tz = w
            .time_zone
            .as_deref()
            .and_then(|z| z.parse::<Tz>().ok())
            .unwrap_or(default_tz);
        let local = at.with_timezone(&tz).time();
        let t = local.num_seconds_from_midnight();
        let (s, e) = (
            parse_time(&w.start)?.num_seconds_from_midnight(),
            parse_time(&w.end)?.num_seconds_from_midnight(),
        );
        let inside = if s <= e {
            s <= t && t < e
        } else {
            t >= s || t < e
        };
        inside.then_some((w.name.as_str(), w.multiplier))
    })
}

/// A gateway's per-image markup: `n × markup`, unknown prices stay unknown.
fn apply_markup_per_image(m: &Modifiers, n: u32, p: &mut Priced) {
    if let (Some(each), false) = (m.markup_per_image_usd, p.unknown) {
        let total = each * Decimal::from(n);
        p.add(
            total,
            total,
            Line::Text(format!(
                "gateway markup {n} × {} = {}",
                Amount::usd(each),
                Amount::usd(total)
            )),
        );
    }
}

/// Input images that no rule charged are part of the price: say so, so every estimate
/// with inputs lists them.
fn say_inputs_included(r: &ResolvedRequest, p: &mut Priced) {
    if r.reference_images == 0 || p.unknown {
        return;
    }
    let charged = p.lines.iter().any(|l| {
        matches!(
            l,
            Line::InputTokens { .. } | Line::InputMegapixels { .. } | Line::ReferenceImages { .. }
        )
    });
    if !charged {
        p.lines.push(Line::InputsIncluded {
            what: crate::inputs::InputWords::of(r.operation, r.reference_images as usize),
        });
    }
}

fn apply_reference_charge(m: &Modifiers, r: &ResolvedRequest, p: &mut Priced) {
    if let (Some(each), true) = (m.reference_image_usd, r.reference_images > 0) {
        let count = r.reference_images * r.calls;
        let total = each * Decimal::from(count);
        p.add(
            total,
            total,
            Line::ReferenceImages {
                what: crate::inputs::InputWords::of(r.operation, r.reference_images as usize),
                count,
                each: Amount::usd(each),
                total: Amount::usd(total),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::fixed_point;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    #[test]
    fn sort_keys_order_amounts_of_any_scale_exactly() {
        let amounts = [
            dec!(0),
            dec!(0.0000000000000000000001),
            dec!(0.0042),
            dec!(0.04999999999999),
            dec!(0.05),
            dec!(0.0500000000000000000001),
            dec!(3),
            dec!(17000000000),
        ];
        let keys: Vec<i128> = amounts
            .iter()
            .map(|d| fixed_point(*d).expect("fits"))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!(fixed_point(dec!(0.05)), fixed_point(dec!(0.0500000)));
        assert_eq!(fixed_point(Decimal::MAX), None, "too large: falls back");
    }
}

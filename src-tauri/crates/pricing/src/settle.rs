//! Settlement: the actual cost of a finished call from what the provider reported.
//! Preference (providers.md §13): reported money → reported usage × our rates →
//! the formula applied to the returned result.

use crate::catalog::Offer;
use crate::estimate::window_at;
use crate::formula::{Formula, PriceInput};
use crate::inputs::{InputWords, ReferenceTier};
use crate::lines::{Line, TokenClass};
use crate::money::Amount;
use crate::request::{EstimateRequest, LatencyTier};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Token counts by class as a provider reported them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct TokenUsage {
    #[serde(default)]
    pub text_in: Option<u64>,
    #[serde(default)]
    pub image_in: Option<u64>,
    #[serde(default)]
    pub cached_in: Option<u64>,
    #[serde(default)]
    pub image_out: Option<u64>,
    #[serde(default)]
    pub text_out: Option<u64>,
    #[serde(default)]
    pub thinking: Option<u64>,
}

impl TokenUsage {
    fn classes(&self) -> [(TokenClass, Option<u64>); 6] {
        [
            (TokenClass::TextIn, self.text_in),
            (TokenClass::ImageIn, self.image_in),
            (TokenClass::CachedIn, self.cached_in),
            (TokenClass::ImageOut, self.image_out),
            (TokenClass::TextOut, self.text_out),
            (TokenClass::Thinking, self.thinking),
        ]
    }
    pub fn is_empty(&self) -> bool {
        self.classes().iter().all(|(_, v)| v.is_none())
    }
}

/// What came back from one provider call (or all calls of one request, summed).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Usage {
    pub images_returned: u32,
    /// Images the provider bills although none (or a blurred one) came back, e.g.
    /// Stability `CONTENT_FILTERED` = 1, fal `has_nsfw_concepts`. Overrides
    /// `images_returned` for per-image formulas when set.
    #[serde(default)]
    pub billed_images: Option<u32>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub tokens: TokenUsage,
    /// Replicate `metrics.predict_time`.
    #[serde(default)]
    pub gpu_seconds: Option<Decimal>,
    /// Local backends: measured wall time.
    #[serde(default)]
    pub wall_seconds: Option<Decimal>,
    /// BFL submit `cost` (credits), Stability balance delta.
    #[serde(default)]
    pub credits: Option<Decimal>,
    /// OpenRouter `usage.cost`.
    #[serde(default)]
    pub reported_usd: Option<Decimal>,
    /// A gateway's reported charge: recorded, compared, never settled on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_reported_usd: Option<Decimal>,
    /// fal `x-fal-billable-units`.
    #[serde(default)]
    pub billable_units: Option<Decimal>,
    /// When the call started (time-of-day windows), if known.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SettlementBasis {
    /// Money the provider reported (USD or credits).
    Reported,
    /// Reported usage (tokens, seconds, units) × catalog rates.
    UsageTimesRate,
    /// The catalog formula on what was returned (image count, actual size).
    Formula,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Settlement {
    #[serde(serialize_with = "crate::money::ser_norm")]
    pub actual: Decimal,
    pub basis: SettlementBasis,
    pub lines: Vec<crate::lines::Line>,
}

const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The actual cost of a finished request on `offer`.
pub fn settle(offer: &Offer, req: &EstimateRequest, usage: &Usage) -> Settlement {
    // A gateway model we cannot price: the gateway's own figure is the best there is.
    if let (Some(usd), true) = (usage.gateway_reported_usd, offer.formula.is_unknown()) {
        return done(
            usd,
            SettlementBasis::Reported,
            vec![Line::Text(format!("gateway reported {}", Amount::usd(usd)))],
        );
    }
    if let Some(usd) = usage.reported_usd {
        return done(
            usd,
            SettlementBasis::Reported,
            vec![Line::Text(format!(
                "provider reported {}",
                Amount::usd(usd)
            ))],
        );
    }
    if let (Some(credits), Some(rate)) = (usage.credits, credit_rate(&offer.formula)) {
        let total = credits * rate;
        return done(
            total,
            SettlementBasis::Reported,
            vec![Line::Credits {
                credits,
                usd_per_credit: rate,
                total: Amount::usd(total),
            }],
        );
    }
    let (mut total, basis, mut lines) = match usage_times_rate(&offer.formula, usage) {
        Some((mut t, mut l)) => {
            t += unreported_inputs(offer, req, usage, &mut l);
            (t, SettlementBasis::UsageTimesRate, l)
        }
        None => {
            let p = formula_on_result(offer, req, usage);
            (p.0, SettlementBasis::Formula, p.1)
        }
    };
    let m = latency_multiplier(offer, req.latency);
    if m != Decimal::ONE {
        total *= m;
        lines.push(Line::Latency {
            tier: req.latency.as_str(),
            multiplier: m,
        });
    }
    if let Some((name, wm)) = usage
        .started_at
        .and_then(|at| window_at(&offer.modifiers, at, Tz::UTC))
    {
        total *= wm;
        lines.push(Line::Window {
            name: name.to_owned(),
            multiplier: wm,
        });
    }
    if let Some(each) = offer.modifiers.markup_per_image_usd {
        let images = usage.billed_images.unwrap_or(usage.images_returned);
        let t = each * Decimal::from(images);
        total += t;
        lines.push(Line::Text(format!(
            "gateway markup {images} × {} = {}",
            Amount::usd(each),
            Amount::usd(t)
        )));
    }
    done(total, basis, lines)
}

fn done(actual: Decimal, basis: SettlementBasis, lines: Vec<Line>) -> Settlement {
    Settlement {
        actual: actual.normalize(),
        basis,
        lines,
    }
}

fn latency_multiplier(offer: &Offer, tier: LatencyTier) -> Decimal {
    offer
        .modifiers
        .latency
        .iter()
        .find(|l| l.tier == tier)
        .map_or(Decimal::ONE, |l| l.multiplier)
}

fn credit_rate(f: &Formula) -> Option<Decimal> {
    match f {
        Formula::Credits { usd_per_credit, .. } => Some(*usd_per_credit),
        Formula::StepScaled { base, .. } => credit_rate(base),
        _ => None,
    }
}

/// Tokens, GPU seconds, wall seconds or billable units × the offer's rates.
fn usage_times_rate(f: &Formula, usage: &Usage) -> Option<(Decimal, Vec<Line>)> {
    match f {
        Formula::Tokens(t) if !usage.tokens.is_empty() => {
            let mut total = Decimal::ZERO;
            let mut lines = Vec::new();
            for (class, n) in usage.tokens.classes() {
                let (Some(n), Some(rate)) = (n, t.rates.rate(class)) else {
                    continue;
                };
                let cost = Decimal::from(n) * rate / MILLION;
                total += cost;
                lines.push(Line::Tokens {
                    class,
                    tokens: n,
                    rate,
                    estimated: false,
                    total: Amount::usd(cost),
                });
            }
            Some((total, lines))
        }
        Formula::ComputeSeconds {
            hardware,
            rate_per_second,
            ..
        } => usage.gpu_seconds.map(|s| {
            let total = s * *rate_per_second;
            let line = Line::Compute {
                seconds: s,
                hardware: hardware.clone(),
                rate: Amount::usd(*rate_per_second),
                total: Amount::usd(total),
                assumed: false,
            };
            (total, vec![line])
        }),
        Formula::Free {
            user_rate_per_hour, ..
        } => {
            let rate = (*user_rate_per_hour)?;
            let secs = usage.wall_seconds?;
            let total = secs * rate / Decimal::from(3600);
            Some((
                total,
                vec![Line::Free {
                    rate_per_hour: Some(rate),
                    seconds: secs,
                    total: Amount::usd(total),
                }],
            ))
        }
        _ => {
            let units = usage.billable_units?;
            let price = f.unit_price()?;
            let total = units * price;
            Some((
                total,
                vec![Line::Text(format!(
                    "{} billable units × {} = {}",
                    units.normalize(),
                    Amount::usd(price),
                    Amount::usd(total)
                ))],
            ))
        }
    }
}

/// The formula on the returned result: images billed and the size actually returned.
fn formula_on_result(offer: &Offer, req: &EstimateRequest, usage: &Usage) -> (Decimal, Vec<Line>) {
    let resolved = offer.capabilities.resolve(req).resolved;
    let images = usage.billed_images.unwrap_or(usage.images_returned);
    if images == 0 {
        return (
            Decimal::ZERO,
            vec![Line::Text(
                "no image returned and none billed: $0.00".into(),
            )],
        );
    }
    let calls = images.div_ceil(resolved.n_per_call.max(1));
    let input = PriceInput {
        width: usage.width.unwrap_or(resolved.width),
        height: usage.height.unwrap_or(resolved.height),
        quality: resolved.quality.as_ref(),
        images,
        calls,
        steps: resolved.steps,
        prompt_chars: req.prompt.chars().count(),
        reference_images: &req.reference_images,
        operation: resolved.operation,
        input_fidelity: resolved.input_fidelity,
    };
    let formula = ReferenceTier::pick(
        offer.modifiers.reference_tier.as_ref(),
        &offer.formula,
        req.reference_images.len(),
    );
    let p = formula.price(&input);
    let mut total = p.expected;
    let mut lines = p.lines;
    if let (Some(each), false) = (
        offer.modifiers.reference_image_usd,
        req.reference_images.is_empty(),
    ) {
        let count = u32::try_from(req.reference_images.len()).unwrap_or(u32::MAX) * calls;
        let t = each * Decimal::from(count);
        total += t;
        lines.push(Line::ReferenceImages {
            what: InputWords::of(resolved.operation, req.reference_images.len()),
            count,
            each: Amount::usd(each),
            total: Amount::usd(t),
        });
    }
    (total, lines)
}

/// Token usage that reports no image-in count for a request that sent images: the
/// input line is priced as estimated (and says so) rather than dropped as free.
fn unreported_inputs(
    offer: &Offer,
    req: &EstimateRequest,
    usage: &Usage,
    lines: &mut Vec<Line>,
) -> Decimal {
    let Formula::Tokens(t) = &offer.formula else {
        return Decimal::ZERO;
    };
    if usage.tokens.is_empty() || usage.tokens.image_in.is_some() || req.reference_images.is_empty()
    {
        return Decimal::ZERO;
    }
    let resolved = offer.capabilities.resolve(req).resolved;
    let input = PriceInput {
        width: resolved.width,
        height: resolved.height,
        quality: None,
        images: 0,
        calls: resolved.calls,
        steps: None,
        prompt_chars: 0,
        reference_images: &req.reference_images,
        operation: resolved.operation,
        input_fidelity: resolved.input_fidelity,
    };
    let p = t.price_inputs(&input);
    if p.lines.is_empty() {
        return Decimal::ZERO;
    }
    lines.push(Line::Text(
        "image-in tokens not reported: input images priced as estimated".into(),
    ));
    lines.extend(p.lines);
    p.expected
}

//! Formula kinds (providers.md §13, F1–F9) and how each prices one resolved request.

use crate::lines::Line;
use crate::money::{Amount, MpRounding, MpUnit, Unit, billed_megapixels, megapixels};
use crate::request::ImageDims;
pub use crate::tokens::{TokenFormula, TokenRates, TokenRow, image_tokens};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vocab::BillingKind;

/// How an offer turns a request into money. Tagged by `kind` in the catalog file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Formula {
    /// F1: `n × price`.
    FlatPerImage { price: Decimal },
    /// F2: `n × T[quality][size]`; a size not on the table uses the row of the nearest
    /// aspect ratio, then the nearest pixel count (ties go to the dearer row).
    Table { rows: Vec<PriceRow> },
    /// F3: `n × rate × round(W·H / unit)`.
    PerMegapixel {
        rate: Decimal,
        unit: MpUnit,
        #[serde(default)]
        rounding: MpRounding,
    },
    /// F4: per image `first + max(0, outMP − 1) × increment`, plus `inMP × input_increment`
    /// for every input image, once per call (I2; BFL FLUX.2, amounts in credits = cents).
    BaseIncrement {
        first_mp: Decimal,
        increment: Decimal,
        input_increment: Decimal,
        unit: MpUnit,
        #[serde(default)]
        rounding: MpRounding,
    },
    /// F5: tokens by class × per-million rates.
    Tokens(TokenFormula),
    /// F6: `seconds × rate`; seconds are an assumption until calibrated from history.
    ComputeSeconds {
        hardware: Arc<str>,
        rate_per_second: Decimal,
        seconds_per_image: Decimal,
        /// Steps the `seconds_per_image` figure was measured at; other step counts scale linearly.
        #[serde(default)]
        reference_steps: Option<u32>,
        /// Worst case seconds = expected × this (default 2).
        #[serde(default = "two")]
        worst_case_factor: Decimal,
    },
    /// F7: the inner formula is evaluated in credits, then × `usd_per_credit`.
    Credits {
        usd_per_credit: Decimal,
        credits: Box<Formula>,
    },
    /// F8: the inner formula × a steps multiplier.
    StepScaled {
        default_steps: u32,
        scaling: StepScaling,
        base: Box<Formula>,
    },
    /// No published price. Never priced as $0: the estimate says `unknown`. A cap the
    /// user sets (an override) is what estimates show and reservations hold.
    Unknown {
        #[serde(default)]
        cap_per_image: Option<Decimal>,
    },
    /// F9: $0, or wall seconds × a user-set $/hour (power, amortisation).
    Free {
        #[serde(default)]
        user_rate_per_hour: Option<Decimal>,
        #[serde(default = "ten")]
        seconds_per_image: Decimal,
    },
}

fn two() -> Decimal {
    Decimal::TWO
}
fn ten() -> Decimal {
    Decimal::TEN
}

/// One row of a size × quality table. For resolution classes (0.5K/1K/2K/4K) the
/// row's size is the class's square representative and `label` names the class.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PriceRow {
    #[serde(default)]
    pub quality: Option<String>,
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub label: Option<String>,
    pub price: Decimal,
}

/// F8 step multiplier.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepScaling {
    /// × steps ÷ default_steps.
    Linear,
    /// × the multiplier of the first tier whose `max_steps` ≥ steps (the last tier beyond).
    Tiers { tiers: Vec<StepTier> },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepTier {
    pub max_steps: u32,
    pub multiplier: Decimal,
}

/// What a formula needs to know about the resolved request.
#[derive(Clone, Copy, Debug)]
pub struct PriceInput<'a> {
    pub width: u32,
    pub height: u32,
    pub quality: Option<&'a Arc<str>>,
    /// Images billed.
    pub images: u32,
    /// Provider calls needed (per-call charges such as prompt tokens repeat per call).
    pub calls: u32,
    pub steps: Option<u32>,
    pub prompt_chars: usize,
    /// Every input image, the subject first.
    pub reference_images: &'a [ImageDims],
    pub operation: vocab::Operation,
    /// Resolved `input_fidelity` (I1 input tokens).
    pub input_fidelity: Option<vocab::InputFidelity>,
}

/// A priced request: expected and worst-case money plus the lines explaining it.
#[derive(Clone, Debug, Default)]
pub struct Priced {
    pub expected: Decimal,
    pub worst: Decimal,
    pub lines: Vec<Line>,
    /// The figure rests on an assumption (seconds, wall time) rather than a published price.
    pub assumed: bool,
    /// No price is known: `expected` and `worst` are a user's cap, or zero and meaningless.
    pub unknown: bool,
}

const SECONDS_PER_HOUR: Decimal = Decimal::from_parts(3600, 0, 0, false, 0);

pub(crate) fn nearest<'r, T>(
    rows: &'r [T],
    key: impl Fn(&T) -> (Option<&str>, u32, u32),
    quality: Option<&str>,
    w: u32,
    h: u32,
    tie: impl Fn(&T) -> Decimal,
) -> Option<&'r T> {
    let has_quality = rows.iter().any(|r| key(r).0.is_some());
    let px = u64::from(w) * u64::from(h);
    // Aspect first (a 1.5 MP landscape image is billed unlike a 1 MP square one), then
    // pixel count. Distances as ratios ≥ 1; rows within 2% of the best aspect compete.
    let ratio = |a: f64, b: f64| if a > b { a / b } else { b / a };
    let aspect = |w: u32, h: u32| f64::from(w.max(1)) / f64::from(h.max(1));
    let want = aspect(w, h);
    let mut best_aspect = f64::INFINITY;
    for r in rows {
        let (q, rw, rh) = key(r);
        if has_quality && q != quality {
            continue;
        }
        if rw == w && rh == h {
            return Some(r);
        }
        best_aspect = best_aspect.min(ratio(aspect(rw, rh), want));
    }
    let mut best: Option<(&T, u64)> = None;
    for r in rows {
        let (q, rw, rh) = key(r);
        if (has_quality && q != quality) || ratio(aspect(rw, rh), want) > best_aspect * 1.02 {
            continue;
        }
        let d = (u64::from(rw) * u64::from(rh)).abs_diff(px);
        best = match best {
            Some((b, bd)) if bd < d || (bd == d && tie(b) >= tie(r)) => Some((b, bd)),
            _ => Some((r, d)),
        };
    }
    best.map(|(r, _)| r)
}

impl PriceRow {
    fn key(&self) -> (Option<&str>, u32, u32) {
        (self.quality.as_deref(), self.width, self.height)
    }
}

/// The table row a request is priced at (exact size, else nearest by pixel count).
pub fn table_row<'r>(
    rows: &'r [PriceRow],
    quality: Option<&str>,
    w: u32,
    h: u32,
) -> Option<&'r PriceRow> {
    nearest(rows, PriceRow::key, quality, w, h, |r| r.price)
}

impl Formula {
    /// The `kind` tag, e.g. `per_megapixel`.
    pub fn kind(&self) -> BillingKind {
        match self {
            Formula::FlatPerImage { .. } => BillingKind::FlatPerImage,
            Formula::Table { .. } => BillingKind::Table,
            Formula::PerMegapixel { .. } => BillingKind::PerMegapixel,
            Formula::BaseIncrement { .. } => BillingKind::BaseIncrement,
            Formula::Tokens(_) => BillingKind::Tokens,
            Formula::ComputeSeconds { .. } => BillingKind::ComputeSeconds,
            Formula::Credits { .. } => BillingKind::Credits,
            Formula::StepScaled { .. } => BillingKind::StepScaled,
            Formula::Free { .. } => BillingKind::Free,
            Formula::Unknown { .. } => BillingKind::Unknown,
        }
    }

    /// Billed by measured usage or time, so history can calibrate the estimate.
    pub fn is_usage_billed(&self) -> bool {
        match self {
            Formula::Tokens(_) | Formula::ComputeSeconds { .. } => true,
            Formula::Free {
                user_rate_per_hour, ..
            } => user_rate_per_hour.is_some(),
            Formula::Credits { credits: inner, .. } | Formula::StepScaled { base: inner, .. } => {
                inner.is_usage_billed()
            }
            _ => false,
        }
    }

    /// Prices a request in USD.
    pub fn price(&self, input: &PriceInput<'_>) -> Priced {
        self.price_in(input, Unit::Usd)
    }

    pub(crate) fn price_in(&self, input: &PriceInput<'_>, unit: Unit) -> Priced {
        let n = input.images;
        let nd = Decimal::from(n);
        let amt = |v| Amount::new(v, unit);
        match self {
            Formula::FlatPerImage { price } => {
                let total = *price * nd;
                exact(
                    total,
                    Line::Flat {
                        n,
                        price: amt(*price),
                        total: amt(total),
                    },
                )
            }
            Formula::Table { rows } => {
                let Some(row) =
                    table_row(rows, input.quality.map(|q| &**q), input.width, input.height)
                else {
                    let mut p = exact(
                        Decimal::ZERO,
                        Line::Text("price unknown: no price row for this request".into()),
                    );
                    p.unknown = true;
                    return p;
                };
                let total = row.price * nd;
                let off = (row.width, row.height) != (input.width, input.height);
                exact(
                    total,
                    Line::Table {
                        n,
                        width: input.width,
                        height: input.height,
                        quality: input.quality.cloned(),
                        row: off.then_some((row.width, row.height)),
                        price: amt(row.price),
                        total: amt(total),
                    },
                )
            }
            Formula::PerMegapixel {
                rate,
                unit: mp_unit,
                rounding,
            } => {
                let mp = megapixels(input.width, input.height, *mp_unit);
                let billed = billed_megapixels(mp, *rounding);
                let total = *rate * billed * nd;
                exact(
                    total,
                    Line::Megapixels {
                        n,
                        width: input.width,
                        height: input.height,
                        mp,
                        billed,
                        unit: *mp_unit,
                        rounding: *rounding,
                        rate: amt(*rate),
                        total: amt(total),
                    },
                )
            }
            Formula::BaseIncrement {
                first_mp,
                increment,
                input_increment,
                unit: mp_unit,
                rounding,
            } => {
                let out_mp =
                    billed_megapixels(megapixels(input.width, input.height, *mp_unit), *rounding);
                let per_image = *first_mp + (out_mp - Decimal::ONE).max(Decimal::ZERO) * *increment;
                let out_total = per_image * nd;
                let mut p = exact(
                    out_total,
                    Line::BaseIncrement {
                        width: input.width,
                        height: input.height,
                        out_mp,
                        first: amt(*first_mp),
                        increment: amt(*increment),
                        per_image: amt(per_image),
                        n,
                        total: amt(out_total),
                    },
                );
                crate::inputs::input_megapixels(
                    input,
                    *input_increment,
                    *mp_unit,
                    *rounding,
                    unit,
                    &mut p,
                );
                p
            }
            Formula::Tokens(t) => t.price(input, unit),
            Formula::ComputeSeconds {
                hardware,
                rate_per_second,
                seconds_per_image,
                reference_steps,
                worst_case_factor,
            } => {
                let mut secs = *seconds_per_image * nd;
                if let (Some(s), Some(r)) = (input.steps, reference_steps.filter(|r| *r > 0)) {
                    secs = secs * Decimal::from(s) / Decimal::from(r);
                }
                let total = secs * *rate_per_second;
                Priced {
                    expected: total,
                    worst: total * *worst_case_factor,
                    lines: vec![Line::Compute {
                        seconds: secs,
                        hardware: hardware.clone(),
                        rate: amt(*rate_per_second),
                        total: amt(total),
                        assumed: true,
                    }],
                    assumed: true,
                    unknown: false,
                }
            }
            Formula::Credits {
                usd_per_credit,
                credits,
            } => {
                let inner = credits.price_in(input, Unit::Credits);
                let total = inner.expected * *usd_per_credit;
                let mut lines = inner.lines;
                lines.push(Line::Credits {
                    credits: inner.expected,
                    usd_per_credit: *usd_per_credit,
                    total: Amount::usd(total),
                });
                Priced {
                    expected: total,
                    worst: inner.worst * *usd_per_credit,
                    lines,
                    assumed: inner.assumed,
                    unknown: inner.unknown,
                }
            }
            Formula::StepScaled {
                default_steps,
                scaling,
                base,
            } => {
                let mut inner = base.price_in(input, unit);
                let steps = input.steps.unwrap_or(*default_steps);
                let m = step_multiplier(scaling, steps, *default_steps);
                inner.expected *= m;
                inner.worst *= m;
                inner.lines.push(Line::Steps {
                    steps,
                    default_steps: *default_steps,
                    multiplier: m,
                });
                inner
            }
            Formula::Unknown { cap_per_image } => {
                let total = cap_per_image.map_or(Decimal::ZERO, |c| c * nd);
                let text = match cap_per_image {
                    Some(c) => format!(
                        "price unknown: capped at {} per image × {n} = {}",
                        amt(*c),
                        amt(total)
                    ),
                    None => "price unknown: set a price cap for this offer to use it".to_owned(),
                };
                let mut p = exact(total, Line::Text(text));
                p.assumed = true;
                p.unknown = true;
                p
            }
            Formula::Free {
                user_rate_per_hour,
                seconds_per_image,
            } => match user_rate_per_hour {
                None => exact(
                    Decimal::ZERO,
                    Line::Free {
                        rate_per_hour: None,
                        seconds: Decimal::ZERO,
                        total: amt(Decimal::ZERO),
                    },
                ),
                Some(rate) => {
                    let secs = *seconds_per_image * nd;
                    let total = secs * *rate / SECONDS_PER_HOUR;
                    Priced {
                        expected: total,
                        worst: total * Decimal::TWO,
                        lines: vec![Line::Free {
                            rate_per_hour: Some(*rate),
                            seconds: secs,
                            total: amt(total),
                        }],
                        assumed: true,
                        unknown: false,
                    }
                }
            },
        }
    }

    /// The price of one billable unit (an image, a megapixel, a second), used when a
    /// provider reports billable units (fal `x-fal-billable-units`).
    pub fn unit_price(&self) -> Option<Decimal> {
        match self {
            Formula::FlatPerImage { price } => Some(*price),
            Formula::PerMegapixel { rate, .. } => Some(*rate),
            Formula::ComputeSeconds {
                rate_per_second, ..
            } => Some(*rate_per_second),
            Formula::Credits {
                usd_per_credit,
                credits,
            } => credits.unit_price().map(|p| p * *usd_per_credit),
            _ => None,
        }
    }

    /// Multiplies every price in the formula (negotiated discounts).
    pub fn scale(&mut self, factor: Decimal) {
        match self {
            Formula::FlatPerImage { price } => *price *= factor,
            Formula::Table { rows } => rows.iter_mut().for_each(|r| r.price *= factor),
            Formula::PerMegapixel { rate, .. } => *rate *= factor,
            Formula::BaseIncrement {
                first_mp,
                increment,
                input_increment,
                ..
            } => {
                *first_mp *= factor;
                *increment *= factor;
                *input_increment *= factor;
            }
            Formula::Tokens(t) => t
                .rates
                .all_mut()
                .into_iter()
                .flatten()
                .for_each(|r| *r *= factor),
            Formula::ComputeSeconds {
                rate_per_second, ..
            } => *rate_per_second *= factor,
            Formula::Credits { usd_per_credit, .. } => *usd_per_credit *= factor,
            Formula::StepScaled { base, .. } => base.scale(factor),
            Formula::Free {
                user_rate_per_hour, ..
            } => {
                if let Some(r) = user_rate_per_hour {
                    *r *= factor;
                }
            }
            // A cap is the user's own limit, not a price to discount.
            Formula::Unknown { .. } => {}
        }
    }

    /// Sets the per-image cap of an `unknown` formula (see [`Formula::Unknown`]).
    pub fn set_price_cap(&mut self, value: Decimal) -> Result<(), &'static str> {
        match self {
            Formula::Unknown { cap_per_image } => {
                *cap_per_image = Some(value);
                Ok(())
            }
            _ => {
                Err("this offer has a known price; a cap is only for offers whose price is unknown")
            }
        }
    }

    /// No price is known for this formula (before any cap).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Formula::Unknown { .. })
    }

    /// Replaces the formula's single per-unit price. Formulas with several prices
    /// (tables, base + increment) have none and must be scaled or replaced instead.
    pub fn set_unit_price(&mut self, value: Decimal) -> Result<(), &'static str> {
        match self {
            Formula::FlatPerImage { price } => *price = value,
            Formula::PerMegapixel { rate, .. } => *rate = value,
            Formula::Tokens(t) => t.rates.image_out = Some(value),
            Formula::ComputeSeconds {
                rate_per_second, ..
            } => *rate_per_second = value,
            Formula::Credits { usd_per_credit, .. } => *usd_per_credit = value,
            Formula::StepScaled { base, .. } => return base.set_unit_price(value),
            Formula::Free {
                user_rate_per_hour, ..
            } => *user_rate_per_hour = Some(value),
            Formula::Table { .. } | Formula::BaseIncrement { .. } => {
                return Err(
                    "this formula has several prices; use a multiplier or a replacement formula",
                );
            }
            Formula::Unknown { .. } => {
                return Err("the price of this offer is unknown; set a price cap instead");
            }
        }
        Ok(())
    }
}

pub(crate) fn step_multiplier(scaling: &StepScaling, steps: u32, default_steps: u32) -> Decimal {
    match scaling {
        StepScaling::Linear if default_steps > 0 => {
            Decimal::from(steps) / Decimal::from(default_steps)
        }
        StepScaling::Linear => Decimal::ONE,
        StepScaling::Tiers { tiers } => tiers
            .iter()
            .find(|t| steps <= t.max_steps)
            .or(tiers.last())
            .map_or(Decimal::ONE, |t| t.multiplier),
    }
}

pub(crate) fn exact(total: Decimal, line: Line) -> Priced {
    // Room for the modifier lines most estimates add, so pushes do not reallocate.
    let mut lines = Vec::with_capacity(2);
    lines.push(line);
    Priced {
        expected: total,
        worst: total,
        lines,
        assumed: false,
        unknown: false,
    }
}

impl Priced {
    pub(crate) fn add(&mut self, expected: Decimal, worst: Decimal, line: Line) {
        self.expected += expected;
        self.worst += worst;
        self.lines.push(line);
    }
}

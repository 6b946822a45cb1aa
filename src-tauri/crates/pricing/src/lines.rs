//! Explanation lines. They are kept structured while estimating (formatting
//! decimals is the slowest part of an estimate) and rendered to text only when
//! shown or serialized. Across IPC a line is always a plain string.

use crate::inputs::InputWords;
use crate::money::{Amount, MpRounding, MpUnit, per_million, thousands};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// Token classes a provider bills separately.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenClass {
    TextIn,
    ImageIn,
    CachedIn,
    ImageOut,
    TextOut,
    Thinking,
}

impl TokenClass {
    fn label(self) -> &'static str {
        match self {
            TokenClass::TextIn => "text-in",
            TokenClass::ImageIn => "image-in",
            TokenClass::CachedIn => "cached-in",
            TokenClass::ImageOut => "image-out",
            TokenClass::TextOut => "text-out",
            TokenClass::Thinking => "thinking",
        }
    }
}

/// One line of an estimate's or settlement's explanation.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    Flat {
        n: u32,
        price: Amount,
        total: Amount,
    },
    Table {
        n: u32,
        width: u32,
        height: u32,
        quality: Option<Arc<str>>,
        row: Option<(u32, u32)>,
        price: Amount,
        total: Amount,
    },
    Megapixels {
        n: u32,
        width: u32,
        height: u32,
        mp: Decimal,
        billed: Decimal,
        unit: MpUnit,
        rounding: MpRounding,
        rate: Amount,
        total: Amount,
    },
    BaseIncrement {
        width: u32,
        height: u32,
        out_mp: Decimal,
        first: Amount,
        increment: Amount,
        per_image: Amount,
        n: u32,
        total: Amount,
    },
    InputMegapixels {
        what: InputWords,
        mp: Decimal,
        increment: Amount,
        total: Amount,
    },
    /// I1: input image tokens ("3 reference images × 3,050 tokens at high fidelity").
    InputTokens {
        what: InputWords,
        /// Tokens per image when every image has the same count.
        each: Option<u64>,
        /// All images, all calls.
        tokens: u64,
        calls: u32,
        fidelity: Option<vocab::InputFidelity>,
        rate: Decimal,
        total: Amount,
        /// What the budget reserves when more than `total`.
        worst: Option<Amount>,
    },
    ImageTokens {
        n: u32,
        width: u32,
        height: u32,
        quality: Option<Arc<str>>,
        tokens: u64,
        rate: Decimal,
        total: Amount,
    },
    Tokens {
        class: TokenClass,
        tokens: u64,
        rate: Decimal,
        estimated: bool,
        total: Amount,
    },
    Compute {
        seconds: Decimal,
        hardware: Arc<str>,
        rate: Amount,
        total: Amount,
        assumed: bool,
    },
    Credits {
        credits: Decimal,
        usd_per_credit: Decimal,
        total: Amount,
    },
    Steps {
        steps: u32,
        default_steps: u32,
        multiplier: Decimal,
    },
    Free {
        rate_per_hour: Option<Decimal>,
        seconds: Decimal,
        total: Amount,
    },
    /// The inputs cost nothing on top (I3 flat per operation, local models).
    InputsIncluded {
        what: InputWords,
    },
    ReferenceImages {
        what: InputWords,
        /// Images × calls.
        count: u32,
        each: Amount,
        total: Amount,
    },
    Latency {
        tier: &'static str,
        multiplier: Decimal,
    },
    Window {
        name: String,
        multiplier: Decimal,
    },
    Calibrated {
        samples: usize,
        median: Amount,
    },
    Retries {
        retries: u32,
        worst: Amount,
    },
    Text(String),
}

fn quality_suffix(q: &Option<Arc<str>>) -> String {
    q.as_ref().map(|q| format!(" {q}")).unwrap_or_default()
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Line::Flat { n, price, total } => write!(f, "{n} × {price} per image = {total}"),
            Line::Table {
                n,
                width,
                height,
                quality,
                row,
                price,
                total,
            } => {
                write!(
                    f,
                    "{width}×{height}{} → {price} per image",
                    quality_suffix(quality)
                )?;
                if let Some((w, h)) = row {
                    write!(f, " (nearest priced size {w}×{h})")?;
                }
                write!(f, " × {n} = {total}")
            }
            Line::Megapixels {
                n,
                width,
                height,
                mp,
                billed,
                unit,
                rounding,
                rate,
                total,
            } => {
                write!(
                    f,
                    "{width}×{height} = {} MP ({unit})",
                    mp.round_dp(4).normalize()
                )?;
                match rounding {
                    MpRounding::Ceil => {
                        write!(f, " → billed {} MP (rounded up)", billed.normalize())?
                    }
                    MpRounding::TwoDecimals => write!(f, " → billed {} MP", billed.normalize())?,
                    MpRounding::None => {}
                }
                write!(f, " × {rate}/MP × {n} = {total}")
            }
            Line::BaseIncrement {
                width,
                height,
                out_mp,
                first,
                increment,
                per_image,
                n,
                total,
            } => write!(
                f,
                "{width}×{height} = {} MP: first MP {first} + {} extra MP × {increment} = {per_image} per image × {n} = {total}",
                out_mp.round_dp(4).normalize(),
                (*out_mp - Decimal::ONE)
                    .max(Decimal::ZERO)
                    .round_dp(4)
                    .normalize()
            ),
            Line::InputMegapixels {
                what,
                mp,
                increment,
                total,
            } => {
                write!(
                    f,
                    "{what} = {} MP in × {increment} = {total}",
                    mp.round_dp(4).normalize()
                )
            }
            Line::InputTokens {
                what,
                each,
                tokens,
                calls,
                fidelity,
                rate,
                total,
                worst,
            } => {
                let fid = fidelity
                    .map(|f| format!(" at {f} fidelity"))
                    .unwrap_or_default();
                match each {
                    Some(e) => write!(f, "{what} × {} tokens{fid}", thousands(*e))?,
                    None => write!(f, "{what}{fid}")?,
                }
                if *calls > 1 {
                    write!(f, " × {calls} calls")?;
                }
                write!(
                    f,
                    " = {total} ({} image-in tokens × {})",
                    thousands(*tokens),
                    per_million(*rate)
                )?;
                if let Some(w) = worst {
                    write!(f, "; up to {w} reserved")?;
                }
                Ok(())
            }
            Line::ImageTokens {
                n,
                width,
                height,
                quality,
                tokens,
                rate,
                total,
            } => write!(
                f,
                "{width}×{height}{} → {} image tokens × {} × {n} = {total}",
                quality_suffix(quality),
                thousands(*tokens),
                per_million(*rate)
            ),
            Line::Tokens {
                class,
                tokens,
                rate,
                estimated,
                total,
            } => write!(
                f,
                "{}{} {} tokens{} × {} = {total}",
                if *estimated { "≈ " } else { "" },
                thousands(*tokens),
                class.label(),
                if *estimated && *class == TokenClass::TextIn {
                    " (prompt chars ÷ 4)"
                } else {
                    ""
                },
                per_million(*rate)
            ),
            Line::Compute {
                seconds,
                hardware,
                rate,
                total,
                assumed,
            } => write!(
                f,
                "{} s{} on {hardware} × {rate}/s = {total}",
                seconds.round_dp(3).normalize(),
                if *assumed { " (assumed)" } else { "" }
            ),
            Line::Credits {
                credits,
                usd_per_credit,
                total,
            } => write!(
                f,
                "{} credits × {} per credit = {total}",
                credits.normalize(),
                Amount::usd(*usd_per_credit)
            ),
            Line::Steps {
                steps,
                default_steps,
                multiplier,
            } => write!(
                f,
                "{steps} steps (default {default_steps}) → × {}",
                multiplier.round_dp(4).normalize()
            ),
            Line::Free {
                rate_per_hour: None,
                ..
            } => write!(f, "local model: $0.00"),
            Line::Free {
                rate_per_hour: Some(r),
                seconds,
                total,
            } => write!(
                f,
                "local model: {} s × {}/h = {total}",
                seconds.round_dp(3).normalize(),
                Amount::usd(*r)
            ),
            Line::InputsIncluded { what } => write!(f, "{what}: included in the price"),
            Line::ReferenceImages {
                what,
                count,
                each,
                total,
            } => {
                write!(f, "{what}")?;
                if *count != what.count {
                    write!(f, " sent {count} times")?;
                }
                write!(f, " × {each} = {total}")
            }
            Line::Latency { tier, multiplier } => {
                write!(f, "{tier} tier × {}", multiplier.normalize())
            }
            Line::Window { name, multiplier } => {
                write!(f, "{name} window × {}", multiplier.normalize())
            }
            Line::Calibrated { samples, median } => {
                write!(
                    f,
                    "median of {samples} recent actual costs for these parameters = {median}"
                )
            }
            Line::Retries { retries, worst } => {
                write!(
                    f,
                    "worst case includes {retries} extra billed attempt(s) = {worst}"
                )
            }
            Line::Text(s) => f.write_str(s),
        }
    }
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Line::Text)
    }
}

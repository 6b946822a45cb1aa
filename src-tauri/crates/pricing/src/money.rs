//! Money and megapixel arithmetic. Every amount is a `Decimal` in USD (or in a
//! provider's credits while a `credits` formula is being evaluated); f64 is only
//! ever used for geometry, never for money.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What one "megapixel" means for a provider.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MpUnit {
    /// 1 MP = 2^20 = 1,048,576 px (fal).
    Binary,
    /// 1 MP = 10^6 px (BFL, Together).
    Decimal,
}

impl MpUnit {
    pub fn pixels(self) -> Decimal {
        match self {
            MpUnit::Binary => Decimal::from(1_048_576u32),
            MpUnit::Decimal => Decimal::from(1_000_000u32),
        }
    }
    fn label(self) -> &'static str {
        match self {
            MpUnit::Binary => "2^20 px",
            MpUnit::Decimal => "10^6 px",
        }
    }
}

impl fmt::Display for MpUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How a fractional megapixel count is turned into billed megapixels.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum MpRounding {
    /// Bill the exact fraction.
    #[default]
    None,
    /// Round up to whole megapixels (fal: 1920×1080 = 1.98 MP → 2 MP).
    Ceil,
    /// Round half away from zero to two decimals (1.045 → 1.05).
    TwoDecimals,
}

/// 2^-20 = 0.00000095367431640625, exact in 20 decimal places.
const INV_2_20: Decimal = Decimal::from_parts(
    (95_367_431_640_625u64 & 0xFFFF_FFFF) as u32,
    (95_367_431_640_625u64 >> 32) as u32,
    0,
    false,
    20,
);

/// Exact megapixels of `w × h` in `unit` (2^20 and 10^6 both divide exactly in Decimal).
pub fn megapixels(width: u32, height: u32, unit: MpUnit) -> Decimal {
    // Multiplying by the exact reciprocal avoids a (slow) Decimal division.
    let px = i64::try_from(u64::from(width) * u64::from(height)).unwrap_or(i64::MAX);
    match unit {
        MpUnit::Binary => Decimal::from(px) * INV_2_20,
        MpUnit::Decimal => Decimal::new(px, 6),
    }
}

/// Applies the provider's rounding rule to a megapixel count.
pub fn billed_megapixels(mp: Decimal, rounding: MpRounding) -> Decimal {
    match rounding {
        MpRounding::None => mp,
        MpRounding::Ceil => mp.ceil(),
        MpRounding::TwoDecimals => {
            mp.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        }
    }
}

/// `tokens / 1,000,000 × rate` without a division.
pub fn per_million_tokens(tokens: u64, rate: Decimal) -> Decimal {
    Decimal::new(i64::try_from(tokens).unwrap_or(i64::MAX), 6) * rate
}

/// Serializes money normalized ("0.05", not "0.0500000"); done here rather than
/// in the estimator because normalizing is slow and only output needs it.
pub(crate) fn ser_norm<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    Serialize::serialize(&d.normalize(), s)
}

/// Unit used when rendering an amount inside explanation lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Usd,
    Credits,
}

/// An amount plus its unit, rendered as `$0.1664` or `8 credits`. Never rounded:
/// DESIGN §8 wants $0.0042 to stay visible as $0.0042.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    pub value: Decimal,
    pub unit: Unit,
}

impl Amount {
    pub fn usd(value: Decimal) -> Self {
        Self {
            value,
            unit: Unit::Usd,
        }
    }
    pub fn new(value: Decimal, unit: Unit) -> Self {
        Self { value, unit }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            Unit::Usd => write!(f, "${}", usd_str(self.value)),
            Unit::Credits => write!(f, "{} credits", self.value.normalize()),
        }
    }
}

/// Decimal USD text with at least two decimals: 0.05 → "0.05", 0.1664 → "0.1664", 3 → "3.00".
pub fn usd_str(value: Decimal) -> String {
    let mut v = value.normalize();
    if v.scale() < 2 {
        v.rescale(2);
    }
    v.to_string()
}

/// Integer with thousands separators: 4160 → "4,160".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A per-million-token rate shown as "$40/M".
pub fn per_million(rate: Decimal) -> String {
    format!("${}/M", rate.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn fal_megapixels_are_binary_and_ceiled() {
        let mp = megapixels(1920, 1080, MpUnit::Binary);
        assert_eq!(mp, dec!(1.9775390625));
        assert_eq!(megapixels(1024, 1024, MpUnit::Binary), Decimal::ONE);
        assert_eq!(per_million_tokens(4160, dec!(40)), dec!(0.1664));
        assert_eq!(billed_megapixels(mp, MpRounding::Ceil), dec!(2));
        assert_eq!(
            billed_megapixels(megapixels(1024, 1024, MpUnit::Binary), MpRounding::Ceil),
            dec!(1)
        );
        assert_eq!(
            billed_megapixels(megapixels(1025, 1024, MpUnit::Binary), MpRounding::Ceil),
            dec!(2)
        );
    }

    #[test]
    fn bfl_megapixels_are_decimal() {
        assert_eq!(megapixels(1024, 1024, MpUnit::Decimal), dec!(1.048576));
        assert_eq!(
            billed_megapixels(dec!(1.048576), MpRounding::TwoDecimals),
            dec!(1.05)
        );
        assert_eq!(
            billed_megapixels(dec!(1.045), MpRounding::TwoDecimals),
            dec!(1.05)
        );
        assert_eq!(
            billed_megapixels(dec!(1.044), MpRounding::TwoDecimals),
            dec!(1.04)
        );
        assert_eq!(
            billed_megapixels(dec!(1.048576), MpRounding::None),
            dec!(1.048576)
        );
    }

    #[test]
    fn amounts_render_without_rounding_away() {
        assert_eq!(Amount::usd(dec!(0.0042)).to_string(), "$0.0042");
        assert_eq!(Amount::usd(dec!(0.05000)).to_string(), "$0.05");
        assert_eq!(Amount::usd(dec!(3)).to_string(), "$3.00");
        assert_eq!(
            Amount::new(dec!(8.0), Unit::Credits).to_string(),
            "8 credits"
        );
        assert_eq!(thousands(4160), "4,160");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(per_million(dec!(40.00)), "$40/M");
    }
}

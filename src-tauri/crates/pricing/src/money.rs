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

/// Exact megapixels of `w × h` in `unit` (2^20 and 10^6 both divide exactly in Decimal).
pub fn megapixels(width: u32, height: u32, unit: MpUnit) -> Decimal {
    let px = Decimal::from(u64::from(width) * u64::from(height));
    px / unit.pixels()
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

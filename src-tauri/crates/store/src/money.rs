//! Money is stored as integer nano-dollars (1e-9 USD) in SQLite.
//!
//! Why integers and not decimal TEXT: SQLite's SUM over TEXT goes through f64, so every
//! aggregate (budget check, dashboard) would need to pull rows into Rust. i64 nanos sum
//! exactly inside SQLite, index well, and cover ±9.2 billion USD. Nano resolution keeps
//! per-token prices ($0.0000025) exact; anything finer is rounded away from zero so a
//! reservation or a charge is never under-recorded.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{Result, StoreError};

const NANOS_PER_USD: i64 = 1_000_000_000;

/// Converts a non-negative USD amount to nanos.
pub(crate) fn to_nanos(amount: Decimal) -> Result<i64> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(StoreError::InvalidMoney {
            amount,
            reason: "amounts must not be negative",
        });
    }
    let scaled = amount
        .checked_mul(Decimal::from(NANOS_PER_USD))
        .ok_or(StoreError::InvalidMoney {
            amount,
            reason: "too large",
        })?
        .round_dp_with_strategy(0, RoundingStrategy::AwayFromZero);
    scaled.to_i64().ok_or(StoreError::InvalidMoney {
        amount,
        reason: "too large",
    })
}

/// Converts nanos back to USD, without trailing zeros ("0.042", not "0.042000000").
pub(crate) fn from_nanos(nanos: i64) -> Decimal {
    Decimal::new(nanos, 9).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn round_trips_cents_and_sub_cents() {
        for s in ["0", "0.04", "0.0042", "0.0000025", "123456.789"] {
            let d = Decimal::from_str(s).expect("decimal");
            assert_eq!(from_nanos(to_nanos(d).expect("nanos")), d.normalize());
        }
    }

    #[test]
    fn sub_nano_rounds_up_and_negative_is_refused() {
        let d = Decimal::from_str("0.0000000001").expect("decimal");
        assert_eq!(to_nanos(d).expect("nanos"), 1);
        assert!(to_nanos(Decimal::from_str("-0.01").expect("decimal")).is_err());
    }
}

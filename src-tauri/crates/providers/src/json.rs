//! Small, panic-free readers for untrusted JSON.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::errors::{ProviderError, describe_body};

/// Parse a body as JSON or explain what it was instead. JSON cut short (the body ended
/// mid-value) means the answer was lost in transit: the outcome is unknown, not "not billed".
pub fn parse(provider: &str, body: &[u8]) -> Result<Value, ProviderError> {
    serde_json::from_slice(body).map_err(|e| {
        let looks_json = body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| matches!(b, b'{' | b'['));
        if e.classify() == serde_json::error::Category::Eof && looks_json {
            ProviderError::malformed(
                provider,
                format!(
                    "the response JSON was cut short after {} bytes; the request may have been billed",
                    body.len()
                ),
            )
            .outcome_unknown()
        } else {
            ProviderError::malformed(
                provider,
                format!("expected JSON but got {}", describe_body(body)),
            )
        }
    })
}

/// JSON number or numeric string → Decimal (exact; no f64 round trip). Negative, non-finite
/// or out-of-range values are "not reported" (None): the caller falls back to the formula.
pub fn decimal(v: Option<&Value>) -> Option<Decimal> {
    let text = match v? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    let d = Decimal::from_str(&text)
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())?;
    (!d.is_sign_negative() && d <= max_amount()).then_some(d)
}

/// The largest amount (credits, USD, seconds, units) a provider may report: beyond
/// i64::MAX nanos it cannot be held as money, so it is treated as not reported (F9).
fn max_amount() -> Decimal {
    Decimal::from(i64::MAX) / Decimal::from(1_000_000_000u64)
}

/// Token and image counts above this are absurd (and overflow money maths): not reported.
pub const MAX_COUNT: u64 = 1_000_000_000_000;

/// A count (tokens, images): a non-negative integer up to [`MAX_COUNT`], else None.
pub fn count_of(v: Option<&Value>) -> Option<u64> {
    let n = match v? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| {
                    f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f <= MAX_COUNT as f64
                })
                .map(|f| f as u64)
        })?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (n <= MAX_COUNT).then_some(n)
}

/// A u64 such as a seed or a queue position; float or negative values are None.
pub fn u64_of(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Merge `extra`'s object keys into `target` (provider-specific fields), skipping control keys.
pub fn merge_extra(target: &mut Value, extra: &Value, skip: &[&str]) {
    if let (Some(t), Some(e)) = (target.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            if !skip.contains(&k.as_str()) {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Reads the counts of one usage object. A count that is present but invalid (negative,
/// fractional, absurd, not a number) marks the whole set as not reported, so pricing falls
/// back to the formula instead of settling on half a usage (F8, F9).
#[derive(Debug, Default)]
pub struct Counts {
    pub invalid: bool,
}

impl Counts {
    pub fn get(&mut self, v: Option<&Value>) -> Option<u64> {
        match v {
            None | Some(Value::Null) => None,
            Some(x) => {
                let c = count_of(Some(x));
                self.invalid |= c.is_none();
                c
            }
        }
    }
}

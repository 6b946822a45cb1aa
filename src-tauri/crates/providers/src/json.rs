//! Small, panic-free readers for untrusted JSON.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::errors::{ProviderError, describe_body};

/// Parse a body as JSON or explain what it was instead.
pub fn parse(provider: &str, body: &[u8]) -> Result<Value, ProviderError> {
    serde_json::from_slice(body).map_err(|_| {
        ProviderError::malformed(
            provider,
            format!("expected JSON but got {}", describe_body(body)),
        )
    })
}

/// JSON number or numeric string → Decimal (exact; no f64 round trip).
pub fn decimal(v: Option<&Value>) -> Option<Decimal> {
    let text = match v? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

pub fn u64_of(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => {
            let s = n.to_string();
            s.parse::<u64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| *f >= 0.0 && f.is_finite())
                    .map(|f| f as u64)
            })
        }
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

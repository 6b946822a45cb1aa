//! Every documented form of "wait before retrying": `retry-after-ms`, `Retry-After`
//! (delta-seconds or HTTP-date), a body `retry_after` (Replicate, BFL) and Google's
//! `google.rpc.RetryInfo.retryDelay` ("5s", "1.5s").

use reqwest::header::HeaderMap;

/// Longest wait we pass on; anything bigger is clamped (a hostile value must not park a job for years).
const MAX_MS: u64 = 24 * 3600 * 1000;

/// From headers: `retry-after-ms` first (OpenAI SDK order), then `retry-after`.
pub fn from_headers(headers: &HeaderMap) -> Option<u64> {
    if let Some(ms) = header_str(headers, "retry-after-ms").and_then(parse_decimal_seconds_ms(1)) {
        return Some(ms);
    }
    header_str(headers, "retry-after").and_then(|v| parse_retry_after(v, chrono::Utc::now()))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Parse a number of units (1 = ms, 1000 = seconds) that may be fractional.
fn parse_decimal_seconds_ms(unit_ms: u64) -> impl Fn(&str) -> Option<u64> {
    move |s: &str| {
        let v: f64 = s.trim().parse().ok()?;
        if !v.is_finite() || v < 0.0 {
            return None;
        }
        let ms = (v * unit_ms as f64).ceil();
        Some(if ms >= MAX_MS as f64 {
            MAX_MS
        } else {
            ms as u64
        })
    }
}

/// `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let v = value.trim();
    if let Some(ms) = parse_decimal_seconds_ms(1000)(v) {
        return Some(ms);
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - now;
    let ms = delta.num_milliseconds().max(0) as u64;
    Some(ms.min(MAX_MS))
}

/// A body's `retry_after` (seconds, number or numeric string).
pub fn from_body(body: &serde_json::Value) -> Option<u64> {
    let v = body.get("retry_after")?;
    match v {
        serde_json::Value::Number(n) => parse_decimal_seconds_ms(1000)(&n.to_string()),
        serde_json::Value::String(s) => parse_decimal_seconds_ms(1000)(s),
        _ => None,
    }
}

/// Google RPC error details: `{"@type": "...RetryInfo", "retryDelay": "5s"}`.
pub fn from_google_details(error: &serde_json::Value) -> Option<u64> {
    let details = error.get("details")?.as_array()?;
    details.iter().find_map(|d| {
        let ty = d.get("@type")?.as_str()?;
        if !ty.ends_with("RetryInfo") {
            return None;
        }
        match d.get("retryDelay")? {
            serde_json::Value::String(s) => parse_duration_string(s),
            // The proto JSON form can also be {"seconds": 5, "nanos": 0}.
            obj @ serde_json::Value::Object(_) => {
                let secs = obj.get("seconds").and_then(json_u64).unwrap_or(0);
                let nanos = obj.get("nanos").and_then(json_u64).unwrap_or(0);
                Some((secs.saturating_mul(1000) + nanos / 1_000_000).min(MAX_MS))
            }
            _ => None,
        }
    })
}

fn json_u64(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.to_string().parse().ok(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// "5s", "1.5s", "250ms".
pub fn parse_duration_string(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(ms) = s.strip_suffix("ms") {
        return parse_decimal_seconds_ms(1)(ms);
    }
    parse_decimal_seconds_ms(1000)(s.strip_suffix('s')?)
}

/// Headers first, then the body: the header is what the HTTP layer promises.
pub fn from_any(headers: &HeaderMap, body: Option<&serde_json::Value>) -> Option<u64> {
    from_headers(headers).or_else(|| body.and_then(from_body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_every_form() {
        let now = chrono::Utc
            .with_ymd_and_hms(2015, 10, 21, 7, 28, 0)
            .single();
        let Some(now) = now else { return };
        assert_eq!(parse_retry_after("7", now), Some(7000));
        assert_eq!(parse_retry_after("0.5", now), Some(500));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(30_000)
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(0)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_duration_string("5s"), Some(5000));
        assert_eq!(parse_duration_string("1.25s"), Some(1250));
        assert_eq!(parse_duration_string("250ms"), Some(250));
        assert_eq!(parse_retry_after("1e30", now), Some(MAX_MS));
        assert_eq!(parse_retry_after("-3", now), None);
    }
}

//! Printing: one JSON document on stdout with `--json`, otherwise readable text.
//! Money is shown exactly (never rounded away) and normalised: `$0.0042`, never
//! `$0.004200000`. Text from users and providers goes through [`clean`] before it
//! reaches a terminal; JSON keeps it exact (serde escapes control characters).

use std::borrow::Cow;
use std::io::Write;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::exit::{CliError, CliResult};

/// Writes `value` as one JSON document (plus newline) on stdout, money normalised.
pub fn json<T: Serialize>(value: &T) -> CliResult<()> {
    let mut doc = serde_json::to_value(value)
        .map_err(|e| CliError::general(format!("cannot encode the JSON output: {e}")))?;
    normalize_json(&mut doc, None);
    let text = serde_json::to_string_pretty(&doc)
        .map_err(|e| CliError::general(format!("cannot encode the JSON output: {e}")))?;
    line(&text)
}

/// Keys whose strings are amounts (`*_usd`, by the API's convention) or fractions.
fn is_amount_key(key: &str) -> bool {
    key.ends_with("_usd") || key == "warn_at"
}

/// Keys whose strings are the engine's prose (messages, notes), where amounts are
/// normalised too. Prompts and names are never touched.
fn is_prose_key(key: &str) -> bool {
    matches!(
        key,
        "error" | "message" | "messages" | "budget_warning" | "notes" | "lines" | "reason"
    )
}

/// Rewrites money inside a JSON document: `"0.002700000"` → `"0.0027"`.
fn normalize_json(v: &mut serde_json::Value, key: Option<&str>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                normalize_json(x, Some(k));
            }
        }
        Value::Array(items) => {
            for x in items {
                normalize_json(x, key);
            }
        }
        Value::String(s) => match key {
            Some(k) if is_amount_key(k) => {
                if let Ok(d) = s.parse::<Decimal>() {
                    *s = d.normalize().to_string();
                }
            }
            Some(k) if is_prose_key(k) => {
                if let Cow::Owned(n) = normalize_amounts(s) {
                    *s = n;
                }
            }
            _ => {}
        },
        _ => {}
    }
}

/// Drops trailing zeros of `$` amounts in prose: `$0.0100` → `$0.01`, `$5.000` → `$5`.
pub fn normalize_amounts(text: &str) -> Cow<'_, str> {
    if !text.contains('$') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let after = &rest[int_len..];
        let frac_len = after
            .strip_prefix('.')
            .map(|f| f.bytes().take_while(u8::is_ascii_digit).count())
            .unwrap_or(0);
        if int_len == 0 || frac_len == 0 {
            continue;
        }
        let frac = after[1..=frac_len].trim_end_matches('0');
        out.push_str(&rest[..int_len]);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        rest = &after[1 + frac_len..];
    }
    out.push_str(rest);
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// Text from users or providers made safe for a terminal: control characters (ESC,
/// BEL, CR, LF, tab, DEL, C1) and bidi overrides are shown as escapes (`\u{1b}`,
/// `\n`), so nothing can clear the screen, ring the bell, reorder a line or break a
/// table row.
pub fn clean(text: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`clean`] as an owned string, for `format!` arguments.
pub fn safe(text: &str) -> String {
    clean(text).into_owned()
}

/// One line on stdout. A closed pipe (`| head`) is not an error worth a message.
pub fn line(text: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::general(format!("cannot write to stdout: {e}"))),
    }
}

/// `$0.042`; trailing zeros dropped, all significant digits kept.
pub fn usd(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_sign_negative() {
        format!("-${}", n.abs())
    } else {
        format!("${n}")
    }
}

pub fn usd_opt(d: Option<Decimal>) -> String {
    d.map(usd).unwrap_or_else(|| "-".to_string())
}

/// A plain text table: header, a rule, rows; columns padded to the widest cell.
/// `right` marks columns to right-align (money).
/// Every cell is [`clean`]ed, so a row is always one line.
pub fn table(header: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|cell| safe(cell)).collect())
        .collect();
    let cols = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let fmt_row = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = width[i].saturating_sub(cell.chars().count());
            if i > 0 {
                s.push_str("  ");
            }
            if right.contains(&i) {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i + 1 < cols {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        s
    };
    let mut out = fmt_row(header.to_vec());
    out.push('\n');
    out.push_str(&fmt_row(
        width
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in &rows {
        out.push('\n');
        out.push_str(&fmt_row(row.iter().map(String::as_str).collect()));
    }
    out
}

/// Shortens long text (prompts) for a table cell: one line, control characters escaped.
pub fn clip(text: &str, max: usize) -> String {
    let one_line = safe(&text.split_whitespace().collect::<Vec<_>>().join(" "));
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut s: String = one_line.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_every_significant_digit() {
        assert_eq!(usd(Decimal::new(42, 4)), "$0.0042");
        assert_eq!(usd(Decimal::new(5000, 2)), "$50");
        assert_eq!(usd(Decimal::ZERO), "$0");
        assert_eq!(usd(Decimal::new(-15, 1)), "-$1.5");
    }

    #[test]
    fn table_aligns_money_right() {
        let t = table(
            &["offer", "usd"],
            &[
                vec!["a".into(), "$1".into()],
                vec!["longer".into(), "$0.042".into()],
            ],
            &[1],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "offer      usd");
        assert_eq!(lines[2], "a           $1");
        assert_eq!(lines[3], "longer  $0.042");
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(clean("plain ünïcode"), "plain ünïcode");
        assert_eq!(clean("a\u{1b}[2J\u{7}\nb\t"), "a\\u{1b}[2J\\u{7}\\nb\\t");
        assert_eq!(clean("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{9b}");
        let t = table(&["a"], &[vec!["one\ntwo".into()]], &[]);
        assert_eq!(t.lines().count(), 3, "{t}");
    }

    #[test]
    fn amounts_in_prose_lose_trailing_zeros() {
        assert_eq!(
            normalize_amounts("needs $0.002700000 of $5.000 ($12, $0.5) $. $x 3.10"),
            "needs $0.0027 of $5 ($12, $0.5) $. $x 3.10"
        );
        assert!(matches!(normalize_amounts("no money"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_money_fields_are_normalised_and_prompts_untouched() {
        let mut v = serde_json::json!({
            "cost_usd": "0.0100",
            "warn_at": ["0.50", "0.8"],
            "prompt": "$5.00 sale",
            "error": "needs $1.50000",
            "items": [{ "spend_usd": "2.000" }]
        });
        normalize_json(&mut v, None);
        assert_eq!(v["cost_usd"], "0.01");
        assert_eq!(v["warn_at"], serde_json::json!(["0.5", "0.8"]));
        assert_eq!(v["prompt"], "$5.00 sale");
        assert_eq!(v["error"], "needs $1.5");
        assert_eq!(v["items"][0]["spend_usd"], "2");
    }

    #[test]
    fn clip_shortens_on_one_line() {
        assert_eq!(clip("a\nb", 10), "a b");
        assert_eq!(clip("abcdefghij", 5), "abcd…");
    }
}

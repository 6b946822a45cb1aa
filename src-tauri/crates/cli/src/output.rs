//! Printing: one JSON document on stdout with `--json`, otherwise readable text.
//! Money is shown exactly (never rounded away): `$0.0042` stays `$0.0042`.

use std::io::Write;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::exit::{CliError, CliResult};

/// Writes `value` as one JSON document (plus newline) on stdout.
pub fn json<T: Serialize>(value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::general(format!("cannot encode the JSON output: {e}")))?;
    line(&text)
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
pub fn table(header: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let cols = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
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
    for row in rows {
        out.push('\n');
        out.push_str(&fmt_row(row.iter().map(String::as_str).collect()));
    }
    out
}

/// Shortens long text (prompts) for a table cell.
pub fn clip(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
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
    fn clip_shortens_on_one_line() {
        assert_eq!(clip("a\nb", 10), "a b");
        assert_eq!(clip("abcdefghij", 5), "abcd…");
    }
}

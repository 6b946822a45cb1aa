//! Value parsers for the command line: sizes and USD amounts, with messages that say
//! what a good value looks like.

use rust_decimal::Decimal;

/// The engine's size range, checked here too so one range is shown for `--size`.
pub const MIN_SIDE: u32 = 64;
pub const MAX_SIDE: u32 = 8192;

/// An option name where a value should be (`--budget --soft`): options that accept
/// leading hyphens (so `-1` reaches the parser and gets a real message) say so.
fn option_instead_of_value(s: &str) -> bool {
    s.starts_with("--")
        || (s.starts_with('-') && s[1..].starts_with(|c: char| c.is_ascii_alphabetic()))
}

pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    if option_instead_of_value(s) {
        return Err(format!(
            "--size needs WIDTHxHEIGHT, e.g. --size 1024x1024 (got the option '{s}')"
        ));
    }
    let bad = || format!("expected WIDTHxHEIGHT in pixels, e.g. 1024x1024 (got '{s}')");
    let (w, h) = s.trim().split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let side = |t: &str| -> Result<u32, String> {
        let t = t.trim();
        if t.starts_with('-') && t[1..].parse::<u64>().is_ok() {
            return Err(format!(
                "a size cannot be negative (got '{s}'); use WIDTHxHEIGHT with each side \
                 between {MIN_SIDE} and {MAX_SIDE} pixels, e.g. 1024x1024"
            ));
        }
        t.parse().map_err(|_| bad())
    };
    let (w, h) = (side(w)?, side(h)?);
    if !(MIN_SIDE..=MAX_SIDE).contains(&w) || !(MIN_SIDE..=MAX_SIDE).contains(&h) {
        return Err(format!(
            "each side must be between {MIN_SIDE} and {MAX_SIDE} pixels (got {w}x{h})"
        ));
    }
    Ok((w, h))
}

/// A budget in USD: `50`, `12.50`, `$12.50`; never negative.
pub fn parse_budget(s: &str) -> Result<Decimal, String> {
    if option_instead_of_value(s) {
        return Err(format!(
            "--budget needs an amount in USD, e.g. --budget 50 (got the option '{s}')"
        ));
    }
    parse_amount(s).map_err(|negative| {
        if negative {
            format!(
                "a budget cannot be negative (got '{s}'); use 0 to refuse every paid request, \
                 or no budget at all"
            )
        } else {
            format!("expected an amount in USD such as 50 or 12.50 (got '{s}')")
        }
    })
}

/// Any other amount in USD (e.g. what a provider really billed); never negative.
pub fn parse_usd(s: &str) -> Result<Decimal, String> {
    parse_amount(s).map_err(|negative| {
        if negative {
            format!("an amount cannot be negative (got '{s}')")
        } else {
            format!("expected an amount in USD such as 0.04 or 12.50 (got '{s}')")
        }
    })
}

/// `Err(true)` for a negative amount, `Err(false)` for one that is not a number.
fn parse_amount(s: &str) -> Result<Decimal, bool> {
    let t = s.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let d: Decimal = t.trim_start_matches('$').parse().map_err(|_| false)?;
    if (negative && !d.is_zero()) || d.is_sign_negative() {
        return Err(true);
    }
    Ok(d)
}

/// A fraction of a budget for warnings, e.g. 0.8 (80 %).
pub fn parse_fraction(s: &str) -> Result<Decimal, String> {
    let bad = || format!("expected a fraction of the budget between 0 and 1, e.g. 0.8 (got '{s}')");
    let d: Decimal = s.trim().parse().map_err(|_| bad())?;
    if d <= Decimal::ZERO || d > Decimal::ONE {
        return Err(bad());
    }
    Ok(d)
}

/// `--op`: one of the operations on input images.
pub fn parse_operation(s: &str) -> Result<vocab::Operation, String> {
    s.parse::<vocab::Operation>().map_err(|e| e.to_string())
}

/// `--fidelity low|high`.
pub fn parse_fidelity(s: &str) -> Result<vocab::InputFidelity, String> {
    s.parse::<vocab::InputFidelity>().map_err(|e| e.to_string())
}

/// `--expand L,T,R,B`: four pixel counts.
pub fn parse_margins(s: &str) -> Result<[u32; 4], String> {
    let bad = || format!("expected L,T,R,B in pixels, e.g. 0,256,0,256 (got '{s}')");
    let parts: Vec<u32> = s
        .split(',')
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let m: [u32; 4] = parts.try_into().map_err(|_| bad())?;
    if m.iter().any(|v| *v > 8192) {
        return Err(format!("a margin above 8192 pixels (got '{s}')"));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_say_why() {
        assert_eq!(parse_size("1536x1024"), Ok((1536, 1024)));
        assert_eq!(parse_size("512X512"), Ok((512, 512)));
        assert!(parse_size("big").expect_err("bad").contains("WIDTHxHEIGHT"));
        assert!(
            parse_size("0x10")
                .expect_err("too small")
                .contains("between 64 and 8192")
        );
        assert!(parse_size("-1x5").expect_err("neg").contains("negative"));
        assert!(parse_size("5x -1").expect_err("neg").contains("negative"));
        assert!(parse_size("--json").expect_err("opt").contains("option"));
        assert!(parse_size("-1x").expect_err("bad").contains("WIDTHxHEIGHT"));
    }

    #[test]
    fn budgets_are_exact_non_negative_decimals() {
        assert_eq!(parse_budget("$12.50"), Ok(Decimal::new(1250, 2)));
        assert_eq!(parse_budget("0"), Ok(Decimal::ZERO));
        for neg in ["-1", "-0.5", "-$3"] {
            assert!(
                parse_budget(neg)
                    .expect_err(neg)
                    .starts_with("a budget cannot be negative"),
                "{neg}"
            );
        }
        assert!(parse_budget("ten").is_err());
        assert!(
            parse_budget("--soft")
                .expect_err("opt")
                .contains("--budget needs")
        );
        assert_eq!(parse_usd("0.04"), Ok(Decimal::new(4, 2)));
        assert!(
            parse_usd("-1")
                .expect_err("neg")
                .contains("cannot be negative")
        );
    }

    #[test]
    fn warning_fractions_are_between_0_and_1() {
        assert_eq!(parse_fraction("0.8"), Ok(Decimal::new(8, 1)));
        assert!(parse_fraction("80").is_err());
        assert!(parse_fraction("0").is_err());
    }
}

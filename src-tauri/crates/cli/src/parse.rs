//! Value parsers for the command line: sizes and USD amounts, with messages that say
//! what a good value looks like.

use rust_decimal::Decimal;

pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected WIDTHxHEIGHT in pixels, e.g. 1024x1024 (got '{s}')");
    let (w, h) = s.trim().split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if !(16..=16384).contains(&w) || !(16..=16384).contains(&h) {
        return Err(format!(
            "each side must be between 16 and 16384 pixels (got {w}x{h})"
        ));
    }
    Ok((w, h))
}

pub fn parse_usd(s: &str) -> Result<Decimal, String> {
    let t = s.trim().trim_start_matches('$');
    let d: Decimal = t
        .parse()
        .map_err(|_| format!("expected an amount in USD such as 50 or 12.50 (got '{s}')"))?;
    if d.is_sign_negative() {
        return Err(format!("the amount cannot be negative (got '{s}')"));
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
                .contains("between")
        );
    }

    #[test]
    fn usd_amounts_are_exact_decimals() {
        assert_eq!(parse_usd("$12.50"), Ok(Decimal::new(1250, 2)));
        assert!(parse_usd("-1").is_err());
        assert!(parse_usd("ten").is_err());
    }

    #[test]
    fn warning_fractions_are_between_0_and_1() {
        assert_eq!(parse_fraction("0.8"), Ok(Decimal::new(8, 1)));
        assert!(parse_fraction("80").is_err());
        assert!(parse_fraction("0").is_err());
    }
}

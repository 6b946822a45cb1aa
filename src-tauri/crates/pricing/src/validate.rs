//! Semantic validation of offers: the things serde cannot check (signs, ranges,
//! table coverage, time zones). Errors name the offer, the field path and the reason.

use crate::capabilities::{Capabilities, SizeSpec};
use crate::catalog::{Modifiers, Offer};
use crate::error::CatalogError;
use crate::formula::{Formula, StepScaling};
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use vocab::Operation;

type Check = Result<(), (String, String)>;

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (expected YYYY-MM-DD)"))
}

pub(crate) fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

fn fail(field: impl Into<String>, reason: impl Into<String>) -> Check {
    Err((field.into(), reason.into()))
}

fn non_negative(field: &str, v: Decimal) -> Check {
    if v < Decimal::ZERO {
        fail(field, format!("negative price {v}"))
    } else {
        Ok(())
    }
}

fn positive(field: &str, v: Decimal) -> Check {
    if v <= Decimal::ZERO {
        fail(field, format!("must be greater than zero (got {v})"))
    } else {
        Ok(())
    }
}

pub(crate) fn validate_offer(o: &Offer) -> Result<(), CatalogError> {
    check_offer(o).map_err(|(field, reason)| CatalogError::offer(&o.id, field, reason))
}

fn check_offer(o: &Offer) -> Check {
    if !o.id.starts_with(&format!("{}:", o.provider)) {
        return fail("id", format!("must start with `{}:`", o.provider));
    }
    if o.model.trim().is_empty() {
        return fail("model", "empty");
    }
    if o.display_name.trim().is_empty() {
        return fail("display_name", "empty");
    }
    if o.source.trim().is_empty() {
        return fail("source", "missing or empty: every price needs a citation");
    }
    if let (Some(d), Some(s)) = (o.deprecated_on, o.shutdown_on)
        && s < d
    {
        return fail("shutdown_on", format!("{s} is before deprecated_on {d}"));
    }
    check_formula(&o.formula, "formula", 0)?;
    check_capabilities(&o.capabilities)?;
    check_coverage(&o.formula, &o.capabilities, "formula")?;
    check_modifiers(&o.modifiers)?;
    if let Some(t) = &o.modifiers.reference_tier {
        if t.name.trim().is_empty() {
            return fail("modifiers.reference_tier.name", "empty");
        }
        check_formula(&t.formula, "modifiers.reference_tier.formula", 0)?;
        check_coverage(
            &t.formula,
            &o.capabilities,
            "modifiers.reference_tier.formula",
        )?;
    }
    check_operations(o)
}

/// Operations, input limits and the input-token rule agree with each other.
fn check_operations(o: &Offer) -> Check {
    let c = &o.capabilities;
    for (i, s) in c.operations.iter().enumerate() {
        let f = |x: &str| format!("capabilities.operations[{i}].{x}");
        if c.operations[..i].iter().any(|x| x.op == s.op) {
            return fail(f("op"), format!("`{}` listed twice", s.op));
        }
        match (s.op, s.max_inputs) {
            (Operation::Generate, Some(m)) if m != c.max_reference_images => {
                return fail(
                    f("max_inputs"),
                    "for generate, set capabilities.max_reference_images instead",
                );
            }
            (Operation::Generate, _) => {}
            (_, Some(0)) => return fail(f("max_inputs"), "needs at least the image to work on"),
            _ => {}
        }
        if s.op != Operation::Upscale && (!s.scales.is_empty() || s.max_scale.is_some()) {
            return fail(f("scales"), "only an upscale takes a factor");
        }
        if s.scales.contains(&0) || s.max_scale == Some(0) {
            return fail(f("scales"), "a factor must be at least 1");
        }
        if s.op != Operation::Expand && s.max_margin.is_some() {
            return fail(f("max_margin"), "only an expand takes margins");
        }
    }
    let rule = match &o.formula {
        Formula::Tokens(t) => {
            if t.input_tokens.is_some() && t.input_image_tokens > 0 {
                return fail(
                    "formula.input_tokens",
                    "set input_tokens or input_image_tokens, not both",
                );
            }
            t.input_tokens.as_ref()
        }
        _ => None,
    };
    if let Some(r) = rule {
        if r.high.is_some_and(|h| h < r.low) {
            return fail("formula.input_tokens.high", "fewer tokens than low");
        }
        if r.high_worst_factor.is_some_and(|w| w < Decimal::ONE) {
            return fail(
                "formula.input_tokens.high_worst_factor",
                "must be at least 1",
            );
        }
    }
    if c.input_fidelity && rule.and_then(|r| r.high).is_none() {
        return fail(
            "capabilities.input_fidelity",
            "a model that takes input_fidelity needs formula.input_tokens with a `high` count",
        );
    }
    Ok(())
}

fn check_formula(f: &Formula, path: &str, depth: u8) -> Check {
    let p = |field: &str| format!("{path}.{field}");
    match f {
        Formula::FlatPerImage { price } => non_negative(&p("price"), *price),
        Formula::Table { rows } => {
            if rows.is_empty() {
                return fail(p("rows"), "no rows");
            }
            for (i, r) in rows.iter().enumerate() {
                non_negative(&p(&format!("rows[{i}].price")), r.price)?;
                if r.width == 0 || r.height == 0 {
                    return fail(p(&format!("rows[{i}]")), "zero width or height");
                }
            }
            Ok(())
        }
        Formula::PerMegapixel { rate, .. } => non_negative(&p("rate"), *rate),
        Formula::BaseIncrement {
            first_mp,
            increment,
            input_increment,
            ..
        } => {
            non_negative(&p("first_mp"), *first_mp)?;
            non_negative(&p("increment"), *increment)?;
            non_negative(&p("input_increment"), *input_increment)
        }
        Formula::Tokens(t) => {
            let r = &t.rates;
            for (name, v) in [
                ("text_in", r.text_in),
                ("image_in", r.image_in),
                ("cached_in", r.cached_in),
                ("image_out", r.image_out),
                ("text_out", r.text_out),
                ("thinking", r.thinking),
            ] {
                if let Some(v) = v {
                    non_negative(&p(&format!("rates.{name}")), v)?;
                }
            }
            if r.image_out.is_some() && t.image_out_tokens.is_empty() {
                return fail(
                    p("image_out_tokens"),
                    "an image-out rate needs a token table for pre-flight",
                );
            }
            if t.chars_per_token == 0 {
                return fail(p("chars_per_token"), "must be at least 1");
            }
            Ok(())
        }
        Formula::ComputeSeconds {
            hardware,
            rate_per_second,
            seconds_per_image,
            worst_case_factor,
            ..
        } => {
            if hardware.trim().is_empty() {
                return fail(p("hardware"), "empty");
            }
            non_negative(&p("rate_per_second"), *rate_per_second)?;
            positive(&p("seconds_per_image"), *seconds_per_image)?;
            if *worst_case_factor < Decimal::ONE {
                return fail(p("worst_case_factor"), "must be at least 1");
            }
            Ok(())
        }
        Formula::Credits {
            usd_per_credit,
            credits,
        } => {
            positive(&p("usd_per_credit"), *usd_per_credit)?;
            if depth > 2 || matches!(**credits, Formula::Credits { .. }) {
                return fail(p("credits"), "credits cannot wrap credits");
            }
            check_formula(credits, &p("credits"), depth + 1)
        }
        Formula::StepScaled {
            default_steps,
            scaling,
            base,
        } => {
            if *default_steps == 0 {
                return fail(p("default_steps"), "must be at least 1");
            }
            if let StepScaling::Tiers { tiers } = scaling {
                if tiers.is_empty() {
                    return fail(p("scaling.tiers"), "no tiers");
                }
                for (i, t) in tiers.iter().enumerate() {
                    non_negative(&p(&format!("scaling.tiers[{i}].multiplier")), t.multiplier)?;
                    if i > 0 && t.max_steps <= tiers[i - 1].max_steps {
                        return fail(
                            p(&format!("scaling.tiers[{i}].max_steps")),
                            "tiers must ascend",
                        );
                    }
                }
            }
            if depth > 2 {
                return fail(p("base"), "formulas nested too deeply");
            }
            check_formula(base, &p("base"), depth + 1)
        }
        Formula::Free {
            user_rate_per_hour,
            seconds_per_image,
        } => {
            if let Some(r) = user_rate_per_hour {
                non_negative(&p("user_rate_per_hour"), *r)?;
            }
            positive(&p("seconds_per_image"), *seconds_per_image)
        }
        Formula::Unknown { cap_per_image } => match cap_per_image {
            Some(c) => positive(&p("cap_per_image"), *c),
            None => Ok(()),
        },
    }
}

fn check_capabilities(c: &Capabilities) -> Check {
    if c.max_n == 0 {
        return fail("capabilities.max_n", "must be at least 1");
    }
    match &c.sizes {
        SizeSpec::Fixed { sizes } => {
            if sizes.is_empty() {
                return fail("capabilities.sizes.sizes", "no sizes");
            }
            if let Some(i) = sizes.iter().position(|s| s.width == 0 || s.height == 0) {
                return fail(
                    format!("capabilities.sizes.sizes[{i}]"),
                    "zero width or height",
                );
            }
        }
        SizeSpec::Rule {
            multiple_of,
            min_side,
            max_side,
            max_pixels,
            min_pixels,
            min_aspect,
            max_aspect,
        } => {
            if min_pixels.is_some_and(|m| m > *max_pixels) {
                return fail("capabilities.sizes.min_pixels", "greater than max_pixels");
            }
            if *multiple_of == 0 {
                return fail("capabilities.sizes.multiple_of", "must be at least 1");
            }
            if min_side > max_side || *max_side == 0 {
                return fail("capabilities.sizes.max_side", "must be ≥ min_side and > 0");
            }
            if *max_pixels == 0 {
                return fail("capabilities.sizes.max_pixels", "must be > 0");
            }
            if min_aspect.is_some_and(|a| a.is_nan() || a <= 0.0)
                || max_aspect.is_some_and(|a| a.is_nan() || a <= 0.0)
            {
                return fail("capabilities.sizes", "aspect limits must be positive");
            }
            if let (Some(lo), Some(hi)) = (min_aspect, max_aspect)
                && lo > hi
            {
                return fail("capabilities.sizes.min_aspect", "greater than max_aspect");
            }
        }
    }
    if let Some(d) = &c.default_quality
        && !c.qualities.contains(d)
    {
        return fail(
            "capabilities.default_quality",
            format!("`{d}` is not in qualities"),
        );
    }
    if let Some(s) = c.steps
        && !(s.min <= s.default && s.default <= s.max)
    {
        return fail("capabilities.steps", "need min ≤ default ≤ max");
    }
    Ok(())
}

/// Every quality the offer accepts must have a price row (or token row), and every
/// row's quality must be one the offer accepts.
fn check_coverage(f: &Formula, c: &Capabilities, path: &str) -> Check {
    let row_qualities: Vec<Option<&str>> = match f {
        Formula::Table { rows } => rows.iter().map(|r| r.quality.as_deref()).collect(),
        Formula::Tokens(t) => t
            .image_out_tokens
            .iter()
            .map(|r| r.quality.as_deref())
            .collect(),
        Formula::Credits { credits: inner, .. } => {
            return check_coverage(inner, c, &format!("{path}.credits"));
        }
        Formula::StepScaled { base, .. } => {
            return check_coverage(base, c, &format!("{path}.base"));
        }
        _ => return Ok(()),
    };
    if row_qualities.iter().all(Option::is_none) {
        return Ok(());
    }
    for q in row_qualities.iter().flatten() {
        if !c.qualities.iter().any(|x| &**x == *q) {
            return fail(
                format!("{path}.rows"),
                format!("quality `{q}` is not in capabilities.qualities"),
            );
        }
    }
    for q in &c.qualities {
        if !row_qualities.contains(&Some(&**q)) {
            return fail(
                format!("{path}.rows"),
                format!("no price row for quality `{q}`"),
            );
        }
    }
    Ok(())
}

fn check_modifiers(m: &Modifiers) -> Check {
    for (i, l) in m.latency.iter().enumerate() {
        positive(&format!("modifiers.latency[{i}].multiplier"), l.multiplier)?;
        if m.latency[..i].iter().any(|x| x.tier == l.tier) {
            return fail(format!("modifiers.latency[{i}].tier"), "duplicate tier");
        }
    }
    for (i, w) in m.time_windows.iter().enumerate() {
        let f = |x: &str| format!("modifiers.time_windows[{i}].{x}");
        if parse_time(&w.start).is_none() {
            return fail(
                f("start"),
                format!("`{}` is not a time (expected HH:MM)", w.start),
            );
        }
        if parse_time(&w.end).is_none() {
            return fail(
                f("end"),
                format!("`{}` is not a time (expected HH:MM)", w.end),
            );
        }
        if let Some(tz) = &w.time_zone
            && tz.parse::<chrono_tz::Tz>().is_err()
        {
            return fail(f("time_zone"), format!("unknown IANA time zone `{tz}`"));
        }
        positive(&f("multiplier"), w.multiplier)?;
    }
    if let Some(v) = m.reference_image_usd {
        non_negative("modifiers.reference_image_usd", v)?;
    }
    if let Some(v) = m.markup_per_image_usd {
        non_negative("modifiers.markup_per_image_usd", v)?;
    }
    Ok(())
}

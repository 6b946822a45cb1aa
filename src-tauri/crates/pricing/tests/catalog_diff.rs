//! The diff a designer reads before accepting a catalog update, and version order.

use pricing::{Catalog, compare_versions, diff_catalogs};
use rust_decimal::Decimal;
use serde_json::Value;
use std::cmp::Ordering;
use std::str::FromStr;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn bundled_doc() -> Value {
    serde_json::from_str(&Catalog::bundled().to_json()).unwrap_or_else(|e| panic!("{e}"))
}

fn offer_mut<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    doc["offers"]
        .as_array_mut()
        .and_then(|a| a.iter_mut().find(|o| o["id"] == id))
        .unwrap_or_else(|| panic!("no offer {id}"))
}

fn parse(doc: &Value) -> Catalog {
    Catalog::from_json(&doc.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn same_catalog_has_an_empty_diff() {
    let c = Catalog::bundled();
    let d = diff_catalogs(c, c);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(d.to_version, c.version);
}

#[test]
fn price_changes_show_old_new_and_percent() {
    let mut doc = bundled_doc();
    doc["version"] = "2026.12.01-1".into();
    // BFL flux-pro-1.1: 4 credits → 5 credits (at $0.01 a credit).
    let o = offer_mut(&mut doc, "bfl:flux-pro-1.1");
    assert_eq!(o["formula"]["credits"]["price"], "4");
    o["formula"]["credits"]["price"] = "5".into();
    let new = parse(&doc);
    let d = diff_catalogs(Catalog::bundled(), &new);
    assert_eq!(d.price_changes.len(), 1, "{:?}", d.price_changes);
    let p = &d.price_changes[0];
    assert_eq!(p.offer_id, "bfl:flux-pro-1.1");
    assert_eq!(p.probe, "1024x1024");
    let (old, new) = (p.old_usd.unwrap_or_default(), p.new_usd.unwrap_or_default());
    assert!(old > Decimal::ZERO);
    assert_eq!(new, (old * dec("1.25")).normalize());
    assert_eq!(p.percent, Some(dec("25.0")));
    assert!(d.added.is_empty() && d.removed.is_empty() && d.lifecycle_changes.is_empty());
}

#[test]
fn qualities_are_priced_one_row_each() {
    let mut doc = bundled_doc();
    let o = offer_mut(&mut doc, "openai:gpt-image-2");
    scale_prices(&mut o["formula"], dec("0.5"));
    let d = diff_catalogs(Catalog::bundled(), &parse(&doc));
    let probes: Vec<&str> = d.price_changes.iter().map(|p| p.probe.as_str()).collect();
    assert_eq!(
        probes,
        ["1024x1024 low", "1024x1024 medium", "1024x1024 high"]
    );
    assert!(
        d.price_changes
            .iter()
            .all(|p| p.percent == Some(dec("-50.0"))),
        "{:?}",
        d.price_changes
    );
}

#[test]
fn added_removed_and_lifecycle_changes_are_listed() {
    let mut doc = bundled_doc();
    let offers = doc["offers"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("offers"));
    offers.retain(|o| o["id"] != "stability:sd3.5-medium");
    let mut extra = offers
        .iter()
        .find(|o| o["id"] == "bfl:flux-dev")
        .cloned()
        .unwrap_or_else(|| panic!("flux-dev"));
    extra["id"] = "bfl:flux-dev-2".into();
    extra["display_name"] = "FLUX dev 2".into();
    offers.push(extra);
    let g = offer_mut(&mut doc, "openai:gpt-image-2");
    g["deprecated_on"] = "2027-01-15".into();
    g["shutdown_on"] = "2027-06-01".into();
    g["replaced_by"] = "openai:gpt-image-2.5-sunburst".into();
    let d = diff_catalogs(Catalog::bundled(), &parse(&doc));
    assert_eq!(d.added.len(), 1);
    assert_eq!(d.added[0].offer_id, "bfl:flux-dev-2");
    assert_eq!(d.removed.len(), 1);
    assert_eq!(d.removed[0].offer_id, "stability:sd3.5-medium");
    let fields: Vec<(&str, Option<&str>, Option<&str>)> = d
        .lifecycle_changes
        .iter()
        .map(|c| (c.field.as_str(), c.old.as_deref(), c.new.as_deref()))
        .collect();
    assert_eq!(
        fields,
        [
            ("deprecated_on", None, Some("2027-01-15")),
            ("shutdown_on", None, Some("2027-06-01")),
            ("replaced_by", None, Some("openai:gpt-image-2.5-sunburst")),
        ]
    );
    assert!(d.price_changes.is_empty());
}

#[test]
fn a_formula_change_away_from_the_probe_is_still_reported() {
    let mut doc = bundled_doc();
    let o = offer_mut(&mut doc, "openai:gpt-image-2");
    o["modifiers"]["reference_image_usd"] = "0.002".into();
    let d = diff_catalogs(Catalog::bundled(), &parse(&doc));
    assert!(d.price_changes.is_empty());
    assert_eq!(d.other_changes.len(), 1);
    assert_eq!(d.other_changes[0].what, ["price at other sizes or options"]);
}

#[test]
fn versions_order_by_date_then_numbers() {
    let mut doc = bundled_doc();
    let base = parse(&doc);
    doc["version"] = "2026.11.29-2".into();
    let same_day_later = parse(&doc);
    doc["version"] = "2026.11.29-10".into();
    let tenth = parse(&doc);
    doc["published"] = "2026-11-28".into();
    doc["version"] = "2026.11.28-99".into();
    let older = parse(&doc);
    assert_eq!(compare_versions(&same_day_later, &base), Ordering::Greater);
    assert_eq!(compare_versions(&tenth, &same_day_later), Ordering::Greater);
    assert_eq!(compare_versions(&older, &base), Ordering::Less);
    assert_eq!(compare_versions(&base, &base), Ordering::Equal);
}

/// Multiplies every decimal-string price in a formula (the same thing a negotiated rate
/// does, done on the JSON as a feed author would).
fn scale_prices(v: &mut Value, factor: Decimal) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let is_price = matches!(
                    k.as_str(),
                    "price"
                        | "usd_per_credit"
                        | "per_credit"
                        | "text_in"
                        | "image_in"
                        | "cached_in"
                        | "image_out"
                        | "text_out"
                ) || k.ends_with("_usd");
                if is_price
                    && let Value::String(s) = x
                    && let Ok(d) = Decimal::from_str(s)
                {
                    *s = (d * factor).normalize().to_string();
                } else {
                    scale_prices(x, factor);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| scale_prices(x, factor)),
        _ => {}
    }
}

//! Malformed catalogs and overrides are refused whole, naming offer, field and reason.

use pricing::{Catalog, CatalogError, Decimal, Formula, OverrideChange, PriceOverride};
use serde_json::{Value, json};

fn good_offer(id: &str) -> Value {
    json!({
        "id": id, "provider": "fal", "model": "fal-ai/flux/dev", "display_name": "FLUX dev",
        "tier": "draft",
        "formula": {"kind": "per_megapixel", "rate": "0.025", "unit": "binary", "rounding": "ceil"},
        "capabilities": {"sizes": {"kind": "rule", "multiple_of": 8, "min_side": 256, "max_side": 2048, "max_pixels": 4194304}, "max_n": 4},
        "source": "fal pricing docs", "verified_on": "2026-08-21"
    })
}

fn catalog_with(offers: Vec<Value>) -> String {
    json!({"version": "t1", "published": "2026-11-21", "offers": offers}).to_string()
}

fn offer_err(offer: &str, field: &str, reason: &str) -> CatalogError {
    CatalogError::Offer {
        offer: offer.into(),
        field: field.into(),
        reason: reason.into(),
    }
}

fn refused(mutate: impl FnOnce(&mut Value)) -> CatalogError {
    let mut o = good_offer("fal:x");
    mutate(&mut o);
    match Catalog::from_json(&catalog_with(vec![o])) {
        Ok(_) => panic!("bad catalog accepted"),
        Err(e) => e,
    }
}

#[test]
fn a_good_catalog_is_accepted_and_round_trips() {
    let c = Catalog::from_json(&catalog_with(vec![good_offer("fal:x")]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.offers().len(), 1);
    let again = Catalog::from_json(&c.to_json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, c);
    let bundled = Catalog::bundled();
    assert_eq!(
        &Catalog::from_json(&bundled.to_json()).unwrap_or_else(|e| panic!("{e}")),
        bundled
    );
    // Money is a decimal string in the file.
    assert!(c.to_json().contains("\"rate\": \"0.025\""));
}

#[test]
fn negative_price_is_refused() {
    let e = refused(|o| o["formula"]["rate"] = json!("-0.025"));
    assert_eq!(
        e,
        offer_err("fal:x", "formula.rate", "negative price -0.025")
    );
    assert_eq!(
        e.to_string(),
        "offer `fal:x`, field `formula.rate`: negative price -0.025"
    );
}

#[test]
fn negative_price_inside_credits_names_the_nested_path() {
    let e = refused(
        |o| o["formula"] = json!({"kind": "credits", "usd_per_credit": "0.01", "credits": {"kind": "flat_per_image", "price": "-8"}}),
    );
    assert_eq!(
        e,
        offer_err("fal:x", "formula.credits.price", "negative price -8")
    );
}

#[test]
fn unknown_formula_kind_is_refused() {
    let e = refused(|o| o["formula"] = json!({"kind": "per_sheep", "price": "1"}));
    assert_eq!(
        e,
        offer_err(
            "fal:x",
            "formula.kind",
            "unknown formula kind `per_sheep` (expected one of flat_per_image, table, per_megapixel, base_increment, tokens, compute_seconds, credits, step_scaled, free, unknown)"
        )
    );
}

#[test]
fn missing_source_is_refused() {
    let e = refused(|o| {
        o.as_object_mut().map(|m| m.remove("source"));
    });
    assert_eq!(
        e,
        offer_err(
            "fal:x",
            "source",
            "missing or empty: every price needs a citation"
        )
    );
    let e = refused(|o| o["source"] = json!("  "));
    assert_eq!(
        e,
        offer_err(
            "fal:x",
            "source",
            "missing or empty: every price needs a citation"
        )
    );
}

#[test]
fn bad_dates_are_refused() {
    let e = refused(|o| o["verified_on"] = json!("2026-13-01"));
    assert_eq!(
        e,
        offer_err(
            "fal:x",
            "verified_on",
            "`2026-13-01` is not a date (expected YYYY-MM-DD)"
        )
    );
    let bad = json!({"version": "t1", "published": "21/11/2026", "offers": [good_offer("fal:x")]})
        .to_string();
    assert_eq!(
        Catalog::from_json(&bad),
        Err(CatalogError::Catalog {
            field: "published".into(),
            reason: "`21/11/2026` is not a date (expected YYYY-MM-DD)".into()
        })
    );
}

#[test]
fn duplicate_ids_and_empty_catalogs_are_refused() {
    let e = Catalog::from_json(&catalog_with(vec![
        good_offer("fal:x"),
        good_offer("fal:x"),
    ]));
    assert_eq!(e, Err(offer_err("fal:x", "id", "duplicate id")));
    assert_eq!(
        Catalog::from_json(&catalog_with(vec![])),
        Err(CatalogError::Catalog {
            field: "offers".into(),
            reason: "no offers".into()
        })
    );
    let no_version =
        json!({"published": "2026-11-21", "offers": [good_offer("fal:x")]}).to_string();
    assert_eq!(
        Catalog::from_json(&no_version),
        Err(CatalogError::Catalog {
            field: "version".into(),
            reason: "missing or empty".into()
        })
    );
    assert!(matches!(
        Catalog::from_json("{not json"),
        Err(CatalogError::Syntax(_))
    ));
}

#[test]
fn structural_and_semantic_errors_name_the_field() {
    let e = refused(|o| {
        o.as_object_mut().map(|m| m.remove("capabilities"));
    });
    assert_eq!(
        e,
        offer_err("fal:x", "capabilities", "missing field `capabilities`")
    );
    let e = refused(|o| o["provider"] = json!("midjourney"));
    assert_eq!(
        e,
        offer_err("fal:x", "provider", "unknown provider `midjourney`")
    );
    let e = refused(|o| o["id"] = json!("openai:x"));
    assert_eq!(e, offer_err("openai:x", "id", "must start with `fal:`"));
    let e = refused(|o| o["capabilities"]["max_n"] = json!(0));
    assert_eq!(
        e,
        offer_err("fal:x", "capabilities.max_n", "must be at least 1")
    );
    let e = refused(|o| {
        o["formula"] = json!({"kind": "table", "rows": [{"quality": "low", "width": 1024, "height": 1024, "price": "0.01"}]});
        o["capabilities"]["qualities"] = json!(["low", "high"]);
    });
    assert_eq!(
        e,
        offer_err("fal:x", "formula.rows", "no price row for quality `high`")
    );
    let e = refused(
        |o| o["modifiers"] = json!({"time_windows": [{"name": "night", "start": "22:00", "end": "06:00", "time_zone": "Mars/Olympus", "multiplier": "0.5"}]}),
    );
    assert_eq!(
        e,
        offer_err(
            "fal:x",
            "modifiers.time_windows[0].time_zone",
            "unknown IANA time zone `Mars/Olympus`"
        )
    );
}

#[test]
fn overrides_apply_or_refuse_without_half_applying() {
    let base = Catalog::bundled();
    let ok = base
        .with_overrides(&[
            PriceOverride {
                offer_id: "fal:fal-ai/flux/dev".into(),
                change: OverrideChange::UnitPrice {
                    price: Decimal::new(2, 2),
                },
            },
            PriceOverride {
                offer_id: "openai:dall-e-3".into(),
                change: OverrideChange::Multiplier {
                    factor: Decimal::new(5, 1),
                },
            },
            PriceOverride {
                offer_id: "a1111:local".into(),
                change: OverrideChange::UnitPrice {
                    price: Decimal::new(36, 2),
                },
            },
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    let flux = ok.offer("fal:fal-ai/flux/dev").map(|o| o.formula.clone());
    assert!(matches!(flux, Some(Formula::PerMegapixel { rate, .. }) if rate == Decimal::new(2, 2)));
    assert!(
        matches!(ok.offer("a1111:local").map(|o| &o.formula), Some(Formula::Free { user_rate_per_hour: Some(r), .. }) if *r == Decimal::new(36, 2))
    );

    // The second override is bad: the first must not leak into anything.
    let bad = [
        PriceOverride {
            offer_id: "fal:fal-ai/flux/dev".into(),
            change: OverrideChange::UnitPrice {
                price: Decimal::new(1, 2),
            },
        },
        PriceOverride {
            offer_id: "openai:dall-e-3".into(),
            change: OverrideChange::UnitPrice {
                price: Decimal::new(1, 2),
            },
        },
    ];
    assert_eq!(
        base.with_overrides(&bad),
        Err(CatalogError::Override {
            index: 1,
            offer: "openai:dall-e-3".into(),
            field: "price".into(),
            reason: "this formula has several prices; use a multiplier or a replacement formula"
                .into()
        })
    );
    assert_eq!(base, Catalog::bundled());
    assert!(
        matches!(base.offer("fal:fal-ai/flux/dev").map(|o| &o.formula), Some(Formula::PerMegapixel { rate, .. }) if *rate == Decimal::new(25, 3))
    );

    let neg = [PriceOverride {
        offer_id: "bfl:flux-dev".into(),
        change: OverrideChange::Multiplier {
            factor: Decimal::new(-1, 0),
        },
    }];
    assert_eq!(
        base.with_overrides(&neg),
        Err(CatalogError::Override {
            index: 0,
            offer: "bfl:flux-dev".into(),
            field: "factor".into(),
            reason: "negative multiplier -1".into()
        })
    );
    let unknown = [PriceOverride {
        offer_id: "nope:x".into(),
        change: OverrideChange::Multiplier {
            factor: Decimal::ONE,
        },
    }];
    assert_eq!(
        base.with_overrides(&unknown),
        Err(CatalogError::Override {
            index: 0,
            offer: "nope:x".into(),
            field: "offer_id".into(),
            reason: "no such offer in the catalog".into()
        })
    );
    let bad_formula = [PriceOverride {
        offer_id: "bfl:flux-dev".into(),
        change: OverrideChange::Formula {
            formula: Formula::FlatPerImage {
                price: Decimal::new(-3, 2),
            },
        },
    }];
    assert_eq!(
        base.with_overrides(&bad_formula),
        Err(CatalogError::Override {
            index: 0,
            offer: "bfl:flux-dev".into(),
            field: "formula.price".into(),
            reason: "negative price -0.03".into()
        })
    );
}

#[test]
fn overrides_deserialize_from_json() {
    let o: PriceOverride = serde_json::from_str(
        r#"{"offer_id":"bfl:flux-dev","change":{"kind":"multiplier","factor":"0.8"}}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        o.change,
        OverrideChange::Multiplier {
            factor: Decimal::new(8, 1)
        }
    );
}

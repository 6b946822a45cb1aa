//! Model lifecycle (deprecated / retiring / shut down, with replacements) and where an
//! estimate's figure comes from (published / calibrated / reported / unknown).

use chrono::{NaiveDate, TimeZone, Utc};
use pricing::*;
use serde_json::{Value, json};
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
fn ctx_on(y: i32, m: u32, day: u32) -> EstimateContext<'static> {
    EstimateContext::new(
        Utc.with_ymd_and_hms(y, m, day, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    )
}
fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn offer(id: &str, formula: Value) -> Value {
    json!({
        "id": id, "provider": "openai_compatible", "model": id, "display_name": id,
        "tier": "draft", "formula": formula,
        "capabilities": {"sizes": {"kind": "fixed", "sizes": [{"width": 1024, "height": 1024}]}, "max_n": 1},
        "source": "test", "verified_on": "2026-11-29"
    })
}
fn catalog(offers: Vec<Value>) -> Result<Catalog, CatalogError> {
    Catalog::from_json(
        &json!({"version": "t", "published": "2026-11-29", "offers": offers}).to_string(),
    )
}
fn flat(price: &str) -> Value {
    json!({"kind": "flat_per_image", "price": price})
}

#[test]
fn bundled_estimates_say_retiring_and_shut_down_with_the_replacement() {
    let c = Catalog::bundled();
    let req = EstimateRequest::new("a fox", 1024, 1024);
    let today = ctx_on(2026, 11, 29);
    let e = estimate(c.offer("openai:gpt-image-1.5").expect("1.5"), &req, &today);
    assert!(e.supported);
    assert_eq!(
        e.lifecycle.as_ref().map(ToString::to_string).as_deref(),
        Some("retiring on 2026-12-01, use openai:gpt-image-2.5-sunburst")
    );
    // Two days later the same offer is shut down: refused, with the replacement named.
    let later = estimate(
        c.offer("openai:gpt-image-1.5").expect("1.5"),
        &req,
        &ctx_on(2026, 12, 1),
    );
    assert!(!later.supported);
    assert_eq!(
        later.unsupported_reason.as_deref(),
        Some("shut down on 2026-12-01, use openai:gpt-image-2.5-sunburst")
    );
    let preview = c
        .offer("google:gemini-3-pro-image-preview")
        .expect("preview");
    let p = estimate(preview, &req, &today);
    assert_eq!(
        p.unsupported_reason.as_deref(),
        Some("shut down on 2026-06-25, use google:gemini-3-pro-image")
    );
    assert_eq!(
        p.lifecycle.map(|l| l.status),
        Some(LifecycleStatus::ShutDown)
    );
    let sdxl = c
        .offer("stability:stable-diffusion-xl-1024-v1-0")
        .expect("sdxl");
    assert_eq!(
        c.lifecycle(sdxl, date("2026-11-29"))
            .map(|l| l.to_string())
            .as_deref(),
        Some("deprecated since 2026-11-29")
    );
    // Live offers say nothing.
    let live = estimate(c.offer("bfl:flux-2-pro").expect("flux"), &req, &today);
    assert_eq!(live.lifecycle, None);
}

#[test]
fn every_bundled_replacement_is_live_today() {
    let c = Catalog::bundled();
    let today = date("2026-11-29");
    for o in c.offers() {
        if let Some(r) = &o.replaced_by {
            let target = c.offer(r).unwrap_or_else(|| panic!("{r}"));
            assert!(
                !target.is_shut_down(today),
                "{} is replaced by {r}, which is shut down",
                o.id
            );
        }
    }
}

#[test]
fn replacements_resolve_to_the_first_live_offer() {
    let mut a = offer("openai_compatible:a", flat("0.01"));
    a["shutdown_on"] = json!("2026-01-01");
    a["replaced_by"] = json!("openai_compatible:b");
    let mut b = offer("openai_compatible:b", flat("0.01"));
    b["shutdown_on"] = json!("2026-06-01");
    b["replaced_by"] = json!("openai_compatible:c");
    let c = offer("openai_compatible:c", flat("0.01"));
    let cat = catalog(vec![a, b, c]).expect("valid");
    let first = cat.offer("openai_compatible:a").expect("a");
    let note = cat.lifecycle(first, date("2026-07-01")).expect("shut down");
    assert_eq!(note.replaced_by.as_deref(), Some("openai_compatible:c"));
    assert_eq!(
        note.to_string(),
        "shut down on 2026-01-01, use openai_compatible:c"
    );
    // Before b shuts down, b itself is the replacement.
    let before = cat.lifecycle(first, date("2026-03-01")).expect("shut down");
    assert_eq!(before.replaced_by.as_deref(), Some("openai_compatible:b"));
}

#[test]
fn bad_lifecycle_data_is_refused_with_the_field() {
    let mut a = offer("openai_compatible:a", flat("0.01"));
    a["replaced_by"] = json!("openai_compatible:nope");
    assert_eq!(
        catalog(vec![a]).err().map(|e| e.to_string()).as_deref(),
        Some(
            "offer `openai_compatible:a`, field `replaced_by`: `openai_compatible:nope` is not an offer of this catalog"
        )
    );
    let mut a = offer("openai_compatible:a", flat("0.01"));
    a["replaced_by"] = json!("openai_compatible:b");
    let mut b = offer("openai_compatible:b", flat("0.01"));
    b["replaced_by"] = json!("openai_compatible:a");
    assert!(
        catalog(vec![a, b])
            .err()
            .is_some_and(|e| e.to_string().contains("loop back")),
    );
    let mut a = offer("openai_compatible:a", flat("0.01"));
    a["deprecated_on"] = json!("2026-05-01");
    a["shutdown_on"] = json!("2026-04-01");
    assert_eq!(
        catalog(vec![a]).err().map(|e| e.to_string()).as_deref(),
        Some(
            "offer `openai_compatible:a`, field `shutdown_on`: 2026-04-01 is before deprecated_on 2026-05-01"
        )
    );
}

#[test]
fn an_unknown_price_is_never_a_cheap_zero() {
    let mut quoted = offer("openai_compatible:quoted", flat("0.05"));
    quoted["price_basis"] = json!("reported");
    let cat = catalog(vec![
        offer("openai_compatible:mystery", json!({"kind": "unknown"})),
        offer("openai_compatible:known", flat("0.08")),
        quoted,
    ])
    .expect("valid");
    let req = EstimateRequest::new("a fox", 1024, 1024);
    let all = estimate_all(&cat, &req, &ctx_on(2026, 11, 29));
    let ids: Vec<&str> = all.iter().map(|e| &*e.offer_id).collect();
    // Sorted after every known price although its `expected` is 0.
    assert_eq!(
        ids,
        [
            "openai_compatible:quoted",
            "openai_compatible:known",
            "openai_compatible:mystery"
        ]
    );
    assert_eq!(all[0].source, PriceSource::Reported);
    assert_eq!(all[1].source, PriceSource::Published);
    let m = &all[2];
    assert_eq!(m.source, PriceSource::Unknown);
    assert_eq!(m.confidence, Confidence::Assumed);
    assert_eq!(
        m.lines.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["price unknown: set a price cap for this offer to use it"]
    );
    assert_eq!(
        serde_json::to_value(m).ok().map(|v| v["source"].clone()),
        Some(json!({"kind": "unknown"}))
    );
}

#[test]
fn a_price_cap_is_what_an_unknown_offer_estimates_and_reserves() {
    let cat = catalog(vec![
        offer("openai_compatible:mystery", json!({"kind": "unknown"})),
        offer("openai_compatible:known", flat("0.08")),
    ])
    .expect("valid");
    let capped = cat
        .with_overrides(&[PriceOverride {
            offer_id: "openai_compatible:mystery".into(),
            change: OverrideChange::PriceCap {
                per_image: d("0.12"),
            },
        }])
        .expect("cap applies");
    let mut req = EstimateRequest::new("a fox", 1024, 1024);
    req.n = 2;
    let o = capped.offer("openai_compatible:mystery").expect("offer");
    let e = estimate(o, &req, &ctx_on(2026, 11, 29));
    assert_eq!((e.expected, e.worst_case), (d("0.24"), d("0.24")));
    assert_eq!(e.source, PriceSource::Unknown, "a cap is not a price");
    assert_eq!(
        e.lines[0].to_string(),
        "price unknown: capped at $0.12 per image × 2 = $0.24"
    );
    // A cap only makes sense where the price is unknown; a unit price cannot invent one.
    let on_known = cat.with_overrides(&[PriceOverride {
        offer_id: "openai_compatible:known".into(),
        change: OverrideChange::PriceCap {
            per_image: d("0.12"),
        },
    }]);
    assert!(
        on_known
            .err()
            .is_some_and(|e| e.to_string().contains("has a known price"))
    );
    let unit = cat.with_overrides(&[PriceOverride {
        offer_id: "openai_compatible:mystery".into(),
        change: OverrideChange::UnitPrice { price: d("0.1") },
    }]);
    assert!(
        unit.err()
            .is_some_and(|e| e.to_string().contains("price cap"))
    );
    let zero = cat.with_overrides(&[PriceOverride {
        offer_id: "openai_compatible:mystery".into(),
        change: OverrideChange::PriceCap {
            per_image: Decimal::ZERO,
        },
    }]);
    assert!(
        zero.err()
            .is_some_and(|e| e.to_string().contains("more than $0"))
    );
}

#[test]
fn every_bundled_estimate_names_its_source() {
    let c = Catalog::bundled();
    let req = EstimateRequest::new("a fox", 1024, 1024);
    for e in estimate_all(c, &req, &ctx_on(2026, 11, 29)) {
        assert_ne!(
            e.source,
            PriceSource::Unknown,
            "{} has no price in the bundled catalog",
            e.offer_id
        );
    }
}

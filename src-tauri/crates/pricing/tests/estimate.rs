//! Estimate behaviour: snapping notes, unsupported reasons, modifiers, retries,
//! calibration, ordering and the wire format.

use chrono::{TimeZone, Utc};
use pricing::*;
use serde_json::json;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
fn offer(id: &str) -> &'static Offer {
    Catalog::bundled()
        .offer(id)
        .unwrap_or_else(|| panic!("{id}"))
}
fn ctx() -> EstimateContext<'static> {
    EstimateContext::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    )
}
fn notes(e: &Estimate) -> Vec<String> {
    e.notes.iter().map(ToString::to_string).collect()
}

#[test]
fn snapped_and_ignored_parameters_are_noted_and_resolved() {
    let mut req = EstimateRequest::new("a fox", 1500, 1000);
    req.seed = Some(7);
    req.negative_prompt = Some("blurry".into());
    req.steps = Some(30);
    req.quality = Some("hd".into());
    let e = estimate(offer("openai:gpt-image-1.5"), &req, &ctx());
    assert_eq!(
        notes(&e),
        [
            "size snapped to 1536×1024",
            "quality hd mapped to high",
            "steps ignored by this model",
            "seed ignored by this model",
            "negative prompt not supported — ignored"
        ]
    );
    assert_eq!(
        (
            e.resolved.width,
            e.resolved.height,
            e.resolved.quality.as_deref()
        ),
        (1536, 1024, Some("high"))
    );
    assert_eq!(
        (
            e.resolved.seed,
            e.resolved.negative_prompt,
            e.resolved.steps
        ),
        (None, false, None)
    );
    assert!(e.supported);

    // Stability keeps seed and negative prompt, snaps to an aspect preset and names it.
    let s = estimate(offer("stability:stable-image-core"), &req, &ctx());
    assert_eq!(
        (
            s.resolved.width,
            s.resolved.height,
            s.resolved.size_label.as_deref()
        ),
        (1216, 832, Some("3:2"))
    );
    assert_eq!(
        (s.resolved.seed, s.resolved.negative_prompt),
        (Some(7), true)
    );
    assert!(notes(&s).contains(&"quality hd ignored by this model".to_owned()));
}

#[test]
fn mini_high_is_priced_as_high_not_medium() {
    // prices-2026-11.md #1: the catalog used to send high as medium ($0.011 for $0.036).
    let mut req = EstimateRequest::new("", 1024, 1024);
    req.quality = Some("high".into());
    let e = estimate(offer("openai:gpt-image-1-mini"), &req, &ctx());
    assert!(notes(&e).is_empty(), "{:?}", notes(&e));
    assert_eq!(e.resolved.quality.as_deref(), Some("high"));
    assert_eq!(e.expected, d("0.036"));
}

#[test]
fn rule_sizes_snap_to_multiples_and_limits() {
    let req = EstimateRequest::new("", 5000, 1000);
    let e = estimate(offer("openai:gpt-image-2"), &req, &ctx());
    let r = &e.resolved;
    assert_eq!((r.width % 16, r.height % 16), (0, 0));
    assert!(r.width <= 3840 && u64::from(r.width) * u64::from(r.height) <= 3840 * 2160);
    assert!(
        f64::from(r.width) / f64::from(r.height) <= 3.0 + 1e-9,
        "{r:?}"
    );
    assert_eq!(
        SizeSpec::Rule {
            multiple_of: 32,
            min_side: 256,
            max_side: 1440,
            max_pixels: 1440 * 1440,
            min_pixels: None,
            min_aspect: None,
            max_aspect: None
        }
        .snap(100, 3000)
        .0,
        256
    );
}

#[test]
fn unsupported_requests_are_explained_not_dropped() {
    let mut req = EstimateRequest::new("x".repeat(5000), 1024, 1024);
    req.reference_images = vec![ImageDims {
        width: 1024,
        height: 1024,
    }];
    let all = estimate_all(Catalog::bundled(), &req, &ctx());
    assert_eq!(all.len(), Catalog::bundled().offers().len());
    let recraft = all
        .iter()
        .find(|e| &*e.offer_id == "recraft:recraftv3")
        .unwrap_or_else(|| panic!("recraftv3 dropped"));
    assert!(!recraft.supported);
    assert_eq!(
        recraft.unsupported_reason.as_deref(),
        Some("prompt is 5000 characters; this model accepts at most 1000")
    );
    // Shut-down offers stay listed (history) but say why they cannot be used.
    let dalle = all
        .iter()
        .find(|e| &*e.offer_id == "openai:dall-e-3")
        .unwrap_or_else(|| panic!("dall-e-3 dropped"));
    assert_eq!(
        dalle.unsupported_reason.as_deref(),
        Some("shut down on 2026-05-12; the provider named no replacement")
    );
    let flux = all
        .iter()
        .find(|e| &*e.offer_id == "replicate:black-forest-labs/flux-dev")
        .unwrap_or_else(|| panic!("dropped"));
    assert_eq!(
        flux.unsupported_reason.as_deref(),
        // A refusal of the inputs names the cheapest offer of the same provider that can.
        Some(
            "reference images are not supported by this model; use FLUX.1 Kontext [pro] (Replicate)"
        )
    );
    // Sorted: supported cheapest-first, unsupported last.
    let first_unsupported = all.iter().position(|e| !e.supported).unwrap_or(all.len());
    assert!(all[first_unsupported..].iter().all(|e| !e.supported));
    assert!(
        all[..first_unsupported]
            .windows(2)
            .all(|w| w[0].expected <= w[1].expected)
    );
}

#[test]
fn n_beyond_max_n_is_split_into_calls_and_priced_per_image() {
    let mut req = EstimateRequest::new("", 1024, 1024);
    req.n = 3;
    let e = estimate(offer("stability:stable-image-ultra"), &req, &ctx());
    assert_eq!((e.resolved.calls, e.resolved.n_per_call), (3, 1));
    assert_eq!(notes(&e), ["sent as 3 calls of up to 1 image(s)"]);
    assert_eq!((e.expected, e.per_image), (d("0.24"), d("0.08")));
}

#[test]
fn latency_tiers_apply_where_offered_and_are_noted_elsewhere() {
    let mut req = EstimateRequest::new("", 1024, 1024);
    req.latency = LatencyTier::Batch;
    req.quality = Some("high".into());
    let e = estimate(offer("openai:gpt-image-1.5"), &req, &ctx());
    assert_eq!(e.expected, d("0.06656")); // 4,160 tokens × $32/M × 0.5
    assert_eq!(
        e.lines.last().map(ToString::to_string).as_deref(),
        Some("batch tier × 0.5")
    );
    let f = estimate(offer("fal:fal-ai/flux/dev"), &req, &ctx());
    assert_eq!(f.expected, d("0.025"));
    assert_eq!(f.resolved.latency, LatencyTier::Standard);
    assert!(notes(&f).contains(&"batch tier not offered — priced and sent as standard".to_owned()));
}

fn windowed_catalog() -> Catalog {
    let cat = json!({"version": "w", "published": "2026-11-21", "offers": [{
        "id": "openai_compatible:night", "provider": "openai_compatible", "model": "m", "display_name": "Night owl",
        "tier": "draft", "formula": {"kind": "flat_per_image", "price": "0.10"},
        "modifiers": {"time_windows": [
            {"name": "off-peak", "start": "22:00", "end": "06:00", "time_zone": "America/New_York", "multiplier": "0.5"},
            {"name": "surge", "start": "09:00", "end": "17:00", "multiplier": "1.5"}
        ]},
        "capabilities": {"sizes": {"kind": "fixed", "sizes": [{"width": 1024, "height": 1024}]}, "max_n": 1},
        "source": "test", "verified_on": "2026-11-21"
    }]});
    Catalog::from_json(&cat.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn time_of_day_windows_are_evaluated_in_their_zone() {
    let cat = windowed_catalog();
    let o = &cat.offers()[0];
    let req = EstimateRequest::new("", 1024, 1024);
    let at = |h| {
        Utc.with_ymd_and_hms(2026, 11, 21, h, 30, 0)
            .single()
            .unwrap_or_default()
    };
    // 04:30 UTC = 23:30 in New York (EST): off-peak.
    assert_eq!(
        estimate(o, &req, &EstimateContext::new(at(4))).expected,
        d("0.05")
    );
    // 12:30 UTC: surge window without its own zone → evaluated in the context's zone.
    let berlin: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
    let in_berlin = EstimateContext {
        time_zone: berlin,
        ..EstimateContext::new(at(12))
    };
    let e = estimate(o, &req, &in_berlin);
    assert_eq!(e.expected, d("0.15"));
    assert_eq!(
        e.lines.last().map(ToString::to_string).as_deref(),
        Some("surge window × 1.5")
    );
    // 17:30 UTC = 18:30 Berlin, 12:30 New York: no window.
    assert_eq!(
        estimate(
            o,
            &req,
            &EstimateContext {
                time_zone: berlin,
                ..EstimateContext::new(at(17))
            }
        )
        .expected,
        d("0.10")
    );
}

#[test]
fn worst_case_covers_billed_retries() {
    let req = EstimateRequest::new("", 1024, 1024);
    let c = EstimateContext {
        retry_allowance: RetryAllowance { billed_retries: 2 },
        ..ctx()
    };
    let e = estimate(offer("bfl:flux-pro-1.1"), &req, &c);
    assert_eq!((e.expected, e.worst_case), (d("0.04"), d("0.12")));
    // Time-billed: the worst single attempt is twice the assumed seconds.
    let s = estimate(offer("replicate:stability-ai/sdxl"), &req, &c);
    assert_eq!(
        (s.expected, s.worst_case, s.confidence),
        (d("0.00585"), d("0.0351"), Confidence::Assumed)
    );
}

#[test]
fn history_calibrates_time_billed_offers() {
    let o = offer("replicate:stability-ai/sdxl");
    let req = EstimateRequest::new("", 1024, 1024);
    let key = estimate(o, &req, &ctx()).resolved.calibration_key();
    let sample = |a: &str| CalibrationSample {
        offer_id: o.id.to_string(),
        key: key.clone(),
        actual: d(a),
    };
    let four = Calibration::from_samples(["0.008", "0.009", "0.010", "0.020"].map(sample));
    let c4 = EstimateContext {
        calibration: Some(&four),
        ..ctx()
    };
    assert_eq!(
        estimate(o, &req, &c4).confidence,
        Confidence::Assumed,
        "4 samples are not enough"
    );
    let five = Calibration::from_samples(["0.008", "0.009", "0.010", "0.020", "0.011"].map(sample));
    let c5 = EstimateContext {
        calibration: Some(&five),
        ..ctx()
    };
    let e = estimate(o, &req, &c5);
    assert_eq!(
        (e.expected, e.worst_case, e.confidence),
        (
            d("0.010"),
            d("0.020"),
            Confidence::Calibrated { samples: 5 }
        )
    );
    // A flat-priced offer ignores history: its price is published.
    assert_eq!(e.source, PriceSource::Calibrated { samples: 5 });
    let flat = estimate(offer("bfl:flux-pro-1.1"), &req, &c5);
    assert_eq!(flat.confidence, Confidence::Published);
    assert_eq!(flat.source, PriceSource::Published);
}

#[test]
fn reference_images_are_charged() {
    let mut req = EstimateRequest::new("", 1024, 1024);
    req.reference_images = vec![
        ImageDims {
            width: 1024,
            height: 1024
        };
        2
    ];
    let g = estimate(offer("google:gemini-3-pro-image"), &req, &ctx());
    assert_eq!(g.expected, d("0.1366")); // 0.1344 + 2 × 0.0011
    let gpt = estimate(offer("openai:gpt-image-1.5"), &req, &ctx());
    // medium 1,056 × $32/M + 2 × 135 input tokens (low fidelity, OpenAI's default) × $8/M
    assert_eq!(gpt.expected, d("0.035952"));
    assert!(
        gpt.lines
            .iter()
            .any(|l| l.to_string()
                == "2 reference images × 135 tokens at low fidelity = $0.00216 (270 image-in tokens × $8/M)"),
        "{:?}",
        gpt.lines
    );
}

#[test]
fn estimates_serialize_money_as_decimal_strings() {
    let e = estimate(
        offer("fal:fal-ai/flux/dev"),
        &EstimateRequest::new("", 1920, 1080),
        &ctx(),
    );
    let v = serde_json::to_value(&e).unwrap_or_default();
    assert_eq!(v["expected"], json!("0.05"));
    assert_eq!(v["worst_case"], json!("0.05"));
    assert_eq!(v["tier"], json!("draft"));
    assert_eq!(v["confidence"], json!({"kind": "published"}));
    assert_eq!(
        v["lines"][0],
        json!("1920×1080 = 1.9775 MP (2^20 px) → billed 2 MP (rounded up) × $0.025/MP × 1 = $0.05")
    );
    let back: Estimate = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.expected, e.expected);
}

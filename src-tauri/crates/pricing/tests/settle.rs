//! Settlement: reported money → usage × rates → formula on the returned result.

use pricing::*;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
fn offer(id: &str) -> &'static Offer {
    Catalog::bundled()
        .offer(id)
        .unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn reported_usd_wins() {
    let usage = Usage {
        images_returned: 1,
        reported_usd: Some(d("0.0387243")),
        ..Usage::default()
    };
    let s = settle(
        offer("openrouter:google/gemini-2.5-flash-image"),
        &EstimateRequest::new("p", 1024, 1024),
        &usage,
    );
    assert_eq!(
        (s.actual, s.basis),
        (d("0.0387243"), SettlementBasis::Reported)
    );
}

#[test]
fn reported_credits_convert_to_usd() {
    let usage = Usage {
        images_returned: 1,
        credits: Some(d("4.5")),
        ..Usage::default()
    };
    let s = settle(
        offer("bfl:flux-2-pro"),
        &EstimateRequest::new("p", 1920, 1088),
        &usage,
    );
    assert_eq!((s.actual, s.basis), (d("0.045"), SettlementBasis::Reported));
    assert_eq!(
        s.lines[0].to_string(),
        "4.5 credits × $0.01 per credit = $0.045"
    );
}

#[test]
fn openai_usage_tokens_times_rates() {
    let usage = Usage {
        images_returned: 1,
        tokens: TokenUsage {
            text_in: Some(50),
            image_out: Some(4160),
            ..TokenUsage::default()
        },
        ..Usage::default()
    };
    let s = settle(
        offer("openai:gpt-image-1"),
        &EstimateRequest::new("p", 1024, 1024),
        &usage,
    );
    assert_eq!(
        (s.actual, s.basis),
        (d("0.16665"), SettlementBasis::UsageTimesRate)
    );
}

#[test]
fn gemini_safety_block_bills_prompt_and_thinking_tokens() {
    let usage = Usage {
        images_returned: 0,
        tokens: TokenUsage {
            text_in: Some(1000),
            thinking: Some(200),
            ..TokenUsage::default()
        },
        ..Usage::default()
    };
    let s = settle(
        offer("google:gemini-2.5-flash-image"),
        &EstimateRequest::new("p", 1024, 1024),
        &usage,
    );
    // 1000 × $0.30/M + 200 × $2.50/M
    assert_eq!(
        (s.actual, s.basis),
        (d("0.0008"), SettlementBasis::UsageTimesRate)
    );
}

#[test]
fn stability_content_filtered_is_billed_per_requested_image() {
    let usage = Usage {
        images_returned: 0,
        billed_images: Some(1),
        ..Usage::default()
    };
    let s = settle(
        offer("stability:stable-image-ultra"),
        &EstimateRequest::new("p", 1024, 1024),
        &usage,
    );
    assert_eq!((s.actual, s.basis), (d("0.08"), SettlementBasis::Formula));
    // An Imagen output filter returns nothing and bills nothing.
    let none = settle(
        offer("google:imagen-4.0-generate-001"),
        &EstimateRequest::new("p", 1024, 1024),
        &Usage::default(),
    );
    assert_eq!(none.actual, Decimal::ZERO);
}

#[test]
fn openai_n_gt_1_with_missing_images_prices_what_came_back() {
    let mut req = EstimateRequest::new("p", 1024, 1024);
    req.n = 4;
    let s = settle(
        offer("bfl:flux-dev"),
        &req,
        &Usage {
            images_returned: 3,
            ..Usage::default()
        },
    );
    assert_eq!(s.actual, d("0.075"));
}

#[test]
fn replicate_predict_time_times_hardware_rate() {
    let usage = Usage {
        images_returned: 1,
        gpu_seconds: Some(d("7.2")),
        ..Usage::default()
    };
    let s = settle(
        offer("replicate:stability-ai/sdxl"),
        &EstimateRequest::new("p", 1024, 1024),
        &usage,
    );
    assert_eq!(
        (s.actual, s.basis),
        (d("0.00702"), SettlementBasis::UsageTimesRate)
    );
}

#[test]
fn fal_billable_units_times_unit_price_and_returned_size_otherwise() {
    let req = EstimateRequest::new("p", 1024, 1024);
    let units = Usage {
        images_returned: 1,
        billable_units: Some(d("2")),
        ..Usage::default()
    };
    let s = settle(offer("fal:fal-ai/flux/dev"), &req, &units);
    assert_eq!(
        (s.actual, s.basis),
        (d("0.05"), SettlementBasis::UsageTimesRate)
    );
    // No units header: the formula on the size actually returned.
    let returned = Usage {
        images_returned: 1,
        width: Some(1920),
        height: Some(1080),
        ..Usage::default()
    };
    let f = settle(offer("fal:fal-ai/flux/dev"), &req, &returned);
    assert_eq!((f.actual, f.basis), (d("0.05"), SettlementBasis::Formula));
}

#[test]
fn local_backends_are_free_unless_the_user_sets_a_rate() {
    let req = EstimateRequest::new("p", 1024, 1024);
    let usage = Usage {
        images_returned: 1,
        wall_seconds: Some(d("30")),
        ..Usage::default()
    };
    assert_eq!(
        settle(offer("a1111:local"), &req, &usage).actual,
        Decimal::ZERO
    );
    let priced = Catalog::bundled()
        .with_overrides(&[PriceOverride {
            offer_id: "a1111:local".into(),
            change: OverrideChange::UnitPrice { price: d("0.36") },
        }])
        .unwrap_or_else(|e| panic!("{e}"));
    let a = priced
        .offer("a1111:local")
        .unwrap_or_else(|| panic!("a1111"));
    assert_eq!(settle(a, &req, &usage).actual, d("0.003")); // 30 s × $0.36/h
}

#[test]
fn batch_tier_halves_usage_priced_settlements() {
    let mut req = EstimateRequest::new("p", 1024, 1024);
    req.latency = LatencyTier::Batch;
    let usage = Usage {
        images_returned: 1,
        tokens: TokenUsage {
            image_out: Some(1290),
            ..TokenUsage::default()
        },
        ..Usage::default()
    };
    assert_eq!(
        settle(offer("google:gemini-2.5-flash-image"), &req, &usage).actual,
        d("0.01935")
    );
}

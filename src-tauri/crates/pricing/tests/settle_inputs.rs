//! Settlement of requests with input images: reported input tokens reconcile the input
//! line; a reported provider cost (BFL `cost`, Recraft `credits`) still wins; flat and
//! per-output-megapixel operations settle on what came back.

use pricing::*;
use std::str::FromStr;
use vocab::{InputFidelity, Operation};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
fn offer(id: &str) -> &'static Offer {
    Catalog::bundled()
        .offer(id)
        .unwrap_or_else(|| panic!("{id}"))
}
fn edit(inputs: usize) -> EstimateRequest {
    let mut r = EstimateRequest::new("", 1024, 1024);
    r.operation = Operation::Edit;
    r.quality = Some("high".into());
    r.input_fidelity = Some(InputFidelity::High);
    r.reference_images = vec![
        ImageDims {
            width: 1024,
            height: 1024
        };
        inputs
    ];
    r
}
fn lines(s: &Settlement) -> Vec<String> {
    s.lines.iter().map(ToString::to_string).collect()
}

#[test]
fn reported_input_tokens_are_what_is_charged() {
    // OpenAI usage.input_tokens_details.image_tokens = 6,100 (the estimate said 3,050 × 2).
    let usage = Usage {
        images_returned: 1,
        tokens: TokenUsage {
            text_in: Some(12),
            image_in: Some(6_100),
            image_out: Some(7_024),
            ..TokenUsage::default()
        },
        ..Usage::default()
    };
    let s = settle(offer("openai:gpt-image-2"), &edit(2), &usage);
    assert_eq!(s.basis, SettlementBasis::UsageTimesRate);
    // 12 × $5/M + 6,100 × $8/M + 7,024 × $30/M
    assert_eq!(s.actual, d("0.25958"));
    assert!(
        lines(&s).contains(&"6,100 image-in tokens × $8/M = $0.0488".to_owned()),
        "{:?}",
        lines(&s)
    );
    // The estimate's input line was 2 × 3,050 tokens: the same figure here.
    let e = estimate(
        offer("openai:gpt-image-2"),
        &edit(2),
        &EstimateContext::new(chrono::DateTime::UNIX_EPOCH),
    );
    assert!(
        e.lines.iter().any(|l| l.to_string()
            == "the image to edit + 1 reference image × 3,050 tokens at high fidelity = $0.0488 (6,100 image-in tokens × $8/M); up to $0.0976 reserved"),
        "{:?}",
        e.lines
    );
}

#[test]
fn usage_without_an_input_count_prices_the_inputs_as_estimated() {
    let usage = Usage {
        images_returned: 1,
        tokens: TokenUsage {
            image_out: Some(7_024),
            ..TokenUsage::default()
        },
        ..Usage::default()
    };
    let s = settle(offer("openai:gpt-image-2"), &edit(1), &usage);
    // 7,024 × $30/M + 3,050 × $8/M (not reported: never free)
    assert_eq!(s.actual, d("0.23512"));
    let l = lines(&s);
    assert!(
        l.contains(&"image-in tokens not reported: input images priced as estimated".to_owned()),
        "{l:?}"
    );
    // A text-to-image request with no inputs adds nothing.
    let plain = settle(
        offer("openai:gpt-image-2"),
        &EstimateRequest::new("", 1024, 1024),
        &usage,
    );
    assert_eq!(plain.lines.len(), 1);
}

#[test]
fn a_reported_provider_cost_wins_over_the_input_rules() {
    // BFL FLUX.2 edit: the submit response's `cost` (credits).
    let bfl = Usage {
        images_returned: 1,
        credits: Some(d("4.6")),
        ..Usage::default()
    };
    let s = settle(offer("bfl:flux-2-pro"), &edit(1), &bfl);
    assert_eq!((s.actual, s.basis), (d("0.046"), SettlementBasis::Reported));
    // Recraft creative upscale: `credits` are API units ($0.001 each).
    let mut up = EstimateRequest::new("", 1024, 1024);
    up.operation = Operation::Upscale;
    up.reference_images = vec![ImageDims {
        width: 1024,
        height: 1024,
    }];
    let recraft = Usage {
        images_returned: 1,
        credits: Some(d("250")),
        ..Usage::default()
    };
    let s = settle(offer("recraft:creative-upscale"), &up, &recraft);
    assert_eq!((s.actual, s.basis), (d("0.25"), SettlementBasis::Reported));
}

#[test]
fn flat_and_per_output_megapixel_operations_settle_on_what_came_back() {
    let mut up = EstimateRequest::new("", 1024, 1024);
    up.operation = Operation::Upscale;
    up.scale = Some(2);
    up.reference_images = vec![ImageDims {
        width: 1024,
        height: 1024,
    }];
    // SeedVR2 returned 2048×2048: 4 MP × $0.001.
    let usage = Usage {
        images_returned: 1,
        width: Some(2048),
        height: Some(2048),
        ..Usage::default()
    };
    let s = settle(offer("fal:fal-ai/seedvr/upscale/image"), &up, &usage);
    assert_eq!((s.actual, s.basis), (d("0.004"), SettlementBasis::Formula));
    // Stability Fast Upscale: 2 credits whatever came back.
    let s = settle(offer("stability:upscale-fast"), &up, &usage);
    assert_eq!(s.actual, d("0.02"));
    // Gemini edit without usage: the output plus $0.0011 per input image.
    let mut g = edit(2);
    g.quality = None;
    g.input_fidelity = None;
    let none = Usage {
        images_returned: 1,
        ..Usage::default()
    };
    let s = settle(offer("google:gemini-3-pro-image"), &g, &none);
    assert_eq!(s.actual, d("0.1366"));
    assert!(
        lines(&s).contains(&"the image to edit + 1 reference image × $0.0011 = $0.0022".to_owned()),
        "{:?}",
        lines(&s)
    );
}

//! One test per formula kind (providers.md §13 F1–F9), through the public API.

use pricing::*;
use serde_json::json;
use std::str::FromStr;
use std::sync::Arc;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
fn f(v: serde_json::Value) -> Formula {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}
fn input(w: u32, h: u32, images: u32) -> PriceInput<'static> {
    PriceInput {
        width: w,
        height: h,
        quality: None,
        images,
        calls: 1,
        steps: None,
        prompt_chars: 0,
        reference_images: &[],
        operation: vocab::Operation::Generate,
        input_fidelity: None,
    }
}

#[test]
fn f1_flat_per_image() {
    let p = f(json!({"kind": "flat_per_image", "price": "0.04"})).price(&input(1024, 1024, 3));
    assert_eq!((p.expected, p.worst), (d("0.12"), d("0.12")));
    assert_eq!(p.lines[0].to_string(), "3 × $0.04 per image = $0.12");
}

#[test]
fn f2_table_uses_exact_row_else_nearest_by_pixels() {
    let t = f(json!({"kind": "table", "rows": [
        {"quality": "std", "width": 1024, "height": 1024, "price": "0.04"},
        {"quality": "std", "width": 1792, "height": 1024, "price": "0.08"},
        {"quality": "hd", "width": 1024, "height": 1024, "price": "0.08"}
    ]}));
    let std: Arc<str> = Arc::from("std");
    let q = |w, h| {
        t.price(&PriceInput {
            quality: Some(&std),
            ..input(w, h, 1)
        })
        .expected
    };
    assert_eq!(q(1792, 1024), d("0.08"));
    assert_eq!(q(1100, 1000), d("0.04")); // 1.1 Mpx: nearest is 1024²
    assert_eq!(q(1600, 1024), d("0.08")); // 1.64 Mpx: nearest is 1792×1024
    let line = t
        .price(&PriceInput {
            quality: Some(&std),
            ..input(1100, 1000, 1)
        })
        .lines[0]
        .to_string();
    assert_eq!(
        line,
        "1100×1000 std → $0.04 per image (nearest priced size 1024×1024) × 1 = $0.04"
    );
    // Resolution classes: 2752×1536 (4.2 Mpx) is the 2K row.
    let rows = [
        PriceRow {
            quality: None,
            width: 1024,
            height: 1024,
            label: Some("1K".into()),
            price: d("0.08"),
        },
        PriceRow {
            quality: None,
            width: 2048,
            height: 2048,
            label: Some("2K".into()),
            price: d("0.12"),
        },
    ];
    assert_eq!(
        table_row(&rows, None, 2752, 1536).map(|r| r.price),
        Some(d("0.12"))
    );
}

#[test]
fn f3_per_megapixel_units_and_rounding() {
    let mp = |unit: &str, rounding: &str, w, h| {
        f(json!({"kind": "per_megapixel", "rate": "0.04", "unit": unit, "rounding": rounding}))
            .price(&input(w, h, 1))
            .expected
    };
    assert_eq!(mp("binary", "ceil", 1920, 1080), d("0.08")); // 1.98 → 2 MP
    assert_eq!(mp("binary", "none", 1024, 1024), d("0.04"));
    assert_eq!(mp("decimal", "none", 1024, 1024), d("0.04194304")); // 1.048576 MP
    assert_eq!(mp("decimal", "two_decimals", 1024, 1024), d("0.042")); // 1.05 MP
    assert_eq!(mp("decimal", "ceil", 1000, 1000), d("0.04"));
}

#[test]
fn f4_base_increment_with_input_megapixels() {
    let fl = f(
        json!({"kind": "base_increment", "first_mp": "3", "increment": "1.5", "input_increment": "1.5", "unit": "decimal"}),
    );
    assert_eq!(fl.price(&input(1000, 1000, 1)).expected, d("3"));
    assert_eq!(fl.price(&input(2000, 1000, 1)).expected, d("4.5"));
    assert_eq!(fl.price(&input(500, 500, 1)).expected, d("3")); // below 1 MP: no negative increment
    let refs = [ImageDims {
        width: 2000,
        height: 1000,
    }];
    assert_eq!(
        fl.price(&PriceInput {
            reference_images: &refs,
            operation: vocab::Operation::Generate,
            input_fidelity: None,
            ..input(2000, 1000, 1)
        })
        .expected,
        d("7.5")
    );
}

#[test]
fn f5_tokens_by_class_with_preflight_table() {
    let t = f(json!({"kind": "tokens",
        "rates": {"text_in": "5", "image_in": "10", "image_out": "40", "text_out": "10", "thinking": "20"},
        "image_out_tokens": [{"quality": "high", "width": 1024, "height": 1024, "tokens": 4160}],
        "input_image_tokens": 765, "expected_text_out_tokens": 100, "expected_thinking_tokens": 50}));
    let high: Arc<str> = Arc::from("high");
    let refs = [ImageDims {
        width: 1024,
        height: 1024,
    }];
    let p = t.price(&PriceInput {
        quality: Some(&high),
        prompt_chars: 401,
        reference_images: &refs,
        operation: vocab::Operation::Generate,
        input_fidelity: None,
        ..input(1024, 1024, 2)
    });
    // prompt ceil(401/4)=101 × $5/M + 765 × $10/M + 2 × 4160 × $40/M + 100 × $10/M + 50 × $20/M
    assert_eq!(
        p.expected,
        d("0.000505") + d("0.00765") + d("0.3328") + d("0.001") + d("0.001")
    );
    let text: Vec<String> = p.lines.iter().map(ToString::to_string).collect();
    assert_eq!(
        text[0],
        "≈ 101 text-in tokens (prompt chars ÷ 4) × $5/M = $0.000505"
    );
    assert_eq!(
        text[2],
        "1024×1024 high → 4,160 image tokens × $40/M × 2 = $0.3328"
    );
    assert_eq!(
        image_tokens(
            &[TokenRow {
                quality: None,
                width: 1024,
                height: 1024,
                tokens: 1290
            }],
            None,
            1344,
            768
        ),
        Some(1290)
    );
}

#[test]
fn f6_compute_seconds_scale_with_steps_and_double_for_worst_case() {
    let c = f(
        json!({"kind": "compute_seconds", "hardware": "A40", "rate_per_second": "0.000575", "seconds_per_image": "4", "reference_steps": 25}),
    );
    let p = c.price(&PriceInput {
        steps: Some(50),
        ..input(1024, 1024, 2)
    });
    assert_eq!(
        (p.expected, p.worst, p.assumed),
        (d("0.0092"), d("0.0184"), true)
    ); // 16 s
    assert_eq!(
        p.lines[0].to_string(),
        "16 s (assumed) on A40 × $0.000575/s = $0.0092"
    );
}

#[test]
fn f7_credits_wrap_another_formula() {
    let c = f(
        json!({"kind": "credits", "usd_per_credit": "0.01", "credits": {"kind": "flat_per_image", "price": "6.5"}}),
    );
    let p = c.price(&input(1024, 1024, 2));
    assert_eq!(p.expected, d("0.13"));
    assert_eq!(
        p.lines[0].to_string(),
        "2 × 6.5 credits per image = 13 credits"
    );
    assert_eq!(
        p.lines[1].to_string(),
        "13 credits × $0.01 per credit = $0.13"
    );
}

#[test]
fn f8_step_scaled_linear_and_tiers() {
    let lin = f(
        json!({"kind": "step_scaled", "default_steps": 30, "scaling": {"mode": "linear"}, "base": {"kind": "flat_per_image", "price": "0.009"}}),
    );
    assert_eq!(
        lin.price(&PriceInput {
            steps: Some(45),
            ..input(1024, 1024, 1)
        })
        .expected,
        d("0.0135")
    );
    assert_eq!(lin.price(&input(1024, 1024, 1)).expected, d("0.009")); // default steps
    let tiers = f(
        json!({"kind": "step_scaled", "default_steps": 50, "scaling": {"mode": "tiers", "tiers": [
        {"max_steps": 50, "multiplier": "1"}, {"max_steps": 150, "multiplier": "2"}]}, "base": {"kind": "flat_per_image", "price": "0.04"}}),
    );
    let at = |s| {
        tiers
            .price(&PriceInput {
                steps: Some(s),
                ..input(1024, 1024, 1)
            })
            .expected
    };
    assert_eq!((at(50), at(51), at(500)), (d("0.04"), d("0.08"), d("0.08")));
}

#[test]
fn f9_free_or_user_rate() {
    assert_eq!(
        f(json!({"kind": "free"}))
            .price(&input(1024, 1024, 4))
            .expected,
        Decimal::ZERO
    );
    let p = f(json!({"kind": "free", "user_rate_per_hour": "0.36", "seconds_per_image": "20"}))
        .price(&input(1024, 1024, 2));
    assert_eq!((p.expected, p.assumed), (d("0.004"), true)); // 40 s × $0.36/h
}

#[test]
fn overrides_scale_every_price_of_a_formula() {
    let mut t = f(
        json!({"kind": "base_increment", "first_mp": "3", "increment": "1.5", "input_increment": "1.5", "unit": "decimal"}),
    );
    t.scale(d("0.5"));
    assert_eq!(t.price(&input(2000, 1000, 1)).expected, d("2.25"));
}

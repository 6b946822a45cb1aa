//! Every bundled offer, over a grid of sizes / qualities / n, priced against the
//! provider's published price for that request. `tol` is 0 except where the
//! published figure is itself a rounding of tokens × rate (OpenAI and Google quote
//! per-image prices to 3 decimals: 4,160 × $40/M = $0.1664 is published as $0.167).

use pricing::{Catalog, Decimal, EstimateContext, EstimateRequest, estimate};
use std::collections::HashSet;
use std::str::FromStr;

struct Row {
    offer: &'static str,
    w: u32,
    h: u32,
    quality: Option<&'static str>,
    n: u32,
    steps: Option<u32>,
    usd: &'static str,
    tol: &'static str,
    source: &'static str,
}

#[allow(clippy::too_many_arguments)] // one table row, one positional call
const fn r(
    offer: &'static str,
    w: u32,
    h: u32,
    quality: Option<&'static str>,
    n: u32,
    usd: &'static str,
    tol: &'static str,
    source: &'static str,
) -> Row {
    Row {
        offer,
        w,
        h,
        quality,
        n,
        steps: None,
        usd,
        tol,
        source,
    }
}

const OAI: &str = "providers.md §1 (LiteLLM 1.109.1, developers.openai.com/api/docs/pricing)";
const OAI_D: &str = "providers.md §1 (LiteLLM 1.75.0 per-pixel rows)";
const G2: &str = "providers.md §1 (community.openai.com Images 2.0 thread; fal resale table)";
const ST: &str = "providers.md §2 (LiteLLM stability/*, 1 credit = $0.01)";
const ST1: &str = "providers.md §2 ('from 0.9 credits', unverified linear steps)";
const IM: &str = "providers.md §3a (LiteLLM imagen rows)";
const GE: &str = "providers.md §3b (LiteLLM gemini/*image*, ai.google.dev pricing)";
const RP: &str = "providers.md §4 (replicate.com model pages)";
const RPH: &str = "providers.md §4 (replicate.com/pricing L40S $0.000975/s × 6 s assumed)";
const FAL: &str = "providers.md §5 (LiteLLM fal_ai/*, fal pricing docs)";
const BFL: &str = "providers.md §6 (bfl.ai/pricing, 1 credit = $0.01)";
const BF2: &str = "providers.md §6 (FLUX.2 first MP + (MP−1)·inc, 10^6 px)";
const TG: &str = "providers.md §7 (Together per MP, unverified)";
const OR: &str = "providers.md §8 (OpenRouter pass-through of Gemini rates)";
const LOC: &str = "providers.md §9–10 (local: $0)";

#[rustfmt::skip]
const ROWS: &[Row] = &[
    r("openai:gpt-image-1", 1024, 1024, Some("low"), 1, "0.011", "0.001", OAI),
    r("openai:gpt-image-1", 1536, 1024, Some("low"), 1, "0.016", "0.001", OAI),
    r("openai:gpt-image-1", 1024, 1024, Some("medium"), 1, "0.042", "0.001", OAI),
    r("openai:gpt-image-1", 1024, 1536, Some("medium"), 1, "0.063", "0.001", OAI),
    r("openai:gpt-image-1", 1024, 1024, Some("high"), 1, "0.167", "0.001", OAI),
    r("openai:gpt-image-1", 1536, 1024, Some("high"), 1, "0.25", "0.001", OAI),
    r("openai:gpt-image-1", 1024, 1024, Some("medium"), 2, "0.084", "0.001", OAI),
    r("openai:gpt-image-1-mini", 1024, 1024, Some("low"), 1, "0.005", "0", OAI),
    r("openai:gpt-image-1-mini", 1536, 1024, Some("low"), 1, "0.006", "0", OAI),
    r("openai:gpt-image-1-mini", 1024, 1024, Some("medium"), 1, "0.011", "0", OAI),
    r("openai:gpt-image-1-mini", 1024, 1536, Some("medium"), 1, "0.015", "0", OAI),
    r("openai:gpt-image-1.5", 1024, 1024, Some("low"), 1, "0.009", "0.001", OAI),
    r("openai:gpt-image-1.5", 1536, 1024, Some("low"), 1, "0.013", "0.001", OAI),
    r("openai:gpt-image-1.5", 1024, 1024, Some("medium"), 1, "0.034", "0.001", OAI),
    r("openai:gpt-image-1.5", 1536, 1024, Some("medium"), 1, "0.05", "0.001", OAI),
    r("openai:gpt-image-1.5", 1024, 1024, Some("high"), 1, "0.133", "0.001", OAI),
    r("openai:gpt-image-1.5", 1024, 1536, Some("high"), 1, "0.20", "0.001", OAI),
    r("openai:gpt-image-2", 1024, 1024, Some("high"), 1, "0.21", "0.001", G2),
    r("openai:gpt-image-2", 1024, 1024, Some("medium"), 1, "0.053", "0.001", G2),
    r("openai:gpt-image-2", 1024, 1024, Some("low"), 1, "0.006", "0.001", G2),
    r("openai:gpt-image-2", 3840, 2160, Some("high"), 1, "0.401", "0.001", G2),
    r("openai:dall-e-3", 1024, 1024, Some("standard"), 1, "0.04", "0", OAI_D),
    r("openai:dall-e-3", 1792, 1024, Some("standard"), 1, "0.08", "0", OAI_D),
    r("openai:dall-e-3", 1024, 1024, Some("hd"), 1, "0.08", "0", OAI_D),
    r("openai:dall-e-3", 1792, 1024, Some("hd"), 1, "0.12", "0", OAI_D),
    r("openai:dall-e-3", 1024, 1792, Some("hd"), 1, "0.12", "0", OAI_D),
    r("openai:dall-e-2", 256, 256, None, 1, "0.016", "0", OAI_D),
    r("openai:dall-e-2", 512, 512, None, 1, "0.018", "0", OAI_D),
    r("openai:dall-e-2", 1024, 1024, None, 3, "0.06", "0", OAI_D),
    r("stability:stable-image-ultra", 1024, 1024, None, 1, "0.08", "0", ST),
    r("stability:stable-image-ultra", 1344, 768, None, 2, "0.16", "0", ST),
    r("stability:stable-image-core", 1024, 1024, None, 1, "0.03", "0", ST),
    r("stability:sd3.5-large", 1216, 832, None, 1, "0.065", "0", ST),
    r("stability:sd3.5-large-turbo", 1024, 1024, None, 1, "0.04", "0", ST),
    r("stability:sd3.5-medium", 1024, 1024, None, 1, "0.035", "0", ST),
    Row { steps: Some(30), ..r("stability:stable-diffusion-xl-1024-v1-0", 1024, 1024, None, 1, "0.009", "0", ST1) },
    Row { steps: Some(50), ..r("stability:stable-diffusion-xl-1024-v1-0", 1024, 1024, None, 1, "0.015", "0", ST1) },
    r("google:imagen-4.0-fast-generate-001", 1024, 1024, None, 1, "0.02", "0", IM),
    r("google:imagen-4.0-fast-generate-001", 1408, 768, None, 4, "0.08", "0", IM),
    r("google:imagen-4.0-generate-001", 1024, 1024, None, 1, "0.04", "0", IM),
    r("google:imagen-4.0-ultra-generate-001", 2048, 2048, None, 1, "0.06", "0", IM),
    r("google:imagen-3.0-generate-002", 1024, 1024, None, 1, "0.04", "0", IM),
    r("google:gemini-2.5-flash-image", 1024, 1024, None, 1, "0.039", "0.001", GE),
    r("google:gemini-2.5-flash-image", 1344, 768, None, 2, "0.078", "0.001", GE),
    r("google:gemini-3-pro-image-preview", 1024, 1024, None, 1, "0.134", "0.001", GE),
    r("google:gemini-3-pro-image-preview", 2048, 2048, None, 1, "0.134", "0.001", GE),
    r("google:gemini-3-pro-image-preview", 4096, 4096, None, 1, "0.24", "0", GE),
    r("google:gemini-3.1-flash-image-preview", 512, 512, None, 1, "0.045", "0", GE),
    r("google:gemini-3.1-flash-image-preview", 1024, 1024, None, 1, "0.067", "0.001", GE),
    r("google:gemini-3.1-flash-image-preview", 2048, 2048, None, 1, "0.101", "0.001", GE),
    r("google:gemini-3.1-flash-image-preview", 4096, 4096, None, 1, "0.151", "0.001", GE),
    r("replicate:black-forest-labs/flux-schnell", 1024, 1024, None, 4, "0.012", "0", RP),
    r("replicate:black-forest-labs/flux-dev", 1024, 1024, None, 1, "0.025", "0", RP),
    r("replicate:black-forest-labs/flux-pro", 1024, 1024, None, 1, "0.055", "0", RP),
    r("replicate:black-forest-labs/flux-1.1-pro", 1440, 1440, None, 1, "0.04", "0", RP),
    r("replicate:black-forest-labs/flux-1.1-pro-ultra", 2048, 2048, None, 1, "0.06", "0", RP),
    r("replicate:stability-ai/sdxl", 1024, 1024, None, 1, "0.00585", "0", RPH),
    r("fal:fal-ai/flux/dev", 1024, 1024, None, 1, "0.025", "0", FAL),
    r("fal:fal-ai/flux/dev", 1920, 1080, None, 1, "0.05", "0", FAL),
    r("fal:fal-ai/flux/dev", 512, 512, None, 2, "0.05", "0", FAL),
    r("fal:fal-ai/flux/schnell", 1920, 1080, None, 1, "0.006", "0", FAL),
    r("fal:fal-ai/flux-pro/v1.1", 1024, 1024, None, 1, "0.04", "0", FAL),
    r("fal:fal-ai/flux-pro/v1.1-ultra", 2048, 2048, None, 1, "0.06", "0", FAL),
    r("fal:fal-ai/nano-banana-2", 512, 512, None, 1, "0.06", "0", FAL),
    r("fal:fal-ai/nano-banana-2", 1024, 1024, None, 1, "0.08", "0", FAL),
    r("fal:fal-ai/nano-banana-2", 2752, 1536, None, 1, "0.12", "0", FAL),
    r("fal:fal-ai/nano-banana-2", 4096, 4096, None, 1, "0.16", "0", FAL),
    r("fal:fal-ai/nano-banana", 1024, 1024, None, 1, "0.039", "0", FAL),
    r("fal:fal-ai/imagen4/preview/fast", 1024, 1024, None, 1, "0.02", "0", FAL),
    r("fal:fal-ai/gpt-image-2", 1024, 1024, Some("high"), 1, "0.211", "0", FAL),
    r("fal:fal-ai/gpt-image-2", 1024, 1024, Some("low"), 1, "0.006", "0", FAL),
    r("fal:fal-ai/gpt-image-2", 3840, 2160, Some("high"), 1, "0.401", "0", FAL),
    r("bfl:flux-pro-1.1", 1024, 1024, None, 1, "0.04", "0", BFL),
    r("bfl:flux-pro-1.1-ultra", 2048, 2048, None, 1, "0.06", "0", BFL),
    r("bfl:flux-pro", 1024, 1024, None, 1, "0.05", "0", BFL),
    r("bfl:flux-dev", 1024, 1024, None, 1, "0.025", "0", BFL),
    // 1024×1024 = 1.048576 MP (BFL counts 10^6 px): first MP + 0.048576 MP × increment.
    r("bfl:flux-2-pro", 1024, 1024, None, 1, "0.03072864", "0", BF2),
    r("bfl:flux-2-pro", 2000, 2000, None, 1, "0.075", "0", BF2),
    r("bfl:flux-2-max", 1024, 1024, None, 1, "0.07145728", "0", BF2),
    r("bfl:flux-2-flex", 1024, 1024, None, 1, "0.0524288", "0", BF2),
    r("bfl:flux-2-klein-4b", 1024, 1024, None, 1, "0.014048576", "0", BF2),
    r("bfl:flux-2-klein-9b", 1024, 1024, None, 1, "0.015097152", "0", BF2),
    r("together:black-forest-labs/FLUX.1-schnell", 1024, 1024, None, 1, "0.0027", "0", TG),
    r("together:black-forest-labs/FLUX.1-dev", 1024, 1024, None, 1, "0.025", "0", TG),
    r("together:black-forest-labs/FLUX.1.1-pro", 1024, 1024, None, 1, "0.04", "0", TG),
    r("together:black-forest-labs/FLUX.1-pro", 1024, 1024, None, 1, "0.05", "0", TG),
    r("openrouter:google/gemini-2.5-flash-image", 1024, 1024, None, 1, "0.039", "0.001", OR),
    r("openrouter:google/gemini-3-pro-image-preview", 1024, 1024, None, 1, "0.134", "0.001", OR),
    r("a1111:local", 1024, 1024, None, 4, "0", "0", LOC),
    r("comfyui:local", 768, 512, None, 1, "0", "0", LOC),
];

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("bad decimal {s}: {e}"))
}

#[test]
fn every_offer_matches_its_published_price() {
    let catalog = Catalog::bundled();
    let ctx = EstimateContext::new(chrono::DateTime::UNIX_EPOCH);
    let mut failures = Vec::new();
    for row in ROWS {
        let Some(offer) = catalog.offer(row.offer) else {
            failures.push(format!("{}: not in catalog", row.offer));
            continue;
        };
        let mut req = EstimateRequest::new("", row.w, row.h);
        req.quality = row.quality.map(str::to_owned);
        req.n = row.n;
        req.steps = row.steps;
        let e = estimate(offer, &req, &ctx);
        let (want, tol) = (d(row.usd), d(row.tol));
        if !e.supported || (e.expected - want).abs() > tol {
            failures.push(format!(
                "{} {}x{} {:?} n={}: got {} want {} ±{} [{}] ({}) lines: {:?}",
                row.offer,
                row.w,
                row.h,
                row.quality,
                row.n,
                e.expected,
                want,
                tol,
                row.source,
                e.supported,
                e.lines.iter().map(ToString::to_string).collect::<Vec<_>>()
            ));
        }
        // Priced at the size the engine will send, not a silently different one.
        assert_eq!(
            (e.resolved.width, e.resolved.height),
            (row.w, row.h),
            "{} {}x{} snapped",
            row.offer,
            row.w,
            row.h
        );
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_bundled_offer_has_a_published_price_row() {
    let covered: HashSet<&str> = ROWS.iter().map(|r| r.offer).collect();
    let missing: Vec<&str> = Catalog::bundled()
        .offers()
        .iter()
        .map(|o| &*o.id)
        .filter(|id| !covered.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "offers without a price check: {missing:?}"
    );
    assert!(Catalog::bundled().offers().len() >= 40);
}

#[test]
fn worked_examples_from_the_issue() {
    let c = Catalog::bundled();
    let ctx = EstimateContext::new(chrono::DateTime::UNIX_EPOCH);
    let price = |id: &str, w, h, q: Option<&str>| {
        let mut req = EstimateRequest::new("", w, h);
        req.quality = q.map(str::to_owned);
        estimate(c.offer(id).unwrap_or_else(|| panic!("{id}")), &req, &ctx)
    };
    let high = price("openai:gpt-image-1", 1024, 1024, Some("high"));
    assert_eq!(high.expected, d("0.1664"));
    assert_eq!(
        high.lines[0].to_string(),
        "1024×1024 high → 4,160 image tokens × $40/M × 1 = $0.1664"
    );
    assert_eq!(
        price("openai:gpt-image-1", 1536, 1024, Some("high")).expected,
        d("0.2496")
    );
    assert_eq!(
        price("openai:dall-e-3", 1792, 1024, Some("hd")).expected,
        d("0.12")
    );
    let fal = price("fal:fal-ai/flux/dev", 1920, 1080, None);
    assert_eq!(fal.expected, d("0.05"));
    assert_eq!(
        fal.lines[0].to_string(),
        "1920×1080 = 1.9775 MP (2^20 px) → billed 2 MP (rounded up) × $0.025/MP × 1 = $0.05"
    );
    assert_eq!(
        price("google:imagen-4.0-fast-generate-001", 1024, 1024, None).expected,
        d("0.02")
    );
    let ultra = price("stability:stable-image-ultra", 1024, 1024, None);
    assert_eq!(ultra.expected, d("0.08"));
    assert_eq!(
        ultra.lines.last().map(ToString::to_string).as_deref(),
        Some("8 credits × $0.01 per credit = $0.08")
    );
}

#[test]
fn flux2_pro_at_two_megapixels_is_first_plus_one_increment() {
    // BFL sizes are multiples of 16, so exactly 2,000,000 px is only reachable through
    // the formula itself: 3¢ + (2 − 1) × 1.5¢ = 4.5¢ (providers.md §6).
    let offer = Catalog::bundled()
        .offer("bfl:flux-2-pro")
        .unwrap_or_else(|| panic!("flux-2-pro"));
    let input = pricing::PriceInput {
        width: 2000,
        height: 1000,
        quality: None,
        images: 1,
        calls: 1,
        steps: None,
        prompt_chars: 0,
        reference_images: &[],
    };
    assert_eq!(offer.formula.price(&input).expected, d("0.045"));
    // With one 1 MP reference image: + 1 × 1.5¢.
    let refs = [pricing::ImageDims {
        width: 1000,
        height: 1000,
    }];
    let with_ref = pricing::PriceInput {
        reference_images: &refs,
        ..input
    };
    assert_eq!(offer.formula.price(&with_ref).expected, d("0.06"));
}

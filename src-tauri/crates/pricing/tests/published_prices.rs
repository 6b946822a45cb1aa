//! Every bundled offer, over a grid of sizes / qualities / n, priced against the
//! provider's published price for that request (prices-2026-11.md, checked 2026-11-29).
//! Shut-down offers are priced on a day before their shutdown (their historical price)
//! and must be refused today. `tol` is 0 except where the
//! published figure is itself a rounding of tokens × rate (OpenAI and Google quote
//! per-image prices to 3 decimals: 4,160 × $40/M = $0.1664 is published as $0.167).

use chrono::{DateTime, TimeZone, Utc};
use pricing::{Catalog, Decimal, EstimateContext, EstimateRequest, PriceSource, estimate};
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
    /// The size the engine will send when it differs from the request (snapping).
    sent: Option<(u32, u32)>,
    /// Priced on a day before the model was shut down (its historical price).
    historical: bool,
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
        sent: None,
        historical: false,
    }
}

/// A row for a shut-down offer, priced before its shutdown.
#[allow(clippy::too_many_arguments)]
const fn hist(
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
        historical: true,
        ..r(offer, w, h, quality, n, usd, tol, source)
    }
}

/// A row whose request is snapped to `sent` before pricing.
const fn snap(row: Row, sent: (u32, u32)) -> Row {
    Row {
        sent: Some(sent),
        ..row
    }
}

// Sources: prices-2026-11.md (checked 2026-11-29), row number in the catalog table.
const OAI: &str = "#0–2 OpenAI model pages / LiteLLM 1.110.2 (developers.openai.com pricing)";
const OAI_D: &str = "#4–5 LiteLLM 1.75.0 per-pixel rows (historical)";
const G2: &str = "#3 §4.2 table (OpenAI guide examples, OpenAI calculator, fal pass-through)";
const G25: &str = "§7 GPT Image 2.5/2.6 per-image figures (fal pass-through via LiteLLM)";
const ST: &str = "#6–10 Stability credits (1 credit = $0.01)";
const ST1: &str = "#11 'from 0.9 credits' (unverified, linear steps)";
const IM: &str = "#12–15 Gemini API Imagen prices (historical)";
const GE: &str = "#16–18 ai.google.dev pricing (harvest 2026-09-20)";
const GN: &str = "§7 LiteLLM 1.110.2 gemini/* (source ai.google.dev pricing)";
const RP: &str = "#19–23 replicate.com pricing harvest / model pages";
const RP7: &str = "§7 Replicate snapshots (2026-02-07) / providers.md §4";
const RPH: &str = "#24 replicate.com/pricing L40S $0.000975/s × 6 s assumed";
const FAL: &str = "#25–32 fal llms.txt / pricing harvest / LiteLLM 1.110.2";
const FAL7: &str = "§7 fal pricing harvest 2026-09-20 / LiteLLM";
const BFL: &str = "#33–36 BFL skills SKILL.md / LiteLLM (1 credit = $0.01)";
const BF2: &str = "#37–41 FLUX.2 first MP + (MP−1)·inc, 10^6 px";
const BFK: &str = "§7 BFL Kontext pro $0.04 / max $0.08";
const TG: &str = "#42–45 Together per MP (unverified)";
const OR: &str = "#46–47 OpenRouter pass-through of Gemini rates (unverified image rate)";
const IDG: &str = "§7 ideogram.ai/features/api-pricing: 3.0 $0.03/$0.06/$0.09";
const RC: &str = "§7 recraft.ai pricing: V3 raster $0.04 (40 units × $0.001)";
const LOC: &str = "#48–49 local: $0";

#[rustfmt::skip]
const ROWS: &[Row] = &[
    hist("openai:gpt-image-1", 1024, 1024, Some("low"), 1, "0.011", "0.001", OAI),
    hist("openai:gpt-image-1", 1536, 1024, Some("low"), 1, "0.016", "0.001", OAI),
    hist("openai:gpt-image-1", 1024, 1024, Some("medium"), 1, "0.042", "0.001", OAI),
    hist("openai:gpt-image-1", 1024, 1536, Some("medium"), 1, "0.063", "0.001", OAI),
    hist("openai:gpt-image-1", 1024, 1024, Some("high"), 1, "0.167", "0.001", OAI),
    hist("openai:gpt-image-1", 1536, 1024, Some("high"), 1, "0.25", "0.001", OAI),
    hist("openai:gpt-image-1", 1024, 1024, Some("medium"), 2, "0.084", "0.001", OAI),
    r("openai:gpt-image-1-mini", 1024, 1024, Some("low"), 1, "0.005", "0", OAI),
    r("openai:gpt-image-1-mini", 1536, 1024, Some("low"), 1, "0.006", "0", OAI),
    r("openai:gpt-image-1-mini", 1024, 1024, Some("medium"), 1, "0.011", "0", OAI),
    r("openai:gpt-image-1-mini", 1024, 1536, Some("medium"), 1, "0.015", "0", OAI),
    r("openai:gpt-image-1-mini", 1024, 1024, Some("high"), 1, "0.036", "0", OAI),
    r("openai:gpt-image-1-mini", 1536, 1024, Some("high"), 1, "0.052", "0", OAI),
    r("openai:gpt-image-1-mini", 1024, 1536, Some("high"), 2, "0.104", "0", OAI),
    r("openai:gpt-image-1.5", 1024, 1024, Some("low"), 1, "0.009", "0.001", OAI),
    r("openai:gpt-image-1.5", 1536, 1024, Some("low"), 1, "0.013", "0.001", OAI),
    r("openai:gpt-image-1.5", 1024, 1024, Some("medium"), 1, "0.034", "0.001", OAI),
    r("openai:gpt-image-1.5", 1536, 1024, Some("medium"), 1, "0.05", "0.001", OAI),
    r("openai:gpt-image-1.5", 1024, 1024, Some("high"), 1, "0.133", "0.001", OAI),
    r("openai:gpt-image-1.5", 1024, 1536, Some("high"), 1, "0.20", "0.001", OAI),
    r("openai:gpt-image-1.5", 1024, 1024, Some("low"), 3, "0.027", "0.002", OAI),
    // 1920×1080 is sent as 1920×1088 (both sides multiples of 16), priced at the 16:9 row.
    r("openai:gpt-image-2", 1024, 768, Some("low"), 1, "0.005", "0.0005", G2),
    r("openai:gpt-image-2", 1024, 768, Some("medium"), 1, "0.037", "0.0005", G2),
    r("openai:gpt-image-2", 1024, 768, Some("high"), 1, "0.145", "0.0005", G2),
    r("openai:gpt-image-2", 1024, 1024, Some("low"), 1, "0.006", "0.0005", G2),
    r("openai:gpt-image-2", 1024, 1024, Some("medium"), 1, "0.053", "0.0005", G2),
    r("openai:gpt-image-2", 1024, 1024, Some("high"), 1, "0.211", "0.0005", G2),
    r("openai:gpt-image-2", 1024, 1536, Some("low"), 1, "0.005", "0.0005", G2),
    r("openai:gpt-image-2", 1024, 1536, Some("medium"), 1, "0.042", "0.0005", G2),
    r("openai:gpt-image-2", 1024, 1536, Some("high"), 1, "0.165", "0.0005", G2),
    r("openai:gpt-image-2", 1536, 1024, Some("high"), 1, "0.165", "0.0005", G2),
    snap(r("openai:gpt-image-2", 1920, 1080, Some("low"), 1, "0.005", "0.0005", G2), (1920, 1088)),
    snap(r("openai:gpt-image-2", 1920, 1080, Some("medium"), 1, "0.040", "0.0005", G2), (1920, 1088)),
    snap(r("openai:gpt-image-2", 1920, 1080, Some("high"), 1, "0.158", "0.0005", G2), (1920, 1088)),
    r("openai:gpt-image-2", 2560, 1440, Some("low"), 1, "0.007", "0.0005", G2),
    r("openai:gpt-image-2", 2560, 1440, Some("medium"), 1, "0.056", "0.0005", G2),
    r("openai:gpt-image-2", 2560, 1440, Some("high"), 1, "0.222", "0.0005", G2),
    r("openai:gpt-image-2", 3840, 2160, Some("low"), 1, "0.012", "0.0005", G2),
    r("openai:gpt-image-2", 3840, 2160, Some("medium"), 1, "0.101", "0.0005", G2),
    r("openai:gpt-image-2", 3840, 2160, Some("high"), 1, "0.401", "0.0005", G2),
    r("openai:gpt-image-2", 3840, 2160, Some("high"), 2, "0.802", "0.001", G2),
    // Off-table 16:9 size: nearest aspect (1920×1080), not the 1024² square row.
    r("openai:gpt-image-2", 1280, 720, Some("high"), 1, "0.158", "0.0005", G2),
    // Under OpenAI's 655,360-pixel minimum: snapped up, priced at the square row.
    snap(r("openai:gpt-image-2", 512, 512, Some("high"), 1, "0.211", "0.0005", G2), (816, 816)),
    r("openai:gpt-image-2.5-sunburst", 1024, 1024, Some("low"), 1, "0.00588", "0", G25),
    r("openai:gpt-image-2.5-sunburst", 1024, 1024, Some("medium"), 1, "0.01317", "0", G25),
    r("openai:gpt-image-2.5-sunburst", 1024, 1024, Some("high"), 1, "0.05268", "0", G25),
    r("openai:gpt-image-2.5-sunburst", 1024, 1024, Some("xhigh"), 1, "0.09366", "0", G25),
    r("openai:gpt-image-2.5-sunburst", 1024, 1024, Some("max"), 1, "0.21072", "0", G25),
    r("openai:gpt-image-2.5-sunburst", 1024, 1536, Some("low"), 1, "0.00474", "0", G25),
    r("openai:gpt-image-2.5-sunburst", 1024, 1536, Some("max"), 2, "0.32928", "0", G25),
    r("openai:gpt-image-2.6-sunburst", 1024, 1024, Some("high"), 1, "0.05268", "0", G25),
    r("openai:gpt-image-2.6-sunburst", 1536, 1024, Some("max"), 1, "0.16464", "0", G25),
    r("openai:gpt-image-2.5-flare", 1024, 1024, Some("medium"), 1, "0.01317", "0", G25),
    hist("openai:dall-e-3", 1024, 1024, Some("standard"), 1, "0.04", "0", OAI_D),
    hist("openai:dall-e-3", 1792, 1024, Some("standard"), 1, "0.08", "0", OAI_D),
    hist("openai:dall-e-3", 1024, 1024, Some("hd"), 1, "0.08", "0", OAI_D),
    hist("openai:dall-e-3", 1792, 1024, Some("hd"), 1, "0.12", "0", OAI_D),
    hist("openai:dall-e-3", 1024, 1792, Some("hd"), 1, "0.12", "0", OAI_D),
    hist("openai:dall-e-2", 256, 256, None, 1, "0.016", "0", OAI_D),
    hist("openai:dall-e-2", 512, 512, None, 1, "0.018", "0", OAI_D),
    hist("openai:dall-e-2", 1024, 1024, None, 3, "0.06", "0", OAI_D),
    r("stability:stable-image-ultra", 1024, 1024, None, 1, "0.08", "0", ST),
    r("stability:stable-image-ultra", 1344, 768, None, 2, "0.16", "0", ST),
    snap(r("stability:stable-image-ultra", 1920, 1080, None, 1, "0.08", "0", ST), (1344, 768)),
    r("stability:stable-image-core", 1024, 1024, None, 1, "0.03", "0", ST),
    r("stability:sd3.5-large", 1216, 832, None, 1, "0.065", "0", ST),
    r("stability:sd3.5-large-turbo", 1024, 1024, None, 1, "0.04", "0", ST),
    r("stability:sd3.5-medium", 1024, 1024, None, 1, "0.035", "0", ST),
    Row { steps: Some(30), ..r("stability:stable-diffusion-xl-1024-v1-0", 1024, 1024, None, 1, "0.009", "0", ST1) },
    Row { steps: Some(50), ..r("stability:stable-diffusion-xl-1024-v1-0", 1024, 1024, None, 1, "0.015", "0", ST1) },
    hist("google:imagen-4.0-fast-generate-001", 1024, 1024, None, 1, "0.02", "0", IM),
    hist("google:imagen-4.0-fast-generate-001", 1408, 768, None, 4, "0.08", "0", IM),
    hist("google:imagen-4.0-generate-001", 1024, 1024, None, 1, "0.04", "0", IM),
    hist("google:imagen-4.0-ultra-generate-001", 2048, 2048, None, 1, "0.06", "0", IM),
    hist("google:imagen-3.0-generate-002", 1024, 1024, None, 1, "0.03", "0", IM),
    r("google:gemini-2.5-flash-image", 1024, 1024, None, 1, "0.039", "0.001", GE),
    r("google:gemini-2.5-flash-image", 1344, 768, None, 2, "0.078", "0.001", GE),
    hist("google:gemini-3-pro-image-preview", 1024, 1024, None, 1, "0.134", "0.001", GE),
    hist("google:gemini-3-pro-image-preview", 4096, 4096, None, 1, "0.24", "0", GE),
    hist("google:gemini-3.1-flash-image-preview", 512, 512, None, 1, "0.045", "0", GE),
    hist("google:gemini-3.1-flash-image-preview", 1024, 1024, None, 1, "0.067", "0.001", GE),
    hist("google:gemini-3.1-flash-image-preview", 2048, 2048, None, 1, "0.101", "0.001", GE),
    hist("google:gemini-3.1-flash-image-preview", 4096, 4096, None, 1, "0.151", "0.001", GE),
    r("google:gemini-3-pro-image", 1024, 1024, None, 1, "0.134", "0.001", GE),
    r("google:gemini-3-pro-image", 2048, 2048, None, 1, "0.134", "0.001", GE),
    r("google:gemini-3-pro-image", 2752, 1536, None, 1, "0.134", "0.001", GE),
    r("google:gemini-3-pro-image", 4096, 4096, None, 1, "0.24", "0", GE),
    r("google:gemini-3-pro-image", 5504, 3072, None, 2, "0.48", "0", GE),
    r("google:gemini-nano-banana-2.1", 1024, 1024, None, 1, "0.0336", "0", GN),
    r("google:gemini-nano-banana-2.1", 1376, 768, None, 2, "0.0672", "0", GN),
    snap(r("google:gemini-nano-banana-2.1", 2048, 2048, None, 1, "0.0336", "0", GN), (1024, 1024)),
    r("google:gemini-3.1-flash-lite-image", 1024, 1024, None, 1, "0.0336", "0", GN),
    r("replicate:black-forest-labs/flux-schnell", 1024, 1024, None, 4, "0.012", "0", RP),
    r("replicate:black-forest-labs/flux-dev", 1024, 1024, None, 1, "0.025", "0", RP),
    r("replicate:black-forest-labs/flux-pro", 1024, 1024, None, 1, "0.055", "0", RP),
    r("replicate:black-forest-labs/flux-1.1-pro", 1440, 1440, None, 1, "0.04", "0", RP),
    r("replicate:black-forest-labs/flux-1.1-pro-ultra", 2048, 2048, None, 1, "0.06", "0", RP),
    r("replicate:black-forest-labs/flux-kontext-pro", 1024, 1024, None, 1, "0.04", "0", RP7),
    r("replicate:black-forest-labs/flux-kontext-max", 1344, 768, None, 2, "0.16", "0", RP7),
    r("replicate:qwen/qwen-image", 1024, 1024, None, 1, "0.025", "0", RP7),
    r("replicate:bytedance/seedream-4.5", 1024, 1024, None, 1, "0.04", "0", RP7),
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
    r("fal:fal-ai/nano-banana", 1024, 1024, None, 1, "0.0398", "0", FAL),
    hist("fal:fal-ai/imagen4/preview/fast", 1024, 1024, None, 1, "0.02", "0", FAL),
    r("fal:fal-ai/gpt-image-2", 1024, 768, Some("high"), 1, "0.145", "0", FAL),
    r("fal:fal-ai/gpt-image-2", 1024, 1024, Some("high"), 1, "0.211", "0", FAL),
    r("fal:fal-ai/gpt-image-2", 1024, 1536, Some("high"), 1, "0.165", "0", FAL),
    snap(r("fal:fal-ai/gpt-image-2", 1920, 1080, Some("high"), 1, "0.158", "0", FAL), (1920, 1088)),
    r("fal:fal-ai/gpt-image-2", 2560, 1440, Some("high"), 1, "0.222", "0", FAL),
    r("fal:fal-ai/gpt-image-2", 3840, 2160, Some("high"), 1, "0.401", "0", FAL),
    // fal bills high when no quality is sent (its client sends none): low is priced as high.
    r("fal:fal-ai/gpt-image-2", 1024, 1024, Some("low"), 1, "0.211", "0", FAL),
    r("fal:fal-ai/gpt-image-2", 1024, 1024, None, 2, "0.422", "0", FAL),
    r("fal:fal-ai/flux-pro/kontext/text-to-image", 1024, 1024, None, 1, "0.04", "0", FAL7),
    r("fal:fal-ai/ideogram/v3", 1024, 1024, None, 1, "0.06", "0", FAL7),
    r("fal:fal-ai/recraft/v3/text-to-image", 1024, 1024, None, 1, "0.0398", "0", FAL7),
    r("fal:fal-ai/bytedance/seedream/v4/text-to-image", 1024, 1024, None, 4, "0.12", "0", FAL7),
    r("fal:fal-ai/qwen-image", 1024, 1024, None, 1, "0.02", "0", FAL7),
    r("fal:fal-ai/qwen-image", 1920, 1080, None, 1, "0.04", "0", FAL7),
    r("fal:fal-ai/nano-banana-pro", 1024, 1024, None, 1, "0.15", "0", FAL7),
    r("fal:fal-ai/nano-banana-pro", 1376, 768, None, 2, "0.30", "0", FAL7),
    r("fal:google/nano-banana-2.1", 1024, 1024, None, 1, "0.03952928", "0", FAL7),
    r("bfl:flux-pro-1.1", 1024, 1024, None, 1, "0.04", "0", BFL),
    r("bfl:flux-pro-1.1-ultra", 2048, 2048, None, 1, "0.06", "0", BFL),
    r("bfl:flux-pro", 1024, 1024, None, 1, "0.05", "0", BFL),
    r("bfl:flux-dev", 1024, 1024, None, 1, "0.025", "0", BFL),
    r("bfl:flux-kontext-pro", 1024, 1024, None, 1, "0.04", "0", BFK),
    r("bfl:flux-kontext-max", 1216, 832, None, 3, "0.24", "0", BFK),
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
    r("ideogram:ideogram-v3", 1024, 1024, Some("turbo"), 1, "0.03", "0", IDG),
    r("ideogram:ideogram-v3", 1024, 1024, Some("default"), 1, "0.06", "0", IDG),
    r("ideogram:ideogram-v3", 1024, 1024, Some("quality"), 1, "0.09", "0", IDG),
    r("ideogram:ideogram-v3", 1024, 1024, Some("high"), 1, "0.09", "0", IDG),
    r("ideogram:ideogram-v3", 1312, 736, Some("low"), 3, "0.09", "0", IDG),
    snap(r("ideogram:ideogram-v3", 1920, 1080, None, 1, "0.06", "0", IDG), (1312, 736)),
    r("recraft:recraftv3", 1024, 1024, None, 1, "0.04", "0", RC),
    r("recraft:recraftv3", 1820, 1024, None, 2, "0.08", "0", RC),
    snap(r("recraft:recraftv3", 1920, 1080, None, 1, "0.04", "0", RC), (1820, 1024)),
    r("a1111:local", 1024, 1024, None, 4, "0", "0", LOC),
    r("comfyui:local", 768, 512, None, 1, "0", "0", LOC),
];

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("bad decimal {s}: {e}"))
}

/// The day the catalog was checked; the table is priced as of then.
fn checked_on() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Before any shutdown in the catalog: historical prices of retired models.
fn before_shutdowns() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

#[test]
fn every_offer_matches_its_published_price() {
    let catalog = Catalog::bundled();
    let today = EstimateContext::new(checked_on());
    let past = EstimateContext::new(before_shutdowns());
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
        let e = estimate(offer, &req, if row.historical { &past } else { &today });
        let (want, tol) = (d(row.usd), d(row.tol));
        if !e.supported || (e.expected - want).abs() > tol {
            failures.push(format!(
                "{} {}x{} {:?} n={}: got {} want {} ±{} [{}] ({:?}) lines: {:?}",
                row.offer,
                row.w,
                row.h,
                row.quality,
                row.n,
                e.expected,
                want,
                tol,
                row.source,
                e.unsupported_reason,
                e.lines.iter().map(ToString::to_string).collect::<Vec<_>>()
            ));
        }
        if e.source == PriceSource::Unknown {
            failures.push(format!("{}: price source is unknown", row.offer));
        }
        // Priced at the size the engine will send, not a silently different one.
        let sent = row.sent.unwrap_or((row.w, row.h));
        if (e.resolved.width, e.resolved.height) != sent {
            failures.push(format!(
                "{} {}x{}: sent as {}x{}, expected {}x{}",
                row.offer, row.w, row.h, e.resolved.width, e.resolved.height, sent.0, sent.1
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn shut_down_offers_are_priced_historically_and_refused_today() {
    let catalog = Catalog::bundled();
    let today = checked_on().date_naive();
    let ctx = EstimateContext::new(checked_on());
    for row in ROWS {
        let offer = catalog
            .offer(row.offer)
            .unwrap_or_else(|| panic!("{}", row.offer));
        assert_eq!(
            row.historical,
            offer.is_shut_down(today),
            "{}: historical rows are exactly the shut-down offers",
            row.offer
        );
        if row.historical {
            let e = estimate(offer, &EstimateRequest::new("", row.w, row.h), &ctx);
            assert!(!e.supported, "{} is shut down", row.offer);
            assert!(
                e.unsupported_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("shut down on ")),
                "{:?}",
                e.unsupported_reason
            );
        }
    }
}

#[test]
fn every_bundled_offer_has_a_published_price_row() {
    let covered: HashSet<&str> = ROWS.iter().map(|r| r.offer).collect();
    // Offers that only edit or upscale are checked by the image-input table (input_prices.rs).
    let inputs_table = include_str!("../../../../docs/prices-image-inputs.md");
    let missing: Vec<&str> = Catalog::bundled()
        .offers()
        .iter()
        .map(|o| &*o.id)
        .filter(|id| !covered.contains(id) && !inputs_table.contains(&format!("| `{id}` |")))
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
        operation: vocab::Operation::Generate,
        input_fidelity: None,
    };
    assert_eq!(offer.formula.price(&input).expected, d("0.045"));
    // With one 1 MP reference image: + 1 × 1.5¢.
    let refs = [pricing::ImageDims {
        width: 1000,
        height: 1000,
    }];
    let with_ref = pricing::PriceInput {
        reference_images: &refs,
        operation: vocab::Operation::Generate,
        input_fidelity: None,
        ..input
    };
    assert_eq!(offer.formula.price(&with_ref).expected, d("0.06"));
}

//! Operations on input images: what each offer can do, how the request is resolved
//! (upscale and expand sizes, factors, fidelity) and why an offer refuses.

use chrono::{TimeZone, Utc};
use pricing::*;
use std::str::FromStr;
use vocab::{InputFidelity, Operation};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
fn ctx() -> EstimateContext<'static> {
    EstimateContext::new(
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    )
}
fn img(w: u32, h: u32) -> ImageDims {
    ImageDims {
        width: w,
        height: h,
    }
}
fn req(op: Operation, inputs: usize) -> EstimateRequest {
    let mut r = EstimateRequest::new("make it blue", 1024, 1024);
    r.operation = op;
    r.reference_images = vec![img(1024, 1024); inputs];
    r
}
/// Estimated over the whole catalog (so refusals can name an alternative).
fn on(id: &str, r: &EstimateRequest) -> Estimate {
    estimate_all(Catalog::bundled(), r, &ctx())
        .into_iter()
        .find(|e| &*e.offer_id == id)
        .unwrap_or_else(|| panic!("{id}"))
}
fn reason(e: &Estimate) -> &str {
    assert!(!e.supported, "{} should refuse", e.offer_id);
    e.unsupported_reason.as_deref().unwrap_or_default()
}
fn notes(e: &Estimate) -> Vec<String> {
    e.notes.iter().map(ToString::to_string).collect()
}

#[test]
fn offers_without_operations_only_generate() {
    let caps = &Catalog::bundled()
        .offer("fal:fal-ai/flux/dev")
        .unwrap_or_else(|| panic!("flux dev"))
        .capabilities;
    assert!(caps.operations.is_empty());
    assert_eq!(
        caps.operations_done().collect::<Vec<_>>(),
        [Operation::Generate]
    );
    let e = on("fal:fal-ai/flux/dev", &req(Operation::Edit, 1));
    assert_eq!(
        reason(&e),
        "FLUX dev (fal) cannot edit an image by instruction; it can make an image from a prompt; use Nano Banana edit (fal)"
    );
}

#[test]
fn a_mask_on_an_offer_that_only_edits_by_instruction_is_refused_with_the_alternative() {
    let mut r = req(Operation::Inpaint, 1);
    r.mask = true;
    assert_eq!(
        reason(&on("bfl:flux-kontext-pro", &r)),
        "FLUX.1 Kontext [pro] cannot edit a masked region; use FLUX.1 Fill [pro]"
    );
    // An edit with a mask is a region edit too.
    let mut edit = req(Operation::Edit, 1);
    edit.mask = true;
    assert_eq!(
        reason(&on("google:gemini-3-pro-image", &edit)),
        "Gemini 3 Pro Image (Nano Banana Pro) cannot edit a masked region"
    );
    // OpenAI edits take an optional mask: same price as without.
    let masked = on("openai:gpt-image-2", &edit);
    assert!(masked.supported, "{:?}", masked.unsupported_reason);
    edit.mask = false;
    assert_eq!(masked.expected, on("openai:gpt-image-2", &edit).expected);
}

#[test]
fn inpaint_without_a_mask_and_operations_without_an_image_say_what_to_do() {
    assert_eq!(
        reason(&on("stability:inpaint", &req(Operation::Inpaint, 1))),
        "Stability Inpaint only edits a masked region: paint a mask over the area to change"
    );
    assert_eq!(
        reason(&on("openai:gpt-image-2", &req(Operation::Edit, 0))),
        "pick the image to edit"
    );
    assert_eq!(
        reason(&on("stability:upscale-fast", &req(Operation::Upscale, 0))),
        "pick the image to upscale"
    );
    assert_eq!(
        reason(&on("stability:inpaint", &req(Operation::Generate, 0))),
        "Stability Inpaint cannot make an image from a prompt; it can edit a masked region"
    );
}

#[test]
fn input_counts_are_limited_per_operation() {
    let e = on("bfl:flux-kontext-pro", &req(Operation::Edit, 2));
    assert_eq!(
        reason(&e),
        "FLUX.1 Kontext [pro] takes one input image (asked for 2); use FLUX.2 [klein] 4B (BFL)"
    );
    let e = on("openai:gpt-image-2", &req(Operation::Edit, 17));
    assert!(
        reason(&e).starts_with("GPT Image 2 takes at most 16 input images (asked for 17)"),
        "{:?}",
        e.unsupported_reason
    );
    assert!(on("openai:gpt-image-2", &req(Operation::Edit, 16)).supported);
    // A shut-down offer gives its shutdown as the reason, not an alternative.
    let old = on("openai:dall-e-3", &req(Operation::Edit, 1));
    assert!(
        reason(&old).starts_with("shut down on "),
        "{:?}",
        old.unsupported_reason
    );
    assert!(
        !reason(&old).contains("; use "),
        "{:?}",
        old.unsupported_reason
    );
}

#[test]
fn upscales_are_sized_from_the_subject_and_the_factor_the_offer_makes() {
    let mut r = req(Operation::Upscale, 1);
    r.scale = Some(2);
    let fast = on("stability:upscale-fast", &r);
    assert!(fast.supported);
    assert_eq!(fast.resolved.scale, Some(4));
    assert_eq!((fast.resolved.width, fast.resolved.height), (4096, 4096));
    assert_eq!(
        notes(&fast),
        ["upscale factor 2× → 4× (the factor this model makes)"]
    );
    assert_eq!(fast.expected, d("0.02"));

    let seedvr = on("fal:fal-ai/seedvr/upscale/image", &r);
    assert_eq!(
        (seedvr.resolved.width, seedvr.resolved.height),
        (2048, 2048)
    );
    assert_eq!(seedvr.expected, d("0.004"));
    assert_eq!(
        seedvr.lines[0].to_string(),
        "2048×2048 = 4 MP (2^20 px) → billed 4 MP (rounded up) × $0.001/MP × 1 = $0.004"
    );
    r.scale = Some(12);
    assert_eq!(
        reason(&on("fal:fal-ai/seedvr/upscale/image", &r)),
        "SeedVR2 upscale (fal) upscales at most 10×"
    );
    // No factor asked: 2×.
    r.scale = None;
    assert_eq!(
        on("fal:fal-ai/seedvr/upscale/image", &r).resolved.scale,
        Some(2)
    );
}

#[test]
fn expands_are_sized_from_the_subject_and_the_margins() {
    let mut r = req(Operation::Expand, 1);
    r.expand = Some([256, 0, 256, 0]);
    let e = on("bfl:flux-pro-1.0-expand", &r);
    assert!(e.supported, "{:?}", e.unsupported_reason);
    assert_eq!((e.resolved.width, e.resolved.height), (1536, 1024));
    assert_eq!(e.expected, d("0.05"));
    assert!(
        e.lines
            .iter()
            .any(|l| l.to_string() == "the image to expand: included in the price"),
        "{:?}",
        e.lines
    );
    r.expand = None;
    assert_eq!(
        reason(&on("bfl:flux-pro-1.0-expand", &r)),
        "set the margins to add around the image"
    );
    r.expand = Some([3000, 0, 0, 0]);
    assert_eq!(
        reason(&on("stability:outpaint", &r)),
        "Stability Outpaint adds at most 2000 px per side"
    );
    // An inferred price is an assumption, and says so.
    r.expand = Some([0, 256, 0, 256]);
    assert_eq!(on("stability:outpaint", &r).confidence, Confidence::Assumed);
}

#[test]
fn fidelity_is_sent_only_to_models_that_take_it() {
    let mut r = req(Operation::Edit, 1);
    r.input_fidelity = Some(InputFidelity::High);
    let gpt = on("openai:gpt-image-2", &r);
    assert_eq!(gpt.resolved.input_fidelity, Some(InputFidelity::High));
    let mini = on("openai:gpt-image-1-mini", &r);
    assert_eq!(mini.resolved.input_fidelity, None);
    assert!(
        notes(&mini).contains(&"input fidelity high not taken by this model — ignored".to_owned())
    );
    // Low is every model's behaviour (the Canvas sends it by default): nothing to say on
    // the rows of models without the setting.
    r.input_fidelity = Some(InputFidelity::Low);
    let mini = on("openai:gpt-image-1-mini", &r);
    assert!(
        !notes(&mini).iter().any(|n| n.contains("fidelity")),
        "{:?}",
        notes(&mini)
    );
    // No fidelity asked: OpenAI's default, low.
    r.input_fidelity = None;
    assert_eq!(
        on("openai:gpt-image-2", &r).resolved.input_fidelity,
        Some(InputFidelity::Low)
    );
    // No inputs, no fidelity.
    let plain = on("openai:gpt-image-2", &req(Operation::Generate, 0));
    assert_eq!(plain.resolved.input_fidelity, None);
}

#[test]
fn the_budget_reserves_the_input_worst_case_and_retries() {
    let mut r = req(Operation::Edit, 3);
    r.input_fidelity = Some(InputFidelity::High);
    r.quality = Some("high".into());
    let offer = Catalog::bundled()
        .offer("openai:gpt-image-2")
        .unwrap_or_else(|| panic!("gpt-image-2"));
    let e = estimate(offer, &r, &ctx());
    // 3 prompt tokens × $5/M + 7,024 × $30/M + 3 × 3,050 × $8/M; reserved: input × 2.
    assert_eq!(e.expected, d("0.283935"));
    assert_eq!(e.worst_case, d("0.357135"));
    let retried = EstimateContext {
        retry_allowance: RetryAllowance { billed_retries: 1 },
        ..ctx()
    };
    assert_eq!(estimate(offer, &r, &retried).worst_case, d("0.71427"));
    // Calibration keeps edits apart from text-to-image and from other fidelities.
    assert!(
        e.resolved
            .calibration_key()
            .ends_with("|op=edit|fid=high|x1")
    );
}

#[test]
fn a_reference_tier_prices_requests_with_references_on_its_own_formula() {
    let json = serde_json::json!({
        "version": "t", "published": "2026-11-29",
        "offers": [{
            "id": "ideogram:v3", "provider": "ideogram", "model": "V_3", "display_name": "Ideogram 3.0",
            "tier": "final",
            "formula": {"kind": "table", "rows": [
                {"quality": "turbo", "width": 1024, "height": 1024, "price": "0.03"},
                {"quality": "quality", "width": 1024, "height": 1024, "price": "0.09"}]},
            "modifiers": {"reference_tier": {"name": "character reference", "formula": {"kind": "table", "rows": [
                {"quality": "turbo", "width": 1024, "height": 1024, "price": "0.10"},
                {"quality": "quality", "width": 1024, "height": 1024, "price": "0.20"}]}}},
            "capabilities": {"sizes": {"kind": "fixed", "sizes": [{"width": 1024, "height": 1024}]},
                "qualities": ["turbo", "quality"], "default_quality": "turbo", "max_n": 4,
                "max_reference_images": 1},
            "source": "ideogram.ai/features/api-pricing [IDEO-PRICE]", "verified_on": "2026-11-29"
        }]
    });
    let c = Catalog::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let o = c.offer("ideogram:v3").unwrap_or_else(|| panic!("offer"));
    let mut r = req(Operation::Generate, 0);
    r.quality = Some("quality".into());
    assert_eq!(estimate(o, &r, &ctx()).expected, d("0.09"));
    r.reference_images = vec![img(1024, 1024)];
    let e = estimate(o, &r, &ctx());
    assert_eq!(e.expected, d("0.20"));
    assert_eq!(
        e.lines[0].to_string(),
        "with a reference image: the character reference price"
    );
    let usage = Usage {
        images_returned: 1,
        ..Usage::default()
    };
    assert_eq!(settle(o, &r, &usage).actual, d("0.2"));
}

/// Without a prompt, an offer whose operation needs one refuses (naming what to write);
/// erase, remove background and most upscalers run on the image alone.
#[test]
fn without_a_prompt_only_offers_that_need_none_can_run() {
    let mut up = req(Operation::Upscale, 1);
    up.prompt.clear();
    up.no_prompt = true;
    up.scale = Some(2);
    for id in ["stability:upscale-fast", "fal:fal-ai/seedvr/upscale/image"] {
        let e = on(id, &up);
        assert!(e.supported, "{id}: {:?}", e.unsupported_reason);
    }
    let e = on("stability:upscale-conservative", &up);
    assert!(
        reason(&e).starts_with("Stability Conservative Upscale needs a prompt: describe the image"),
        "{}",
        reason(&e)
    );

    let mut erase = req(Operation::Inpaint, 1);
    erase.prompt.clear();
    erase.no_prompt = true;
    erase.mask = true;
    assert!(on("stability:erase", &erase).supported);
    assert!(
        on("bfl:flux-pro-1.0-fill", &erase).supported,
        "Fill's prompt is optional"
    );
    let e = on("stability:inpaint", &erase);
    assert!(
        reason(&e).contains("needs a prompt: describe what to paint in the masked region"),
        "{}",
        reason(&e)
    );

    let mut edit = req(Operation::Edit, 1);
    edit.prompt.clear();
    edit.no_prompt = true;
    assert!(on("stability:remove-background", &edit).supported);
    let e = on("openai:gpt-image-1.5", &edit);
    assert!(
        reason(&e).contains("needs a prompt: describe the change"),
        "{}",
        reason(&e)
    );

    // The same requests with a prompt: every one of them can run.
    edit.no_prompt = false;
    edit.prompt = "make it blue".into();
    assert!(on("openai:gpt-image-1.5", &edit).supported);
}

#[test]
fn prompt_use_defaults_by_operation_and_is_said_only_where_it_differs() {
    assert_eq!(PromptUse::default_for(Operation::Edit), PromptUse::Required);
    assert_eq!(
        PromptUse::default_for(Operation::Upscale),
        PromptUse::Optional
    );
    let caps = |id: &str| {
        Catalog::bundled()
            .offer(id)
            .unwrap_or_else(|| panic!("{id}"))
            .capabilities
            .clone()
    };
    let spec = |id: &str, op| caps(id).operation(op).unwrap_or_else(|| panic!("{id}"));
    assert_eq!(
        spec("stability:erase", Operation::Inpaint).prompt_use(),
        PromptUse::None
    );
    assert_eq!(
        spec("stability:upscale-creative", Operation::Upscale).prompt_use(),
        PromptUse::Required
    );
    assert_eq!(
        spec("openai:gpt-image-1", Operation::Edit).prompt,
        None,
        "the default is not repeated in the catalog"
    );
}

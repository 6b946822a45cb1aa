//! Recorded requests: real estimates on every offer, and what image inputs answer.

use engine::Engine;
use serde_json::{Value, json};

use super::{err, from, params, to_value};

/// Real estimates on every offer for the requests the fake prices; it answers other
/// requests from the nearest of these (same count first, then size).
pub(super) async fn estimates(engine: &Engine) -> String {
    let long_prompt = "a quiet harbour at dawn with fishing boats, ".repeat(120);
    let requests = [
        params(json!({})),
        params(json!({ "n": 4 })),
        params(json!({ "width": 1536, "height": 1024 })),
        params(json!({ "width": 1024, "height": 1536 })),
        params(json!({ "width": 1920, "height": 1080 })),
        params(json!({ "quality": "low" })),
        params(json!({ "quality": "high" })),
        params(json!({ "seed": 42, "negative_prompt": "text, watermark", "steps": 30 })),
        params(json!({ "prompt": long_prompt })),
    ];
    let mut entries = Vec::new();
    for p in requests {
        let input = json!({ "params": p, "project": null, "tier": "all", "offers": [] });
        let result = engine.estimate(from(input)).await.expect("estimate");
        let rows: Vec<String> = result
            .estimates
            .iter()
            .map(|e| format!("    {}", to_value(e)))
            .collect();
        entries.push(format!(
            "  {{\n    \"params\": {},\n    \"estimates\": [\n{}\n    ]\n  }}",
            p,
            rows.iter()
                .map(|r| format!("  {r}"))
                .collect::<Vec<_>>()
                .join(",\n")
        ));
    }
    format!("[\n{}\n]\n", entries.join(",\n"))
}

/// A PNG of `w`×`h` (RGBA when `mask`: transparent top half = the region to edit).
pub(super) fn png(w: u32, h: u32, shade: u8, mask: bool) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        let alpha = if mask && y < h / 2 { 0 } else { 255 };
        image::Rgba([(x % 256) as u8, (y % 256) as u8, shade, alpha])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// Image inputs (issue 15): what importing answers, real estimates of an edit, an edit
/// with three references, an inpaint and an upscale on every offer (supported or with
/// why not), and the engine's refusals of bad inputs.
pub(super) async fn inputs(engine: &Engine) -> Value {
    let import = |bytes: Vec<u8>| async move {
        engine
            .import_input_image(bytes)
            .await
            .expect("import input")
    };
    let subject = import(png(1024, 1024, 1, false)).await;
    let mut refs = Vec::new();
    for shade in 2..5 {
        refs.push(import(png(1024, 1024, shade, false)).await);
    }
    let mask = import(png(1024, 1024, 0, true)).await;
    let blob = |sha: &str, role: &str| json!({ "source": { "kind": "blob", "sha256": sha }, "role": role });
    let mut three = vec![blob(&subject.sha256, "subject")];
    three.extend(refs.iter().map(|r| blob(&r.sha256, "reference")));
    let requests = [
        params(
            json!({ "operation": "edit", "inputs": [blob(&subject.sha256, "subject")],
                       "fidelity": "high" }),
        ),
        params(json!({ "operation": "edit", "inputs": three, "fidelity": "high" })),
        params(
            json!({ "operation": "inpaint", "inputs": [blob(&subject.sha256, "subject")],
                       "mask": { "kind": "blob", "sha256": mask.sha256 } }),
        ),
        params(
            json!({ "operation": "upscale", "inputs": [blob(&subject.sha256, "subject")],
                       "scale": 2, "width": 2048, "height": 2048 }),
        ),
    ];
    let mut estimates = Vec::new();
    for p in requests {
        let input = json!({ "params": p, "project": null, "tier": "all", "offers": [] });
        let result = engine.estimate(from(input)).await.expect("estimate");
        estimates.push(json!({ "params": p, "estimates": to_value(&result.estimates) }));
    }
    let est = |p: Value| json!({ "params": p, "project": null, "tier": "all", "offers": [] });
    let small_mask = import(png(512, 512, 0, true)).await;
    let errors = json!({
        "input_not_image": err(engine.import_input_image(b"not an image".to_vec()).await),
        "mask_size_mismatch": err(engine.estimate(from(est(params(json!({
            "operation": "inpaint", "inputs": [blob(&subject.sha256, "subject")],
            "mask": { "kind": "blob", "sha256": small_mask.sha256 } }))))).await),
        "operation_needs_subject": err(engine.estimate(from(est(params(json!({
            "operation": "upscale" }))))).await),
        "inpaint_needs_mask": err(engine.estimate(from(est(params(json!({
            "operation": "inpaint", "inputs": [blob(&subject.sha256, "subject")] }))))).await),
    });
    json!({
        "imported": { "subject": subject, "references": refs, "mask": mask },
        "estimates": estimates,
        "errors": errors,
    })
}

//! Gemini inline references, BFL FLUX.2 / Fill / Expand, and finalize from a draft.
use serde_json::{Value, json};

use crate::common::*;
use crate::fake::*;
use crate::*;
#[tokio::test]
async fn gemini_edit_with_three_references_settles_at_the_estimate_and_dedups_on_inputs() {
    // The catalog's figure for Nano Banana 2.1: 1,120 tokens per input image.
    gemini_three_references("gemini-nano-banana-2.1", 1120).await;
}

/// Gemini 3 Pro Image: 560 tokens per input image at $2/M ($0.00112; the catalog once
/// priced it at a flat $0.0011 and the estimate fell short of the bill).
#[tokio::test]
async fn gemini_3_pro_edit_with_three_references_settles_at_the_estimate() {
    gemini_three_references("gemini-3-pro-image", 560).await;
}

/// An edit with the subject and three references on `model`, whose fake reports
/// `per_input` IMAGE prompt tokens per inline image it receives.
async fn gemini_three_references(model: &str, per_input: u64) {
    let offer = format!("google:{model}");
    let (offer, generate_path) = (
        offer.as_str(),
        format!("/v1beta/models/{model}:generateContent"),
    );
    let env = env_with(&[GEMINI_KEY]).await;
    let dir = env.tmp.path();
    let bytes: Vec<Vec<u8>> = (0..4u8).map(|i| png(1024, 1024, 40 + i)).collect();
    let files: Vec<String> = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| write(dir, &format!("g{i}.png"), b))
        .collect();
    let mut args = vec![
        "--prompt",
        "the bottle on this table, in this light",
        "--op",
        "edit",
    ];
    for f in &files {
        args.extend_from_slice(&["--image", f]);
    }
    let e = estimate(&env, offer, &args).await;
    // Text and output tokens as estimated (the fake has no tokenizer); the input images'
    // tokens are counted by the fake from the inline parts it receives.
    mount_gemini(
        &env.server,
        model,
        Gemini {
            per_input,
            text_in: count_before(&e, "text-in tokens"),
            image_out: count_before(&e, "image tokens ×"),
        },
    )
    .await;
    let g = generate(&env, offer, &args).await;
    // The input line prices the tokens the fake reports for four inline images.
    if let Some(line) = e["lines"].as_array().and_then(|l| {
        l.iter()
            .filter_map(Value::as_str)
            .find(|l| l.contains("image-in tokens"))
    }) {
        assert_eq!(count_before(&e, "image-in tokens"), 4 * per_input, "{line}");
    }
    assert_eq!(charged(&g), money(&e, "expected_usd"), "{g}\n{e}");
    assert!(g["attempts"][0]["review"].is_null(), "{g}");
    let ins = inputs_of(&g);
    let roles: Vec<&str> = ins.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(roles, ["subject", "reference", "reference", "reference"]);
    for (i, (h, _)) in ins.iter().enumerate() {
        assert_eq!(h, &sha(&bytes[i]));
    }
    // The documented request: inline parts (the images, in order) before the text.
    let reqs = received(&env).await;
    let calls = requests(&reqs, "POST", &generate_path);
    assert_eq!(calls.len(), 1);
    let body: Value = serde_json::from_slice(&calls[0].body).expect("json");
    let parts = body["contents"][0]["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 5, "{body}");
    for (i, b) in bytes.iter().enumerate() {
        assert_eq!(parts[i]["inlineData"]["mimeType"], "image/png");
        assert_eq!(
            unb64(parts[i]["inlineData"]["data"].as_str().expect("data")),
            *b
        );
    }
    assert!(parts[4]["text"].as_str().expect("text").contains("bottle"));
    assert!(
        body["generationConfig"]["responseModalities"]
            .as_array()
            .expect("modalities")
            .contains(&json!("IMAGE"))
    );

    // The same inputs: a dedup hit, nothing sent. Another reference: a new request.
    let again = generate(&env, offer, &args).await;
    assert_eq!(again["dedup_hit"], true, "{again}");
    let other = write(dir, "g9.png", &png(1024, 1024, 99));
    let changed: Vec<&str> = args
        .iter()
        .map(|a| {
            if *a == files[3].as_str() {
                other.as_str()
            } else {
                a
            }
        })
        .collect();
    let third = generate(&env, offer, &changed).await;
    assert_eq!(third["dedup_hit"], false, "{third}");
    let reqs = received(&env).await;
    assert_eq!(requests(&reqs, "POST", &generate_path).len(), 2);
}

#[tokio::test]
async fn bfl_flux2_pro_edit_with_references_bills_input_megapixels_as_reported() {
    let env = env_with(&[BFL_KEY]).await;
    mount_bfl(&env.server).await;
    let dir = env.tmp.path();
    let sizes = [(1024, 1024), (768, 512), (512, 512)];
    let bytes: Vec<Vec<u8>> = sizes.iter().map(|(w, h)| png(*w, *h, 11)).collect();
    let files: Vec<String> = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| write(dir, &format!("b{i}.png"), b))
        .collect();
    let mut args = vec![
        "--prompt",
        "the jacket from the second image on the model",
        "--op",
        "edit",
    ];
    for f in &files {
        args.extend_from_slice(&["--image", f]);
    }
    // Settled from BFL's reported cost, which the estimate prices from the input MP:
    // 3 + (1.048576 − 1)·1.5 + (1.048576 + 0.393216 + 0.262144)·1.5 credits.
    let credits = flux2_credits(dec("3"), dec("1.5"), (1024, 1024), &sizes);
    let run = run_and_settle(
        &env,
        "bfl:flux-2-pro",
        &args,
        Some(credits * dec("0.01")),
        "/v1/flux-2-pro",
    )
    .await;
    let g = &run.g;
    let roles: Vec<String> = inputs_of(g).into_iter().map(|(_, r)| r).collect();
    assert_eq!(roles, ["subject", "reference", "reference"]);
    assert_eq!(run.calls.len(), 1);
    assert_eq!(
        run.calls[0]
            .headers
            .get("x-key")
            .and_then(|v| v.to_str().ok()),
        Some(BFL_KEY.1)
    );
    let body = run.body();
    assert_eq!(
        bfl_inputs(&body),
        bytes,
        "input_image, input_image_2, input_image_3"
    );
    assert!(
        body.get("width").is_none(),
        "an edit keeps the input's size: {body}"
    );
    assert_eq!(g["images"][0]["width"], 1024, "{g}");
}

#[tokio::test]
async fn bfl_fill_sends_a_white_is_edit_mask_and_expand_its_margins() {
    let env = env_with(&[BFL_KEY]).await;
    mount_bfl(&env.server).await;
    let dir = env.tmp.path();
    let subject = png(512, 512, 3);
    let s = write(dir, "s.png", &subject);
    let m = write(dir, "m.png", &mask(512, 512, true));
    let fill = [
        "--prompt",
        "a red door",
        "--image",
        &s,
        "--mask",
        &m,
        "--op",
        "inpaint",
    ];
    // BFL's reported cost, 5 credits.
    let run = run_and_settle(
        &env,
        "bfl:flux-pro-1.0-fill",
        &fill,
        Some(dec("0.05")),
        "/v1/flux-pro-1.0-fill",
    )
    .await;
    assert_eq!(inputs_of(&run.g), [(sha(&subject), "subject".to_string())]);
    let body = run.body();
    assert_eq!(unb64(body["image"].as_str().expect("image")), subject);
    assert_white_is_edit(&unb64(body["mask"].as_str().expect("mask")), 512, 512);
    assert_eq!(body["prompt"], "a red door");

    let exp = [
        "--prompt",
        "more beach",
        "--image",
        &s,
        "--op",
        "expand",
        "--expand",
        "64,0,128,32",
    ];
    let run = run_and_settle(
        &env,
        "bfl:flux-pro-1.0-expand",
        &exp,
        Some(dec("0.05")),
        "/v1/flux-pro-1.0-expand",
    )
    .await;
    let g = &run.g;
    assert_eq!(
        (
            g["images"][0]["width"].clone(),
            g["images"][0]["height"].clone()
        ),
        (json!(704), json!(544))
    );
    let body = run.body();
    assert_eq!(unb64(body["image"].as_str().expect("image")), subject);
    let margins: Vec<&Value> = ["left", "top", "right", "bottom"]
        .iter()
        .map(|k| &body[*k])
        .collect();
    assert_eq!(
        margins,
        [&json!(64), &json!(0), &json!(128), &json!(32)],
        "{body}"
    );
    let shown = env
        .json(&["show", g["generation_id"].as_str().expect("id")])
        .await;
    assert_eq!(shown["lineage"]["operation"], "expand", "{shown}");
}

#[tokio::test]
async fn finalize_a_gemini_draft_on_flux2_pro_with_it_as_the_reference() {
    let env = env_with(&[GEMINI_KEY, BFL_KEY, FAL_KEY]).await;
    mount_gemini(
        &env.server,
        "gemini-2.5-flash-image",
        Gemini {
            per_input: 1290,
            text_in: 10,
            image_out: 1290,
        },
    )
    .await;
    mount_bfl(&env.server).await;
    let draft = env
        .json(&[
            "generate",
            "--project",
            "ops",
            "--prompt",
            "a lighthouse at dusk",
            "--draft",
        ])
        .await;
    assert_eq!(draft["status"], "succeeded", "{draft}");
    let draft_id = draft["generation_id"].as_str().expect("id").to_owned();
    let options = env.json(&["finalize", &draft_id]).await;
    let reference = options["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["how"] == "reference")
        .cloned()
        .expect("a reference way");
    assert_eq!(reference["offer_id"], "bfl:flux-2-pro", "{options}");
    assert_eq!(reference["can_run"], true, "{reference}");
    let fin = env
        .json(&[
            "finalize",
            &draft_id,
            "--how",
            "reference",
            "--offer",
            "bfl:flux-2-pro",
        ])
        .await;
    assert_eq!(fin["parent_id"], draft_id.as_str(), "{fin}");
    // The draft (64², what the fake Gemini returned) is the FLUX.2 input_image.
    let credits = flux2_credits(dec("3"), dec("1.5"), (64, 64), &[(64, 64)]);
    assert_eq!(charged(&fin), credits * dec("0.01"), "{fin}");
    assert_eq!(
        money(&reference, "expected_usd"),
        credits * dec("0.01"),
        "{reference}"
    );
    let reqs = received(&env).await;
    let body: Value =
        serde_json::from_slice(&requests(&reqs, "POST", "/v1/flux-2-pro")[0].body).expect("json");
    let sent = bfl_inputs(&body);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sha(&sent[0]),
        fin["inputs"][0]["hash"].as_str().expect("hash")
    );
    let fin_id = fin["generation_id"].as_str().expect("id");
    let shown = env.json(&["show", fin_id]).await;
    assert_eq!(shown["parent_id"], draft_id.as_str(), "{shown}");
    assert_eq!(
        shown["lineage"]["inputs"][0]["generation_id"],
        draft_id.as_str()
    );
    let d = env.json(&["show", &draft_id]).await;
    assert_eq!(d["lineage"]["used_by"][0]["generation_id"], fin_id, "{d}");

    // The other way: upscale the draft on fal's SeedVR2 (2x of 64² is far below 1 MP:
    // one megapixel billed, rounded up).
    mount_fal(&env.server, "fal-ai/seedvr/upscale/image", (128, 128), true).await;
    let up = env
        .json(&[
            "finalize",
            &draft_id,
            "--how",
            "upscale",
            "--offer",
            "fal:fal-ai/seedvr/upscale/image",
        ])
        .await;
    assert_eq!(charged(&up), dec("0.001"), "{up}");
    assert_eq!(up["parent_id"], draft_id.as_str(), "{up}");
    let reqs = received(&env).await;
    let body: Value =
        serde_json::from_slice(&requests(&reqs, "POST", "/fal-ai/seedvr/upscale/image")[0].body)
            .expect("json");
    assert_eq!(
        sha(&data_uri_bytes(
            body["image_url"].as_str().expect("image_url")
        )),
        draft["images"][0]["hash"].as_str().expect("hash")
    );
    let shown = env
        .json(&["show", up["generation_id"].as_str().expect("id")])
        .await;
    assert_eq!(shown["lineage"]["operation"], "upscale", "{shown}");
    let d = env.json(&["show", &draft_id]).await;
    assert_eq!(
        d["lineage"]["used_by"].as_array().map(Vec::len),
        Some(2),
        "{d}"
    );
}

#[tokio::test]
async fn bfl_kontext_edits_one_image_and_refuses_a_mask_before_sending() {
    let env = env_with(&[BFL_KEY]).await;
    mount_bfl(&env.server).await;
    let dir = env.tmp.path();
    let subject = png(1024, 1024, 70);
    let s = write(dir, "s.png", &subject);
    let args = [
        "--prompt",
        "make the car red",
        "--image",
        &s,
        "--op",
        "edit",
    ];
    // BFL's reported 4 credits.
    let run = run_and_settle(
        &env,
        "bfl:flux-kontext-pro",
        &args,
        Some(dec("0.04")),
        "/v1/flux-kontext-pro",
    )
    .await;
    assert_eq!(run.g["images"][0]["width"], 1024, "{}", run.g);
    let body = run.body();
    assert_eq!(
        bfl_inputs(&body),
        std::slice::from_ref(&subject),
        "one input_image"
    );

    // A mask: the estimate says Kontext cannot, and generate sends nothing.
    let m = write(dir, "m.png", &mask(1024, 1024, true));
    let masked = [
        "--prompt",
        "a red car",
        "--image",
        &s,
        "--mask",
        &m,
        "--op",
        "inpaint",
    ];
    let v = env
        .json(
            &[
                &["estimate", "--offer", "bfl:flux-kontext-pro"][..],
                &masked[..],
            ]
            .concat(),
        )
        .await;
    let e = &v["estimates"][0];
    assert_eq!(e["supported"], false, "{e}");
    assert!(e["reason"].is_string(), "says why: {e}");
    let out = env
        .run(
            &[
                &[
                    "generate",
                    "--project",
                    "ops",
                    "--offer",
                    "bfl:flux-kontext-pro",
                ][..],
                &masked[..],
                &["--json"][..],
            ]
            .concat(),
        )
        .await;
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert_eq!(env.requests_to("POST", "/v1/flux-kontext-pro").await, 1);
}

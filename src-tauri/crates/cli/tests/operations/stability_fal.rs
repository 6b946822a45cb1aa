//! Stability inpaint / outpaint / upscales and fal edit / SeedVR2 upscale.
use crate::common::*;
use crate::fake::*;
use crate::*;
#[tokio::test]
async fn stability_inpaint_and_outpaint_send_the_documented_form() {
    let env = env_with(&[STAB_KEY]).await;
    mount_stability(&env.server, "edit/inpaint", (512, 512)).await;
    mount_stability(&env.server, "edit/outpaint", (640, 576)).await;
    let dir = env.tmp.path();
    let subject = png(512, 512, 8);
    let s = write(dir, "s.png", &subject);
    let m = write(dir, "m.png", &mask(512, 512, true));
    let inp = [
        "--prompt",
        "a cat on the sofa",
        "--image",
        &s,
        "--mask",
        &m,
        "--op",
        "inpaint",
    ];
    // 5 credits.
    let run = run_and_settle(
        &env,
        "stability:inpaint",
        &inp,
        Some(dec("0.05")),
        "/v2beta/stable-image/edit/inpaint",
    )
    .await;
    assert_eq!(inputs_of(&run.g), [(sha(&subject), "subject".to_string())]);
    assert_eq!(run.calls.len(), 1);
    assert_eq!(
        run.calls[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {}", STAB_KEY.1).as_str())
    );
    let parts = run.parts();
    assert_eq!(field(&parts, "image"), Some(subject.as_slice()));
    assert_white_is_edit(field(&parts, "mask").expect("mask"), 512, 512);
    assert_eq!(
        text_field(&parts, "prompt").as_deref(),
        Some("a cat on the sofa")
    );

    // A mask over the other half is another request, not a dedup hit.
    let m2 = write(dir, "m2.png", &mask(512, 512, false));
    let inp2: Vec<&str> = inp
        .iter()
        .map(|a| if *a == m.as_str() { m2.as_str() } else { a })
        .collect();
    let g2 = generate(&env, "stability:inpaint", &inp2).await;
    assert_eq!(g2["dedup_hit"], false, "{g2}");

    let out = [
        "--prompt",
        "more of the room",
        "--image",
        &s,
        "--op",
        "expand",
        "--expand",
        "64,32,64,32",
    ];
    // 4 credits.
    let parts = run_and_settle(
        &env,
        "stability:outpaint",
        &out,
        Some(dec("0.04")),
        "/v2beta/stable-image/edit/outpaint",
    )
    .await
    .parts();
    assert_eq!(field(&parts, "image"), Some(subject.as_slice()));
    for (k, v) in [
        ("left", "64"),
        ("up", "32"),
        ("right", "64"),
        ("down", "32"),
    ] {
        assert_eq!(text_field(&parts, k).as_deref(), Some(v), "{k}");
    }
    assert_eq!(
        text_field(&parts, "prompt").as_deref(),
        Some("more of the room")
    );
    assert!(field(&parts, "negative_prompt").is_none());
}

#[tokio::test]
async fn stability_conservative_and_creative_upscales_run_from_the_cli() {
    let env = env_with(&[STAB_KEY]).await;
    mount_stability(&env.server, "upscale/conservative", (2048, 2048)).await;
    mount_stability_creative(&env.server, (2048, 2048)).await;
    let dir = env.tmp.path();
    let subject = png(512, 512, 21);
    let s = write(dir, "s.png", &subject);
    let args = [
        "--prompt",
        "a sharp photo",
        "--image",
        &s,
        "--op",
        "upscale",
    ];
    // 40 credits.
    let run = run_and_settle(
        &env,
        "stability:upscale-conservative",
        &args,
        Some(dec("0.40")),
        "/v2beta/stable-image/upscale/conservative",
    )
    .await;
    assert_eq!(run.g["images"][0]["width"], 2048);
    let parts = run.parts();
    assert_eq!(field(&parts, "image"), Some(subject.as_slice()));
    assert_eq!(
        text_field(&parts, "prompt").as_deref(),
        Some("a sharp photo")
    );

    // Creative: start, a 202 while it runs, then the image.
    // 60 credits.
    let run = run_and_settle(
        &env,
        "stability:upscale-creative",
        &args,
        Some(dec("0.60")),
        "/v2beta/stable-image/upscale/creative",
    )
    .await;
    assert_eq!(inputs_of(&run.g), [(sha(&subject), "subject".to_string())]);
    assert_eq!(run.calls.len(), 1);
    assert!(
        env.requests_to("GET", "/v2beta/results/creative-1").await >= 2,
        "polled past the 202"
    );
}

#[tokio::test]
async fn fal_edit_and_seedvr_upscale_on_the_queue() {
    let env = env_with(&[FAL_KEY]).await;
    mount_fal(&env.server, "fal-ai/nano-banana/edit", (1024, 1024), false).await;
    mount_fal(
        &env.server,
        "fal-ai/seedvr/upscale/image",
        (1024, 1024),
        true,
    )
    .await;
    let dir = env.tmp.path();
    let a = png(1024, 1024, 50);
    let b = png(512, 512, 51);
    let (fa, fb) = (write(dir, "a.png", &a), write(dir, "b.png", &b));
    let edit = [
        "--prompt",
        "put the logo on the mug",
        "--image",
        &fa,
        "--image",
        &fb,
        "--op",
        "edit",
    ];
    let run = run_and_settle(
        &env,
        "fal:fal-ai/nano-banana/edit",
        &edit,
        Some(dec("0.0398")),
        "/fal-ai/nano-banana/edit",
    )
    .await;
    assert_eq!(
        inputs_of(&run.g),
        [
            (sha(&a), "subject".to_string()),
            (sha(&b), "reference".to_string())
        ]
    );
    assert_eq!(
        run.calls[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Key {}", FAL_KEY.1).as_str())
    );
    let urls: Vec<Vec<u8>> = run.body()["image_urls"]
        .as_array()
        .expect("image_urls")
        .iter()
        .map(|u| data_uri_bytes(u.as_str().expect("uri")))
        .collect();
    assert_eq!(urls, [a.clone(), b.clone()]);

    // SeedVR2 2x of 512²: priced on the 1 MP output at $0.001 per MP.
    let up = [
        "--image", &fb, "--op", "upscale", "--scale", "2", "--prompt", "upscale",
    ];
    let run = run_and_settle(
        &env,
        "fal:fal-ai/seedvr/upscale/image",
        &up,
        Some(dec("0.001")),
        "/fal-ai/seedvr/upscale/image",
    )
    .await;
    assert_eq!(run.g["images"][0]["width"], 1024);
    let body = run.body();
    assert_eq!(body["upscale_factor"], 2);
    assert_eq!(
        data_uri_bytes(body["image_url"].as_str().expect("image_url")),
        b
    );
    assert!(
        env.requests_to("GET", "/fal-ai/seedvr/requests/r1/status")
            .await
            >= 2
    );
}

#[tokio::test]
async fn fal_gpt_image_2_edit_sends_quality_and_fidelity_at_the_table_price() {
    let env = env_with(&[FAL_KEY]).await;
    mount_fal(&env.server, "openai/gpt-image-2/edit", (1024, 1024), false).await;
    let dir = env.tmp.path();
    let a = png(1024, 1024, 60);
    let fa = write(dir, "a.png", &a);
    let args = [
        "--prompt",
        "make it winter",
        "--image",
        &fa,
        "--op",
        "edit",
        "--quality",
        "low",
        "--fidelity",
        "high",
    ];
    // Low quality at 1024².
    let run = run_and_settle(
        &env,
        "fal:openai/gpt-image-2/edit",
        &args,
        Some(dec("0.015")),
        "/openai/gpt-image-2/edit",
    )
    .await;
    assert_eq!(inputs_of(&run.g), [(sha(&a), "subject".to_string())]);
    let body = run.body();
    assert_eq!(body["quality"], "low", "{body}");
    assert_eq!(body["input_fidelity"], "high", "{body}");
    assert_eq!(
        data_uri_bytes(body["image_urls"][0].as_str().expect("uri")),
        a
    );
}

#[tokio::test]
async fn upscale_a_draft_with_stabilitys_creative_upscale_polls_its_job() {
    let env = env_with(&[GEMINI_KEY, STAB_KEY]).await;
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
    mount_stability_creative(&env.server, (256, 256)).await;
    let draft = env
        .json(&[
            "generate",
            "--project",
            "ops",
            "--prompt",
            "a fox in snow",
            "--draft",
        ])
        .await;
    let draft_id = draft["generation_id"].as_str().expect("id").to_owned();
    let up = env
        .json(&[
            "upscale",
            &draft_id,
            "--scale",
            "4",
            "--offer",
            "stability:upscale-creative",
        ])
        .await;
    assert_eq!(charged(&up), dec("0.60"), "{up}");
    assert_eq!(up["parent_id"], draft_id.as_str());
    assert_eq!(up["images"][0]["width"], 256);
    let reqs = received(&env).await;
    let start = requests(&reqs, "POST", "/v2beta/stable-image/upscale/creative");
    let parts = multipart(start[0]);
    assert_eq!(
        field(&parts, "image").map(sha),
        draft["images"][0]["hash"].as_str().map(str::to_string),
        "the draft's bytes are the image upscaled"
    );
    assert!(env.requests_to("GET", "/v2beta/results/creative-1").await >= 2);
}

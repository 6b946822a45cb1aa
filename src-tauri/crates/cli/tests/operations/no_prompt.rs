//! `--prompt` is needed to make an image from text, and by the offers whose operation
//! needs one; an upscale, or an endpoint that takes no prompt, runs without.
use crate::common::*;
use crate::fake::*;
use crate::*;

#[tokio::test]
async fn an_erase_and_an_upscale_run_without_a_prompt() {
    let env = env_with(&[STAB_KEY, FAL_KEY]).await;
    mount_stability(&env.server, "edit/erase", (512, 512)).await;
    mount_fal(
        &env.server,
        "fal-ai/seedvr/upscale/image",
        (1024, 1024),
        true,
    )
    .await;
    let dir = env.tmp.path();
    let subject = png(512, 512, 31);
    let s = write(dir, "s.png", &subject);
    let m = write(dir, "m.png", &mask(512, 512, true));

    let erase = ["--image", &s, "--mask", &m, "--op", "inpaint"];
    let e = estimate(&env, "stability:erase", &erase).await;
    let g = generate(&env, "stability:erase", &erase).await;
    assert_eq!(charged(&g), money(&e, "expected_usd"), "{g}");
    let reqs = received(&env).await;
    let call = requests(&reqs, "POST", "/v2beta/stable-image/edit/erase");
    let parts = multipart(call[0]);
    assert_eq!(field(&parts, "image"), Some(subject.as_slice()));
    assert!(field(&parts, "prompt").is_none(), "erase takes no prompt");

    let up = ["--image", &s, "--scale", "2"];
    let e = estimate(&env, "fal:fal-ai/seedvr/upscale/image", &up).await;
    let g = generate(&env, "fal:fal-ai/seedvr/upscale/image", &up).await;
    assert_eq!(charged(&g), money(&e, "expected_usd"), "{g}");
}

#[tokio::test]
async fn an_offer_that_needs_a_prompt_says_so_and_nothing_is_sent() {
    let env = env_with(&[STAB_KEY]).await;
    mount_stability(&env.server, "upscale/conservative", (1024, 1024)).await;
    let s = write(env.tmp.path(), "s.png", &png(512, 512, 32));
    let offer = "stability:upscale-conservative";
    let up = ["--image", s.as_str(), "--op", "upscale"];

    let v = env
        .json(&[&["estimate", "--offer", offer][..], &up[..]].concat())
        .await;
    let e = &v["estimates"][0];
    assert_eq!(e["supported"], false, "{e}");
    let reason = e["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("needs a prompt"), "{e}");

    let out = env
        .run(
            &[
                &["generate", "--project", "ops", "--offer", offer][..],
                &up[..],
            ]
            .concat(),
        )
        .await;
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("needs a prompt"),
        "{} {}",
        out.stdout,
        out.stderr
    );
    assert_eq!(
        env.requests_to("POST", "/v2beta/stable-image/upscale/conservative")
            .await,
        0
    );
}

#[tokio::test]
async fn text_to_image_without_a_prompt_is_a_usage_error_naming_the_flag() {
    let env = env_with(&[]).await;
    for cmd in ["estimate", "generate"] {
        let mut args = vec![cmd];
        if cmd == "generate" {
            args.extend(["--project", "ops", "--draft"]);
        }
        let out = env.run(&args).await;
        assert_eq!(out.code, 2, "usage: {} {}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("no prompt; pass --prompt"),
            "{}",
            out.stderr
        );
    }
}

//! The CLI routes like the app (issue 12 §1): a size the chain's model does not make
//! is snapped and a negative prompt it does not take is ignored, both said; `generate
//! --plan` prints the decision without sending anything.
mod common;

use common::*;

const KEY: &str = "sk-test-routing-4242";

#[tokio::test]
async fn a_1920x1080_draft_with_a_negative_prompt_is_planned_then_runs_snapped() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_OPENAI_API_KEY", KEY);
    mount_openai_ok(&env.server, 10).await;
    env.project(
        "p",
        "10",
        "openai:gpt-image-1-mini,openai:gpt-image-1.5",
        "openai:gpt-image-2",
    )
    .await;
    let args = [
        "generate",
        "--project",
        "p",
        "--prompt",
        "a red fox",
        "--negative",
        "blurry",
        "--size",
        "1920x1080",
        "--draft",
    ];
    let mut plan = args.to_vec();
    plan.push("--plan");
    let out = env.run(&plan).await.ok();
    assert!(
        out.stdout.contains("size snapped to 1536×1024"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("negative prompt"), "{}", out.stdout);
    let d = env.json(&plan).await;
    assert_eq!(d["can_run"], true, "{d}");
    assert_eq!(d["offer_id"], "openai:gpt-image-1-mini");
    assert_eq!(env.requests_to("POST", "/v1/images/generations").await, 0);

    let g = env.json(&args).await;
    assert_eq!(g["status"], "succeeded", "{g}");
    let sent = env.server.received_requests().await.unwrap_or_default();
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).expect("json body");
    assert_eq!(body["size"], "1536x1024");
    assert_eq!(body["model"], "gpt-image-1-mini");
}

#[tokio::test]
async fn plan_says_why_a_draft_cannot_run_and_exits_non_zero() {
    let env = Env::new().await;
    env.project("p", "10", "openai:gpt-image-1-mini", "openai:gpt-image-2")
        .await;
    let out = env
        .run(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a red fox",
            "--draft",
            "--plan",
        ])
        .await
        .code(1);
    assert!(out.stdout.contains("cannot run"), "{}", out.stdout);
    assert!(out.stdout.contains("Settings → Keys"), "{}", out.stdout);
}

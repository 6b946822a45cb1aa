//! `project set` changes a budget (and client) in place; the budget refusal names it.
mod common;

use common::*;
use rust_decimal::Decimal;

#[tokio::test]
async fn project_set_changes_only_what_is_named() {
    let env = Env::new().await;
    env.json(&[
        "project",
        "create",
        "spring",
        "--budget",
        "10",
        "--client",
        "Acme",
        "--warn-at",
        "0.9",
        "--draft-chain",
        "bfl:flux-dev",
    ])
    .await;

    let v = env
        .json(&["project", "set", "spring", "--budget", "50"])
        .await;
    assert_eq!(money(&v, "budget_usd"), Decimal::from(50));
    assert_eq!(v["hard"], true);
    assert_eq!(v["client"], "Acme");
    assert_eq!(v["draft_chain"], serde_json::json!(["bfl:flux-dev"]));
    assert_eq!(v["warn_at"], serde_json::json!(["0.9"]));

    let v = env.json(&["project", "set", "spring", "--soft"]).await;
    assert_eq!(v["hard"], false);
    assert_eq!(money(&v, "budget_usd"), Decimal::from(50));

    let v = env
        .json(&[
            "project",
            "set",
            "spring",
            "--hard",
            "--client",
            "Halde & Co.",
        ])
        .await;
    assert_eq!(
        (v["hard"].clone(), v["client"].clone()),
        (true.into(), "Halde & Co.".into())
    );

    let out = env
        .run(&["project", "set", "spring", "--no-budget"])
        .await
        .ok();
    assert!(out.stdout.contains("no budget"), "{}", out.stdout);
    let v = env.json(&["project", "show", "spring"]).await;
    assert!(v["budget_usd"].is_null(), "{v}");
    assert_eq!(v["draft_chain"], serde_json::json!(["bfl:flux-dev"]));

    // Refusals: nothing to change, an unknown project, a negative budget, both forms.
    let out = env.run(&["project", "set", "spring"]).await.code(2);
    assert!(out.stderr.contains("--budget"), "{}", out.stderr);
    let out = env
        .run(&["project", "set", "nowhere", "--budget", "5"])
        .await
        .code(6);
    assert!(out.stderr.contains("project create"), "{}", out.stderr);
    let out = env
        .run(&["project", "set", "spring", "--budget", "-1"])
        .await
        .code(2);
    assert!(
        out.stderr.contains("a budget cannot be negative"),
        "{}",
        out.stderr
    );
    env.run(&["project", "set", "spring", "--budget", "5", "--no-budget"])
        .await
        .code(2);
    let out = env.run(&["project", "set", "--help"]).await.ok();
    assert!(out.stdout.contains("--no-budget"), "{}", out.stdout);
}

#[tokio::test]
async fn a_budget_refusal_names_the_command_that_raises_it() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-project-set-1");
    mount_openai_ok(&env.server, 30).await;
    env.project(
        "Spring campaign",
        "0.001",
        "openai:gpt-image-1-mini",
        "openai:gpt-image-1",
    )
    .await;
    let gen_args = [
        "generate",
        "--project",
        "Spring campaign",
        "--prompt",
        "a castle",
        "--draft",
    ];
    let out = env.run(&gen_args).await.code(3);
    assert!(
        out.stderr
            .contains("proofsheet-cli project set 'Spring campaign' --budget"),
        "{}",
        out.stderr
    );
    env.run(&["project", "set", "Spring campaign", "--budget", "5"])
        .await
        .ok();
    let v = env.json(&gen_args).await;
    assert_eq!(v["status"], "succeeded", "{v}");
}

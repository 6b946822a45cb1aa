//! `proofsheet-cli gateway …` without a real gateway: usage errors say what to do and
//! never echo a secret; definitions persist across processes; list/show never print one.

mod common;

use common::*;
use serde_json::json;

const SECRET: &str = "sk-gw-SECRET-0a9b8c7d6e5f";

#[tokio::test]
async fn secrets_are_refused_as_arguments_and_never_echoed() {
    let env = Env::new().await;
    let out = env
        .run(&[
            "gateway",
            "add",
            "lab",
            "--base-url",
            "http://127.0.0.1:9/v1",
            SECRET,
        ])
        .await
        .code(2);
    assert!(out.stderr.contains("stdin"), "{}", out.stderr);
    assert!(!out.stderr.contains(SECRET) && !out.stdout.contains(SECRET));
    let out = env.run(&["gateway", "key", "lab", SECRET]).await.code(2);
    assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
    // One --secret-header but two lines on stdin (and no --key-stdin): refused, not guessed.
    let out = env
        .run_stdin(
            &[
                "gateway",
                "add",
                "lab",
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--secret-header",
                "x-token",
            ],
            &format!("{SECRET}\nsecond\n"),
        )
        .await
        .code(2);
    assert!(out.stderr.contains("expected 1"), "{}", out.stderr);
    assert!(!out.stderr.contains(SECRET));
}

#[tokio::test]
async fn a_plain_gateway_persists_and_prices_its_models_across_processes() {
    let env = Env::new().await;
    let added = env
        .json(&[
            "gateway",
            "add",
            "resell",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--header",
            "x-team=studio",
            "--model",
            "gpt-image-2=openai:gpt-image-2",
            "--model",
            "their-model",
            "--price-per-image",
            "0.03",
            "--markup",
            "10",
        ])
        .await;
    assert_eq!(added["models"][0]["pricing"], "bound");
    assert_eq!(added["models"][1]["pricing"], "flat");
    // A new process sees it: stored in the library, offers in the catalog.
    let shown = env.json(&["gateway", "show", "resell"]).await;
    assert_eq!(
        shown["headers"][0],
        json!({"name": "x-team", "value": "studio", "secret": false, "secret_set": false})
    );
    let est = env
        .json(&[
            "estimate",
            "--prompt",
            "a fox",
            "--offer",
            "gateway:resell/their-model",
        ])
        .await;
    assert_eq!(
        money(&est["estimates"][0], "expected_usd"),
        "0.03".parse().expect("d")
    );
    let offers = env.run(&["offers", "--json"]).await.ok().json();
    assert!(
        offers.to_string().contains("gateway:resell/gpt-image-2"),
        "{offers}"
    );
    let missing = env.run(&["gateway", "show", "nope"]).await;
    assert_eq!(missing.code, 6, "{}", missing.stderr);
    let bad = env
        .run(&[
            "gateway",
            "add",
            "x",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "m=openai:nope",
        ])
        .await
        .code(2);
    assert!(bad.stderr.contains("openai:nope"), "{}", bad.stderr);
}

/// Issue 16: a gateway model with no binding and no price is `unknown` in every CLI
/// output that could show a price: never $0.
#[tokio::test]
async fn an_unknown_gateway_price_is_printed_unknown_never_zero() {
    let env = Env::new().await;
    let offer = "gateway:resell/their-model";
    env.json(&[
        "gateway",
        "add",
        "resell",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "their-model",
    ])
    .await;
    let shown = env.run(&["gateway", "show", "resell"]).await.ok();
    let row = shown
        .stdout
        .lines()
        .find(|l| l.contains(offer))
        .unwrap_or_else(|| panic!("{}", shown.stdout));
    assert!(row.contains("unknown") && !row.contains("$0"), "{row}");

    let est = env
        .run(&["estimate", "--prompt", "a fox", "--offer", offer])
        .await
        .ok();
    let row = est
        .stdout
        .lines()
        .find(|l| l.contains(offer))
        .unwrap_or_else(|| panic!("{}", est.stdout));
    assert!(row.contains("unknown"), "{row}");
    assert!(!row.contains("$0"), "an unknown price printed as $0: {row}");
    let json = env
        .json(&["estimate", "--prompt", "a fox", "--offer", offer])
        .await;
    let e = &json["estimates"][0];
    assert_eq!(
        (e["price_known"].clone(), e["price_source"].clone()),
        (json!(false), json!("unknown")),
        "{json}"
    );

    let offers = env.run(&["offers"]).await.ok();
    let row = offers
        .stdout
        .lines()
        .find(|l| l.contains(offer))
        .unwrap_or_else(|| panic!("{}", offers.stdout));
    assert!(row.contains("price unknown"), "{row}");
}

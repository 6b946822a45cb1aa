//! `drift` and `offers discover|import` end to end through the real binary (issue 14 §5,
//! §6): Recraft bills 50 units where the catalog says 40; after three settled attempts
//! (the window set here) `estimate` marks the offer and `drift list` shows the evidence;
//! `drift accept` corrects the estimate. Together lists a model the catalog lacks; it is
//! imported only when asked.
mod common;

use common::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const OFFER: &str = "recraft:recraftv3";

#[tokio::test]
async fn drift_is_listed_with_its_evidence_and_accepted_from_the_cli() {
    let mut env = Env::new().await;
    env.set(
        "PROOFSHEET_RECRAFT_BASE_URL",
        &format!("{}/recraft", env.server.uri()),
    );
    env.set("PROOFSHEET_RECRAFT_API_KEY", "rk-test-drift-1234");
    Mock::given(method("POST"))
        .and(path("/recraft/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "created": 1_764_396_000, "credits": 50,
            "data": [{"image_id": "a", "b64_json": b64(&png(16, 16, 9))}]
        })))
        .mount(&env.server)
        .await;
    let s = env
        .json(&["drift", "settings", "--window", "3", "--threshold", "10"])
        .await;
    assert_eq!(s["window"], 3);
    env.project("bills", "10", OFFER, OFFER).await;
    let estimate = || env.json(&["estimate", "--prompt", "a kite", "--offer", OFFER]);
    assert!(estimate().await["estimates"][0]["drift"].is_null());
    for _ in 0..3 {
        let g = env
            .json(&[
                "generate",
                "--project",
                "bills",
                "--prompt",
                "a kite",
                "--offer",
                OFFER,
                "--no-dedup",
            ])
            .await;
        assert_eq!(money(&g, "cost_usd"), "0.05".parse().expect("dec"));
        let a = &g["attempts"][0];
        assert_eq!(
            (a["expected_usd"].as_str(), a["reported_usd"].as_str()),
            (Some("0.04"), Some("0.05")),
            "reconciled beside the estimate: {a}"
        );
    }
    let e = estimate().await;
    let mark = &e["estimates"][0]["drift"];
    assert_eq!(mark["percent"], "25", "{e}");
    assert_eq!(mark["samples"], 3);

    let list = env.json(&["drift", "list"]).await;
    let d = &list["drifts"][0];
    assert_eq!(d["offer_id"], OFFER);
    assert_eq!(d["evidence"].as_array().map(Vec::len), Some(3));
    let human = env.run(&["drift", "list"]).await.ok();
    assert!(human.stdout.contains("25% above"), "{}", human.stdout);
    assert!(human.stdout.contains("drift accept"), "{}", human.stdout);

    env.json(&["drift", "accept", OFFER]).await;
    let after = estimate().await;
    assert_eq!(
        money(&after["estimates"][0], "expected_usd"),
        "0.05".parse().expect("dec")
    );
    assert!(after["estimates"][0]["drift"].is_null());
    assert_eq!(env.json(&["drift", "list"]).await["drifts"], json!([]));
    assert_eq!(
        env.json(&["drift", "list", "--all"]).await["drifts"][0]["status"],
        "accepted"
    );
    let refused = env.run(&["drift", "ignore", "openai:gpt-image-2"]).await;
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("no drift"), "{}", refused.stderr);
}

#[tokio::test]
async fn offers_discover_lists_new_models_and_imports_only_when_asked() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_TOGETHER_API_KEY", "tg-test-discover-5678");
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "black-forest-labs/FLUX.1-schnell", "type": "image",
             "pricing": {"hourly": 0, "input": 0.0027, "output": 0.0027, "base": 0, "finetune": 0}},
            {"id": "black-forest-labs/FLUX.1-krea-dev", "type": "image", "display_name": "FLUX.1 Krea [dev]",
             "pricing": {"hourly": 0, "input": 0.025, "output": 0.025, "base": 0, "finetune": 0}}
        ])))
        .mount(&env.server)
        .await;
    let r = env
        .json(&["offers", "discover", "--provider", "together"])
        .await;
    let p = &r["providers"][0];
    assert_eq!(p["status"], "ok", "{r}");
    assert_eq!(
        p["new_models"][0]["offer_id"],
        "together:black-forest-labs/FLUX.1-krea-dev"
    );
    let human = env
        .run(&["offers", "discover", "--provider", "together"])
        .await
        .ok();
    assert!(
        human.stdout.contains("no longer listed"),
        "{}",
        human.stdout
    );
    let offers = env.json(&["offers"]).await.to_string();
    assert!(!offers.contains("FLUX.1-krea-dev"), "not imported yet");
    env.json(&[
        "offers",
        "import",
        "together",
        "black-forest-labs/FLUX.1-krea-dev",
    ])
    .await;
    let offers = env.json(&["offers"]).await.to_string();
    assert!(
        offers.contains("together:black-forest-labs/FLUX.1-krea-dev"),
        "{offers}"
    );
}

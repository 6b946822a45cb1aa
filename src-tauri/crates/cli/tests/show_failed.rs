//! `show` on a failed generation says why it failed and lists every attempt.
mod common;

use common::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn show_explains_a_failed_generation() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-show-failed-1");
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {
                "message": "Invalid size: the zebra parameter is not allowed",
                "type": "invalid_request_error",
                "code": "invalid_value"
            }
        })))
        .mount(&env.server)
        .await;
    env.project("p", "5", "openai:gpt-image-1-mini", "openai:gpt-image-1")
        .await;
    let out = env
        .run(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a fox",
            "--draft",
            "--json",
        ])
        .await;
    assert_ne!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["status"], "failed", "{v}");
    let id = v["generation_id"].as_str().expect("id").to_string();

    let detail = env.json(&["show", &id]).await;
    assert!(
        detail["error"]
            .as_str()
            .is_some_and(|e| e.contains("zebra")),
        "the JSON says why too: {detail}"
    );
    assert_eq!(
        detail["attempts"][0]["outcome"], "invalid_request",
        "{detail}"
    );

    let out = env.run(&["show", &id]).await.ok();
    let text = out.stdout;
    assert!(text.contains("failed"), "status: {text}");
    let reason = text
        .lines()
        .find(|l| l.trim_start().starts_with("reason"))
        .unwrap_or_else(|| panic!("no reason line:\n{text}"));
    assert!(reason.contains("zebra"), "the provider's words: {reason}");
    // The attempts table: provider, model, outcome, billed, cost, error.
    let header = text
        .lines()
        .find(|l| l.starts_with("provider"))
        .unwrap_or_else(|| panic!("no attempts table:\n{text}"));
    for col in ["model", "outcome", "billed", "cost", "error"] {
        assert!(header.contains(col), "{header}");
    }
    let row = text
        .lines()
        .find(|l| l.starts_with("openai ") && l.contains("gpt-image-1-mini"))
        .unwrap_or_else(|| panic!("no attempt row:\n{text}"));
    assert!(
        row.contains("invalid_request") && row.contains(" no ") && row.contains("$0"),
        "{row}"
    );
    assert!(row.contains("zebra"), "{row}");
}

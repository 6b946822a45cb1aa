//! Issue 5 leak test: a recognizable key goes through a full flow (set, list, estimate,
//! a good generate, a failing generate); afterwards no file under the data dir and no
//! stdout/stderr of any command holds it. With a real keychain (.ci/with-keyring.sh)
//! the key is stored through `keys set` on stdin; otherwise it comes from
//! `PROOFSHEET_OPENAI_API_KEY` (the keychain part is then skipped, and says so).
mod common;

use common::*;
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

const CANARY: &str = "sk-LEAKCANARY-0123456789abcdef";
/// Everything but the last four characters (`keys list` may show those, by design).
const CANARY_BODY: &str = "sk-LEAKCANARY-0123456789ab";

#[tokio::test]
async fn the_key_never_reaches_disk_logs_or_output() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_LOG", "debug");
    let auth = format!("Bearer {CANARY}");
    // A failing call: 401 whose body echoes nothing secret (OpenAI's real shape).
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .and(body_partial_json(json!({"prompt": "this one fails"})))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error", "param": null, "code": "invalid_api_key"
        }})))
        .with_priority(1)
        .mount(&env.server)
        .await;
    // The good call only answers when the canary is sent as the bearer token.
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .and(header("authorization", auth.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "created": 1, "data": [{"b64_json": b64(&png(16, 16, 3))}],
            "usage": {"input_tokens": 5, "output_tokens": 272, "total_tokens": 277,
                      "input_tokens_details": {"text_tokens": 5, "image_tokens": 0}}
        })))
        .mount(&env.server)
        .await;

    if keyring_available() {
        env.run_stdin(&["keys", "set", "openai"], &format!("{CANARY}\n"))
            .await
            .ok();
    } else {
        eprintln!(
            "note: no Secret Service (run under .ci/with-keyring.sh); the key comes from PROOFSHEET_OPENAI_API_KEY"
        );
        env.set("PROOFSHEET_OPENAI_API_KEY", CANARY);
    }
    // `keys test`: OpenAI's cheap authenticated call (GET /v1/models) answers only to the key.
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(header("authorization", auth.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"object": "list", "data": [{"id": "gpt-image-1", "object": "model"}]}),
        ))
        .mount(&env.server)
        .await;
    let tested = env.run(&["keys", "test", "openai", "--json"]).await.ok();
    assert_eq!(tested.json()["status"], "valid", "{}", tested.stdout);
    let listed = env.run(&["keys", "list", "--json"]).await.ok();
    assert!(listed.stdout.contains("openai"), "{}", listed.stdout);
    env.run(&["keys", "list"]).await.ok();
    env.project(
        "leaky",
        "5",
        "openai:gpt-image-2",
        "openai:gpt-image-2.5-sunburst",
    )
    .await;
    env.run(&[
        "estimate",
        "--prompt",
        "a red fox",
        "--project",
        "leaky",
        "--json",
    ])
    .await
    .ok();

    let good = env
        .run(&[
            "generate",
            "--project",
            "leaky",
            "--prompt",
            "a red fox",
            "--draft",
            "--json",
        ])
        .await
        .ok();
    assert_eq!(good.json()["status"], "succeeded");
    env.run(&[
        "generate",
        "--project",
        "leaky",
        "--prompt",
        "a red fox",
        "--draft",
        "--no-dedup",
    ])
    .await
    .ok();
    let bad = env
        .run(&[
            "generate",
            "--project",
            "leaky",
            "--prompt",
            "this one fails",
            "--draft",
            "--json",
        ])
        .await;
    assert_eq!(
        bad.code, 5,
        "auth failure exit code\n{}\n{}",
        bad.stdout, bad.stderr
    );
    let bad = env
        .run(&[
            "generate",
            "--project",
            "leaky",
            "--prompt",
            "this one fails",
            "--draft",
        ])
        .await;
    assert_eq!(bad.code, 5);
    env.run(&["gallery", "list", "--json"]).await.ok();
    env.run(&["project", "show", "leaky"]).await.ok();
    let csv = env.tmp.path().join("report.csv").display().to_string();
    env.run(&["report", "--project", "leaky", "--csv", &csv])
        .await
        .ok();
    // A key typed where the provider goes is refused without echo.
    env.run(&["keys", "set", CANARY]).await.code(2);
    env.run(&["keys", "set", "openai", CANARY]).await.code(2);

    let transcript = env.transcript.lock().expect("transcript").clone();
    assert!(!transcript.is_empty());
    assert!(
        !transcript.contains(CANARY_BODY),
        "a command printed the key:\n{transcript}"
    );

    let mut scanned = 0;
    let files = files_under(env.tmp.path());
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        scanned += 1;
        assert!(
            !bytes
                .windows(CANARY_BODY.len())
                .any(|w| w == CANARY_BODY.as_bytes()),
            "the key is in {}",
            file.display()
        );
    }
    let db = files.iter().any(|f| {
        f.extension()
            .is_some_and(|e| e == "sqlite" || e == "db" || e == "sqlite3")
    });
    assert!(db, "the scan covered the database: {files:?}");
    assert!(scanned >= 3, "{files:?}");
}

//! Text output is safe to print: names, prompts and provider errors with control
//! characters (ANSI escapes, BEL, newlines) are shown escaped, tables keep one line per
//! row, and JSON keeps the exact text. Money is normalised everywhere.
mod common;

use common::*;

const ESC_NAME: &str = "ctl\u{1b}[2J\u{7}";
const NL_NAME: &str = "two\nlines";

/// No control character other than the line breaks the CLI itself writes.
#[track_caller]
fn assert_clean(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(
        bad.is_empty(),
        "{what} prints raw control characters {bad:?}:\n{text}"
    );
}

#[tokio::test]
async fn control_characters_are_escaped_in_text_and_exact_in_json() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-text-safety-1");
    mount_openai_ok(&env.server, 20).await;
    let out = env
        .run(&[
            "project",
            "create",
            ESC_NAME,
            "--budget",
            "5",
            "--client",
            "a\nb\u{7}",
            "--draft-chain",
            "openai:gpt-image-1-mini",
        ])
        .await
        .ok();
    assert_clean("project create", &out.stdout);
    assert!(
        out.stdout.contains("ctl\\u{1b}[2J\\u{7}"),
        "escaped visibly: {}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("a\nb"),
        "client on one line: {}",
        out.stdout
    );
    env.run(&["project", "create", NL_NAME, "--budget", "1"])
        .await
        .ok();

    // Tables: one line per row (header, rule, two projects), nothing raw.
    let out = env.run(&["project", "list"]).await.ok();
    assert_clean("project list", &out.stdout);
    assert_eq!(out.stdout.trim_end().lines().count(), 4, "{}", out.stdout);
    assert!(out.stdout.contains("two\\nlines"), "{}", out.stdout);

    let out = env.run(&["project", "show", NL_NAME]).await.ok();
    assert_clean("project show", &out.stdout);
    assert!(out.stdout.contains("Project two\\nlines"), "{}", out.stdout);

    // JSON is exact.
    let v = env.json(&["project", "list"]).await;
    let names: Vec<&str> = v["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&ESC_NAME) && names.contains(&NL_NAME), "{v}");
    let p = env.json(&["project", "show", ESC_NAME]).await;
    assert_eq!(p["client"], "a\nb\u{7}");

    // Errors that echo user input.
    let out = env
        .run(&["project", "show", "x\u{1b}[2Jy\nz"])
        .await
        .code(6);
    assert_clean("not-found error", &out.stderr);
    assert!(out.stderr.contains("x\\u{1b}[2Jy\\nz"), "{}", out.stderr);
    let out = env
        .run(&["project", "show", "x\u{1b}[2J", "--json"])
        .await
        .code(6);
    assert_clean("not-found error (json mode, stderr)", &out.stderr);
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("x\u{1b}[2J")),
        "JSON keeps the exact text: {}",
        out.stdout
    );

    // A generation in that project with a hostile prompt: progress, result, gallery, show.
    let prompt = "a fox\u{1b}]0;pwned\u{7} in\nthe snow";
    let out = env
        .run(&[
            "generate",
            "--project",
            ESC_NAME,
            "--prompt",
            prompt,
            "--draft",
        ])
        .await
        .ok();
    assert_clean("generate stdout", &out.stdout);
    assert_clean("generate stderr", &out.stderr);
    let out = env.run(&["gallery", "list"]).await.ok();
    assert_clean("gallery list", &out.stdout);
    assert_eq!(out.stdout.trim_end().lines().count(), 4, "{}", out.stdout);
    let v = env.json(&["gallery", "list"]).await;
    let item = &v["items"][0];
    assert_eq!(item["prompt"], prompt, "{v}");
    assert_eq!(item["project"], ESC_NAME, "{v}");
    let id = item["generation_id"].as_str().expect("id");
    let out = env.run(&["show", id]).await.ok();
    assert_clean("show", &out.stdout);
    assert!(out.stdout.contains("ctl\\u{1b}[2J\\u{7}"), "{}", out.stdout);
    let out = env
        .run(&[
            "estimate",
            "--project",
            ESC_NAME,
            "--prompt",
            "x",
            "--offer",
            "openai:gpt-image-1-mini",
        ])
        .await
        .ok();
    assert_clean("estimate", &out.stdout);
}

#[tokio::test]
async fn money_is_normalised_in_json_and_text() {
    let env = Env::new().await;
    let v = env
        .json(&[
            "estimate",
            "--prompt",
            "a red fox",
            "--offer",
            "together:black-forest-labs/FLUX.1-schnell",
        ])
        .await;
    let e = &v["estimates"][0];
    for f in ["expected_usd", "worst_case_usd", "per_image_usd"] {
        assert_eq!(e[f], "0.0027", "{f} in {e}");
    }
    // Every money field of every document is normalised (no trailing zeros).
    let v = env.json(&["estimate", "--prompt", "a red fox"]).await;
    let mut bad = Vec::new();
    walk_money(&v, &mut bad);
    assert!(bad.is_empty(), "not normalised: {bad:?}");

    // Project amounts, and the amounts inside a refusal message.
    env.json(&["project", "create", "p", "--budget", "0.010"])
        .await;
    let v = env.json(&["project", "show", "p"]).await;
    assert_eq!(v["budget_usd"], "0.01", "{v}");
    let out = env
        .run(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a castle",
            "--offer",
            "together:black-forest-labs/FLUX.1.1-pro",
            "--size",
            "2048x2048",
        ])
        .await
        .code(3);
    assert!(!has_trailing_zero_amount(&out.stderr), "{}", out.stderr);
}

fn walk_money(v: &serde_json::Value, bad: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k.ends_with("_usd")
                    && let Some(s) = x.as_str()
                    && s.contains('.')
                    && (s.ends_with('0') || s.ends_with('.'))
                {
                    bad.push(format!("{k}={s}"));
                }
                walk_money(x, bad);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk_money(x, bad)),
        _ => {}
    }
}

/// `$0.0100` or `$5.0` in prose.
fn has_trailing_zero_amount(text: &str) -> bool {
    text.split('$').skip(1).any(|rest| {
        let num: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let num = num.trim_end_matches('.');
        num.contains('.') && num.ends_with('0')
    })
}

/// clap echoes a bad value; on a terminal (where it styles its output) an escape
/// sequence in that value must not reach the screen. Runs the binary under `script`
/// for a pseudo-terminal.
#[tokio::test]
async fn clap_errors_on_a_terminal_do_not_echo_escape_sequences() {
    let env = Env::new().await;
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("note: skipped, `script` (util-linux) is not installed");
        return;
    }
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            "\"$CLI\" estimate --prompt x --size \"$HOSTILE\"",
            "/dev/null",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // clap styles (and passes escapes through) only on a terminal with a TERM.
        .env("TERM", "xterm-256color")
        .env("CLI", bin())
        .env("HOSTILE", "1\u{1b}[2J\u{7}x5")
        .env("PROOFSHEET_DATA_DIR", env.data_dir())
        .output()
        .expect("run script");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--size"), "{text}");
    assert!(
        !text.contains("\u{1b}[2J") && !text.contains('\u{7}'),
        "the escape reached the terminal: {text:?}"
    );
}

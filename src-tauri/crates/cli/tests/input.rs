//! Input that clap alone handles badly: negative numbers, sizes that start with '-',
//! and prompts too long for argv (`--prompt-file`, `--prompt -` for stdin).
mod common;

use common::*;

#[track_caller]
fn not_clap_confusion(stderr: &str) {
    assert!(
        !stderr.contains("unexpected argument"),
        "clap's message instead of ours: {stderr}"
    );
}

#[tokio::test]
async fn negative_budgets_and_sizes_get_clear_messages() {
    let env = Env::new().await;
    for args in [
        &["project", "create", "q", "--budget", "-1"][..],
        &["project", "create", "q", "--budget=-1"][..],
        &["project", "create", "q", "--budget", "-0.5"][..],
    ] {
        let out = env.run(args).await.code(2);
        not_clap_confusion(&out.stderr);
        assert!(
            out.stderr.contains("a budget cannot be negative"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = env.run(&["project", "show", "q"]).await.code(6);
    assert!(
        out.stderr.contains("q"),
        "nothing was created: {}",
        out.stderr
    );

    for args in [
        &["estimate", "--prompt", "x", "--size", "-1x5"][..],
        &["estimate", "--prompt", "x", "--size=-1x5"][..],
        &["estimate", "--prompt", "x", "--size", "5x-1"][..],
    ] {
        let out = env.run(args).await.code(2);
        not_clap_confusion(&out.stderr);
        assert!(
            out.stderr.contains("--size") && out.stderr.contains("negative"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // An option where the value should be: say so.
    let out = env
        .run(&["project", "create", "q", "--budget", "--soft"])
        .await
        .code(2);
    assert!(out.stderr.contains("--budget needs"), "{}", out.stderr);
    // One range for sizes, the engine's (64 to 8192), already at parse time.
    let out = env
        .run(&["estimate", "--prompt", "x", "--size", "32x32"])
        .await
        .code(2);
    assert!(out.stderr.contains("64 and 8192"), "{}", out.stderr);
    let out = env.run(&["estimate", "--help"]).await.ok();
    assert!(out.stdout.contains("64 to 8192"), "{}", out.stdout);
    // Other numbers say what range they take instead of "unexpected argument".
    let out = env
        .run(&["estimate", "--prompt", "x", "--n", "-1"])
        .await
        .code(2);
    not_clap_confusion(&out.stderr);
}

#[tokio::test]
async fn prompts_come_from_a_file_or_stdin() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-prompt-file-1");
    mount_openai_ok(&env.server, 40).await;
    env.project("p", "5", "openai:gpt-image-1-mini", "openai:gpt-image-1")
        .await;
    let dir = env.tmp.path();
    let prompt_file = dir.join("prompt.txt");
    std::fs::write(&prompt_file, "a red fox in the snow\n").expect("write");
    let neg_file = dir.join("neg.txt");
    std::fs::write(&neg_file, "blurry, text\r\n").expect("write");
    let pf = prompt_file.display().to_string();
    let nf = neg_file.display().to_string();

    let first = env
        .json(&[
            "generate",
            "--project",
            "p",
            "--prompt-file",
            &pf,
            "--draft",
        ])
        .await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let id = first["generation_id"].as_str().expect("id");
    let d = env.json(&["show", id]).await;
    assert_eq!(
        d["params"]["prompt"], "a red fox in the snow",
        "trailing newline dropped"
    );

    // The same prompt from stdin and from --prompt is the same request: reused.
    let out = env
        .run_stdin(
            &[
                "generate",
                "--project",
                "p",
                "--prompt",
                "-",
                "--draft",
                "--json",
            ],
            "a red fox in the snow\n",
        )
        .await
        .ok();
    assert_eq!(out.json()["dedup_hit"], true, "{}", out.stdout);
    let out = env
        .run(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a red fox in the snow",
            "--draft",
            "--json",
        ])
        .await
        .ok();
    assert_eq!(out.json()["dedup_hit"], true, "{}", out.stdout);

    // Negative prompts from a file or stdin reach the engine (OpenAI refuses them).
    let negative_reason = |v: serde_json::Value| {
        let e = &v["estimates"][0];
        format!("{} {}", e["reason"], e["notes"])
    };
    let mini = ["--offer", "openai:gpt-image-1-mini"];
    let v = env
        .json(
            &[
                &["estimate", "--prompt", "x", "--negative-file", &nf][..],
                &mini[..],
            ]
            .concat(),
        )
        .await;
    assert!(
        negative_reason(v).contains("negative"),
        "read from the file"
    );
    let out = env
        .run_stdin(
            &[
                &["estimate", "--prompt", "x", "--negative", "-", "--json"][..],
                &mini[..],
            ]
            .concat(),
            "blurry\n",
        )
        .await
        .ok();
    assert!(
        negative_reason(out.json()).contains("negative"),
        "read from stdin"
    );
    let v = env
        .json(&[&["estimate", "--prompt-file", &pf][..], &mini[..]].concat())
        .await;
    assert!(
        !negative_reason(v).contains("negative"),
        "no negative prompt"
    );

    // A prompt far beyond argv's limit reaches the engine, which names the model's cap.
    let big = dir.join("big.txt");
    std::fs::write(&big, "fox ".repeat(250_000)).expect("write");
    let v = env
        .json(&[
            "estimate",
            "--prompt-file",
            &big.display().to_string(),
            "--offer",
            "openai:gpt-image-1",
        ])
        .await;
    let e = &v["estimates"][0];
    assert_eq!(e["supported"], false, "{e}");

    // Same validation as --prompt.
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, " \n").expect("write");
    let out = env
        .run(&["estimate", "--prompt-file", &empty.display().to_string()])
        .await
        .code(2);
    assert!(out.stderr.contains("empty"), "{}", out.stderr);
    let missing = dir.join("nope.txt").display().to_string();
    let out = env
        .run(&["estimate", "--prompt-file", &missing])
        .await
        .code(2);
    assert!(out.stderr.contains("nope.txt"), "{}", out.stderr);
    let binary = dir.join("bin.txt");
    std::fs::write(&binary, [0xff_u8, 0xfe, 0x00, 0x41]).expect("write");
    let out = env
        .run(&["estimate", "--prompt-file", &binary.display().to_string()])
        .await
        .code(2);
    assert!(out.stderr.contains("UTF-8"), "{}", out.stderr);
    let out = env
        .run_stdin(&["estimate", "--prompt", "-"], "")
        .await
        .code(2);
    assert!(out.stderr.contains("stdin"), "{}", out.stderr);
    env.run(&["estimate", "--prompt", "x", "--prompt-file", &pf])
        .await
        .code(2);
    let out = env.run(&["estimate"]).await.code(2);
    assert!(out.stderr.contains("--prompt"), "{}", out.stderr);
    let out = env
        .run_stdin(&["estimate", "--prompt", "-", "--negative", "-"], "x")
        .await
        .code(2);
    assert!(out.stderr.contains("stdin"), "{}", out.stderr);

    for cmd in ["estimate", "generate"] {
        let out = env.run(&[cmd, "--help"]).await.ok();
        for needle in ["--prompt-file", "--negative-file", "stdin"] {
            assert!(out.stdout.contains(needle), "{cmd} --help lacks {needle}");
        }
    }
}

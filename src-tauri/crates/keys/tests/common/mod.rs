//! Helpers shared by the keychain tests.
#![allow(dead_code)]

use std::process::Command;

/// True when a throwaway keyring is running (.ci/with-keyring.sh sets the variable).
/// Otherwise prints why the test is skipped (it must never touch a developer's keyring),
/// or fails under `CI=true`.
pub fn keyring_available(test: &str) -> bool {
    if std::env::var_os("PROOFSHEET_KEYRING_TESTS").is_some() {
        return true;
    }
    // In CI a skip would look green: there, a missing keyring fails the test.
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: CI expects a throwaway keyring; run under .ci/with-keyring.sh"
    );
    eprintln!(
        "note: {test} skipped: needs a real Secret Service; run \
         `.ci/with-keyring.sh cargo test -p proofsheet-keys`"
    );
    false
}

/// A service name no other test (or user) shares.
pub fn unique_service() -> String {
    format!("com.proofsheet.test.{}", uuid::Uuid::new_v4())
}

/// `secret-tool search --all service <service>`: items and their attributes, from the
/// keyring itself rather than through this crate.
pub fn secret_tool_search(service: &str) -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", service])
        .output()
        .expect("secret-tool must be installed (apt-get install libsecret-tools)");
    // secret-tool prints labels and secrets on stdout, attributes on stderr.
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `secret-tool lookup service <service> username <user>`: the stored secret, if any.
pub fn secret_tool_lookup(service: &str, user: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", user])
        .output()
        .expect("secret-tool must be installed (apt-get install libsecret-tools)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Re-runs one test of the current test binary in a child process with `env` applied
/// (and `remove` removed), so process-wide settings (D-Bus address, key variables) never
/// leak into other tests. Returns the child's combined output; panics if it failed.
pub fn run_child(test: &str, env: &[(&str, &str)], remove: &[&str]) -> String {
    run_child_under(&[], test, env, remove)
}

/// Like `run_child`, with the child started through `prefix` (e.g. `dbus-run-session --`).
pub fn run_child_under(
    prefix: &[&str],
    test: &str,
    env: &[(&str, &str)],
    remove: &[&str],
) -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = match prefix.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("PROOFSHEET_KEYS_CHILD", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for k in remove {
        cmd.env_remove(k);
    }
    let out = cmd.output().expect("spawn child test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child {test} failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "child {test} did not run:\n{text}"
    );
    text
}

/// True inside a child started by `run_child`.
pub fn is_child() -> bool {
    std::env::var_os("PROOFSHEET_KEYS_CHILD").is_some()
}

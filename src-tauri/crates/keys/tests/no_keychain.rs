//! No usable keychain: every keychain call fails with a clear `Unavailable` error naming
//! cause and remedy, nothing panics, nothing falls back to a file, and a key from
//! `PROOFSHEET_<ID>_API_KEY` still works. Each case runs in a child process so the
//! D-Bus settings it needs never affect other tests.

mod common;

use common::{is_child, keyring_available, run_child, run_child_under};
use keys::{AsyncKeyStore, KeyError, KeySource, KeyStore, Provider, Secret};

const ENV_KEY: &str = "sk-env-only-0123456789-ENVK";
const STORED_KEY: &str = "sk-never-stored-5f0c3a-SECRETVALUE";

/// Runs in both modes: needs no keyring, only the test binary.
#[test]
fn no_dbus_session_is_a_clear_error_and_env_key_still_works() {
    run_child(
        "child_no_keychain",
        &[
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/proofsheet-test-bus",
            ),
            ("PROOFSHEET_OPENAI_API_KEY", ENV_KEY),
            ("CHILD_MODE", "nobus"),
        ],
        &["PROOFSHEET_STABILITY_API_KEY"],
    );
}

/// No address at all and no per-user bus socket either.
#[test]
fn unset_dbus_address_is_a_clear_error() {
    let runtime_dir = tempfile::tempdir().expect("temp dir");
    let runtime_dir = runtime_dir.path().to_str().expect("utf-8 temp path");
    run_child(
        "child_no_keychain",
        &[
            ("XDG_RUNTIME_DIR", runtime_dir),
            ("PROOFSHEET_OPENAI_API_KEY", ENV_KEY),
            ("CHILD_MODE", "nobus"),
        ],
        &["DBUS_SESSION_BUS_ADDRESS", "PROOFSHEET_STABILITY_API_KEY"],
    );
}

/// A session bus on which nothing provides org.freedesktop.secrets.
#[test]
fn bus_without_secret_service_is_a_clear_error() {
    if !keyring_available("bus_without_secret_service_is_a_clear_error") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("no-services.conf");
    std::fs::write(
        &conf,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.path().display()
        ),
    )
    .expect("write bus config");
    let conf_arg = format!("--config-file={}", conf.display());
    run_child_under(
        &["dbus-run-session", &conf_arg, "--"],
        "child_no_keychain",
        &[
            ("PROOFSHEET_OPENAI_API_KEY", ENV_KEY),
            ("CHILD_MODE", "noservice"),
        ],
        &["PROOFSHEET_STABILITY_API_KEY"],
    );
}

/// A bus that accepts the socket connection but never completes the D-Bus handshake
/// (reproduced with this bus configuration): a bounded wait, then `Unavailable`.
#[test]
fn wedged_bus_times_out_with_a_clear_error() {
    if !keyring_available("wedged_bus_times_out_with_a_clear_error") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("wedged.conf");
    std::fs::write(
        &conf,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <policy context="default"><allow send_destination="*"/><allow own="*"/></policy>
</busconfig>
"#,
            dir.path().display()
        ),
    )
    .expect("write bus config");
    let conf_arg = format!("--config-file={}", conf.display());
    run_child_under(
        &["dbus-run-session", &conf_arg, "--"],
        "child_no_keychain",
        &[
            ("PROOFSHEET_OPENAI_API_KEY", ENV_KEY),
            ("CHILD_MODE", "wedged"),
        ],
        &["PROOFSHEET_STABILITY_API_KEY"],
    );
}

/// A Secret Service whose login keyring was never unlocked (and no prompt can be shown).
#[test]
fn locked_keyring_is_a_clear_error() {
    if !keyring_available("locked_keyring_is_a_clear_error") {
        return;
    }
    let data = tempfile::tempdir().expect("temp dir");
    let data = data.path().to_str().expect("utf-8 temp path");
    run_child_under(
        &["dbus-run-session", "--"],
        "child_no_keychain",
        &[
            ("XDG_DATA_HOME", data),
            ("PROOFSHEET_OPENAI_API_KEY", ENV_KEY),
            ("CHILD_MODE", "locked"),
        ],
        &["PROOFSHEET_STABILITY_API_KEY"],
    );
}

fn assert_unavailable(err: &KeyError, cause: &str, env_var: &str) {
    let shown = err.to_string();
    assert!(err.is_unavailable(), "expected Unavailable, got {err:?}");
    assert!(shown.contains(cause), "cause missing in: {shown}");
    assert!(shown.contains(env_var), "remedy missing in: {shown}");
    let debug = format!("{err:?}");
    for text in [&shown, &debug] {
        assert!(
            !text.contains(STORED_KEY) && !text.contains(ENV_KEY),
            "leak: {text}"
        );
    }
}

#[test]
fn child_no_keychain() {
    if !is_child() {
        return;
    }
    let mode = std::env::var("CHILD_MODE").expect("mode");
    let cause = match mode.as_str() {
        "nobus" => "no D-Bus session bus or Secret Service found",
        "noservice" => "no Secret Service found on the session bus",
        "locked" => "keyring is locked",
        "wedged" => "did not answer within 10 seconds",
        other => panic!("unknown mode {other}"),
    };
    let remedy = match mode.as_str() {
        "locked" => "unlock your login keyring",
        "wedged" => "restart the keyring daemon",
        _ => "gnome-keyring or KeePassXC",
    };

    // Creating the store touches nothing.
    let store = KeyStore::new("com.proofsheet.test.no-keychain");

    let err = store
        .set(Provider::Stability, Secret::from_string(STORED_KEY.into()))
        .expect_err("nowhere to store the key");
    assert_unavailable(&err, cause, "PROOFSHEET_STABILITY_API_KEY");
    assert!(err.to_string().contains(remedy), "{err}");
    eprintln!("message shown to the user: {err}");

    // The environment key needs no keychain.
    let key = store
        .get(Provider::OpenAi)
        .expect("env key")
        .expect("present");
    assert_eq!(key.expose(), ENV_KEY);
    assert!(store.has(Provider::OpenAi).expect("has"));
    let env_keys = KeyStore::environment_keys();
    assert_eq!(env_keys.len(), 1);
    assert_eq!(env_keys[0].provider, Provider::OpenAi);
    assert_eq!(env_keys[0].source, KeySource::Environment);
    assert_eq!(env_keys[0].last4.as_deref(), Some("ENVK"));

    if mode != "locked" {
        // Without a Secret Service every keychain read fails too (a locked keyring may
        // still answer searches, so reads are only checked here).
        let err = store.get(Provider::Stability).expect_err("no keychain");
        assert_unavailable(&err, cause, "PROOFSHEET_STABILITY_API_KEY");
        let err = store.list().expect_err("no keychain");
        assert_unavailable(&err, cause, "PROOFSHEET_<PROVIDER>_API_KEY");
        assert!(store.check_available().is_err());
        let err = store.delete(Provider::Fal).expect_err("no keychain");
        assert_unavailable(&err, cause, "PROOFSHEET_FAL_API_KEY");
    }

    // Same through the async wrapper, inside a runtime.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let a = AsyncKeyStore::from(store.clone());
        let key = a
            .get(Provider::OpenAi)
            .await
            .expect("env key")
            .expect("present");
        assert_eq!(key.expose(), ENV_KEY);
        let err = a
            .set(Provider::Bfl, Secret::from_string(STORED_KEY.into()))
            .await
            .expect_err("nowhere to store the key");
        assert_unavailable(&err, cause, "PROOFSHEET_BFL_API_KEY");
    });
}

//! `proofsheet-cli catalog …`: the publisher signs with a key file, the app side checks
//! a local feed server, shows the diff, applies, restores; a tampered or wrongly signed
//! feed is refused with a clear error and exit code 2.
mod common;

use common::*;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const BUNDLED: &str = include_str!("../../pricing/catalog/catalog.json");

/// The bundled catalog, newer, with BFL FLUX 1.1 [pro] at 5 credits (was 4).
fn newer_catalog() -> String {
    let mut doc: Value = serde_json::from_str(BUNDLED).expect("bundled");
    doc["version"] = "2026.12.01-1".into();
    doc["published"] = "2026-12-01".into();
    let o = doc["offers"]
        .as_array_mut()
        .and_then(|a| a.iter_mut().find(|o| o["id"] == "bfl:flux-pro-1.1"))
        .expect("flux");
    o["formula"]["credits"]["price"] = "5".into();
    serde_json::to_string_pretty(&doc).expect("encode")
}

async fn mount_feed(env: &Env, body: &[u8], sig: &[u8]) {
    env.server.reset().await;
    Mock::given(method("GET"))
        .and(path("/feed/catalog.json"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body.to_vec()))
        .mount(&env.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed/catalog.json.sig"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(sig.to_vec()))
        .mount(&env.server)
        .await;
}

fn flux_expected(v: &Value) -> String {
    v["estimates"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["offer_id"] == "bfl:flux-pro-1.1"))
        .map(|e| e["expected_usd"].as_str().unwrap_or("").to_owned())
        .expect("flux estimate")
}

/// Signs a catalog with a fresh key; returns (catalog path, signature bytes, public hex).
async fn signed(env: &Env, text: &str) -> (std::path::PathBuf, Vec<u8>, String) {
    let dir = env.tmp.path();
    let key = dir.join("feed-key.pem");
    if !key.exists() {
        env.json(&["catalog", "keygen", "--out", key.to_str().expect("utf8")])
            .await;
    }
    let file = dir.join("catalog.json");
    std::fs::write(&file, text).expect("write catalog");
    let v = env
        .json(&[
            "catalog",
            "sign",
            file.to_str().expect("utf8"),
            "--key",
            key.to_str().expect("utf8"),
        ])
        .await;
    assert_eq!(v["version"], "2026.12.01-1");
    assert_eq!(v["builtin_key"], false);
    let sig = std::fs::read(dir.join("catalog.json.sig")).expect("sig");
    (file, sig, v["public_key"].as_str().expect("hex").to_owned())
}

#[tokio::test]
async fn sign_verify_check_diff_apply_restore() {
    let mut env = Env::new().await;
    let body = newer_catalog();
    let (file, sig, public) = signed(&env, &body).await;
    let f = file.to_str().expect("utf8");

    // verify: with the signing key's public half, and refused by the built-in key.
    let v = env
        .json(&["catalog", "verify", f, "--public-key", &public])
        .await;
    assert_eq!(v["valid"], true);
    assert_eq!(v["version"], "2026.12.01-1");
    let out = env.run(&["catalog", "verify", f]).await.code(2);
    assert!(
        out.stderr.contains("signature does not match"),
        "{}",
        out.stderr
    );

    // The app side, trusting the test key (debug builds only).
    env.set("PROOFSHEET_CATALOG_FEED_KEY", &public);
    mount_feed(&env, body.as_bytes(), &sig).await;
    let url = format!("{}/feed/catalog.json", env.server.uri());
    env.json(&["catalog", "set-url", &url]).await;
    let before = flux_expected(
        &env.json(&[
            "estimate",
            "--prompt",
            "a fox",
            "--offer",
            "bfl:flux-pro-1.1",
        ])
        .await,
    );
    assert_eq!(before, "0.04");

    let c = env.json(&["catalog", "check"]).await;
    assert_eq!(c["outcome"], "update_available");
    assert_eq!(c["diff"]["to_version"], "2026.12.01-1");

    let d = env.json(&["catalog", "diff"]).await;
    let p = &d["price_changes"][0];
    assert_eq!(p["offer_id"], "bfl:flux-pro-1.1");
    assert_eq!(p["old_usd"], "0.04");
    assert_eq!(p["new_usd"], "0.05");
    assert_eq!(p["percent"], "25.0");
    let text = env.run(&["catalog", "diff"]).await.ok().stdout;
    assert!(text.contains("bfl:flux-pro-1.1"), "{text}");
    assert!(
        text.contains("$0.04") && text.contains("$0.05") && text.contains("+25.0%"),
        "{text}"
    );

    // Still the old prices: nothing changes before apply.
    let now = env
        .json(&[
            "estimate",
            "--prompt",
            "a fox",
            "--offer",
            "bfl:flux-pro-1.1",
        ])
        .await;
    assert_eq!(flux_expected(&now), "0.04");

    let a = env
        .json(&["catalog", "apply", "--version", "2026.12.01-1"])
        .await;
    assert_eq!(a["version"], "2026.12.01-1");
    assert_eq!(a["origin"], "feed");
    let now = env
        .json(&[
            "estimate",
            "--prompt",
            "a fox",
            "--offer",
            "bfl:flux-pro-1.1",
        ])
        .await;
    assert_eq!(flux_expected(&now), "0.05");
    let st = env.json(&["catalog", "status"]).await;
    assert_eq!(st["version"], "2026.12.01-1");
    assert_eq!(st["published"], "2026-12-01");

    let r = env.json(&["catalog", "restore"]).await;
    assert_eq!(r["origin"], "bundled");
    let now = env
        .json(&[
            "estimate",
            "--prompt",
            "a fox",
            "--offer",
            "bfl:flux-pro-1.1",
        ])
        .await;
    assert_eq!(flux_expected(&now), "0.04");
}

#[tokio::test]
async fn a_tampered_or_wrongly_signed_feed_is_refused_with_exit_2() {
    let mut env = Env::new().await;
    let body = newer_catalog();
    let (_, sig, public) = signed(&env, &body).await;
    env.set("PROOFSHEET_CATALOG_FEED_KEY", &public);
    let url = format!("{}/feed/catalog.json", env.server.uri());
    env.json(&["catalog", "set-url", &url]).await;

    let tampered = body.replace("\"5\"", "\"1\"");
    mount_feed(&env, tampered.as_bytes(), &sig).await;
    let out = env.run(&["catalog", "check"]).await.code(2);
    assert!(
        out.stderr.contains("signature does not match"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Nothing was changed"), "{}", out.stderr);
    let out = env.run(&["catalog", "apply", "--json"]).await.code(2);
    assert_eq!(out.json()["error"]["kind"], "usage");

    // A valid signature by a key the app does not trust.
    let other = env.tmp.path().join("other.pem");
    let o = env
        .json(&["catalog", "keygen", "--out", other.to_str().expect("utf8")])
        .await;
    assert_ne!(o["public_key"], public.as_str());
    let file = env.tmp.path().join("catalog.json");
    env.json(&[
        "catalog",
        "sign",
        file.to_str().expect("utf8"),
        "--key",
        other.to_str().expect("utf8"),
        "--out",
        env.tmp.path().join("other.sig").to_str().expect("utf8"),
    ])
    .await;
    let other_sig = std::fs::read(env.tmp.path().join("other.sig")).expect("sig");
    mount_feed(&env, body.as_bytes(), &other_sig).await;
    let out = env.run(&["catalog", "check"]).await.code(2);
    assert!(
        out.stderr.contains("signature does not match"),
        "{}",
        out.stderr
    );

    let st = env.json(&["catalog", "status"]).await;
    assert!(st["pending"].is_null());
    assert!(
        st["last_check_error"]
            .as_str()
            .is_some_and(|e| e.contains("signature does not match"))
    );
}

#[tokio::test]
async fn an_invalid_catalog_is_never_signed() {
    let env = Env::new().await;
    let key = env.tmp.path().join("k.pem");
    env.json(&["catalog", "keygen", "--out", key.to_str().expect("utf8")])
        .await;
    let file = env.tmp.path().join("bad.json");
    std::fs::write(&file, newer_catalog().replace("\"5\"", "\"-5\"")).expect("write");
    let out = env
        .run(&[
            "catalog",
            "sign",
            file.to_str().expect("utf8"),
            "--key",
            key.to_str().expect("utf8"),
        ])
        .await
        .code(2);
    assert!(
        out.stderr.contains("not signed: the catalog is invalid"),
        "{}",
        out.stderr
    );
    assert!(!env.tmp.path().join("bad.json.sig").exists());
    // keygen never overwrites a key.
    let again = env
        .run(&["catalog", "keygen", "--out", key.to_str().expect("utf8")])
        .await
        .code(2);
    assert!(
        again.stderr.contains("never overwritten"),
        "{}",
        again.stderr
    );
}

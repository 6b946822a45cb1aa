//! Image operations end to end from the CLI (issue 15 "Done when") against local fakes
//! of Gemini, BFL, Stability and fal (OpenAI is in image_inputs.rs): each test runs a
//! real `proofsheet-cli`, checks the documented request the fake received (fields, the
//! image bytes, the mask white = edit where the provider wants it), the `--json` inputs
//! and that the charge is the estimate, or the cost the provider reported.
#[path = "../common/mod.rs"]
mod common;
mod fake;
mod gemini_bfl;
mod no_prompt;
mod stability_fal;

use std::path::Path;

use common::*;
use fake::*;
use rust_decimal::Decimal;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub(crate) fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write input");
    p.display().to_string()
}

/// An RGBA PNG, transparent (alpha 0 = edit, the CLI's convention) in its top half.
pub(crate) fn mask(w: u32, h: u32, top: bool) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |_, y| {
        let edit = (y < h / 2) == top;
        image::Rgba([0, 0, 0, if edit { 0 } else { 255 }])
    });
    encode_png(image::DynamicImage::ImageRgba8(img))
}

pub(crate) async fn env_with(keys: &[(&str, &str)]) -> Env {
    let mut env = Env::new().await;
    for (k, v) in keys {
        env.set(k, v);
    }
    env.project(
        "ops",
        "20",
        "google:gemini-2.5-flash-image",
        "bfl:flux-2-pro",
    )
    .await;
    env
}

/// The estimate of `offer` for `args`, which must be supported.
pub(crate) async fn estimate(env: &Env, offer: &str, args: &[&str]) -> Value {
    let mut a = vec!["estimate", "--offer", offer];
    a.extend_from_slice(args);
    let v = env.json(&a).await;
    let e = v["estimates"][0].clone();
    assert_eq!(e["offer_id"], offer, "{v}");
    assert_eq!(e["supported"], true, "{e}");
    e
}

pub(crate) async fn generate(env: &Env, offer: &str, args: &[&str]) -> Value {
    let mut a = vec!["generate", "--project", "ops", "--offer", offer];
    a.extend_from_slice(args);
    env.json(&a).await
}

/// Money fields are decimal strings, and the charge is on the attempt too.
#[track_caller]
pub(crate) fn charged(g: &Value) -> Decimal {
    assert_eq!(g["status"], "succeeded", "{g}");
    assert!(g["cost_usd"].is_string(), "money as a decimal string: {g}");
    let c = money(g, "cost_usd");
    assert_eq!(money(&g["attempts"][0], "cost_usd"), c, "{g}");
    c
}

/// The number just before `marker` on the estimate's line that has it.
pub(crate) fn count_before(e: &Value, marker: &str) -> u64 {
    let line = e["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(Value::as_str)
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with `{marker}` in {e}"));
    let before = line[..line.find(marker).unwrap_or(0)].trim_end();
    let digits: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count before `{marker}` in `{line}`"))
}

pub(crate) fn inputs_of(g: &Value) -> Vec<(String, String)> {
    g["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            (
                i["hash"].as_str().unwrap_or_default().to_string(),
                i["role"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub(crate) async fn received(env: &Env) -> Vec<wiremock::Request> {
    env.server.received_requests().await.unwrap_or_default()
}

pub(crate) const GEMINI_KEY: (&str, &str) = ("PROOFSHEET_GOOGLE_API_KEY", "gm-test-ops-4242");
pub(crate) const BFL_KEY: (&str, &str) = ("PROOFSHEET_BFL_API_KEY", "bfl-test-ops-4242");
pub(crate) const STAB_KEY: (&str, &str) = ("PROOFSHEET_STABILITY_API_KEY", "sk-test-ops-4242");
pub(crate) const FAL_KEY: (&str, &str) = ("PROOFSHEET_FAL_API_KEY", "fal-test-ops:4242");

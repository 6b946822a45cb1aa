//! Image inputs from the CLI (issue 15 §6) against a fake OpenAI `/v1/images/edits`: an
//! edit with a mask and an edit with three references, the estimate's input lines held
//! against the usage the fake reports; dedup over inputs and masks; finalize from a
//! draft and the lineage `show --json` prints.
mod common;

use std::path::{Path, PathBuf};

use common::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const KEY: &str = "sk-test-inputs-4242";
const OFFER: &str = "openai:gpt-image-2";
/// Image tokens per 1024² input at high fidelity (fal's documentation of OpenAI's
/// rule, reference/image-inputs.md I1): what the fake reports per input.
const HIGH_1024: u64 = 3050;

async fn env() -> Env {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_OPENAI_API_KEY", KEY);
    mount_openai_ok(&env.server, 10).await;
    env.project("inputs", "20", OFFER, OFFER).await;
    env
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write input");
    p
}

/// An RGBA PNG, transparent (alpha 0 = edit) in its top half.
fn mask(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |_, y| {
        image::Rgba([0, 0, 0, if y < h / 2 { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode mask");
    out.into_inner()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The fake's edit answer: one image, usage with `image_tokens` input image tokens.
async fn mount_edits(env: &Env, image_tokens: u64) {
    let body = json!({
        "created": 1_700_000_000,
        "data": [{ "b64_json": b64(&png(64, 64, 77)) }],
        "usage": {
            "input_tokens": image_tokens + 20,
            "input_tokens_details": { "text_tokens": 20, "image_tokens": image_tokens },
            "output_tokens": 272,
            "output_tokens_details": { "text_tokens": 0, "image_tokens": 272 },
            "total_tokens": image_tokens + 292
        }
    });
    Mock::given(method("POST"))
        .and(path("/v1/images/edits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&env.server)
        .await;
}

/// The estimate of OFFER for these arguments.
async fn estimate(env: &Env, args: &[&str]) -> Value {
    let mut a = vec!["estimate", "--offer", OFFER];
    a.extend_from_slice(args);
    let v = env.json(&a).await;
    let e = v["estimates"][0].clone();
    assert_eq!(e["offer_id"], OFFER, "{v}");
    assert_eq!(e["supported"], true, "the offer can edit: {e}");
    e
}

/// The number just before `marker` on the first of the estimate's lines that has it,
/// e.g. `(12,200 image-in tokens × $8/M)` → 12200.
fn tokens_before(e: &Value, marker: &str) -> u64 {
    let lines = e["lines"].as_array().expect("lines");
    let line = lines
        .iter()
        .filter_map(Value::as_str)
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with `{marker}` in {e}"));
    let before = &line[..line.find(marker).unwrap_or(0)];
    let digits: String = before
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .collect::<String>()
        .chars()
        .rev()
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no token count before `{marker}` in `{line}`"))
}

/// The input-image tokens the estimate priced.
fn input_tokens(e: &Value) -> u64 {
    tokens_before(e, "image-in tokens")
}

/// Mounts the fake's edit answer reporting exactly the usage the estimate priced: text
/// and image input tokens and output image tokens.
async fn mount_edits_as_estimated(env: &Env, e: &Value) {
    let text = tokens_before(e, "text-in tokens");
    let image = input_tokens(e);
    let out = tokens_before(e, "image tokens ×");
    let body = json!({
        "created": 1_700_000_000,
        "data": [{ "b64_json": b64(&png(64, 64, 77)) }],
        "usage": {
            "input_tokens": text + image,
            "input_tokens_details": { "text_tokens": text, "image_tokens": image },
            "output_tokens": out,
            "output_tokens_details": { "text_tokens": 0, "image_tokens": out },
            "total_tokens": text + image + out
        }
    });
    Mock::given(method("POST"))
        .and(path("/v1/images/edits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&env.server)
        .await;
}

fn edit_requests(reqs: &[wiremock::Request]) -> Vec<&wiremock::Request> {
    reqs.iter()
        .filter(|r| r.url.path() == "/v1/images/edits")
        .collect()
}

#[tokio::test]
async fn an_edit_with_a_mask_prices_its_input_and_settles_from_the_fakes_usage() {
    let env = env().await;
    let dir = env.tmp.path();
    let subject_bytes = png(1024, 1024, 1);
    let subject = write(dir, "subject.png", &subject_bytes);
    let m = write(dir, "mask.png", &mask(1024, 1024));
    let (s, mk) = (subject.display().to_string(), m.display().to_string());
    let args = [
        "--prompt",
        "a purple sky",
        "--image",
        &s,
        "--mask",
        &mk,
        "--op",
        "inpaint",
        "--fidelity",
        "high",
    ];
    let e = estimate(&env, &args).await;
    assert_eq!(
        input_tokens(&e),
        HIGH_1024,
        "one 1024² input at high fidelity: {e}"
    );
    mount_edits_as_estimated(&env, &e).await;

    let mut gen_args = vec!["generate", "--project", "inputs", "--offer", OFFER];
    gen_args.extend_from_slice(&args);
    let g = env.json(&gen_args).await;
    assert_eq!(g["status"], "succeeded", "{g}");
    assert_eq!(
        g["inputs"],
        json!([{ "hash": sha(&subject_bytes), "role": "subject" }])
    );
    // Settled from the reported usage, which is what the estimate priced.
    let a = &g["attempts"][0];
    assert_eq!(money(&g, "cost_usd"), money(&e, "expected_usd"), "{g}");
    assert_eq!(money(a, "cost_usd"), money(&g, "cost_usd"));
    assert!(a["review"].is_null(), "the settled cost is plausible: {a}");

    let reqs = env.server.received_requests().await.unwrap_or_default();
    let edits = edit_requests(&reqs);
    assert_eq!(edits.len(), 1);
    let body = String::from_utf8_lossy(&edits[0].body);
    assert!(body.contains("name=\"mask\""), "the mask is sent");
    assert!(body.contains("name=\"image[]\"") || body.contains("name=\"image\""));

    // The same request with the same inputs is a dedup hit, no call.
    let again = env.json(&gen_args).await;
    assert_eq!(again["dedup_hit"], true, "{again}");
    assert_eq!(money(&again, "cost_usd"), Decimal::ZERO);
    // Another mask is another request.
    let m2 = write(dir, "mask2.png", &{
        let img = image::RgbaImage::from_fn(1024, 1024, |x, _| {
            image::Rgba([0, 0, 0, if x < 512 { 0 } else { 255 }])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("png");
        out.into_inner()
    });
    let m2s = m2.display().to_string();
    let changed: Vec<&str> = gen_args
        .iter()
        .map(|a| if *a == mk.as_str() { m2s.as_str() } else { a })
        .collect();
    let third = env.json(&changed).await;
    assert_eq!(third["dedup_hit"], false, "{third}");
    let reqs = env.server.received_requests().await.unwrap_or_default();
    assert_eq!(edit_requests(&reqs).len(), 2, "a new mask is sent");

    // show --json: the lineage names the input and the mask.
    let id = g["generation_id"].as_str().expect("id");
    let shown = env.json(&["show", id]).await;
    let lineage = &shown["lineage"];
    assert_eq!(lineage["operation"], "inpaint", "{shown}");
    assert_eq!(lineage["inputs"][0]["hash"], sha(&subject_bytes));
    assert_eq!(lineage["inputs"][0]["role"], "subject");
    assert!(lineage["mask"]["hash"].is_string(), "{lineage}");
}

#[tokio::test]
async fn an_edit_with_three_references_prices_every_input() {
    let env = env().await;
    let dir = env.tmp.path();
    let files: Vec<String> = (0..4u8)
        .map(|i| {
            write(dir, &format!("in{i}.png"), &png(1024, 1024, 20 + i))
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec![
        "--prompt",
        "the product on the table, in this style",
        "--op",
        "edit",
    ];
    for f in &files {
        args.extend_from_slice(&["--image", f]);
    }
    args.extend_from_slice(&["--fidelity", "high"]);
    let e = estimate(&env, &args).await;
    assert_eq!(
        input_tokens(&e),
        4 * HIGH_1024,
        "the subject and three references at high fidelity: {e}"
    );
    mount_edits_as_estimated(&env, &e).await;
    let mut gen_args = vec!["generate", "--project", "inputs", "--offer", OFFER];
    gen_args.extend_from_slice(&args);
    let g = env.json(&gen_args).await;
    assert_eq!(g["status"], "succeeded", "{g}");
    let roles: Vec<&str> = g["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|i| i["role"].as_str())
        .collect();
    assert_eq!(roles, ["subject", "reference", "reference", "reference"]);
    assert_eq!(money(&g, "cost_usd"), money(&e, "expected_usd"), "{g}");
    assert!(g["attempts"][0]["review"].is_null(), "{g}");
    let reqs = env.server.received_requests().await.unwrap_or_default();
    let body = String::from_utf8_lossy(&edit_requests(&reqs)[0].body).into_owned();
    assert_eq!(
        body.matches("name=\"image[]\"").count(),
        4,
        "every input is sent"
    );
}

#[tokio::test]
async fn finalize_from_a_draft_links_the_final_to_it() {
    let env = env().await;
    let draft = env
        .json(&[
            "generate",
            "--project",
            "inputs",
            "--prompt",
            "a lighthouse at dusk",
            "--draft",
        ])
        .await;
    let draft_id = draft["generation_id"].as_str().expect("id").to_owned();
    let options = env.json(&["finalize", &draft_id]).await;
    let ways: Vec<&str> = options["options"]
        .as_array()
        .expect("options")
        .iter()
        .filter_map(|o| o["how"].as_str())
        .collect();
    assert_eq!(ways, ["reference", "upscale", "reroll"], "{options}");
    let reference = &options["options"][0];
    assert_eq!(reference["offer_id"], OFFER, "{reference}");
    assert_eq!(reference["can_run"], true, "{reference}");
    assert_eq!(reference["fidelity"], "medium");
    money(reference, "expected_usd");
    assert_eq!(options["options"][2]["fidelity"], "low");

    mount_edits(&env, 272).await;
    let fin = env
        .json(&[
            "finalize",
            &draft_id,
            "--how",
            "reference",
            "--offer",
            OFFER,
        ])
        .await;
    assert_eq!(fin["status"], "succeeded", "{fin}");
    assert_eq!(fin["parent_id"], draft_id.as_str());
    let fin_id = fin["generation_id"].as_str().expect("id");
    let shown = env.json(&["show", fin_id]).await;
    assert_eq!(shown["parent_id"], draft_id.as_str(), "{shown}");
    assert_eq!(shown["lineage"]["operation"], "edit");
    assert_eq!(
        shown["lineage"]["inputs"][0]["generation_id"],
        draft_id.as_str()
    );
    let d = env.json(&["show", &draft_id]).await;
    assert_eq!(d["children"], json!([fin_id]), "{d}");
    assert_eq!(d["lineage"]["used_by"][0]["generation_id"], fin_id);
}

#[tokio::test]
async fn bad_inputs_are_refused_before_anything_is_sent() {
    let env = env().await;
    let dir = env.tmp.path();
    let text = write(dir, "notes.png", b"not an image at all");
    let t = text.display().to_string();
    let out = env
        .run(&["estimate", "--prompt", "x", "--image", &t, "--json"])
        .await
        .code(2);
    assert!(out.stderr.contains("PNG, JPEG or WebP"), "{}", out.stderr);
    let subject = write(dir, "s.png", &png(256, 256, 3)).display().to_string();
    let small = write(dir, "m.png", &mask(128, 128)).display().to_string();
    let out = env
        .run(&[
            "estimate", "--prompt", "x", "--image", &subject, "--mask", &small, "--json",
        ])
        .await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("mask is 128×128"), "{}", out.stderr);
    let out = env
        .run(&["estimate", "--prompt", "x", "--op", "upscale", "--json"])
        .await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("needs the image"), "{}", out.stderr);
    assert_eq!(env.requests_to("POST", "/v1/images/edits").await, 0);
}

#[tokio::test]
async fn an_upscale_of_a_draft_runs_on_stability_and_links_to_it() {
    let mut env = env().await;
    env.set("PROOFSHEET_STABILITY_API_KEY", "sk-test-stability-4242");
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/upscale/fast"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .insert_header("finish-reason", "SUCCESS")
                .set_body_bytes(png(256, 256, 5)),
        )
        .mount(&env.server)
        .await;
    let draft = env
        .json(&[
            "generate",
            "--project",
            "inputs",
            "--prompt",
            "a small boat",
            "--draft",
        ])
        .await;
    let draft_id = draft["generation_id"].as_str().expect("id").to_owned();
    let up = env
        .json(&[
            "upscale",
            &draft_id,
            "--scale",
            "4",
            "--offer",
            "stability:upscale-fast",
        ])
        .await;
    assert_eq!(up["status"], "succeeded", "{up}");
    assert_eq!(up["parent_id"], draft_id.as_str());
    // Flat 2 credits at $0.01.
    assert_eq!(
        money(&up, "cost_usd"),
        "0.02".parse::<Decimal>().expect("dec")
    );
    assert_eq!(up["images"][0]["width"], 256);
    assert_eq!(up["inputs"][0]["role"], "subject");
    let shown = env
        .json(&["show", up["generation_id"].as_str().expect("id")])
        .await;
    assert_eq!(shown["lineage"]["operation"], "upscale", "{shown}");
    assert_eq!(shown["lineage"]["scale"], 4);
    let d = env.json(&["show", &draft_id]).await;
    assert_eq!(d["lineage"]["used_by"][0]["operation"], "upscale", "{d}");
    assert_eq!(
        env.requests_to("POST", "/v2beta/stable-image/upscale/fast")
            .await,
        1
    );
}

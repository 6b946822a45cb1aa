//! Local fakes of Gemini, BFL, Stability and fal for the operations suite: wiremock
//! responders that answer in each provider's documented wire format (providers.md,
//! image-inputs.md §1) *from the request they received*: Gemini's `usageMetadata`
//! counts the inline images sent, BFL's `cost` is computed from the input and output
//! megapixels by its published formula, Stability's creative upscale and fal's queue
//! answer "still running" once before the result. The hostile fakes in faults/ speak the
//! same protocols but answer from fault tags and fixed costs; these answer from the
//! inputs, which is what this suite holds the estimate against.

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{b64, png};

pub fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64 from the client")
}

/// Width and height of an encoded image.
pub fn dims(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(bytes).expect("an image the client sent");
    (img.width(), img.height())
}

/// The bytes of `data:<mime>;base64,<b64>`.
pub fn data_uri_bytes(uri: &str) -> Vec<u8> {
    let (_, b) = uri.split_once(";base64,").expect("a base64 data URI");
    unb64(b)
}

/// The parts of a multipart/form-data body: (name, bytes).
pub fn multipart(r: &Request) -> Vec<(String, Vec<u8>)> {
    let ct = r
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = ct.split("boundary=").nth(1).expect("multipart boundary");
    let sep = format!("--{boundary}").into_bytes();
    let body = &r.body;
    let mut starts = Vec::new();
    let mut i = 0;
    while i + sep.len() <= body.len() {
        if body[i..].starts_with(&sep) {
            starts.push(i);
            i += sep.len();
        } else {
            i += 1;
        }
    }
    let mut parts = Vec::new();
    for w in starts.windows(2) {
        let part = &body[w[0] + sep.len()..w[1]];
        let Some(h_end) = part.windows(4).position(|x| x == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..h_end]);
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_string();
        // The part's data ends before the CRLF that precedes the next boundary.
        let data = &part[h_end + 4..part.len().saturating_sub(2)];
        parts.push((name, data.to_vec()));
    }
    parts
}

pub fn field<'a>(parts: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    parts
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, d)| d.as_slice())
}

pub fn text_field(parts: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    field(parts, name).map(|d| String::from_utf8_lossy(d).into_owned())
}

/// Is a received mask white where the user's mask was transparent (top half) and black
/// elsewhere, at the subject's size?
pub fn assert_white_is_edit(mask: &[u8], w: u32, h: u32) {
    let m = image::load_from_memory(mask)
        .expect("the mask is an image")
        .to_luma8();
    assert_eq!(m.dimensions(), (w, h), "the mask is the subject's size");
    assert_eq!(
        m.get_pixel(w / 2, h / 4).0[0],
        255,
        "white = edit (top half)"
    );
    assert_eq!(
        m.get_pixel(w / 2, 3 * h / 4).0[0],
        0,
        "black = keep (bottom half)"
    );
}

pub fn requests<'a>(reqs: &'a [Request], m: &str, p: &str) -> Vec<&'a Request> {
    reqs.iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .collect()
}

// ---------------------------------------------------------------- Gemini

/// `POST /v1beta/models/{model}:generateContent` → one inline PNG and `usageMetadata`
/// whose IMAGE prompt tokens are `per_input` × the inline images received.
pub struct Gemini {
    pub per_input: u64,
    pub text_in: u64,
    pub image_out: u64,
}

impl Respond for Gemini {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let images = v["contents"][0]["parts"]
            .as_array()
            .map(|p| p.iter().filter(|p| p.get("inlineData").is_some()).count())
            .unwrap_or(0) as u64;
        let image_in = images * self.per_input;
        ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{
                "content": {"role": "model", "parts": [
                    {"inlineData": {"mimeType": "image/png", "data": b64(&png(64, 64, 9))}}
                ]},
                "finishReason": "STOP"
            }],
            "usageMetadata": {
                "promptTokenCount": self.text_in + image_in,
                "candidatesTokenCount": self.image_out,
                "totalTokenCount": self.text_in + image_in + self.image_out,
                "promptTokensDetails": [
                    {"modality": "TEXT", "tokenCount": self.text_in},
                    {"modality": "IMAGE", "tokenCount": image_in}
                ],
                "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": self.image_out}]
            }
        }))
    }
}

pub async fn mount_gemini(server: &MockServer, model: &str, g: Gemini) {
    Mock::given(method("POST"))
        .and(path(format!("/v1beta/models/{model}:generateContent")))
        .respond_with(g)
        .mount(server)
        .await;
}

// ---------------------------------------------------------------- BFL

/// BFL's published FLUX.2 formula in credits (1 credit = 1¢): the first output MP
/// `first`, each further output MP and each input MP `rate` (MP = 10⁶ px, no rounding).
pub fn flux2_credits(
    first: Decimal,
    rate: Decimal,
    out: (u32, u32),
    inputs: &[(u32, u32)],
) -> Decimal {
    let mp =
        |(w, h): (u32, u32)| Decimal::from(u64::from(w) * u64::from(h)) / Decimal::from(1_000_000);
    let out_mp = mp(out);
    let in_mp: Decimal = inputs.iter().map(|d| mp(*d)).sum();
    first + (out_mp - Decimal::ONE).max(Decimal::ZERO) * rate + in_mp * rate
}

/// `POST /v1/{model}` → `{id, polling_url, cost}`; FLUX.2 costs from the formula over
/// the `input_image*` it received, Kontext and the FLUX.1 tools (Fill, Expand) flat.
pub struct Bfl {
    pub base: String,
    pub tool_credits: Decimal,
    pub first: Decimal,
    pub rate: Decimal,
    pub n: AtomicUsize,
}

impl Bfl {
    pub fn new(base: String) -> Self {
        Self {
            base,
            tool_credits: Decimal::from(5),
            first: Decimal::from(3),
            rate: "1.5".parse().expect("dec"),
            n: AtomicUsize::new(0),
        }
    }
}

/// The `input_image`, `input_image_2`, … of a FLUX.2 body, in order.
pub fn bfl_inputs(v: &Value) -> Vec<Vec<u8>> {
    (1..=8)
        .map(|i| {
            if i == 1 {
                "input_image".to_string()
            } else {
                format!("input_image_{i}")
            }
        })
        .map_while(|k| v.get(&k).and_then(Value::as_str).map(unb64))
        .collect()
}

impl Respond for Bfl {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let model = r.url.path().trim_start_matches("/v1/");
        let id = format!("task-{}", self.n.fetch_add(1, Ordering::SeqCst));
        let (cost, out) = if model.starts_with("flux-2") {
            let ins: Vec<(u32, u32)> = bfl_inputs(&v).iter().map(|b| dims(b)).collect();
            // Without width/height the edit keeps the first input's size.
            let out = match (v["width"].as_u64(), v["height"].as_u64()) {
                (Some(w), Some(h)) => (w as u32, h as u32),
                _ => ins.first().copied().unwrap_or((1024, 1024)),
            };
            (flux2_credits(self.first, self.rate, out, &ins), out)
        } else {
            // Kontext edits `input_image`; the FLUX.1 tools take `image`.
            let (w, h) = v["image"]
                .as_str()
                .or(v["input_image"].as_str())
                .map(|s| dims(&unb64(s)))
                .unwrap_or((64, 64));
            let m = |k: &str| v[k].as_u64().unwrap_or(0) as u32;
            // BFL's flat prices: Kontext pro 4 credits, max 8, the FLUX.1 tools 5.
            let credits = match model {
                "flux-kontext-pro" => Decimal::from(4),
                "flux-kontext-max" => Decimal::from(8),
                _ => self.tool_credits,
            };
            (
                credits,
                (w + m("left") + m("right"), h + m("top") + m("bottom")),
            )
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "id": id,
            "polling_url": format!("{}/v1/get_result?id={id}&w={}&h={}", self.base, out.0, out.1),
            "cost": cost,
        }))
    }
}

/// `GET /v1/get_result` → Ready with a sample URL of the output's size.
struct BflPoll {
    base: String,
}

impl Respond for BflPoll {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let q = |k: &str| {
            r.url
                .query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "id": q("id"), "status": "Ready",
            "result": {"sample": format!("{}/delivery/{}x{}.png", self.base, q("w"), q("h")), "seed": 7}
        }))
    }
}

/// `GET /delivery/{w}x{h}.png` and `/fal-files/{w}x{h}.png` → a PNG of that size.
struct Sized;

impl Respond for Sized {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let name = r.url.path().rsplit('/').next().unwrap_or_default();
        let (w, h) = name
            .trim_end_matches(".png")
            .split_once('x')
            .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
            .unwrap_or((64, 64));
        ResponseTemplate::new(200)
            .insert_header("content-type", "image/png")
            .set_body_bytes(png(w, h, 33))
    }
}

pub async fn mount_bfl(server: &MockServer) {
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path_regex(r"^/v1/flux-[a-z0-9.\-]+$"))
        .respond_with(Bfl::new(base.clone()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/get_result"))
        .respond_with(BflPoll { base })
        .mount(server)
        .await;
    mount_sized(server).await;
}

async fn mount_sized(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path_regex(r"^/(delivery|fal-files)/[0-9]+x[0-9]+\.png$"))
        .respond_with(Sized)
        .mount(server)
        .await;
}

// ---------------------------------------------------------------- Stability

fn stability_image(w: u32, h: u32) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "image/png")
        .insert_header("finish-reason", "SUCCESS")
        .insert_header("seed", "42")
        .set_body_bytes(png(w, h, 5))
}

/// A synchronous edit endpoint: answers the image bytes at `size`.
pub async fn mount_stability(server: &MockServer, endpoint: &str, size: (u32, u32)) {
    Mock::given(method("POST"))
        .and(path(format!("/v2beta/stable-image/{endpoint}")))
        .respond_with(stability_image(size.0, size.1))
        .mount(server)
        .await;
}

/// `GET /v2beta/results/{id}`: 202 in progress on the first poll, then the image.
struct StabilityResult {
    polls: AtomicUsize,
    size: (u32, u32),
}

impl Respond for StabilityResult {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.polls.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(202)
                .set_body_json(json!({"id": "creative-1", "status": "in-progress"}))
        } else {
            stability_image(self.size.0, self.size.1)
        }
    }
}

/// Creative upscale: `POST …/upscale/creative` → `{id}`, then the results poll.
pub async fn mount_stability_creative(server: &MockServer, size: (u32, u32)) {
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/upscale/creative"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "creative-1"})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2beta/results/creative-1"))
        .respond_with(StabilityResult {
            polls: AtomicUsize::new(0),
            size,
        })
        .mount(server)
        .await;
}

// ---------------------------------------------------------------- fal

/// fal's queue for `model` (app = its first two path segments): submit → URLs, status
/// IN_QUEUE once then COMPLETED, result `images: [...]` or, for upscalers, one `image`.
pub async fn mount_fal(server: &MockServer, model: &str, result_size: (u32, u32), single: bool) {
    let app: Vec<&str> = model.split('/').take(2).collect();
    let base = format!("{}/{}/requests/r1", server.uri(), app.join("/"));
    Mock::given(method("POST"))
        .and(path(format!("/{model}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "request_id": "r1", "status_url": format!("{base}/status"),
            "response_url": base, "cancel_url": format!("{base}/cancel")
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/{}/requests/r1/status", app.join("/"))))
        .respond_with(FalStatus(AtomicUsize::new(0)))
        .mount(server)
        .await;
    let (w, h) = result_size;
    let img = json!({"url": format!("{}/fal-files/{w}x{h}.png", server.uri()), "width": w, "height": h, "content_type": "image/png"});
    let result = if single {
        json!({"image": img, "seed": 3})
    } else {
        json!({"images": [img], "description": ""})
    };
    Mock::given(method("GET"))
        .and(path(format!("/{}/requests/r1", app.join("/"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(result))
        .mount(server)
        .await;
    mount_sized(server).await;
}

struct FalStatus(AtomicUsize);

impl Respond for FalStatus {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "IN_QUEUE", "queue_position": 0}))
        } else {
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "COMPLETED", "metrics": {"inference_time": 1.5}}))
        }
    }
}

pub fn encode_png(img: image::DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

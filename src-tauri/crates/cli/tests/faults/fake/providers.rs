//! Each provider's answers, normal and faulty. Normal shapes follow providers.md; the
//! faults follow faults.md (F1, F2, F6, F8, F9, F10, F16, F20).

use serde_json::{Value, json};

use super::{Fake, Fault, HANG_CAP, Job, NGINX, SLOW, b64, fault_in, png_big, png_small, tag_in};
use crate::http::{Reply, Request};

/// Would a real provider bill this submission? (It did the work, or may have.)
fn billable(provider: &str, fault: Fault) -> bool {
    use Fault::*;
    match fault {
        Html | E500 | Echo | EchoNul | Redirect => false,
        // Imagen bills returned images only; Replicate and fal bill no failed job here.
        EmptyData => provider != "imagen",
        Failed => provider == "bfl",
        _ => true,
    }
}

fn error_body(msg: &str) -> Value {
    json!({"error": {"message": msg, "type": "invalid_request_error", "code": 400}})
}

impl Fake {
    fn request_of(&self, r: &Request) -> (String, Fault) {
        let text = String::from_utf8_lossy(&r.body);
        (
            tag_in(&text).unwrap_or_else(|| "untagged".into()),
            fault_in(&text),
        )
    }

    fn hang(&self, tag: &str) -> Reply {
        let (fake, tag) = (self.clone(), tag.to_string());
        Reply::Hang {
            cap: HANG_CAP,
            on_end: Box::new(move |client_gave_up| {
                fake.bump(&tag, |t| {
                    if client_gave_up {
                        t.client_gave_up += 1;
                    } else {
                        t.fake_gave_up += 1;
                    }
                })
            }),
        }
    }

    /// OpenAI Images, Imagen :predict, Gemini :generateContent, OpenRouter chat, xAI
    /// Grok Imagine (OpenAI-shaped `data`, cost in `usage.cost_in_usd_ticks`).
    pub(super) fn sync(&self, r: &Request, p: &'static str, key: &str) -> Reply {
        use Fault::*;
        let (tag, fault) = self.request_of(r);
        self.submitted(&tag, billable(p, fault));
        let req = r.json();
        let n = match p {
            "openai" | "xai" => req["n"].as_u64(),
            "imagen" => req["parameters"]["sampleCount"].as_u64(),
            "gemini" => req["generationConfig"]["candidateCount"].as_u64(),
            _ => None,
        }
        .unwrap_or(1)
        .clamp(1, 10) as usize;
        match fault {
            Html => return Reply::raw(200, "text/html", NGINX),
            E500 => {
                return Reply::json(
                    500,
                    &json!({"error": {"message": "internal error", "type": "server_error"}}),
                );
            }
            Echo => {
                let msg = format!(
                    "Request rejected by gateway policy; {} credential={key}",
                    "x".repeat(232)
                );
                return Reply::json(400, &error_body(&msg));
            }
            EchoNul => {
                let cut = key.len().min(10);
                let msg = format!("bad key {}\u{0}{}", &key[..cut], &key[cut..]);
                return Reply::json(400, &error_body(&msg));
            }
            Redirect => return Reply::redirect(&format!("{}/steal/{p}/{tag}", self.logger)),
            Close => return Reply::Close,
            Hang => return self.hang(&tag),
            _ => {}
        }
        let png = png_small();
        let images: Vec<String> = match fault {
            BrokenImage => vec![b64(b"hello, this is not an image at all"); n],
            BadBase64 => vec!["!!!!not base64$$$".into(); n],
            TruncPng => vec![b64(&png[..png.len() / 2]); n],
            EmptyData => Vec::new(),
            Sixty => vec![b64(png); 60],
            BigImages => (0..n).map(|_| b64(&png_big(self.unique()))).collect(),
            _ => vec![b64(png); n],
        };
        let tokens: i128 = match fault {
            // Absurd but representable (beyond i64 nanos is dropped to the formula, F9).
            Huge => 1_000_000_000,
            Negative => -500_000,
            Over => 3 * 272 * images.len().max(1) as i128,
            _ => 272 * images.len().max(1) as i128,
        };
        let body = match p {
            "openai" => json!({
                "created": 1,
                "data": images.iter().map(|b| json!({"b64_json": b})).collect::<Vec<_>>(),
                "usage": {
                    "input_tokens": 20,
                    "input_tokens_details": {"text_tokens": 20, "image_tokens": 0},
                    "output_tokens": tokens,
                    "output_tokens_details": {"text_tokens": 0, "image_tokens": tokens},
                    "total_tokens": tokens + 20
                }
            }),
            "xai" => {
                // 10^10 ticks = $1; $0.02 per image normally.
                let ticks = match fault {
                    Huge => json!(12_345_678_900_000_000_000u64),
                    Negative => json!(-200_000_000),
                    _ => json!(200_000_000u64 * images.len().max(1) as u64),
                };
                json!({
                    "block_reason": null,
                    "data": images.iter()
                        .map(|b| json!({"b64_json": b, "mime_type": "image/png", "revised_prompt": ""}))
                        .collect::<Vec<_>>(),
                    "usage": {"cost_in_usd_ticks": ticks}
                })
            }
            "imagen" => json!({
                "predictions": images.iter()
                    .map(|b| json!({"bytesBase64Encoded": b, "mimeType": "image/png"}))
                    .collect::<Vec<_>>()
            }),
            "gemini" => {
                let t = if matches!(fault, Huge | Negative) {
                    tokens
                } else {
                    1290 * images.len().max(1) as i128
                };
                json!({
                    "candidates": [{
                        "content": {"role": "model", "parts": images.iter()
                            .map(|b| json!({"inlineData": {"mimeType": "image/png", "data": b}}))
                            .collect::<Vec<_>>()},
                        "finishReason": "STOP"
                    }],
                    "usageMetadata": {
                        "promptTokenCount": 10, "candidatesTokenCount": t, "totalTokenCount": t + 10,
                        "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": t}]
                    }
                })
            }
            _ => {
                let cost = match fault {
                    Huge => json!(123_456_789.5),
                    Negative => json!(-3),
                    _ => json!(0.0387),
                };
                json!({
                    "id": "gen-fault", "model": "google/gemini-2.5-flash-image",
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {
                        "role": "assistant", "content": "",
                        "images": images.iter().map(|b| json!({"type": "image_url",
                            "image_url": {"url": format!("data:image/png;base64,{b}")}})).collect::<Vec<_>>()
                    }}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 1290, "total_tokens": 1300, "cost": cost}
                })
            }
        };
        let bytes = body.to_string().into_bytes();
        match fault {
            TruncJson => Reply::raw(200, "application/json", bytes[..bytes.len() / 2].to_vec()),
            Cut => Reply::Cut {
                status: 200,
                claimed: bytes.len(),
                body: bytes[..bytes.len() / 2].to_vec(),
            },
            Slow => Reply::Delayed(SLOW, Box::new(Reply::raw(200, "application/json", bytes))),
            _ => Reply::raw(200, "application/json", bytes),
        }
    }

    /// BFL: `POST /v1/<model>` → `{id, polling_url, cost}`; `GET <polling_url>`.
    pub(super) fn bfl(&self, r: &Request, path: &str, key: &str) -> Option<Reply> {
        let rest = path.strip_prefix("/bfl/")?;
        if r.method == "POST" {
            let (tag, fault) = self.request_of(r);
            self.submitted(&tag, billable("bfl", fault));
            if fault == Fault::Redirect {
                return Some(Reply::redirect(&format!("{}/steal/bfl/{tag}", self.logger)));
            }
            let id = self.new_job(&tag, "bfl", fault, key);
            let region = if fault == Fault::Regional {
                "eu1"
            } else {
                "v1"
            };
            let cost = if fault == Fault::NegCost {
                json!(-50)
            } else {
                json!(2.5)
            };
            return Some(Reply::json(
                200,
                &json!({
                    "id": id,
                    "polling_url": format!("{}/bfl/{region}/get_result?id={id}", self.base),
                    "cost": cost, "input_mp": 0, "output_mp": 1.0
                }),
            ));
        }
        let regional_path = rest.starts_with("eu1/");
        if r.method != "GET" || !rest.ends_with("get_result") {
            return None;
        }
        let id = r.query("id").unwrap_or_default();
        let not_found = || Reply::json(404, &json!({"status": "Task not found"}));
        let regional_job = self.peek(&id).is_some_and(|j| j.fault == Fault::Regional);
        if regional_job != regional_path {
            return Some(not_found());
        }
        let Some(j) = self.poll_job(&id) else {
            return Some(not_found());
        };
        if let Some(bad) = self.bad_poll(&j) {
            return Some(bad);
        }
        Some(if j.fault == Fault::Failed {
            Reply::json(
                200,
                &json!({"id": id, "status": "Error", "details": {"reason": "worker died"}}),
            )
        } else if !self.ready(&j) {
            Reply::json(
                200,
                &json!({"id": id, "status": "Pending", "progress": 0.4}),
            )
        } else {
            Reply::json(
                200,
                &json!({"id": id, "status": "Ready",
                "result": {"sample": self.result_url(&j, &id), "seed": 7}}),
            )
        })
    }

    /// fal queue: submit, `status_url`, `response_url`, `cancel_url` (PUT).
    pub(super) fn fal(&self, r: &Request, path: &str, key: &str) -> Option<Reply> {
        let rest = path.strip_prefix("/fal/")?;
        let Some((app, tail)) = rest.split_once("/requests/") else {
            if r.method != "POST" {
                return None;
            }
            let (tag, fault) = self.request_of(r);
            self.submitted(&tag, billable("fal", fault));
            if fault == Fault::Redirect {
                return Some(Reply::redirect(&format!("{}/steal/fal/{tag}", self.logger)));
            }
            let id = self.new_job(&tag, "fal", fault, key);
            let app: Vec<&str> = rest.split('/').take(2).collect();
            let base = format!("{}/fal/{}/requests/{id}", self.base, app.join("/"));
            return Some(Reply::json(
                200,
                &json!({
                    "request_id": id, "response_url": base,
                    "status_url": format!("{base}/status"), "cancel_url": format!("{base}/cancel"),
                    "queue_position": 0
                }),
            ));
        };
        let _ = app;
        let (id, what) = match tail.split_once('/') {
            Some((id, w)) => (id.to_string(), w),
            None => (tail.to_string(), ""),
        };
        let not_found = || Reply::json(404, &json!({"detail": "Request not found"}));
        match (r.method.as_str(), what) {
            ("PUT", "cancel") => {
                let j = self.peek(&id)?;
                self.bump(&j.tag, |t| t.cancels += 1);
                Some(Reply::json(
                    202,
                    &json!({"status": "CANCELLATION_REQUESTED"}),
                ))
            }
            ("GET", "status") => {
                let Some(j) = self.poll_job(&id) else {
                    return Some(not_found());
                };
                if let Some(bad) = self.bad_poll(&j) {
                    return Some(bad);
                }
                Some(if j.fault == Fault::Failed {
                    Reply::json(
                        200,
                        &json!({"status": "COMPLETED", "request_id": id,
                        "error": "the worker crashed", "error_type": "runner_error"}),
                    )
                } else if !self.ready(&j) {
                    Reply::json(202, &json!({"status": "IN_PROGRESS", "request_id": id}))
                } else {
                    Reply::json(
                        200,
                        &json!({"status": "COMPLETED", "request_id": id,
                        "metrics": {"inference_time": 1.2}}),
                    )
                })
            }
            ("GET", "") => {
                let Some(j) = self.peek_live(&id) else {
                    return Some(not_found());
                };
                self.bump(&j.tag, |t| t.downloads += 1);
                Some(if j.fault == Fault::ResGarbage && self.bad_fetch(&id) {
                    Reply::raw(200, "application/json", "[[[")
                } else {
                    Reply::json(
                        200,
                        &json!({
                            "images": [{"url": self.result_url(&j, &id), "width": 64, "height": 64,
                                        "content_type": "image/png"}],
                            "seed": 7, "has_nsfw_concepts": [false]
                        }),
                    )
                    .with_header("x-fal-billable-units", "1")
                })
            }
            _ => None,
        }
    }

    /// Replicate: predictions, `urls.get` polling, `urls.cancel`.
    pub(super) fn replicate(&self, r: &Request, path: &str, key: &str) -> Option<Reply> {
        let rest = path.strip_prefix("/replicate/v1/")?;
        if r.method == "POST" && rest.ends_with("/cancel") {
            let id = rest
                .strip_prefix("predictions/")?
                .trim_end_matches("/cancel");
            let j = self.peek(id)?;
            self.bump(&j.tag, |t| t.cancels += 1);
            return Some(Reply::json(200, &self.prediction(id, "canceled", &j)));
        }
        if r.method == "POST" && rest.ends_with("predictions") {
            let (tag, fault) = self.request_of(r);
            self.submitted(&tag, billable("replicate", fault));
            if fault == Fault::Redirect {
                return Some(Reply::redirect(&format!(
                    "{}/steal/replicate/{tag}",
                    self.logger
                )));
            }
            let id = self.new_job(&tag, "replicate", fault, key);
            let j = self.peek(&id)?;
            return Some(Reply::json(201, &self.prediction(&id, "starting", &j)));
        }
        let id = rest.strip_prefix("predictions/")?;
        if r.method != "GET" || id.contains('/') {
            return None;
        }
        let Some(j) = self.poll_job(id) else {
            return Some(Reply::json(
                404,
                &json!({"detail": "Not found.", "status": 404}),
            ));
        };
        if let Some(bad) = self.bad_poll(&j) {
            return Some(bad);
        }
        let st = if j.fault == Fault::Failed {
            "failed"
        } else if !self.ready(&j) {
            "processing"
        } else {
            "succeeded"
        };
        Some(Reply::json(200, &self.prediction(id, st, &j)))
    }

    fn prediction(&self, id: &str, status: &str, j: &Job) -> Value {
        let get = format!("{}/replicate/v1/predictions/{id}", self.base);
        let done = status == "succeeded";
        json!({
            "id": id, "model": "black-forest-labs/flux-schnell", "version": "fault",
            "input": {}, "status": status, "logs": "",
            "output": if done { json!([self.result_url(j, id)]) } else { Value::Null },
            "error": if status == "failed" { json!("the model crashed") } else { Value::Null },
            "metrics": if done { json!({"predict_time": 2.0}) } else { json!({}) },
            "created_at": "2026-11-01T00:00:00Z",
            "urls": {"get": get, "cancel": format!("{get}/cancel"), "stream": format!("{get}/stream")}
        })
    }

    fn unique(&self) -> u64 {
        let mut s = super::lock(&self.state);
        s.next += 1;
        s.next
    }

    /// The job without counting a poll.
    fn peek(&self, id: &str) -> Option<Job> {
        super::lock(&self.state).jobs.get(id).cloned()
    }
    fn peek_live(&self, id: &str) -> Option<Job> {
        let s = super::lock(&self.state);
        s.jobs
            .get(id)
            .filter(|j| !s.forgotten.contains(&j.tag))
            .cloned()
    }
}

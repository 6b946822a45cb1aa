//! Replicate predictions: official models (`/models/{owner}/{name}/predictions`) and
//! versions (`/predictions`), `Prefer: wait` then polling `urls.get`, `metrics.predict_time`,
//! cancel via `urls.cancel`.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, LOCATION};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{class_for_status, elapsed_ms, key_check_from, key_required, stop_error};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, billing_headers, check_same_site, join};
use crate::images::{Expect, ImageSource, materialize};
use crate::poll::Poller;
use crate::stability::nearest_aspect;
use crate::types::{
    GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage, RemoteJob,
};
use crate::{ImageProvider, json as j, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Replicate.as_str();

pub const DEFAULT_BASE_URL: &str = "https://api.replicate.com/v1";
const TRUSTED: &[&str] = &["replicate.com"];
const RATIOS: &[&str] = &[
    "1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub id: String,
    pub status: String,
    pub outputs: Vec<String>,
    pub error: Option<String>,
    pub metrics: Value,
    pub get_url: Option<String>,
    pub cancel_url: Option<String>,
    pub headers: std::collections::BTreeMap<String, String>,
}

fn collect_urls(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_urls(x, out)),
        Value::Object(o) => {
            if let Some(u) = o.get("url") {
                collect_urls(u, out)
            }
        }
        _ => {}
    }
}

/// Pure parser for a prediction object (create or get), any status.
pub fn parse_prediction(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Prediction, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let id = j::str_of(&v, "id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProviderError::malformed(ID, "the prediction has no 'id'"))?;
    let st = j::str_of(&v, "status")
        .ok_or_else(|| ProviderError::malformed(ID, "the prediction has no 'status'"))?;
    let mut outputs = Vec::new();
    if let Some(o) = v.get("output") {
        collect_urls(o, &mut outputs);
    }
    let urls = v.get("urls");
    let loc = headers
        .get(LOCATION)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    Ok(Prediction {
        id: id.to_string(),
        status: st.to_string(),
        outputs,
        error: v.get("error").and_then(|e| match e {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }),
        metrics: v.get("metrics").cloned().unwrap_or(Value::Null),
        get_url: urls
            .and_then(|u| j::str_of(u, "get"))
            .map(str::to_string)
            .or(loc),
        cancel_url: urls
            .and_then(|u| j::str_of(u, "cancel"))
            .map(str::to_string),
        headers: billing_headers(headers),
    })
}

/// RFC 7807 problem details → taxonomy (providers.md §4).
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let detail = j::str_of(&v, "detail")
        .or_else(|| j::str_of(&v, "title"))
        .map(short)
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let retry = retry_after::from_any(headers, Some(&v));
    let class = match status {
        404 => ErrorClass::InvalidRequest {
            field: Some("model".into()),
        },
        s => class_for_status(s, retry),
    };
    ProviderError::new(ID, class, detail).with_status(status)
}

pub fn usage_of(p: &Prediction, images: usize, wall_ms: u64) -> RawUsage {
    RawUsage {
        gpu_seconds: j::decimal(p.metrics.get("predict_time")),
        billable_units: Some(rust_decimal::Decimal::from(images as u64)),
        wall_ms,
        headers: p.headers.clone(),
        raw: p.metrics.clone(),
        ..RawUsage::default()
    }
}

pub fn build_input(req: &GenerateRequest) -> Value {
    let ratio = nearest_aspect(req.width, req.height, RATIOS);
    let mut input = json!({"prompt": req.prompt, "output_format": "png"});
    let (a, b) = ratio.split_once(':').unwrap_or(("1", "1"));
    let exact = a.parse::<u64>().unwrap_or(1) * u64::from(req.height)
        == b.parse::<u64>().unwrap_or(1) * u64::from(req.width);
    if exact {
        input["aspect_ratio"] = json!(ratio);
    } else {
        input["aspect_ratio"] = json!("custom");
        input["width"] = json!(req.width);
        input["height"] = json!(req.height);
    }
    if req.n > 1 {
        input["num_outputs"] = json!(req.n);
    }
    if let Some(s) = req.seed {
        input["seed"] = json!(s);
    }
    if let Some(s) = req.steps {
        input["num_inference_steps"] = json!(s);
    }
    if let Some(n) = &req.negative_prompt {
        input["negative_prompt"] = json!(n);
    }
    if let Some(extra_input) = req.extra_field("input") {
        j::merge_extra(&mut input, extra_input, &[]);
    }
    j::merge_extra(&mut input, &req.extra, &["version", "input"]);
    if let Some(subject) = req.inputs.subject() {
        // FLUX Kontext (REP-KONTEXT): one `input_image`, the output keeps its aspect, and
        // `safety_tolerance` may not exceed 2 with an input image.
        input["input_image"] = json!(subject.data_uri());
        input["aspect_ratio"] = json!("match_input_image");
        if let Some(o) = input.as_object_mut() {
            o.remove("width");
            o.remove("height");
        }
        let tolerance = j::u64_of(input.get("safety_tolerance"))
            .map_or(KONTEXT_MAX_TOLERANCE, |t| t.min(KONTEXT_MAX_TOLERANCE));
        input["safety_tolerance"] = json!(tolerance);
        if req.prompt.trim().is_empty() && req.inputs.operation == vocab::Operation::Vary {
            input["prompt"] = json!(VARY_PROMPT);
        }
    }
    input
}

/// FLUX Kontext caps `safety_tolerance` at 2 when an input image is given.
pub const KONTEXT_MAX_TOLERANCE: u64 = 2;
const VARY_PROMPT: &str = "A variation of this image: keep its subject, composition and style.";

/// The official FLUX Kontext models (`black-forest-labs/flux-kontext-pro|max`).
pub fn is_kontext(model: &str) -> bool {
    model.starts_with("black-forest-labs/flux-kontext")
}

/// Refuses input images this client cannot send before anything is created (and billed).
pub fn check_inputs(req: &GenerateRequest) -> Result<(), ProviderError> {
    use vocab::Operation;
    let inputs = &req.inputs;
    if inputs.is_empty() {
        return Ok(());
    }
    let why = if !is_kontext(&req.model) {
        format!(
            "{} takes no input images here; use black-forest-labs/flux-kontext-pro or -max to edit on Replicate",
            req.model
        )
    } else if inputs.mask.is_some() || inputs.operation == Operation::Inpaint {
        "FLUX Kontext cannot paint a mask region; edit by instruction, or use BFL FLUX.1 Fill or OpenAI for a painted region".into()
    } else if inputs.operation == Operation::Expand {
        "FLUX Kontext cannot expand by margins; use BFL FLUX.1 Expand or Stability outpaint".into()
    } else if inputs.operation == Operation::Upscale {
        "FLUX Kontext cannot upscale; use Stability upscale, Recraft crisp upscale or fal SeedVR2"
            .into()
    } else if inputs.images.is_empty() {
        format!(
            "{} needs the image to work on as the first input",
            inputs.operation
        )
    } else if inputs.images.len() > 1 && inputs.operation != Operation::Vary {
        format!(
            "FLUX Kontext takes one input image; this request has {} (use BFL FLUX.2 for several references)",
            inputs.images.len()
        )
    } else {
        return Ok(());
    };
    Err(ProviderError::invalid_request(ID, why))
}

#[derive(Debug, Clone)]
pub struct Replicate {
    http: Http,
    base: String,
    cfg: ProviderConfig,
}

impl Replicate {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
            cfg: cfg.clone(),
        }
    }

    async fn submit(
        &self,
        req: &GenerateRequest,
        key: &str,
        cancel: &CancellationToken,
    ) -> Result<Prediction, ProviderError> {
        let version = req
            .extra_field("version")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| req.model.split_once(':').map(|(_, v)| v.to_string()));
        check_inputs(req)?;
        let input = build_input(req);
        let (url, body) = match version {
            Some(v) => (
                join(&self.base, "predictions"),
                json!({"version": v, "input": input}),
            ),
            None => {
                let (owner, name) = req.model.split_once('/').ok_or_else(|| {
                    ProviderError::new(
                        ID,
                        ErrorClass::InvalidRequest {
                            field: Some("model".into()),
                        },
                        "a Replicate model is 'owner/name' (or pass extra.version)",
                    )
                })?;
                (
                    join(&self.base, &format!("models/{owner}/{name}/predictions")),
                    json!({"input": input}),
                )
            }
        };
        // Hold the request open, but shorter than our own timeout so we get the id back.
        let wait = self.cfg.timeout.as_secs().saturating_sub(5).clamp(1, 60);
        let rb = self
            .http
            .client
            .post(url)
            .bearer_auth(key)
            .header("Prefer", format!("wait={wait}"))
            .json(&body);
        tracing::debug!(provider = ID, model = %req.model, "creating prediction");
        let resp = self.http.send(rb, cancel).await?;
        parse_prediction(resp.status, &resp.headers, &resp.body)
    }

    /// The full resume handle: `urls.get` as `poll_url`, `urls.cancel`, and what was asked.
    fn job_of(&self, req: &GenerateRequest, p: &Prediction) -> RemoteJob {
        RemoteJob {
            provider: ID.into(),
            model: req.model.clone(),
            remote_id: p.id.clone(),
            poll_url: Some(
                p.get_url
                    .clone()
                    .unwrap_or_else(|| join(&self.base, &format!("predictions/{}", p.id))),
            ),
            extra: json!({
                "cancel_url": p.cancel_url,
                "n": req.n.max(1),
                "width": req.width,
                "height": req.height,
            }),
        }
    }

    async fn follow(
        &self,
        mut pred: Prediction,
        job: RemoteJob,
        key: &str,
        progress: &ProgressSink,
        cancel: &CancellationToken,
        start: Instant,
    ) -> Result<GenerateOutput, ProviderError> {
        let mut poller = Poller::new(
            self.cfg.poll_interval,
            self.cfg.poll_deadline,
            cancel,
            progress,
        );
        loop {
            match pred.status.as_str() {
                "succeeded" => return self.finish(pred, &job, progress, cancel, start).await,
                // Definitive endings: nothing to resume (no job attached).
                "failed" => return Err(failed_error(&pred, elapsed_ms(start))),
                "canceled" => {
                    let e = ProviderError::new(
                        ID,
                        ErrorClass::Cancelled,
                        "the prediction was canceled",
                    );
                    return Err(billed_by_time(e, &pred, elapsed_ms(start)));
                }
                "starting" => progress.emit(ProviderProgress::Queued { position: None }),
                _ => progress.emit(ProviderProgress::Running),
            }
            if let Err(stop) = poller.tick().await {
                if matches!(stop, crate::poll::Stop::Cancelled) {
                    self.cancel_remote(&job, key).await;
                }
                return Err(stop_error(ID, stop, &job));
            }
            let url = job.poll_url.clone().unwrap_or_default();
            let url = check_same_site(ID, &url, &self.base, TRUSTED).map_err(|e| e.or_job(&job))?;
            let resp = match self
                .http
                .send(self.http.client.get(url).bearer_auth(key), cancel)
                .await
            {
                Ok(r) => r,
                Err(e) if e.class == ErrorClass::Cancelled => {
                    self.cancel_remote(&job, key).await;
                    return Err(stop_error(ID, crate::poll::Stop::Cancelled, &job));
                }
                Err(e) => return Err(e.or_job(&job)),
            };
            pred = parse_prediction(resp.status, &resp.headers, &resp.body)
                .map_err(|e| e.or_job(&job))?;
        }
    }

    async fn finish(
        &self,
        pred: Prediction,
        job: &RemoteJob,
        progress: &ProgressSink,
        cancel: &CancellationToken,
        start: Instant,
    ) -> Result<GenerateOutput, ProviderError> {
        if pred.outputs.is_empty() {
            // Some models answer an NSFW trip with an empty output (replicate-python#397).
            return Err(ProviderError::new(
                ID,
                ErrorClass::SafetyBlock { billed: true },
                "the model finished but returned no images (some models do this when their safety checker trips)",
            )
            .with_usage(usage_of(&pred, 0, elapsed_ms(start))));
        }
        // Succeeded: billed. A failed download keeps the job so it can be fetched again.
        let done = |e: ProviderError| {
            e.or_job(job)
                .with_usage(usage_of(&pred, pred.outputs.len(), elapsed_ms(start)))
        };
        let sources = pred
            .outputs
            .iter()
            .map(|u| ImageSource::from_url_or_data(ID, u).map(|s| (s, None)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(done)?;
        let images = materialize(
            &self.http,
            sources,
            Expect::of_job(job, 4),
            progress,
            cancel,
        )
        .await
        .map_err(done)?;
        let usage = usage_of(&pred, images.len(), elapsed_ms(start));
        tracing::info!(provider = ID, remote_id = %pred.id, images = images.len(), "prediction succeeded");
        Ok(GenerateOutput {
            images,
            remote_id: Some(pred.id),
            usage,
            safety: None,
        })
    }

    /// Best effort: the user already cancelled, so ignore failures.
    async fn cancel_remote(&self, job: &RemoteJob, key: &str) {
        let url = job
            .extra
            .get("cancel_url")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| join(&self.base, &format!("predictions/{}/cancel", job.remote_id)));
        if let Ok(u) = check_same_site(ID, &url, &self.base, TRUSTED) {
            let r = self
                .http
                .send(
                    self.http.client.post(u).bearer_auth(key),
                    &CancellationToken::new(),
                )
                .await;
            tracing::info!(provider = ID, remote_id = %job.remote_id, ok = r.is_ok(), "cancel requested");
        }
    }
}

/// A failed or canceled prediction is billed only for the compute time it reports.
fn billed_by_time(e: ProviderError, p: &Prediction, wall_ms: u64) -> ProviderError {
    if j::decimal(p.metrics.get("predict_time")).is_some_and(|t| !t.is_zero()) {
        e.with_usage(usage_of(p, 0, wall_ms))
    } else {
        e
    }
}

/// A prediction with `status: failed`: safety trips vs everything else. Definitive (no
/// job to resume); billed only when it reports compute time.
pub fn failed_error(p: &Prediction, wall_ms: u64) -> ProviderError {
    let msg = p
        .error
        .clone()
        .unwrap_or_else(|| "the prediction failed without a message".into());
    let lower = msg.to_ascii_lowercase();
    let safety = ["nsfw", "e005", "flagged as sensitive", "safety"]
        .iter()
        .any(|s| lower.contains(s));
    // Time-billed predictions pay for the seconds used, even when failed.
    let timed = j::decimal(p.metrics.get("predict_time")).is_some_and(|t| !t.is_zero());
    let class = if safety {
        ErrorClass::SafetyBlock { billed: timed }
    } else {
        ErrorClass::Transient
    };
    let e = ProviderError::new(ID, class, format!("the prediction failed: {}", short(&msg)));
    billed_by_time(e, p, wall_ms)
}

#[async_trait]
impl ImageProvider for Replicate {
    fn id(&self) -> &'static str {
        ID
    }
    async fn generate(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let k = key_required(ID, key)?;
        let start = Instant::now();
        let pred = self.submit(req, k, cancel).await?;
        let job = self.job_of(req, &pred);
        crate::common::refuse_key_echo(ID, &job, Some(k))?;
        progress.emit(ProviderProgress::Submitted {
            job: Box::new(job.clone()),
        });
        self.follow(pred, job, k, progress, cancel, start).await
    }
    async fn resume(
        &self,
        remote: &RemoteJob,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let k = key_required(ID, key)?;
        let start = Instant::now();
        // Start from a "processing" placeholder: the loop polls at once after one interval.
        let placeholder = Prediction {
            id: remote.remote_id.clone(),
            status: "processing".into(),
            outputs: vec![],
            error: None,
            metrics: Value::Null,
            get_url: remote.poll_url.clone(),
            cancel_url: None,
            headers: Default::default(),
        };
        let mut job = remote.clone();
        if job.poll_url.is_none() {
            job.poll_url = Some(join(
                &self.base,
                &format!("predictions/{}", remote.remote_id),
            ));
        }
        self.follow(placeholder, job, k, progress, cancel, start)
            .await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = self
            .http
            .client
            .get(join(&self.base, "account"))
            .bearer_auth(key);
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(_) => KeyCheck::Valid { balance: None },
            Err(k) => k,
        }
    }
}

//! fal.ai: queue (submit → status → result, cancel) and sync `fal.run` (`extra.sync=true`).
//! Billing signals: `x-fal-billable-units`, status `metrics.inference_time`, `timings`.
//! Each app's input (text, edit `image_urls`, upscaler `image_url`) is in `fal_inputs`.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{class_for_status, elapsed_ms, key_check_from, key_required, stop_error};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, billing_headers, check_same_site, join};
use crate::images::{Expect, ImageSource, materialize};
use crate::poll::{Poller, Stop};
use crate::types::{
    GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage, RemoteJob,
    SafetyNote,
};
use crate::{ImageProvider, json as j, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Fal.as_str();

pub const DEFAULT_QUEUE_URL: &str = "https://queue.fal.run";
pub const DEFAULT_SYNC_URL: &str = "https://fal.run";
pub const DEFAULT_API_URL: &str = "https://api.fal.ai";
const TRUSTED: &[&str] = &["fal.run", "fal.ai"];

#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub request_id: String,
    pub status_url: Option<String>,
    pub response_url: Option<String>,
    pub cancel_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueueStatus {
    InQueue {
        position: Option<u64>,
    },
    InProgress,
    Completed {
        metrics: Value,
    },
    /// Finished with an error: definitive, nothing to resume.
    Failed(ProviderError),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FalResult {
    pub images: Vec<(ImageSource, Option<u64>)>,
    pub nsfw: u32,
    pub usage: RawUsage,
}

fn units(headers: &HeaderMap) -> Option<rust_decimal::Decimal> {
    headers
        .get("x-fal-billable-units")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
}

pub fn parse_submit(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Submitted, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let id = j::str_of(&v, "request_id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProviderError::malformed(ID, "the queue response has no 'request_id'"))?;
    let s = |k: &str| j::str_of(&v, k).map(str::to_string);
    Ok(Submitted {
        request_id: id.to_string(),
        status_url: s("status_url"),
        response_url: s("response_url"),
        cancel_url: s("cancel_url"),
    })
}

pub fn parse_status(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<QueueStatus, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    match j::str_of(&v, "status") {
        Some("IN_QUEUE") => Ok(QueueStatus::InQueue {
            position: j::u64_of(v.get("queue_position")),
        }),
        Some("IN_PROGRESS") => Ok(QueueStatus::InProgress),
        Some("COMPLETED") => {
            let err = v.get("error").filter(|e| !e.is_null());
            if let Some(e) = err {
                let et = j::str_of(&v, "error_type").unwrap_or("");
                let msg = e
                    .as_str()
                    .map(short)
                    .unwrap_or_else(|| short(&e.to_string()));
                return Ok(QueueStatus::Failed(completed_error(et, &msg, headers)));
            }
            Ok(QueueStatus::Completed {
                metrics: v.get("metrics").cloned().unwrap_or(Value::Null),
            })
        }
        // An unknown status is not an answer: keep polling until the deadline (F1).
        other => {
            tracing::warn!(provider = ID, status = ?other.map(short), "unknown queue status; still polling");
            Ok(QueueStatus::InProgress)
        }
    }
}

/// fal does not bill a failed request unless it reports billable units.
fn completed_error(error_type: &str, msg: &str, headers: &HeaderMap) -> ProviderError {
    let billed = units(headers).is_some_and(|u| u > rust_decimal::Decimal::ZERO);
    let class = match error_type {
        "request_timeout" | "startup_timeout" => ErrorClass::Timeout {
            remote_job_id: None,
        },
        "content_policy_violation" => ErrorClass::SafetyBlock { billed },
        _ => ErrorClass::Transient,
    };
    let e = ProviderError::new(
        ID,
        class,
        format!("the request failed at fal ({}): {msg}", short(error_type)),
    );
    if billed {
        e.with_usage(RawUsage {
            billable_units: units(headers),
            headers: billing_headers(headers),
            ..RawUsage::default()
        })
    } else {
        e
    }
}

/// Pure parser for a result body (queue response_url or sync fal.run).
pub fn parse_result(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<FalResult, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let list = crate::fal_inputs::result_images(&v)
        .ok_or_else(|| ProviderError::malformed(ID, "the result has no 'images' list"))?;
    let seed = j::u64_of(v.get("seed"));
    let mut images = Vec::new();
    for img in list {
        let url = j::str_of(img, "url")
            .ok_or_else(|| ProviderError::malformed(ID, "an image in the result has no 'url'"))?;
        images.push((ImageSource::from_url_or_data(ID, url)?, seed));
    }
    let nsfw = v
        .get("has_nsfw_concepts")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter(|b| b.as_bool() == Some(true)).count() as u32)
        .unwrap_or(0);
    let usage = RawUsage {
        gpu_seconds: v
            .get("timings")
            .and_then(|t| j::decimal(t.get("inference"))),
        billable_units: units(headers),
        headers: billing_headers(headers),
        raw: json!({"timings": v.get("timings"), "has_nsfw_concepts": v.get("has_nsfw_concepts")}),
        ..RawUsage::default()
    };
    if images.is_empty() {
        return Err(
            ProviderError::malformed(ID, "the result has an empty image list").with_usage(usage),
        );
    }
    Ok(FalResult {
        images,
        nsfw,
        usage,
    })
}

/// `detail` (string or `[{loc,msg,type}]`), `X-Fal-Retryable`, `error_type` → taxonomy.
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let detail = v.get("detail");
    let items: Vec<&Value> = detail
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let types: Vec<&str> = items.iter().filter_map(|d| j::str_of(d, "type")).collect();
    let msg = match detail {
        Some(Value::String(s)) => short(s),
        _ if !items.is_empty() => short(
            &items
                .iter()
                .filter_map(|d| j::str_of(d, "msg"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => format!("HTTP {status} with {}", describe_body(body)),
    };
    let field = items
        .first()
        .and_then(|d| d.get("loc"))
        .and_then(Value::as_array)
        .and_then(|l| l.last())
        .and_then(Value::as_str)
        .map(str::to_string);
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let error_type = j::str_of(&v, "error_type")
        .map(str::to_string)
        .unwrap_or_else(|| header("x-fal-error-type"));
    let retryable = header("x-fal-retryable") == "true" || header("x-fal-needs-retry") == "true";
    let lower = msg.to_ascii_lowercase();
    let money = ["balance", "credit", "billing", "locked", "payment"]
        .iter()
        .any(|w| lower.contains(w));
    let billed = units(headers).is_some_and(|u| u > rust_decimal::Decimal::ZERO);
    let class = if types.contains(&"content_policy_violation") {
        ErrorClass::SafetyBlock { billed }
    } else if matches!(error_type.as_str(), "request_timeout" | "startup_timeout") {
        ErrorClass::Timeout {
            remote_job_id: None,
        }
    } else {
        match status {
            402 => ErrorClass::QuotaExhausted,
            403 if money => ErrorClass::QuotaExhausted,
            422 => ErrorClass::InvalidRequest { field },
            429 => ErrorClass::RateLimited {
                retry_after_ms: retry_after::from_any(headers, Some(&v)),
            },
            400..=499 if retryable => ErrorClass::Transient,
            s => class_for_status(s, None),
        }
    };
    let mut e = ProviderError::new(ID, class, msg).with_status(status);
    if billed {
        e = e.with_usage(RawUsage {
            billable_units: units(headers),
            headers: billing_headers(headers),
            ..RawUsage::default()
        });
    }
    e
}

#[derive(Debug, Clone)]
pub struct Fal {
    http: Http,
    queue: String,
    sync: String,
    api: String,
    cfg: ProviderConfig,
}

impl Fal {
    /// One override (env or settings) replaces all three fal hosts.
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        let over = resolve_base_url(ID, cfg, None);
        Self {
            http: Http::new(client, ID, cfg),
            queue: over.clone().unwrap_or_else(|| DEFAULT_QUEUE_URL.into()),
            sync: over.clone().unwrap_or_else(|| DEFAULT_SYNC_URL.into()),
            api: over.unwrap_or_else(|| DEFAULT_API_URL.into()),
            cfg: cfg.clone(),
        }
    }

    fn auth(&self, rb: reqwest::RequestBuilder, key: &str) -> reqwest::RequestBuilder {
        rb.header("Authorization", format!("Key {key}"))
    }

    fn app_base(&self, model: &str) -> String {
        // Queue request URLs use only owner/app, not the sub-path (fal-ai/flux/dev → fal-ai/flux).
        let app: Vec<&str> = model.split('/').take(2).collect();
        join(&self.queue, &app.join("/"))
    }

    /// The full resume handle: status (`poll_url`), response and cancel URLs as fal named
    /// them (rebuilt from the queue base only when fal left one out), plus what was asked.
    fn job_of(&self, req: &GenerateRequest, s: &Submitted) -> RemoteJob {
        let base = format!("{}/requests/{}", self.app_base(&req.model), s.request_id);
        let status_url = s
            .status_url
            .clone()
            .unwrap_or_else(|| format!("{base}/status"));
        let (width, height) = crate::fal_inputs::output_size(req);
        RemoteJob {
            provider: ID.into(),
            model: req.model.clone(),
            remote_id: s.request_id.clone(),
            poll_url: Some(status_url.clone()),
            extra: json!({
                "status_url": status_url,
                "response_url": s.response_url.clone().unwrap_or_else(|| base.clone()),
                "cancel_url": s.cancel_url.clone().unwrap_or_else(|| format!("{base}/cancel")),
                "n": req.n.max(1),
                "width": width,
                "height": height,
            }),
        }
    }

    fn job_url(&self, job: &RemoteJob, which: &str) -> Result<reqwest::Url, ProviderError> {
        let url = match which {
            "status" => job.poll_url.clone(),
            k => job
                .extra
                .get(format!("{k}_url"))
                .and_then(Value::as_str)
                .map(str::to_string),
        }
        .ok_or_else(|| {
            ProviderError::malformed(ID, format!("the stored job has no {which} URL"))
        })?;
        check_same_site(ID, &url, &self.queue, TRUSTED)
    }

    async fn follow(
        &self,
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
        let metrics = loop {
            let url = self.job_url(&job, "status").map_err(|e| e.or_job(&job))?;
            let resp = match self
                .http
                .send(self.auth(self.http.client.get(url), key), cancel)
                .await
            {
                Ok(r) => r,
                Err(e) if e.class == ErrorClass::Cancelled => {
                    self.cancel_remote(&job, key).await;
                    return Err(stop_error(ID, Stop::Cancelled, &job));
                }
                Err(e) => return Err(e.or_job(&job)),
            };
            match parse_status(resp.status, &resp.headers, &resp.body)
                .map_err(|e| e.or_job(&job))?
            {
                QueueStatus::Completed { metrics } => break metrics,
                // fal itself gave up on the request: nothing left to resume.
                QueueStatus::Failed(e) => return Err(timeout_id(e, &job)),
                QueueStatus::InQueue { position } => {
                    progress.emit(ProviderProgress::Queued { position })
                }
                QueueStatus::InProgress => progress.emit(ProviderProgress::Running),
            }
            if let Err(stop) = poller.tick().await {
                if matches!(stop, Stop::Cancelled) {
                    self.cancel_remote(&job, key).await;
                }
                return Err(stop_error(ID, stop, &job));
            }
        };
        // COMPLETED: billed. Any later failure keeps the job so the result can be fetched again.
        let done = |e: ProviderError| e.or_job(&job).billed();
        let url = self.job_url(&job, "response").map_err(done)?;
        let resp = self
            .http
            .send(self.auth(self.http.client.get(url), key), cancel)
            .await
            .map_err(done)?;
        let mut result = parse_result(resp.status, &resp.headers, &resp.body).map_err(done)?;
        if result.usage.gpu_seconds.is_none() {
            result.usage.gpu_seconds = j::decimal(metrics.get("inference_time"));
        }
        if let Value::Object(o) = &mut result.usage.raw {
            o.insert("metrics".into(), metrics);
        }
        let expect = Expect::of_job(&job, 4);
        self.finish(
            result,
            Some(job.remote_id.clone()),
            expect,
            progress,
            cancel,
            start,
        )
        .await
        .map_err(|e| match e.class {
            // All images blanked: a definitive (billed) answer, nothing to fetch again.
            ErrorClass::SafetyBlock { .. } => e,
            _ => done(e),
        })
    }

    async fn finish(
        &self,
        result: FalResult,
        remote_id: Option<String>,
        expect: Expect,
        progress: &ProgressSink,
        cancel: &CancellationToken,
        start: Instant,
    ) -> Result<GenerateOutput, ProviderError> {
        let mut usage = result.usage;
        usage.wall_ms = elapsed_ms(start);
        let total = result.images.len() as u32;
        if result.nsfw > 0 && result.nsfw >= total {
            // The safety checker blanked every image; fal bills it as a successful output.
            return Err(ProviderError::new(
                ID,
                ErrorClass::SafetyBlock { billed: true },
                "fal's safety checker flagged the output and blanked the image (billed); rephrase the prompt",
            )
            .with_usage(usage));
        }
        // A parsed result means fal ran the model: unusable images are still billed.
        let images = materialize(&self.http, result.images, expect, progress, cancel)
            .await
            .map_err(|e| e.with_usage(usage.clone()))?;
        let safety = (result.nsfw > 0).then(|| SafetyNote {
            message: format!(
                "{} of {total} images were blanked by fal's safety checker",
                result.nsfw
            ),
            filtered: result.nsfw,
        });
        Ok(GenerateOutput {
            images,
            remote_id,
            usage,
            safety,
        })
    }

    async fn cancel_remote(&self, job: &RemoteJob, key: &str) {
        if let Ok(u) = self.job_url(job, "cancel") {
            let r = self
                .http
                .send(
                    self.auth(self.http.client.put(u), key),
                    &CancellationToken::new(),
                )
                .await;
            tracing::info!(provider = ID, remote_id = %job.remote_id, ok = r.is_ok(), "cancel requested");
        }
    }

    async fn run(
        &self,
        req: &GenerateRequest,
        key: &str,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let start = Instant::now();
        let input = crate::fal_inputs::build_input(req)?;
        if req.extra_field("sync").and_then(Value::as_bool) == Some(true) {
            progress.emit(ProviderProgress::Running);
            let rb = self
                .auth(self.http.client.post(join(&self.sync, &req.model)), key)
                .json(&input);
            let resp = self.http.send(rb, cancel).await?;
            let result = parse_result(resp.status, &resp.headers, &resp.body)?;
            let rid = result.usage.headers.get("x-fal-request-id").cloned();
            let expect = crate::input_ops::expect(req, crate::fal_inputs::DEFAULT_SCALE);
            return self
                .finish(result, rid, expect, progress, cancel, start)
                .await;
        }
        tracing::debug!(provider = ID, model = %req.model, "submitting to queue");
        let rb = self
            .auth(self.http.client.post(join(&self.queue, &req.model)), key)
            .json(&input);
        let resp = self.http.send(rb, cancel).await?;
        let sub = parse_submit(resp.status, &resp.headers, &resp.body)?;
        let job = self.job_of(req, &sub);
        crate::common::refuse_key_echo(ID, &job, Some(key))?;
        progress.emit(ProviderProgress::Submitted {
            job: Box::new(job.clone()),
        });
        self.follow(job, key, progress, cancel, start).await
    }
}

/// A definitive failure names the job in its class only (no `remote_job`: nothing to resume).
fn timeout_id(mut e: ProviderError, job: &RemoteJob) -> ProviderError {
    if let ErrorClass::Timeout {
        remote_job_id: None,
    } = e.class
    {
        e.class = ErrorClass::Timeout {
            remote_job_id: Some(job.remote_id.clone()),
        };
    }
    e
}

#[async_trait]
impl ImageProvider for Fal {
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
        self.run(req, k, progress, cancel).await
    }
    async fn resume(
        &self,
        remote: &RemoteJob,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let k = key_required(ID, key)?;
        let mut job = remote.clone();
        if job.poll_url.is_none() || job.extra.get("response_url").is_none() {
            // An old stored job without fal's URLs: rebuild them from the queue base.
            job = self.job_of(
                &GenerateRequest::new(remote.model.clone(), ""),
                &Submitted {
                    request_id: remote.remote_id.clone(),
                    status_url: remote.poll_url.clone(),
                    response_url: None,
                    cancel_url: None,
                },
            );
        }
        self.follow(job, k, progress, cancel, Instant::now()).await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = self
            .auth(
                self.http.client.get(join(&self.api, "v1/models/pricing")),
                key,
            )
            .query(&[("endpoint_id", "fal-ai/flux/dev")]);
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(_) => KeyCheck::Valid { balance: None },
            Err(k) => k,
        }
    }
}

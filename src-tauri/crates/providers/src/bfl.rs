//! Black Forest Labs: `x-key`, submit returns `{id, polling_url, cost}` (credits, reported
//! up front), poll until `Ready`, download `result.sample` at once (it expires in 10 min).
//! Input images (FLUX.2, Kontext, Fill, Expand) are put on the body by `bfl_inputs`.

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
use crate::poll::Poller;
use crate::types::{
    Balance, GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage,
    RemoteJob,
};
use crate::{ImageProvider, json as j, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Bfl.as_str();

pub const DEFAULT_BASE_URL: &str = "https://api.bfl.ai";
const TRUSTED: &[&str] = &["bfl.ai", "bfl.ml"];
const RATIOS: &[&str] = &[
    "21:9", "16:9", "3:2", "4:3", "1:1", "3:4", "2:3", "9:16", "9:21",
];

#[derive(Debug, Clone, PartialEq)]
pub struct BflSubmitted {
    pub id: String,
    pub polling_url: Option<String>,
    pub raw: Value,
    pub usage: RawUsage,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BflStatus {
    Pending,
    Ready { sample: String, seed: Option<u64> },
    RequestModerated,
    ContentModerated,
    Failed(String),
    NotFound,
}

/// Usage from the submit response (or the stored job's `extra`): `cost` in credits
/// (`submit_credits` in a stored job), megapixels in and out.
pub fn usage_from_submit(v: &Value, headers: &HeaderMap) -> RawUsage {
    RawUsage {
        credits: j::decimal(v.get("cost")).or_else(|| j::decimal(v.get("submit_credits"))),
        billable_units: j::decimal(v.get("output_mp")),
        headers: billing_headers(headers),
        raw: json!({"cost": v.get("cost"), "input_mp": v.get("input_mp"), "output_mp": v.get("output_mp")}),
        ..RawUsage::default()
    }
}

pub fn parse_submit(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<BflSubmitted, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let id = j::str_of(&v, "id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProviderError::malformed(ID, "the submit response has no 'id'"))?;
    Ok(BflSubmitted {
        id: id.to_string(),
        polling_url: j::str_of(&v, "polling_url").map(str::to_string),
        usage: usage_from_submit(&v, headers),
        raw: v,
    })
}

pub fn parse_poll(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<BflStatus, ProviderError> {
    if status == 404 {
        return Ok(BflStatus::NotFound);
    }
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let st = j::str_of(&v, "status")
        .ok_or_else(|| ProviderError::malformed(ID, "the poll response has no 'status'"))?;
    Ok(match st {
        "Pending" | "Processing" | "Queued" => BflStatus::Pending,
        "Ready" => {
            let result = v.get("result");
            let sample = result.and_then(|r| j::str_of(r, "sample")).ok_or_else(|| {
                ProviderError::malformed(ID, "status Ready but no 'result.sample' URL")
            })?;
            BflStatus::Ready {
                sample: sample.to_string(),
                seed: result.and_then(|r| j::u64_of(r.get("seed"))),
            }
        }
        "Request Moderated" => BflStatus::RequestModerated,
        "Content Moderated" => BflStatus::ContentModerated,
        "Task not found" => BflStatus::NotFound,
        "Error" | "Failed" => BflStatus::Failed(
            v.get("details")
                .filter(|d| !d.is_null())
                .map(|d| short(&d.to_string()))
                .unwrap_or_else(|| st.to_string()),
        ),
        // An unknown status is not an answer: keep polling until the deadline (F1).
        other => {
            tracing::warn!(provider = ID, status = %short(other), "unknown task status; still polling");
            BflStatus::Pending
        }
    })
}

/// BFL errors: FastAPI `detail`, or `{"error": "rate_limit_exceeded", "retry_after": 5}`.
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let detail = v.get("detail");
    let msg = match detail {
        Some(Value::String(s)) => short(s),
        Some(Value::Array(a)) => short(
            &a.iter()
                .filter_map(|d| j::str_of(d, "msg"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => j::str_of(&v, "error")
            .or_else(|| j::str_of(&v, "message"))
            .map(short)
            .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body))),
    };
    let field = detail
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|d| d.get("loc"))
        .and_then(Value::as_array)
        .and_then(|l| l.last())
        .and_then(Value::as_str)
        .map(str::to_string);
    let class = match status {
        422 => ErrorClass::InvalidRequest { field },
        s => class_for_status(s, retry_after::from_any(headers, Some(&v))),
    };
    ProviderError::new(ID, class, msg).with_status(status)
}

pub fn build_body(req: &GenerateRequest) -> Value {
    let mut body = json!({"prompt": req.prompt, "output_format": "png"});
    if req.model.contains("ultra") || req.model.contains("kontext") {
        body["aspect_ratio"] = json!(crate::stability::nearest_aspect(
            req.width, req.height, RATIOS
        ));
    } else {
        body["width"] = json!(req.width);
        body["height"] = json!(req.height);
    }
    if let Some(s) = req.seed {
        body["seed"] = json!(s);
    }
    if let Some(s) = req.steps {
        body["steps"] = json!(s);
    }
    j::merge_extra(&mut body, &req.extra, &[]);
    body
}

/// The full resume handle: the regional `polling_url`, the submit cost as
/// `extra.submit_credits` (charged if the job is abandoned) and the size asked.
pub fn job_of(req: &GenerateRequest, sub: &BflSubmitted) -> RemoteJob {
    let mut extra = sub.usage.raw.clone();
    if let Value::Object(o) = &mut extra {
        o.insert(
            "submit_credits".into(),
            sub.usage
                .credits
                .and_then(|c| serde_json::to_value(c).ok())
                .unwrap_or(Value::Null),
        );
        // The size the answer should have (an expand or edit is sized by its input).
        let (w, h) = crate::input_ops::output_size(req, 1);
        o.insert("width".into(), json!(w));
        o.insert("height".into(), json!(h));
    }
    RemoteJob {
        provider: ID.into(),
        model: req.model.clone(),
        remote_id: sub.id.clone(),
        poll_url: sub.polling_url.clone(),
        extra,
    }
}

#[derive(Debug, Clone)]
pub struct Bfl {
    http: Http,
    base: String,
    cfg: ProviderConfig,
}

impl Bfl {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
            cfg: cfg.clone(),
        }
    }

    async fn follow(
        &self,
        job: RemoteJob,
        mut usage: RawUsage,
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
        // The submit's own (regional) polling_url; the global endpoint only as a fallback.
        let poll_url = job
            .poll_url
            .clone()
            .unwrap_or_else(|| join(&self.base, &format!("v1/get_result?id={}", job.remote_id)));
        let url =
            check_same_site(ID, &poll_url, &self.base, TRUSTED).map_err(|e| e.or_job(&job))?;
        // BFL charges at submit and has no cancel endpoint: the reported cost is owed
        // whatever happens next, so definitive endings carry it as usage.
        let owed = |e: ProviderError, usage: &RawUsage| {
            if usage.credits.is_some() {
                e.with_usage(usage.clone())
            } else {
                e.outcome_unknown()
            }
        };
        loop {
            if let Err(stop) = poller.tick().await {
                let e = stop_error(ID, stop, &job);
                return Err(match e.class {
                    ErrorClass::Cancelled => owed(e, &usage),
                    _ => e,
                });
            }
            let resp = self
                .http
                .send(
                    self.http.client.get(url.clone()).header("x-key", key),
                    cancel,
                )
                .await
                .map_err(|e| match e.class {
                    ErrorClass::Cancelled => owed(e.with_job(job.clone()), &usage),
                    _ => e.or_job(&job),
                })?;
            let st =
                parse_poll(resp.status, &resp.headers, &resp.body).map_err(|e| e.or_job(&job))?;
            usage.wall_ms = elapsed_ms(start);
            match st {
                BflStatus::Pending => progress.emit(ProviderProgress::Running),
                BflStatus::Ready { sample, seed } => {
                    // Finished: billed. A failed download keeps the job so it can be fetched again.
                    let done = |e: ProviderError| e.or_job(&job).with_usage(usage.clone());
                    let src = ImageSource::from_url_or_data(ID, &sample).map_err(done)?;
                    let images = materialize(
                        &self.http,
                        vec![(src, seed)],
                        Expect::of_job(&job, 1),
                        progress,
                        cancel,
                    )
                    .await
                    .map_err(done)?;
                    usage.wall_ms = elapsed_ms(start);
                    return Ok(GenerateOutput {
                        images,
                        remote_id: Some(job.remote_id),
                        usage,
                        safety: None,
                    });
                }
                BflStatus::RequestModerated => {
                    return Err(ProviderError::new(
                        ID,
                        ErrorClass::SafetyBlock { billed: false },
                        "BFL's moderation rejected the prompt before generation; rephrase it",
                    ));
                }
                BflStatus::ContentModerated => {
                    // Unverified whether this is charged; assume yes and report the submit cost.
                    return Err(ProviderError::new(
                        ID,
                        ErrorClass::SafetyBlock { billed: true },
                        "BFL's moderation withheld the generated image (probably billed); rephrase the prompt",
                    )
                    .with_usage(usage));
                }
                BflStatus::Failed(msg) => {
                    // Definitive: nothing to resume; the submit cost is charged (F1).
                    let e = ProviderError::new(
                        ID,
                        ErrorClass::Transient,
                        format!("the task failed at BFL: {msg}"),
                    );
                    return Err(if usage.credits.is_some() {
                        e.with_usage(usage)
                    } else {
                        e
                    });
                }
                BflStatus::NotFound => {
                    // Expired (or never known): nothing left to fetch; the submit cost stays owed.
                    return Err(owed(
                        ProviderError::new(
                            ID,
                            ErrorClass::Timeout {
                                remote_job_id: Some(job.remote_id.clone()),
                            },
                            "BFL no longer knows this task (results expire); it cannot be fetched any more",
                        ),
                        &usage,
                    ));
                }
            }
        }
    }
}

#[async_trait]
impl ImageProvider for Bfl {
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
        let body = crate::bfl_inputs::submit_body(req)?;
        let start = Instant::now();
        let rb = self
            .http
            .client
            .post(join(&self.base, &format!("v1/{}", req.model)))
            .header("x-key", k)
            .json(&body);
        tracing::debug!(provider = ID, model = %req.model, "submitting task");
        let resp = self.http.send(rb, cancel).await?;
        let sub = parse_submit(resp.status, &resp.headers, &resp.body)?;
        let job = job_of(req, &sub);
        crate::common::refuse_key_echo(ID, &job, Some(k))?;
        progress.emit(ProviderProgress::Submitted {
            job: Box::new(job.clone()),
        });
        self.follow(job, sub.usage, k, progress, cancel, start)
            .await
    }
    async fn resume(
        &self,
        remote: &RemoteJob,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let k = key_required(ID, key)?;
        let usage = usage_from_submit(&remote.extra, &HeaderMap::new());
        self.follow(remote.clone(), usage, k, progress, cancel, Instant::now())
            .await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        // `/v1/credits` is from BFL's docs, not the reference; any 2xx means the key works.
        let rb = self
            .http
            .client
            .get(join(&self.base, "v1/credits"))
            .header("x-key", key);
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(r) => KeyCheck::Valid {
                balance: serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| j::decimal(v.get("credits")))
                    .map(|amount| Balance {
                        amount,
                        unit: "credits".into(),
                    }),
            },
            Err(k) => k,
        }
    }
}

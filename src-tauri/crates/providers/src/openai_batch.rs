//! OpenAI Batch API for GPT Image models (half price, 24-hour completion window):
//! 1. `POST /v1/files` (multipart, `purpose=batch`) with a JSONL file, one line per
//!    request: `{custom_id, method: "POST", url: "/v1/images/generations", body}`;
//! 2. `POST /v1/batches` `{input_file_id, endpoint: "/v1/images/generations",
//!    completion_window: "24h"}` → `{id: "batch_…", status}`;
//! 3. `GET /v1/batches/{id}` → `status` ∈ validating | in_progress | finalizing |
//!    completed | failed | expired | cancelling | cancelled, `output_file_id`,
//!    `error_file_id`, `errors.data[]`;
//! 4. `GET /v1/files/{output_file_id}/content` → JSONL lines `{id, custom_id, response:
//!    {status_code, request_id, body}, error}`.
//!
//! Only completed requests are billed; an expired batch returns the completed ones in
//! its output file. Sources: the OpenAI API reference (Files: create with purpose
//! "batch"; Batch: create, retrieve; endpoint enum includes `/v1/images/generations`;
//! `completion_window` "24h"), mirrored at learn.microsoft.com/azure/foundry/reference/
//! rest/batches-create-batch; OpenAI's announcement that the Batch API serves
//! gpt-image-1.5, chatgpt-image-latest, gpt-image-1 and gpt-image-1-mini at 50 % off.

use std::time::Instant;

use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::batch::{self, ended, expect_of, pending, safe_id};
use crate::common::{elapsed_ms, key_required};
use crate::errors::{ErrorClass, ProviderError, short};
use crate::http::join;
use crate::images::materialize;
use crate::openai::{OpenAiImages, build_body, classify_error, parse_images_response};
use crate::types::{
    GenerateOutput, GenerateRequest, ProgressSink, ProviderProgress, RemoteJob, SafetyNote,
};

const P: &str = vocab::ProviderId::OpenAi.as_str();
const ENDPOINT: &str = "/v1/images/generations";

/// GPT Image models; DALL·E never had a batch tier for images.
pub(crate) fn supports(model: &str) -> bool {
    model.starts_with("gpt-image") || model.starts_with("chatgpt-image")
}

/// Images per line: the Images API's `n` limit for GPT Image models.
const MAX_N: u32 = 10;

/// The JSONL input file: one line per call of at most `MAX_N` images.
pub fn input_file(req: &GenerateRequest) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left = req.n.max(1);
    let mut i = 0;
    while left > 0 {
        let mut one = req.clone();
        one.n = left.min(MAX_N);
        left -= one.n;
        let line = json!({
            "custom_id": format!("proofsheet-{i}"),
            "method": "POST",
            "url": ENDPOINT,
            "body": build_body(&one, false),
        });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
        i += 1;
    }
    out
}

/// What `GET /v1/batches/{id}` says.
#[derive(Debug, PartialEq)]
pub enum OpenAiBatch {
    Pending(String),
    /// Finished (completed, expired or cancelled) with an output file to read.
    Output(String),
    Ended(String),
}

/// Pure parser for a Batch object.
pub fn parse_batch(v: &Value) -> OpenAiBatch {
    let status = v.get("status").and_then(Value::as_str).unwrap_or("");
    let output = v
        .get("output_file_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let first_error = v
        .pointer("/errors/data/0/message")
        .and_then(Value::as_str)
        .map(short);
    match (status, output) {
        ("completed" | "expired" | "cancelled", Some(f)) => OpenAiBatch::Output(f.to_owned()),
        ("failed", _) => OpenAiBatch::Ended(format!(
            "failed validation ({})",
            first_error.unwrap_or_else(|| "no reason given".into())
        )),
        ("completed", None) => OpenAiBatch::Ended(format!(
            "completed with every request failed ({})",
            first_error.unwrap_or_else(|| "see the batch's error file".into())
        )),
        ("expired", None) => OpenAiBatch::Ended("expired before any request completed".into()),
        ("cancelled", None) => {
            OpenAiBatch::Ended("was cancelled before any request completed".into())
        }
        ("", _) => OpenAiBatch::Pending("pending".into()),
        (s, _) => OpenAiBatch::Pending(s.to_owned()),
    }
}

fn id_of(v: &Value, what: &str) -> Result<String, ProviderError> {
    let id = v.get("id").and_then(Value::as_str).ok_or_else(|| {
        ProviderError::malformed(P, format!("the {what} answer has no 'id'")).outcome_unknown()
    })?;
    safe_id(P, id, "")?;
    Ok(id.to_owned())
}

pub(crate) async fn submit(
    o: &OpenAiImages,
    req: &GenerateRequest,
    key: Option<&str>,
    cancel: &CancellationToken,
) -> Result<RemoteJob, ProviderError> {
    let key = key_required(P, key)?;
    if !supports(&req.model) {
        return Err(batch::unsupported(P, &req.model));
    }
    // Batch lines go to /v1/images/generations, which takes no input images.
    if crate::openai_edit::uses_edits(req) {
        return Err(ProviderError::invalid_request(
            P,
            "edits with input images cannot use OpenAI's batch tier here; run them now",
        ));
    }
    // 1. The input file. Uploading costs nothing; a lost upload is only a stray file.
    let part = Part::bytes(input_file(req))
        .file_name("proofsheet-batch.jsonl")
        .mime_str("application/jsonl")
        .map_err(|e| ProviderError::malformed(P, format!("could not build the upload: {e}")))?;
    let form = Form::new().text("purpose", "batch").part("file", part);
    let rb = o
        .http
        .client
        .post(join(&o.base, "files"))
        .bearer_auth(key)
        .multipart(form);
    let resp = o.http.send(rb, cancel).await.map_err(|mut e| {
        // No batch exists yet, whatever happened to the upload.
        e.billing = crate::Billing::NotBilled;
        e
    })?;
    if !resp.is_success() {
        return Err(classify_error(P, resp.status, &resp.headers, &resp.body));
    }
    let v = crate::json::parse(P, &resp.body).map_err(|mut e| {
        e.billing = crate::Billing::NotBilled;
        e
    })?;
    let file_id = id_of(&v, "file upload").map_err(|mut e| {
        e.billing = crate::Billing::NotBilled;
        e
    })?;
    // 2. The batch: from here on a sent request may have created a paid job.
    let rb = o
        .http
        .client
        .post(join(&o.base, "batches"))
        .bearer_auth(key)
        .json(&json!({
            "input_file_id": file_id,
            "endpoint": ENDPOINT,
            "completion_window": "24h",
            "metadata": {"created_by": "proofsheet"},
        }));
    tracing::debug!(provider = P, model = %req.model, "creating a batch");
    let resp = o.http.send(rb, cancel).await?;
    if !resp.is_success() {
        return Err(classify_error(P, resp.status, &resp.headers, &resp.body));
    }
    let v = crate::json::parse(P, &resp.body).map_err(ProviderError::outcome_unknown)?;
    let id = id_of(&v, "batch")?;
    Ok(batch::job(P, req, &id, json!({"input_file_id": file_id})))
}

pub(crate) async fn poll(
    o: &OpenAiImages,
    job: &RemoteJob,
    key: Option<&str>,
    progress: &ProgressSink,
    cancel: &CancellationToken,
) -> Result<GenerateOutput, ProviderError> {
    let key = key_required(P, key)?;
    safe_id(P, &job.remote_id, "")?;
    let start = Instant::now();
    let rb = o
        .http
        .client
        .get(join(&o.base, &format!("batches/{}", job.remote_id)))
        .bearer_auth(key);
    progress.emit(ProviderProgress::Polling { attempt: 1 });
    let resp = o.http.send(rb, cancel).await.map_err(|e| e.or_job(job))?;
    if resp.status == 404 {
        return Err(ProviderError::new(
            P,
            ErrorClass::InvalidRequest { field: None },
            format!(
                "batch {} is no longer known to OpenAI; whether it ran is unknown",
                job.remote_id
            ),
        )
        .with_status(404)
        .outcome_unknown());
    }
    if !resp.is_success() {
        return Err(classify_error(P, resp.status, &resp.headers, &resp.body).or_job(job));
    }
    let v = crate::json::parse(P, &resp.body).map_err(|e| e.or_job(job))?;
    let file = match parse_batch(&v) {
        OpenAiBatch::Pending(s) => return Err(pending(P, job, &s)),
        OpenAiBatch::Ended(what) => return Err(ended(P, job, &what)),
        OpenAiBatch::Output(f) => f,
    };
    safe_id(P, &file, "").map_err(|e| e.or_job(job))?;
    progress.emit(ProviderProgress::Downloading);
    let rb = o
        .http
        .client
        .get(join(&o.base, &format!("files/{file}/content")))
        .bearer_auth(key);
    // The output stays downloadable: any failure here is polled again, not resubmitted.
    let resp = o.http.send(rb, cancel).await.map_err(|e| e.or_job(job))?;
    if !resp.is_success() {
        return Err(classify_error(P, resp.status, &resp.headers, &resp.body).or_job(job));
    }
    finish(o, job, &resp.body, start, progress, cancel).await
}

/// The output file's lines → one output with every image and the summed usage.
async fn finish(
    o: &OpenAiImages,
    job: &RemoteJob,
    body: &[u8],
    start: Instant,
    progress: &ProgressSink,
    cancel: &CancellationToken,
) -> Result<GenerateOutput, ProviderError> {
    let text = String::from_utf8_lossy(body);
    let headers = HeaderMap::new();
    let mut gathered = batch::Gathered::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(_) => {
                gathered.fail(ProviderError::malformed(
                    P,
                    "a line of the batch output is not JSON",
                ));
                continue;
            }
        };
        let status = v
            .pointer("/response/status_code")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok());
        let result = match (status, v.pointer("/response/body")) {
            (Some(s), Some(b)) => {
                let bytes = serde_json::to_vec(b).unwrap_or_default();
                parse_images_response(P, s, &headers, &bytes)
            }
            _ => Err(ProviderError::new(
                P,
                ErrorClass::InvalidRequest { field: None },
                format!(
                    "a request of the batch failed: {}",
                    short(
                        v.pointer("/error/message")
                            .and_then(Value::as_str)
                            .unwrap_or("no answer")
                    )
                ),
            )),
        };
        gathered.add(result.map(|p| (p.sources, p.usage)));
    }
    let batch::Gathered {
        sources,
        mut usage,
        first_error,
        billed,
        ..
    } = gathered.close();
    let expect = expect_of(job);
    let wanted = expect.n as usize;
    if sources.is_empty() {
        let e = first_error
            .unwrap_or_else(|| ProviderError::malformed(P, "the batch output file has no answers"));
        return Err(if billed { e.with_usage(usage) } else { e });
    }
    let got = sources.len();
    let images = materialize(
        &o.http,
        sources.into_iter().map(|s| (s, None)).collect(),
        expect,
        progress,
        cancel,
    )
    .await
    .map_err(|e| e.with_usage(usage.clone()).or_job(job))?;
    usage.wall_ms = elapsed_ms(start);
    let safety = (got < wanted).then(|| SafetyNote {
        message: format!(
            "{} of {wanted} images were not returned by the batch",
            wanted - got
        ),
        filtered: u32::try_from(wanted - got).unwrap_or(u32::MAX),
    });
    Ok(GenerateOutput {
        images,
        remote_id: Some(job.remote_id.clone()),
        usage,
        safety,
    })
}

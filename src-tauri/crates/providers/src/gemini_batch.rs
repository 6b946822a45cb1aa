//! Gemini Batch API (half price, "target turnaround 24 hours"), inline requests:
//! - submit: `POST /v1beta/models/{model}:batchGenerateContent` with
//!   `{batch: {displayName, inputConfig: {requests: {requests: [{request, metadata}]}}}}`,
//!   one `GenerateContentRequest` per image (Gemini makes one image per call); the answer
//!   is an Operation whose `name` is `batches/{id}`;
//! - poll: `GET /v1beta/batches/{id}` (`batches.get`) → Operation with `metadata.state`
//!   (`BATCH_STATE_PENDING|RUNNING|SUCCEEDED|FAILED|CANCELLED|EXPIRED`; the SDKs also
//!   say `JOB_STATE_*`), `done`, and the output in `response` (or `metadata.output`):
//!   `inlinedResponses.inlinedResponses[]`, each `{response: GenerateContentResponse}` or
//!   `{error: Status}`, with `metadata.key`.
//!
//! Sources: ai.google.dev/api/batch-api (models.batchGenerateContent, batches.get,
//! GenerateContentBatchOutput), ai.google.dev/gemini-api/docs/batch-api ("50% of the
//! standard cost", inline requests up to 20 MB), and the google-genai SDK converters
//! (`batch.inputConfig.requests.requests`, `metadata.output.inlinedResponses`).

use std::time::Instant;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::batch::{self, ended, expect_of, pending, safe_id};
use crate::common::{elapsed_ms, key_required};
use crate::errors::{ErrorClass, ProviderError, short};
use crate::google::{Google, classify_error, is_imagen, parse_generate_content};
use crate::http::join;
use crate::images::{ImageSource, materialize};
use crate::types::{
    GenerateOutput, GenerateRequest, ProgressSink, ProviderProgress, RemoteJob, SafetyNote,
};

const P: &str = vocab::ProviderId::Google.as_str();

/// What a `batches.get` answer says.
#[derive(Debug)]
pub enum GeminiBatch {
    Pending(String),
    /// Finished: the inline answers, in request order.
    Done(Vec<Value>),
    /// Failed, cancelled or expired without answers.
    Ended(String),
}

/// Pure parser for a `batches.get` (or create) Operation.
pub fn parse_operation(v: &Value) -> GeminiBatch {
    let meta = v.get("metadata").unwrap_or(&Value::Null);
    let state = meta
        .get("state")
        .or_else(|| v.get("state"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let state = state
        .trim_start_matches("BATCH_STATE_")
        .trim_start_matches("JOB_STATE_");
    let output = v
        .get("response")
        .or_else(|| meta.get("output"))
        .or_else(|| v.get("output"));
    let answers: Vec<Value> = output
        .and_then(|o| o.get("inlinedResponses"))
        .map(|r| r.get("inlinedResponses").unwrap_or(r))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let done = v.get("done").and_then(Value::as_bool) == Some(true);
    match state {
        "SUCCEEDED" => GeminiBatch::Done(answers),
        "FAILED" | "CANCELLED" | "EXPIRED" if !answers.is_empty() => GeminiBatch::Done(answers),
        "FAILED" | "CANCELLED" | "EXPIRED" => GeminiBatch::Ended(match v.get("error") {
            Some(e) => format!(
                "{} ({})",
                state.to_ascii_lowercase(),
                short(e.get("message").and_then(Value::as_str).unwrap_or(""))
            ),
            None => state.to_ascii_lowercase(),
        }),
        _ if done && !answers.is_empty() => GeminiBatch::Done(answers),
        _ if done => GeminiBatch::Ended(format!(
            "ended without output ({})",
            short(
                v.pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or("no answers")
            )
        )),
        "" => GeminiBatch::Pending("pending".into()),
        s => GeminiBatch::Pending(s.to_ascii_lowercase()),
    }
}

pub(crate) fn supports(model: &str) -> bool {
    !is_imagen(model)
}

pub(crate) async fn submit(
    g: &Google,
    req: &GenerateRequest,
    key: Option<&str>,
    cancel: &CancellationToken,
) -> Result<RemoteJob, ProviderError> {
    let key = key_required(P, key)?;
    if !supports(&req.model) {
        return Err(batch::unsupported(P, &req.model));
    }
    crate::google::check_inputs(req)?;
    let mut one = req.clone();
    one.n = 1;
    let body = Google::body(&one);
    let n = req.n.max(1);
    let requests: Vec<Value> = (0..n)
        .map(|i| json!({"request": body, "metadata": {"key": format!("proofsheet-{i}")}}))
        .collect();
    let display = format!("proofsheet-{}", uuid::Uuid::new_v4());
    let payload = json!({"batch": {
        "displayName": display,
        "inputConfig": {"requests": {"requests": requests}},
    }});
    let url = join(
        &g.base,
        &format!("models/{}:batchGenerateContent", req.model),
    );
    let rb = g
        .http
        .client
        .post(url)
        .header("x-goog-api-key", key)
        .json(&payload);
    tracing::debug!(provider = P, model = %req.model, n, "submitting a batch");
    let resp = g.http.send(rb, cancel).await?;
    if !resp.is_success() {
        return Err(classify_error(resp.status, &resp.headers, &resp.body));
    }
    // A 2xx without a usable name: a batch may exist that we cannot poll.
    let v = crate::json::parse(P, &resp.body).map_err(ProviderError::outcome_unknown)?;
    let name = v.get("name").and_then(Value::as_str).ok_or_else(|| {
        ProviderError::malformed(P, "the batch answer has no 'name'").outcome_unknown()
    })?;
    safe_id(P, name, "batches/")?;
    Ok(batch::job(
        P,
        req,
        name,
        json!({"display_name": display, "requests": n}),
    ))
}

pub(crate) async fn poll(
    g: &Google,
    job: &RemoteJob,
    key: Option<&str>,
    progress: &ProgressSink,
    cancel: &CancellationToken,
) -> Result<GenerateOutput, ProviderError> {
    let key = key_required(P, key)?;
    safe_id(P, &job.remote_id, "batches/")?;
    let start = Instant::now();
    let rb = g
        .http
        .client
        .get(join(&g.base, &job.remote_id))
        .header("x-goog-api-key", key);
    progress.emit(ProviderProgress::Polling { attempt: 1 });
    let resp = g.http.send(rb, cancel).await.map_err(|e| e.or_job(job))?;
    if resp.status == 404 {
        // Our batch is gone (deleted, or past retention): whether it ran is unknown.
        return Err(ProviderError::new(
            P,
            ErrorClass::InvalidRequest { field: None },
            format!(
                "batch {} is no longer known to Gemini; whether it ran is unknown",
                job.remote_id
            ),
        )
        .with_status(404)
        .outcome_unknown());
    }
    if !resp.is_success() {
        return Err(classify_error(resp.status, &resp.headers, &resp.body).or_job(job));
    }
    let v = crate::json::parse(P, &resp.body).map_err(|e| e.or_job(job))?;
    match parse_operation(&v) {
        GeminiBatch::Pending(state) => Err(pending(P, job, &state)),
        GeminiBatch::Ended(what) => Err(ended(P, job, &what)),
        GeminiBatch::Done(answers) => finish(g, job, &answers, start, progress, cancel).await,
    }
}

/// The inline answers → one output: every image, the tokens of every answer added up.
async fn finish(
    g: &Google,
    job: &RemoteJob,
    answers: &[Value],
    start: Instant,
    progress: &ProgressSink,
    cancel: &CancellationToken,
) -> Result<GenerateOutput, ProviderError> {
    let headers = HeaderMap::new();
    let mut gathered = batch::Gathered::default();
    for a in answers {
        let result = match (a.get("response"), a.get("error")) {
            (Some(r), _) => {
                let bytes = serde_json::to_vec(r).unwrap_or_default();
                parse_generate_content(200, &headers, &bytes)
            }
            (None, Some(e)) => Err(ProviderError::new(
                P,
                ErrorClass::InvalidRequest { field: None },
                format!(
                    "a request of the batch failed: {}",
                    short(
                        e.get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("no message")
                    )
                ),
            )),
            (None, None) => Err(ProviderError::malformed(
                P,
                "a batch answer has neither 'response' nor 'error'",
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
    let wanted = expect_of(job).n as usize;
    if sources.is_empty() {
        let e = first_error
            .unwrap_or_else(|| ProviderError::malformed(P, "the batch finished with no answers"));
        // Answers that report usage were metered even without an image.
        return Err(if billed { e.with_usage(usage) } else { e });
    }
    let got = sources.len();
    let images = materialize(
        &g.http,
        sources
            .into_iter()
            .map(|s: ImageSource| (s, None))
            .collect(),
        expect_of(job),
        progress,
        cancel,
    )
    .await
    .map_err(|e| e.with_usage(usage.clone()).or_job(job))?;
    usage.wall_ms = elapsed_ms(start);
    let safety = (got < wanted).then(|| SafetyNote {
        message: format!(
            "{} of {wanted} images of the batch came back without an image ({})",
            wanted - got,
            first_error.map(|e| e.message).unwrap_or_default()
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

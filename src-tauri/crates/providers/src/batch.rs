//! Deferred ("cheaper if it can wait") generation through a provider's batch API:
//! submit once, keep the returned handle, poll it later — possibly from another process.
//!
//! A batch job is a [`RemoteJob`] whose `extra.batch` is true. `submit_batch` returns it
//! as soon as the provider has named the batch; the engine stores it before anything
//! else happens. `resume` on such a job polls it exactly once and never resubmits:
//! - still queued or running → `Timeout { remote_job_id }` carrying the job, outcome
//!   unknown (the caller keeps it and polls again later);
//! - finished with images → the output, with the usage the provider reported;
//! - failed, expired or cancelled without output → a `NotBilled` error without a job
//!   (both providers bill only the requests they completed), so the reservation is
//!   released.
//!
//! Wire formats: `gemini_batch` (Gemini `models.batchGenerateContent` with inline
//! requests, `batches.get`), `openai_batch` (`/v1/files` JSONL upload, `/v1/batches`,
//! output file download).

use serde_json::{Value, json};

use crate::errors::{ErrorClass, ProviderError};
use crate::types::{GenerateRequest, RemoteJob};

/// How long a provider promises to take (both document a 24-hour window).
pub const WINDOW_HOURS: u32 = 24;

/// True for a job handle made by `submit_batch`.
pub fn is_batch(job: &RemoteJob) -> bool {
    job.extra.get("batch").and_then(Value::as_bool) == Some(true)
}

/// The handle of a submitted batch: what `resume` needs (and the request's shape, so the
/// decoded images can be checked against what was asked).
pub(crate) fn job(
    provider: &str,
    req: &GenerateRequest,
    remote_id: &str,
    more: Value,
) -> RemoteJob {
    let mut extra = json!({
        "batch": true,
        "n": req.n.max(1),
        "width": req.width,
        "height": req.height,
        "quality": req.quality,
    });
    if let (Some(e), Some(m)) = (extra.as_object_mut(), more.as_object()) {
        for (k, v) in m {
            e.insert(k.clone(), v.clone());
        }
    }
    RemoteJob {
        provider: provider.to_owned(),
        model: req.model.clone(),
        remote_id: remote_id.to_owned(),
        poll_url: None,
        extra,
    }
}

/// What the decoded images are checked against: the request's n, size and size tier.
pub(crate) fn expect_of(job: &RemoteJob) -> crate::images::Expect {
    let num = |k: &str, d: u32| {
        job.extra
            .get(k)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(d)
    };
    let mut r = GenerateRequest::new(job.model.clone(), "");
    r.width = num("width", 1024);
    r.height = num("height", 1024);
    r.n = num("n", 1);
    r.quality = job
        .extra
        .get("quality")
        .and_then(Value::as_str)
        .map(str::to_owned);
    crate::images::Expect::of(&r)
}

/// The batch has not finished yet: keep the handle and poll again later.
pub(crate) fn pending(provider: &str, job: &RemoteJob, state: &str) -> ProviderError {
    ProviderError::new(
        provider,
        ErrorClass::Timeout {
            remote_job_id: Some(job.remote_id.clone()),
        },
        format!(
            "batch {} is {} at {provider}; it is polled again later (never resubmitted)",
            job.remote_id,
            crate::errors::short(state)
        ),
    )
    .with_job(job.clone())
    .outcome_unknown()
}

/// The batch ended without output: nothing was completed, so nothing was billed.
pub(crate) fn ended(provider: &str, job: &RemoteJob, what: &str) -> ProviderError {
    ProviderError::new(
        provider,
        ErrorClass::InvalidRequest { field: None },
        format!(
            "batch {} {what}; the provider bills only completed requests, so nothing was \
             charged — send it again (now or later)",
            job.remote_id
        ),
    )
}

pub(crate) fn unsupported(provider: &str, model: &str) -> ProviderError {
    ProviderError::new(
        provider,
        ErrorClass::InvalidRequest {
            field: Some("model".into()),
        },
        format!("{provider} has no batch (deferred) tier for {model}; send it now instead"),
    )
}

/// A provider-chosen id used in a URL path: only the characters ids are made of, so an
/// answer cannot steer the poll to another path (or host).
pub(crate) fn safe_id(provider: &str, id: &str, prefix: &str) -> Result<(), ProviderError> {
    let rest = id.strip_prefix(prefix).unwrap_or("");
    let ok = !rest.is_empty()
        && id.len() <= 200
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(ProviderError::malformed(
            provider,
            format!(
                "the batch API answered with an unusable id ({})",
                crate::errors::short(&id.chars().take(60).collect::<String>())
            ),
        )
        .outcome_unknown())
    }
}

/// The answers of a finished batch, gathered one by one: every image, the tokens of
/// every answer added up, each answer's raw usage, and the first failure.
#[derive(Default)]
pub(crate) struct Gathered {
    pub sources: Vec<crate::images::ImageSource>,
    pub usage: crate::types::RawUsage,
    raws: Vec<Value>,
    pub first_error: Option<ProviderError>,
    /// A failed answer reported usage: it was metered even without an image.
    pub billed: bool,
}

impl Gathered {
    /// One answer: its images and usage, or its failure (with the usage it reported).
    pub fn add(
        &mut self,
        answer: Result<(Vec<crate::images::ImageSource>, crate::types::RawUsage), ProviderError>,
    ) {
        match answer {
            Ok((sources, usage)) => {
                add_tokens(&mut self.usage.tokens, &usage.tokens);
                self.raws.push(usage.raw);
                self.sources.extend(sources);
            }
            Err(e) => {
                if let Some(u) = &e.usage {
                    add_tokens(&mut self.usage.tokens, &u.tokens);
                    self.raws.push(u.raw.clone());
                    self.billed = true;
                }
                self.first_error.get_or_insert(e);
            }
        }
    }

    /// A failure that is not an answer (an unreadable line): kept if it is the first.
    pub fn fail(&mut self, e: ProviderError) {
        self.first_error.get_or_insert(e);
    }

    /// Done adding: the raw usage becomes the list of every answer's.
    pub fn close(mut self) -> Self {
        self.usage.raw = Value::Array(std::mem::take(&mut self.raws));
        self
    }
}

/// Token counts of several answers of one batch, added up.
fn add_tokens(a: &mut crate::types::TokenCounts, b: &crate::types::TokenCounts) {
    a.text_in = a.text_in.saturating_add(b.text_in);
    a.image_in = a.image_in.saturating_add(b.image_in);
    a.cached_in = a.cached_in.saturating_add(b.cached_in);
    a.image_out = a.image_out.saturating_add(b.image_out);
    a.text_out = a.text_out.saturating_add(b.text_out);
    a.thinking = match (a.thinking, b.thinking) {
        (None, None) => None,
        (x, y) => Some(x.unwrap_or(0).saturating_add(y.unwrap_or(0))),
    };
}

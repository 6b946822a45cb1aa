//! One error taxonomy for every provider (DESIGN.md §4, providers.md §14).

use serde::{Deserialize, Serialize};

use crate::types::{RawUsage, RemoteJob};

/// The class the engine branches on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorClass {
    /// The provider refused or filtered the content. `billed`: whether it probably charged.
    SafetyBlock {
        billed: bool,
    },
    RateLimited {
        retry_after_ms: Option<u64>,
    },
    /// Out of credits / quota / billing not set up. Not retryable.
    QuotaExhausted,
    AuthFailed,
    InvalidRequest {
        field: Option<String>,
    },
    Transient,
    /// Client-side timeout. With a remote job id the job may still finish: resume, never resubmit.
    Timeout {
        remote_job_id: Option<String>,
    },
    MalformedResponse,
    Cancelled,
}

impl ErrorClass {
    /// Short snake_case name for logs, the ledger and the UI.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorClass::SafetyBlock { .. } => "safety_block",
            ErrorClass::RateLimited { .. } => "rate_limited",
            ErrorClass::QuotaExhausted => "quota_exhausted",
            ErrorClass::AuthFailed => "auth_failed",
            ErrorClass::InvalidRequest { .. } => "invalid_request",
            ErrorClass::Transient => "transient",
            ErrorClass::Timeout { .. } => "timeout",
            ErrorClass::MalformedResponse => "malformed_response",
            ErrorClass::Cancelled => "cancelled",
        }
    }
}

/// What a failed call may have cost: decides whether the engine may send it again.
///
/// Invariant (DESIGN.md §2, enforced in the engine's attempt loop): only a `NotBilled`
/// failure without a named job may be retried or resent; `Billed` is charged; `Unknown`
/// is charged as unconfirmed at the estimate and never resent blindly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// The request never reached the provider, or the provider answered with a refusal
    /// that costs nothing (4xx, 5xx, 429, a body that is plainly not the provider's).
    #[default]
    NotBilled,
    /// The provider proved it billed (usage or cost in the answer, a job that reached a
    /// finished state) even though the output is unusable.
    Billed,
    /// The request was sent and no definitive answer came back: timeout after sending,
    /// body cut mid-read, connection closed, cancelled while in flight.
    Unknown,
}

/// A classified provider failure. Messages never contain the API key
/// (clients run every error through [`ProviderError::redact`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{provider}: {message}")]
pub struct ProviderError {
    pub provider: String,
    pub class: ErrorClass,
    pub message: String,
    pub http_status: Option<u16>,
    /// Set when an async job exists at the provider: call `resume` with it, do not resubmit.
    pub remote_job: Option<Box<RemoteJob>>,
    /// Usage for failures the provider probably billed.
    pub usage: Option<Box<RawUsage>>,
    /// Whether the call may have cost money (see [`Billing`]).
    #[serde(default)]
    pub billing: Billing,
}

impl ProviderError {
    pub fn new(provider: &str, class: ErrorClass, message: impl Into<String>) -> Self {
        let billing = match class {
            ErrorClass::SafetyBlock { billed: true } => Billing::Billed,
            _ => Billing::NotBilled,
        };
        Self {
            provider: provider.to_string(),
            class,
            message: message.into(),
            http_status: None,
            remote_job: None,
            usage: None,
            billing,
        }
    }

    /// A request the provider would refuse (bad input image, mask, operation); never sent.
    pub fn invalid_request(provider: &str, message: impl Into<String>) -> Self {
        Self::new(
            provider,
            ErrorClass::InvalidRequest { field: None },
            message,
        )
    }

    pub fn malformed(provider: &str, message: impl Into<String>) -> Self {
        Self::new(provider, ErrorClass::MalformedResponse, message)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_job(mut self, job: RemoteJob) -> Self {
        self.remote_job = Some(Box::new(job));
        self
    }

    /// Attach the job only if none is attached yet (errors from deeper layers win). A
    /// named job may still run and bill, so the outcome is at least unknown.
    pub fn or_job(mut self, job: &RemoteJob) -> Self {
        if self.remote_job.is_none() && !matches!(self.class, ErrorClass::Cancelled) {
            self.remote_job = Some(Box::new(job.clone()));
        }
        self = self.outcome_unknown();
        if let ErrorClass::Timeout {
            remote_job_id: None,
        } = self.class
        {
            self.class = ErrorClass::Timeout {
                remote_job_id: Some(job.remote_id.clone()),
            };
        }
        self
    }

    /// Usage the provider reported: proof that it billed.
    pub fn with_usage(mut self, usage: RawUsage) -> Self {
        self.usage = Some(Box::new(usage));
        self.billing = Billing::Billed;
        self
    }

    /// The provider proved it billed without reporting usage (a job that finished).
    pub fn billed(mut self) -> Self {
        self.billing = Billing::Billed;
        self
    }

    /// The request was sent and its outcome is unknown (never downgrades `Billed`).
    pub fn outcome_unknown(mut self) -> Self {
        if self.billing == Billing::NotBilled {
            self.billing = Billing::Unknown;
        }
        self
    }

    /// May this call have cost money? (`Billed` or `Unknown`.)
    pub fn may_have_billed(&self) -> bool {
        self.billing != Billing::NotBilled
    }

    /// Worth trying again (after `retry_after_ms` for rate limits). For a `Timeout` with a
    /// `remote_job`, "again" means `resume`, not a new `generate`.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.class,
            ErrorClass::RateLimited { .. } | ErrorClass::Transient | ErrorClass::Timeout { .. }
        )
    }

    /// Whether the provider proved this failed attempt cost money.
    pub fn probably_billed(&self) -> bool {
        self.billing == Billing::Billed
    }

    /// Replace every occurrence of the key (a hostile or buggy server may echo it back),
    /// also when cut short (≥ 8 leading characters) or split by control characters.
    pub fn redact(mut self, key: Option<&str>) -> Self {
        if let Some(k) = key.filter(|k| k.len() >= 4) {
            self.message = redact_text(&self.message, k);
            if let Some(u) = self.usage.as_mut() {
                redact_usage(u, k);
            }
            if let Some(job) = self.remote_job.as_mut() {
                redact_job(job, k);
            }
            if let ErrorClass::Timeout {
                remote_job_id: Some(id),
            } = &mut self.class
            {
                *id = redact_text(id, k);
            }
        }
        self
    }
}

/// Shortest leading part of a key that counts as a leak when a message was cut.
const MIN_KEY_PREFIX: usize = 8;

/// Characters a hostile server may slip into an echoed key (and `short` turns into spaces).
fn is_filler(c: char) -> bool {
    c.is_control() || c.is_whitespace()
}

/// Byte ranges of `text` that spell the key (or its first ≥ 8 characters, as left by
/// truncation), ignoring control and whitespace characters slipped between its characters.
fn key_spans(text: &str, key: &str) -> Vec<(usize, usize)> {
    let key: Vec<char> = key.chars().collect();
    let Some(&first) = key.first() else {
        return Vec::new();
    };
    let need = key.len().min(MIN_KEY_PREFIX);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1 != first {
            i += 1;
            continue;
        }
        let (mut k, mut j, mut end) = (0, i, i);
        while j < chars.len() && k < key.len() {
            let c = chars[j].1;
            if c == key[k] {
                k += 1;
                end = j;
            } else if !(is_filler(c) && k > 0) {
                break;
            }
            j += 1;
        }
        if k >= need {
            let stop = chars.get(end + 1).map_or(text.len(), |c| c.0);
            spans.push((chars[i].0, stop));
            i = end + 1;
        } else {
            i += 1;
        }
    }
    spans
}

/// Does `text` contain the key (whole, cut to ≥ 8 characters, or split by control characters)?
pub fn contains_key(text: &str, key: &str) -> bool {
    key.len() >= 4 && !key_spans(text, key).is_empty()
}

/// `text` with every appearance of the key replaced by `[redacted]`.
pub fn redact_text(text: &str, key: &str) -> String {
    if key.len() < 4 {
        return text.to_string();
    }
    let spans = key_spans(text, key);
    if spans.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (a, b) in spans {
        out.push_str(&text[at..a]);
        out.push_str("[redacted]");
        at = b;
    }
    out.push_str(&text[at..]);
    out
}

pub(crate) fn redact_usage(u: &mut RawUsage, key: &str) {
    for v in u.headers.values_mut() {
        *v = redact_text(v, key);
    }
    if contains_key(&u.raw.to_string(), key) {
        u.raw = serde_json::Value::String("[redacted]".into());
    }
}

/// A job that names the key anywhere is useless to resume (and must not be stored).
pub(crate) fn redact_job(job: &mut RemoteJob, key: &str) {
    job.remote_id = redact_text(&job.remote_id, key);
    if let Some(u) = job.poll_url.as_mut() {
        *u = redact_text(u, key);
    }
    if contains_key(&job.extra.to_string(), key) {
        job.extra = serde_json::Value::String("[redacted]".into());
    }
}

/// Trim a provider's message for inclusion in ours: one line, bounded length.
pub(crate) fn short(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    one_line.trim().to_string()
}

/// Describe a body that is not what we expected (HTML error page, empty, binary).
pub(crate) fn describe_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let t = text.trim_start();
    if body.is_empty() {
        "an empty body".into()
    } else if t.starts_with('<') {
        "an HTML page (probably a proxy or gateway error page)".into()
    } else if std::str::from_utf8(&body[..body.len().min(200)]).is_err() {
        format!("{} bytes of binary data", body.len())
    } else {
        format!("\"{}\"", short(t))
    }
}

/// Scrub the key from a successful output too (a server could echo it in a captured header).
pub(crate) fn redact_output(
    mut out: crate::types::GenerateOutput,
    key: Option<&str>,
) -> crate::types::GenerateOutput {
    if let Some(k) = key.filter(|k| k.len() >= 4) {
        redact_usage(&mut out.usage, k);
        if out.remote_id.as_deref().is_some_and(|r| contains_key(r, k)) {
            out.remote_id = Some("[redacted]".into());
        }
    }
    out
}

//! HTTP clients for image providers with one error taxonomy. No retries inside: the
//! engine owns retries and fallbacks. See `ImageProvider` and `provider_for`.

pub mod batch;
pub mod config;
pub mod decode;
pub mod errors;
pub mod http;
pub mod images;
pub mod input_ops;
pub mod inputs;
pub mod json;
pub mod models;
pub mod moderation;
pub mod poll;
pub mod retry_after;
pub mod types;

pub mod a1111;
pub mod bfl;
pub mod bfl_inputs;
pub mod comfyui;
pub mod comfyui_inputs;
pub mod fal;
pub mod fal_inputs;
pub mod gateway;
pub mod gemini_batch;
pub mod google;
pub mod ideogram;
pub mod ideogram_inputs;
pub mod openai;
pub mod openai_batch;
pub mod openai_compatible;
pub mod openai_edit;
pub mod openrouter;
pub mod recraft;
pub mod recraft_inputs;
pub mod replicate;
pub mod stability;
pub mod stability_edit;
pub mod together;
pub mod xai;

use async_trait::async_trait;
pub use tokio_util::sync::CancellationToken;

pub use config::{ProviderConfig, base_url_env_var, default_base_url, endpoint, provider_for};
pub use errors::{Billing, ErrorClass, ProviderError};
pub use moderation::{ModerationResult, moderate};
pub use types::*;

/// One provider. Clients never retry; every failure comes back classified.
#[async_trait]
pub trait ImageProvider: Send + Sync {
    fn id(&self) -> &'static str;
    /// Submit and wait for the images. A client-side timeout or poll deadline on an async
    /// provider returns `Timeout{remote_job_id}` with `remote_job` set: call `resume`.
    async fn generate(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError>;
    /// Poll an existing async job again; never resubmits. Providers that answer in one
    /// call have no job to poll and keep this default (`InvalidRequest`).
    async fn resume(
        &self,
        _remote: &RemoteJob,
        _key: Option<&str>,
        _progress: &ProgressSink,
        _cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        Err(common::resume_unsupported(self.id()))
    }
    /// Whether `submit_batch` takes this model: the provider has a cheaper deferred
    /// (batch) tier for it that this client can call.
    fn batch_support(&self, _model: &str) -> bool {
        false
    }
    /// Whether the batch tier also takes input images (edits, references); OpenAI's
    /// batch path here is text to image only, Gemini's sends the inline parts.
    fn batch_takes_inputs(&self, _model: &str) -> bool {
        false
    }
    /// Submits the request to the provider's batch API and returns the job's resume
    /// handle as soon as the provider names it (see `batch`). The caller stores it
    /// before anything else and polls it with `resume`; it is never submitted twice.
    async fn submit_batch(
        &self,
        req: &GenerateRequest,
        _key: Option<&str>,
        _cancel: &CancellationToken,
    ) -> Result<RemoteJob, ProviderError> {
        Err(batch::unsupported(self.id(), &req.model))
    }
    /// A cheap authenticated call: valid / invalid / unreachable, with a balance if known.
    async fn check_key(&self, key: &str) -> KeyCheck;
}

/// Shared helpers for the client modules.
pub(crate) mod common {
    use std::time::Instant;

    use crate::errors::{ErrorClass, ProviderError};
    use crate::http::HttpResponse;
    use crate::poll::Stop;
    use crate::types::{KeyCheck, RemoteJob};

    pub fn key_required<'a>(
        provider: &str,
        key: Option<&'a str>,
    ) -> Result<&'a str, ProviderError> {
        let k = key.filter(|k| !k.trim().is_empty()).ok_or_else(|| {
            ProviderError::new(
                provider,
                ErrorClass::AuthFailed,
                "no API key is set for this provider; add one in Settings → Keys",
            )
        })?;
        key_usable(provider, k)?;
        Ok(k)
    }

    /// A key that cannot go into a header fails here, before anything is sent (F19).
    pub fn key_usable(provider: &str, key: &str) -> Result<(), ProviderError> {
        let why = if key.contains(['\r', '\n']) {
            "contains a line break"
        } else if key.chars().any(char::is_control) {
            "contains a control character"
        } else {
            return Ok(());
        };
        Err(ProviderError::new(
            provider,
            ErrorClass::AuthFailed,
            format!("the API key for {provider} {why}; set it again in Settings → Keys"),
        ))
    }

    /// [`key_usable`] for `check_key`.
    pub fn key_check_usable(provider: &str, key: &str) -> Result<(), KeyCheck> {
        key_usable(provider, key).map_err(|e| KeyCheck::Invalid { message: e.message })
    }

    /// A provider answered with a job id (or job URL) that contains the key: a hostile or
    /// broken endpoint. Never print, store or poll it (F16); what it cost is unknown.
    pub fn refuse_key_echo(
        provider: &str,
        job: &RemoteJob,
        key: Option<&str>,
    ) -> Result<(), ProviderError> {
        let Some(k) = key else { return Ok(()) };
        let text = format!(
            "{} {} {}",
            job.remote_id,
            job.poll_url.as_deref().unwrap_or(""),
            job.extra
        );
        if crate::errors::contains_key(&text, k) {
            return Err(ProviderError::malformed(
                provider,
                "the provider answered with a job id that contains your API key; refusing to use it",
            )
            .outcome_unknown());
        }
        Ok(())
    }

    pub fn resume_unsupported(provider: &str) -> ProviderError {
        ProviderError::new(
            provider,
            ErrorClass::InvalidRequest { field: None },
            "this provider answers synchronously; there is no job to resume",
        )
    }

    /// The error for a poll loop that stopped, carrying the job so the engine can resume.
    /// The job may still run (and bill), so the outcome is unknown.
    pub fn stop_error(provider: &str, stop: Stop, job: &RemoteJob) -> ProviderError {
        match stop {
            Stop::Cancelled => ProviderError::new(
                provider,
                ErrorClass::Cancelled,
                "cancelled by the user; the provider was asked to stop the job (it may still be billed)",
            )
            .with_job(job.clone())
            .outcome_unknown(),
            Stop::Deadline => ProviderError::new(
                provider,
                ErrorClass::Timeout {
                    remote_job_id: Some(job.remote_id.clone()),
                },
                format!(
                    "job {} did not finish before the poll deadline; it may still complete and be billed, so resume it instead of resubmitting",
                    job.remote_id
                ),
            )
            .with_job(job.clone())
            .outcome_unknown(),
        }
    }

    /// Map a key-check response: 2xx valid, 401/403 invalid, anything else unreachable.
    pub fn key_check_from(
        resp: Result<HttpResponse, ProviderError>,
    ) -> Result<HttpResponse, KeyCheck> {
        match resp {
            Ok(r) if r.is_success() => Ok(r),
            Ok(r) if r.status == 401 || r.status == 403 => Err(KeyCheck::Invalid {
                message: format!("the provider rejected the key (HTTP {})", r.status),
            }),
            Ok(r) => Err(KeyCheck::Unreachable {
                message: format!("unexpected HTTP {} while checking the key", r.status),
            }),
            Err(e) => Err(KeyCheck::Unreachable { message: e.message }),
        }
    }

    pub fn elapsed_ms(start: Instant) -> u64 {
        u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Status-only fallback classification for bodies we could not read.
    pub fn class_for_status(status: u16, retry_after_ms: Option<u64>) -> ErrorClass {
        match status {
            401 | 403 => ErrorClass::AuthFailed,
            402 => ErrorClass::QuotaExhausted,
            408 | 504 => ErrorClass::Timeout {
                remote_job_id: None,
            },
            429 => ErrorClass::RateLimited { retry_after_ms },
            400..=499 => ErrorClass::InvalidRequest { field: None },
            500..=599 => ErrorClass::Transient,
            _ => ErrorClass::MalformedResponse,
        }
    }
}

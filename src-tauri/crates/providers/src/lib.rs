//! HTTP clients for image providers with one error taxonomy. No retries inside: the
//! engine owns retries and fallbacks. See `ImageProvider` and `provider_for`.

pub mod config;
pub mod decode;
pub mod errors;
pub mod http;
pub mod images;
pub mod json;
pub mod moderation;
pub mod poll;
pub mod retry_after;
pub mod types;

pub mod a1111;
pub mod bfl;
pub mod comfyui;
pub mod fal;
pub mod google;
pub mod ideogram;
pub mod openai;
pub mod openai_compatible;
pub mod openrouter;
pub mod recraft;
pub mod replicate;
pub mod stability;
pub mod together;

use async_trait::async_trait;
pub use tokio_util::sync::CancellationToken;

pub use config::{PROVIDER_IDS, ProviderConfig, base_url_env_var, provider_for};
pub use errors::{Billing, ErrorClass, ProviderError};
pub use moderation::{ModerationResult, moderate};
pub use types::*;

/// One provider. Clients never retry; every failure comes back classified.
#[async_trait]
pub trait ImageProvider: Send + Sync {
    fn id(&self) -> &'static str;
    fn capabilities(&self, model: &str) -> Capabilities;
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
        key.filter(|k| !k.trim().is_empty()).ok_or_else(|| {
            ProviderError::new(
                provider,
                ErrorClass::AuthFailed,
                "no API key is set for this provider; add one in Settings → Keys",
            )
        })
    }

    pub fn resume_unsupported(provider: &str) -> ProviderError {
        ProviderError::new(
            provider,
            ErrorClass::InvalidRequest { field: None },
            "this provider answers synchronously; there is no job to resume",
        )
    }

    /// The error for a poll loop that stopped, carrying the job so the engine can resume.
    pub fn stop_error(provider: &str, stop: Stop, job: &RemoteJob) -> ProviderError {
        match stop {
            Stop::Cancelled => ProviderError::new(
                provider,
                ErrorClass::Cancelled,
                "cancelled by the user; the provider was asked to stop the job",
            )
            .with_job(job.clone()),
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
            .with_job(job.clone()),
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

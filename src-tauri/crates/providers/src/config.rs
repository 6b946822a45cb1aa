//! Provider ids, per-provider settings, base-URL resolution and the registry.

use std::sync::Arc;
use std::time::Duration;

use crate::ImageProvider;
use crate::errors::ProviderError;
use vocab::ProviderId;

/// Settings for one provider client. `Default` gives production values.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    /// Overrides the default endpoint (settings). `PROOFSHEET_<ID>_BASE_URL` wins over it.
    pub base_url: Option<String>,
    /// Per HTTP request, including reading the body.
    pub timeout: Duration,
    pub poll_interval: Duration,
    /// Give up polling an async job after this long and return `Timeout{remote_job_id}`.
    pub poll_deadline: Duration,
    /// Cap for any response body or download.
    pub max_body_bytes: usize,
    /// Model list for `openai_compatible` (empty: accept any model).
    pub models: Vec<String>,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            timeout: Duration::from_secs(180),
            poll_interval: Duration::from_millis(1000),
            poll_deadline: Duration::from_secs(600),
            max_body_bytes: 64 * 1024 * 1024,
            models: Vec::new(),
        }
    }
}

/// `PROOFSHEET_<ID>_BASE_URL`, e.g. `PROOFSHEET_OPENAI_COMPATIBLE_BASE_URL`.
pub fn base_url_env_var(id: &str) -> String {
    format!("PROOFSHEET_{}_BASE_URL", id.to_ascii_uppercase())
}

/// Env override, then settings, then the provider's default.
pub fn resolve_base_url(id: &str, cfg: &ProviderConfig, default: Option<&str>) -> Option<String> {
    std::env::var(base_url_env_var(id))
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| cfg.base_url.clone().filter(|s| !s.trim().is_empty()))
        .or_else(|| default.map(str::to_string))
        .map(|s| s.trim().trim_end_matches('/').to_string())
}

/// The endpoint a provider is reached at when neither the environment nor settings
/// name one; None when the user must supply it (an OpenAI-compatible server).
pub fn default_base_url(id: ProviderId) -> Option<&'static str> {
    use crate::{
        a1111, bfl, comfyui, fal, google, ideogram, openai, openrouter, recraft, replicate,
        stability, together, xai,
    };
    Some(match id {
        ProviderId::OpenAi => openai::DEFAULT_BASE_URL,
        ProviderId::Stability => stability::DEFAULT_BASE_URL,
        ProviderId::Google => google::DEFAULT_BASE_URL,
        ProviderId::Replicate => replicate::DEFAULT_BASE_URL,
        ProviderId::Fal => fal::DEFAULT_QUEUE_URL,
        ProviderId::Bfl => bfl::DEFAULT_BASE_URL,
        ProviderId::Together => together::DEFAULT_BASE_URL,
        ProviderId::OpenRouter => openrouter::DEFAULT_BASE_URL,
        ProviderId::A1111 => a1111::DEFAULT_BASE_URL,
        ProviderId::ComfyUi => comfyui::DEFAULT_BASE_URL,
        ProviderId::Ideogram => ideogram::DEFAULT_BASE_URL,
        ProviderId::Recraft => recraft::DEFAULT_BASE_URL,
        ProviderId::Xai => xai::DEFAULT_BASE_URL,
        ProviderId::OpenAiCompatible => return None,
    })
}

/// The base URL a provider's calls go to: `PROOFSHEET_<ID>_BASE_URL`, then the
/// configured one, then its default. Every client and the moderation check use this.
pub fn endpoint(id: ProviderId, cfg: &ProviderConfig) -> Option<String> {
    resolve_base_url(id.as_str(), cfg, default_base_url(id))
}

/// Build the client for a provider.
pub fn provider_for(
    id: ProviderId,
    cfg: &ProviderConfig,
    http: reqwest::Client,
) -> Result<Arc<dyn ImageProvider>, ProviderError> {
    use crate::{
        ImageProvider, a1111, bfl, comfyui, fal, google, ideogram, openai, openai_compatible,
        openrouter, recraft, replicate, stability, together, xai,
    };
    let p: Arc<dyn ImageProvider> = match id {
        ProviderId::OpenAi => Arc::new(openai::OpenAi::new(cfg, http)),
        ProviderId::Stability => Arc::new(stability::Stability::new(cfg, http)),
        ProviderId::Google => Arc::new(google::Google::new(cfg, http)),
        ProviderId::Replicate => Arc::new(replicate::Replicate::new(cfg, http)),
        ProviderId::Fal => Arc::new(fal::Fal::new(cfg, http)),
        ProviderId::Bfl => Arc::new(bfl::Bfl::new(cfg, http)),
        ProviderId::Together => Arc::new(together::Together::new(cfg, http)),
        ProviderId::OpenRouter => Arc::new(openrouter::OpenRouter::new(cfg, http)),
        ProviderId::A1111 => Arc::new(a1111::A1111::new(cfg, http)),
        ProviderId::ComfyUi => Arc::new(comfyui::ComfyUi::new(cfg, http)),
        ProviderId::OpenAiCompatible => {
            Arc::new(openai_compatible::OpenAiCompatible::new(cfg, http)?)
        }
        ProviderId::Ideogram => Arc::new(ideogram::Ideogram::new(cfg, http)),
        ProviderId::Recraft => Arc::new(recraft::Recraft::new(cfg, http)),
        ProviderId::Xai => Arc::new(xai::Xai::new(cfg, http)),
    };
    Ok(Arc::new(Redacting(p)))
}

/// The client of one named gateway, behind the same key-redacting wrapper as every
/// provider (its secret header values are redacted by the gateway client itself).
pub fn gateway_for(
    spec: crate::gateway::GatewaySpec,
    cfg: &ProviderConfig,
    http: reqwest::Client,
) -> Arc<dyn ImageProvider> {
    Arc::new(Redacting(Arc::new(crate::gateway::Gateway::new(
        spec, cfg, http,
    ))))
}

/// Every client is reached through this wrapper, so no output, error or key check can
/// carry the key back out, whatever a server echoes (one place, not one per client).
struct Redacting(Arc<dyn ImageProvider>);

#[async_trait::async_trait]
impl ImageProvider for Redacting {
    fn id(&self) -> &'static str {
        self.0.id()
    }
    async fn generate(
        &self,
        req: &crate::types::GenerateRequest,
        key: Option<&str>,
        progress: &crate::types::ProgressSink,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<crate::types::GenerateOutput, ProviderError> {
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            crate::common::key_usable(self.id(), k)?;
        }
        let progress = redacting_sink(progress, key);
        let out = self.0.generate(req, key, &progress, cancel).await;
        out.map(|o| crate::errors::redact_output(o, key))
            .map_err(|e| e.redact(key))
    }
    async fn resume(
        &self,
        remote: &crate::types::RemoteJob,
        key: Option<&str>,
        progress: &crate::types::ProgressSink,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<crate::types::GenerateOutput, ProviderError> {
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            crate::common::key_usable(self.id(), k)?;
        }
        let progress = redacting_sink(progress, key);
        let out = self.0.resume(remote, key, &progress, cancel).await;
        out.map(|o| crate::errors::redact_output(o, key))
            .map_err(|e| e.redact(key))
    }
    fn batch_support(&self, model: &str) -> bool {
        self.0.batch_support(model)
    }
    fn batch_takes_inputs(&self, model: &str) -> bool {
        self.0.batch_takes_inputs(model)
    }
    async fn submit_batch(
        &self,
        req: &crate::types::GenerateRequest,
        key: Option<&str>,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<crate::types::RemoteJob, ProviderError> {
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            crate::common::key_usable(self.id(), k)?;
        }
        let job = self
            .0
            .submit_batch(req, key, cancel)
            .await
            .map_err(|e| e.redact(key))?;
        // A handle that carries the key is never stored or polled (F16).
        crate::common::refuse_key_echo(self.id(), &job, key)?;
        Ok(job)
    }
    async fn check_key(&self, key: &str) -> crate::types::KeyCheck {
        use crate::types::KeyCheck;
        let scrub = |m: String| crate::errors::redact_text(&m, key);
        if let Err(k) = crate::common::key_check_usable(self.id(), key) {
            return k;
        }
        match self.0.check_key(key).await {
            KeyCheck::Invalid { message } => KeyCheck::Invalid {
                message: scrub(message),
            },
            KeyCheck::Unreachable { message } => KeyCheck::Unreachable {
                message: scrub(message),
            },
            valid => valid,
        }
    }
}

/// Progress events reach the UI, logs and the store (the saved job): scrub the key there too.
fn redacting_sink(
    inner: &crate::types::ProgressSink,
    key: Option<&str>,
) -> crate::types::ProgressSink {
    use crate::types::ProviderProgress;
    let Some(k) = key.filter(|k| k.len() >= 4).map(str::to_string) else {
        return inner.clone();
    };
    let inner = inner.clone();
    crate::types::ProgressSink::new(move |p| match p {
        ProviderProgress::Submitted { mut job } => {
            crate::errors::redact_job(&mut job, &k);
            inner.emit(ProviderProgress::Submitted { job });
        }
        other => inner.emit(other),
    })
}

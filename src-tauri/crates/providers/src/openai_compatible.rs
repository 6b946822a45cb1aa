//! Any OpenAI-compatible images gateway (LiteLLM proxy, Portkey, aggregators): a user-set
//! base URL and model list, the OpenAI images code, key optional.

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::ImageProvider;
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError};
use crate::http::Http;
use crate::openai::OpenAiImages;
use crate::types::{GenerateOutput, GenerateRequest, KeyCheck, ProgressSink};

/// This client's provider id.
const ID: &str = vocab::ProviderId::OpenAiCompatible.as_str();

#[derive(Debug, Clone)]
pub struct OpenAiCompatible {
    inner: OpenAiImages,
    models: Vec<String>,
}

impl OpenAiCompatible {
    /// Fails when no base URL is configured (there is no sensible default).
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Result<Self, ProviderError> {
        let base = resolve_base_url(ID, cfg, None).ok_or_else(|| {
            ProviderError::new(
                ID,
                ErrorClass::InvalidRequest {
                    field: Some("base_url".into()),
                },
                "set the gateway's base URL (e.g. http://localhost:4000/v1) in Settings or PROOFSHEET_OPENAI_COMPATIBLE_BASE_URL",
            )
        })?;
        Ok(Self {
            inner: OpenAiImages {
                id: ID,
                http: Http::new(client, ID, cfg),
                base,
                key_optional: true,
            },
            models: cfg.models.clone(),
        })
    }
}

#[async_trait]
impl ImageProvider for OpenAiCompatible {
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
        if !self.models.is_empty() && !self.models.iter().any(|m| m == &req.model) {
            return Err(ProviderError::new(
                self.id(),
                ErrorClass::InvalidRequest {
                    field: Some("model".into()),
                },
                format!("model '{}' is not in this gateway's model list", req.model),
            ));
        }
        self.inner.generate(req, key, progress, cancel).await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        self.inner.check_key(key).await
    }
}

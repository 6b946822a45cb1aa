//! Optional pre-flight moderation per project through OpenAI's free moderation
//! endpoint: a flagged prompt stops before any paid call.

use std::sync::Arc;

use store::ProjectId;

use crate::api::RequestParams;
use crate::context::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::provider_gateway::KeyLookup;

pub(crate) const SETTING: &str = "preflight_moderation";

pub(crate) async fn enabled(core: &Arc<Core>, project: ProjectId) -> Result<bool> {
    let key = Core::project_setting_key(project, SETTING);
    Ok(core
        .store_op(move |s| s.setting(&key))
        .await?
        .and_then(|v| v.as_bool())
        .unwrap_or(false))
}

/// Checks the prompt; call only for projects that enabled it.
pub(crate) async fn preflight(core: &Arc<Core>, params: &RequestParams) -> Result<()> {
    if params.prompt.trim().is_empty()
        && params
            .negative_prompt
            .as_deref()
            .is_none_or(|n| n.trim().is_empty())
    {
        // An upscale or erase without a prompt: no text to check.
        return Ok(());
    }
    let openai = vocab::ProviderId::OpenAi;
    let key = match core.gateway().key_for(openai.as_str()).await? {
        KeyLookup::Found(k) => k,
        _ => {
            return Err(EngineError::new(
                ErrorKind::Auth,
                "this project checks prompts with OpenAI's free moderation first, which needs \
                 an OpenAI key: add one in Settings → Keys, or turn pre-flight moderation off",
            ));
        }
    };
    // The OpenAI client's configuration: `providers::moderate` resolves the base URL the
    // way every client does (environment, then Settings, then the default).
    let cfg = providers::ProviderConfig {
        base_url: core
            .wiring()
            .settings()
            .endpoints
            .get(openai.as_str())
            .cloned(),
        timeout: core.options().http_timeout,
        ..Default::default()
    };
    let mut text = params.prompt.clone();
    if let Some(n) = params
        .negative_prompt
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        text.push('\n');
        text.push_str(n);
    }
    let result = providers::moderate(core.gateway().http(), &cfg, key.expose(), &text)
        .await
        .map_err(|e| {
            EngineError::provider(format!(
                "pre-flight moderation could not run, so nothing was sent: {}",
                e.message
            ))
        })?;
    if result.flagged {
        let cats = if result.categories.is_empty() {
            "unspecified".to_owned()
        } else {
            result.categories.join(", ")
        };
        return Err(EngineError::validation(format!(
            "The prompt was flagged by moderation ({cats}); nothing was sent to a paid \
             provider. Rephrase it and try again."
        )));
    }
    Ok(())
}

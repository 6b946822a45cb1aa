//! OpenAI `/v1/moderations`: a free pre-flight check (a first filter, not a guarantee).

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::config::ProviderConfig;
use crate::errors::ProviderError;
use crate::http::{Http, join};

const ID: &str = vocab::ProviderId::OpenAi.as_str();

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModerationResult {
    pub flagged: bool,
    /// Categories reported true, e.g. `"violence/graphic"`.
    pub categories: Vec<String>,
    pub scores: BTreeMap<String, f64>,
}

/// Asks the moderation endpoint of the OpenAI account `cfg` configures. The base URL is
/// resolved exactly as the OpenAI client resolves it (`PROOFSHEET_OPENAI_BASE_URL`, then
/// settings, then the default), so a proxy or test server sees the prompt and key, never
/// the default host behind its back.
pub async fn moderate(
    http: &reqwest::Client,
    cfg: &ProviderConfig,
    key: &str,
    text: &str,
) -> Result<ModerationResult, ProviderError> {
    let base = crate::config::endpoint(vocab::ProviderId::OpenAi, cfg).unwrap_or_default();
    let h = Http::new(http.clone(), ID, cfg);
    let rb = h
        .client
        .post(join(&base, "moderations"))
        .bearer_auth(key)
        .json(&json!({"model": "omni-moderation-latest", "input": text}));
    let resp = h
        .send(rb, &CancellationToken::new())
        .await
        .map_err(|e| e.redact(Some(key)))?;
    parse_moderation(resp.status, &resp.headers, &resp.body).map_err(|e| e.redact(Some(key)))
}

/// Pure parser for the moderation response.
pub fn parse_moderation(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ModerationResult, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(crate::openai::classify_error(ID, status, headers, body));
    }
    let v = crate::json::parse(ID, body)?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::malformed(ID, "the moderation response has no 'results'"))?;
    let mut out = ModerationResult {
        flagged: false,
        categories: Vec::new(),
        scores: BTreeMap::new(),
    };
    for r in results {
        out.flagged |= r.get("flagged").and_then(Value::as_bool).unwrap_or(false);
        if let Some(cats) = r.get("categories").and_then(Value::as_object) {
            for (k, v) in cats {
                if v.as_bool() == Some(true) && !out.categories.contains(k) {
                    out.categories.push(k.clone());
                }
            }
        }
        if let Some(scores) = r.get("category_scores").and_then(Value::as_object) {
            for (k, v) in scores {
                if let Some(f) = v.as_f64() {
                    let e = out.scores.entry(k.clone()).or_insert(0.0);
                    *e = e.max(f);
                }
            }
        }
    }
    Ok(out)
}

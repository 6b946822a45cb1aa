//! Model discovery (issue 14 §6): the models a key can use, as each provider lists them.
//!
//! - OpenAI `GET /v1/models` → `{object:"list", data:[{id, object:"model", created, owned_by}]}`
//! - Gemini `GET /v1beta/models` (`x-goog-api-key`) → `{models:[{name:"models/…",
//!   displayName, supportedGenerationMethods}], nextPageToken}`
//! - OpenRouter `GET /api/v1/models?output_modalities=image` → `{data:[{id, name,
//!   architecture:{output_modalities}, pricing:{prompt, completion, image, request}}]}`,
//!   prices as USD strings per token (providers.md §8)
//! - Together `GET /v1/models` → `[{id, type, display_name, pricing:{input, output, base,
//!   hourly, finetune}}]`; for image models the price is USD per megapixel (assumed from
//!   the catalog's published FLUX rates, which match it)
//! - Replicate `GET /v1/collections/text-to-image` → `{slug, models:[{owner, name,
//!   description}]}` (the official text-to-image collection: listing every public model
//!   would be tens of thousands)
//! - fal `GET https://api.fal.ai/v1/models?category=text-to-image` (`Authorization: Key`)
//!   → `{models:[{endpoint_id, metadata:{display_name, category, status}}], next_cursor,
//!   has_more}`
//!
//! One request per provider (pages are followed up to a cap). Nothing here is sent
//! without a key except OpenRouter's public list.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::errors::{ErrorClass, ProviderError};
use crate::http::{Http, HttpResponse, join};
use crate::json as j;
use vocab::ProviderId;

/// fal's platform API (model search, pricing): not the queue host generation uses.
pub const FAL_PLATFORM_URL: &str = "https://api.fal.ai/v1";
/// Pages followed for a paginated list (Gemini, fal) before stopping.
const MAX_PAGES: usize = 10;
const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// One model a provider lists for the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedModel {
    /// The id generation requests name (Gemini's without the `models/` prefix).
    pub id: String,
    pub name: Option<String>,
    /// The listing says it makes images (None: the listing does not say).
    pub makes_images: Option<bool>,
    /// The price the provider lists, when it lists one.
    pub price: Option<ListedPrice>,
}

/// A price as a provider lists it, in USD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ListedPrice {
    /// OpenRouter: USD per million tokens by class (converted from its per-token strings).
    Tokens {
        prompt_per_m: Decimal,
        completion_per_m: Decimal,
        /// Per input image, when listed.
        per_input_image: Option<Decimal>,
        per_request: Option<Decimal>,
    },
    /// Together image models: USD per megapixel.
    PerMegapixel { usd: Decimal },
}

/// Providers that can list models for a key.
pub fn lists_models(provider: ProviderId) -> bool {
    matches!(
        provider,
        ProviderId::OpenAi
            | ProviderId::Google
            | ProviderId::OpenRouter
            | ProviderId::Together
            | ProviderId::Replicate
            | ProviderId::Fal
    )
}

/// The provider lists its models without a key (OpenRouter's public list).
pub fn lists_without_key(provider: ProviderId) -> bool {
    provider == ProviderId::OpenRouter
}

/// The endpoint a provider's model list is read from: its settings/env id and default
/// base. fal lists models on its platform API, not the queue host generation uses.
pub fn list_endpoint(provider: ProviderId) -> (&'static str, Option<&'static str>) {
    match provider {
        ProviderId::Fal => ("fal_platform", Some(FAL_PLATFORM_URL)),
        p => (p.as_str(), crate::config::default_base_url(p)),
    }
}

/// Lists the models `provider` offers this key. `base` is the provider's resolved API
/// base (for fal, its platform API base). None when the provider has no list.
pub async fn list_models(
    http: &Http,
    id: ProviderId,
    base: &str,
    key: Option<&str>,
) -> Result<Option<Vec<ListedModel>>, ProviderError> {
    if !lists_models(id) {
        return Ok(None);
    }
    let provider = id.as_str();
    let key = key.filter(|k| !k.trim().is_empty());
    if key.is_none() && !lists_without_key(id) {
        return Err(ProviderError::new(
            provider,
            ErrorClass::AuthFailed,
            format!(
                "no API key is set for {provider}; add one in Settings → Keys to list its models"
            ),
        ));
    }
    if let Some(k) = key {
        crate::common::key_usable(provider, k)?;
    }
    let models = match id {
        ProviderId::OpenAi => parse_openai(&get(http, join(base, "models"), id, key).await?)?,
        ProviderId::Together => parse_together(&get(http, join(base, "models"), id, key).await?)?,
        ProviderId::OpenRouter => parse_openrouter(
            &get(http, join(base, "models?output_modalities=image"), id, key).await?,
        )?,
        ProviderId::Replicate => {
            parse_replicate(&get(http, join(base, "collections/text-to-image"), id, key).await?)?
        }
        ProviderId::Google => {
            let mut all = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let mut url = join(base, "models?pageSize=1000");
                if let Some(t) = &token {
                    url.push_str(&format!("&pageToken={}", urlencode(t)));
                }
                let v = get(http, url, id, key).await?;
                let (page, next) = parse_gemini(&v)?;
                all.extend(page);
                match next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
            all
        }
        ProviderId::Fal => {
            let mut all = Vec::new();
            let mut cursor: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let mut url = join(base, "models?category=text-to-image&limit=100");
                if let Some(c) = &cursor {
                    url.push_str(&format!("&cursor={}", urlencode(c)));
                }
                let v = get(http, url, id, key).await?;
                let (page, next) = parse_fal(&v)?;
                all.extend(page);
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            all
        }
        _ => return Ok(None),
    };
    Ok(Some(models))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn get(
    http: &Http,
    url: String,
    id: ProviderId,
    key: Option<&str>,
) -> Result<Value, ProviderError> {
    let provider = id.as_str();
    let mut rb = http.client.get(url);
    if let Some(k) = key {
        rb = match id {
            ProviderId::Google => rb.header("x-goog-api-key", k),
            ProviderId::Fal => rb.header("authorization", format!("Key {k}")),
            ProviderId::Replicate => rb.header("authorization", format!("Bearer {k}")),
            _ => rb.bearer_auth(k),
        };
    }
    let resp = http
        .send(rb, &CancellationToken::new())
        .await
        .map_err(|e| e.redact(key))?;
    match status_error(provider, &resp) {
        None => j::parse(provider, &resp.body).map_err(|e| e.redact(key)),
        Some(e) => Err(e.redact(key)),
    }
}

fn status_error(provider: &str, r: &HttpResponse) -> Option<ProviderError> {
    if r.is_success() {
        return None;
    }
    let class = crate::common::class_for_status(r.status, None);
    let next = match class {
        ErrorClass::AuthFailed => "the key was refused; check it in Settings → Keys",
        ErrorClass::RateLimited { .. } => "rate limited; try again in a minute",
        _ => "try again later",
    };
    Some(ProviderError::new(
        provider,
        class,
        format!(
            "{provider} did not list its models (HTTP {}): {next}",
            r.status
        ),
    ))
}

fn malformed(provider: &str, what: &str) -> ProviderError {
    ProviderError::malformed(
        provider,
        format!("the model list from {provider} has no {what}; nothing was changed"),
    )
}

fn name_of(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| j::str_of(v, k)).map(str::to_owned)
}

/// A price string or number per token → per million tokens.
fn per_m(v: Option<&Value>) -> Option<Decimal> {
    j::decimal(v).map(|d| (d * MILLION).normalize())
}

pub fn parse_openai(v: &Value) -> Result<Vec<ListedModel>, ProviderError> {
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(ProviderId::OpenAi.as_str(), "`data` list"))?;
    Ok(data
        .iter()
        .filter_map(|m| {
            let id = j::str_of(m, "id")?.to_owned();
            // The list does not say what a model makes; image model ids say it.
            let images = id.starts_with("gpt-image") || id.starts_with("dall-e");
            Some(ListedModel {
                id,
                name: None,
                makes_images: Some(images),
                price: None,
            })
        })
        .collect())
}

pub fn parse_gemini(v: &Value) -> Result<(Vec<ListedModel>, Option<String>), ProviderError> {
    let models = match v.get("models") {
        Some(m) => m
            .as_array()
            .ok_or_else(|| malformed(ProviderId::Google.as_str(), "`models` list"))?,
        // An empty account answers `{}`.
        None => return Ok((Vec::new(), None)),
    };
    let list = models
        .iter()
        .filter_map(|m| {
            let name = j::str_of(m, "name")?;
            let id = name.strip_prefix("models/").unwrap_or(name).to_owned();
            let methods: Vec<&str> = m
                .get("supportedGenerationMethods")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            // Imagen answers `predict`; Gemini image models `generateContent` with "image"
            // in their id.
            let images = methods.contains(&"predict") && id.starts_with("imagen")
                || id.contains("image") && methods.contains(&"generateContent");
            Some(ListedModel {
                name: name_of(m, &["displayName"]),
                id,
                makes_images: Some(images),
                price: None,
            })
        })
        .collect();
    let next = j::str_of(v, "nextPageToken")
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok((list, next))
}

pub fn parse_openrouter(v: &Value) -> Result<Vec<ListedModel>, ProviderError> {
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(ProviderId::OpenRouter.as_str(), "`data` list"))?;
    Ok(data
        .iter()
        .filter_map(|m| {
            let id = j::str_of(m, "id")?.to_owned();
            let outputs: Option<Vec<&str>> = m
                .pointer("/architecture/output_modalities")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect());
            let p = m.get("pricing");
            let price = p.and_then(|p| {
                Some(ListedPrice::Tokens {
                    prompt_per_m: per_m(p.get("prompt"))?,
                    completion_per_m: per_m(p.get("completion"))?,
                    per_input_image: j::decimal(p.get("image")).filter(|d| !d.is_zero()),
                    per_request: j::decimal(p.get("request")).filter(|d| !d.is_zero()),
                })
            });
            Some(ListedModel {
                name: name_of(m, &["name"]),
                makes_images: outputs.map(|o| o.contains(&"image")),
                id,
                price,
            })
        })
        .collect())
}

pub fn parse_together(v: &Value) -> Result<Vec<ListedModel>, ProviderError> {
    // Together answers a bare array; some versions wrap it in `data`.
    let data = v
        .as_array()
        .or_else(|| v.get("data").and_then(Value::as_array))
        .ok_or_else(|| malformed(ProviderId::Together.as_str(), "model list"))?;
    Ok(data
        .iter()
        .filter_map(|m| {
            let id = j::str_of(m, "id")?.to_owned();
            let images = j::str_of(m, "type").map(|t| t == "image");
            let price = if images == Some(true) {
                let p = m.get("pricing");
                p.and_then(|p| {
                    [p.get("output"), p.get("base"), p.get("input")]
                        .into_iter()
                        .filter_map(j::decimal)
                        .find(|d| *d > Decimal::ZERO)
                })
                .map(|usd| ListedPrice::PerMegapixel { usd })
            } else {
                None
            };
            Some(ListedModel {
                name: name_of(m, &["display_name"]),
                makes_images: images,
                id,
                price,
            })
        })
        .collect())
}

pub fn parse_replicate(v: &Value) -> Result<Vec<ListedModel>, ProviderError> {
    let models = v
        .get("models")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(ProviderId::Replicate.as_str(), "`models` list"))?;
    Ok(models
        .iter()
        .filter_map(|m| {
            let owner = j::str_of(m, "owner")?;
            let name = j::str_of(m, "name")?;
            Some(ListedModel {
                id: format!("{owner}/{name}"),
                name: None,
                makes_images: Some(true),
                price: None,
            })
        })
        .collect())
}

pub fn parse_fal(v: &Value) -> Result<(Vec<ListedModel>, Option<String>), ProviderError> {
    let models = v
        .get("models")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(ProviderId::Fal.as_str(), "`models` list"))?;
    let list = models
        .iter()
        .filter_map(|m| {
            let id = j::str_of(m, "endpoint_id")?.to_owned();
            let meta = m.get("metadata");
            // A deprecated endpoint is not one the key should start using.
            if meta.and_then(|x| j::str_of(x, "status")) == Some("deprecated") {
                return None;
            }
            Some(ListedModel {
                name: meta.and_then(|x| name_of(x, &["display_name"])),
                makes_images: Some(
                    meta.and_then(|x| j::str_of(x, "category"))
                        .is_none_or(|c| c.contains("image")),
                ),
                id,
                price: None,
            })
        })
        .collect();
    let more = v.get("has_more").and_then(Value::as_bool).unwrap_or(false);
    let next = j::str_of(v, "next_cursor")
        .filter(|c| more && !c.is_empty())
        .map(str::to_owned);
    Ok((list, next))
}

//! User settings (endpoints, gateways, job concurrency), the provider clients built from
//! them, and the price catalog (bundled or imported, gateway offers, negotiated rates).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use pricing::{OverrideChange, PriceOverride};
use providers::{ImageProvider, ProviderConfig};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{GatewayConfig, PriceOverrideInput, ProviderEndpoint};
use crate::error::{EngineError, Result};
use crate::options::EngineOptions;

pub(crate) const SETTINGS_KEY: &str = "engine.settings";
pub(crate) const CATALOG_KEY: &str = "engine.catalog_json";
pub(crate) const DEFAULT_MAX_JOBS: u32 = 4;
/// High enough that the job cap is never what holds back a raised per-provider cap.
const MAX_JOBS_LIMIT: u32 = 256;
/// Calls to one provider (or one gateway) at once unless the user raised it: most
/// accounts' image rate limits are per minute and low.
pub(crate) const DEFAULT_CALLS_PER_PROVIDER: u32 = 8;
pub(crate) const CALLS_PER_PROVIDER_RANGE: std::ops::RangeInclusive<u32> = 1..=256;
/// Client key prefix of a gateway: `openai_compatible/<name>`.
pub(crate) const GATEWAY: &str = vocab::ProviderId::OpenAiCompatible.as_str();

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// Provider id → base URL set by the user.
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    #[serde(default)]
    pub gateways: Vec<GatewayConfig>,
    #[serde(default)]
    pub max_concurrent_jobs: Option<u32>,
    /// Calls at once per provider or gateway; `None` is [`DEFAULT_CALLS_PER_PROVIDER`].
    #[serde(default)]
    pub max_calls_per_provider: Option<u32>,
    /// Offers the user imported from a provider's model list (OpenRouter, Together),
    /// as catalog offer objects (issue 14 §6); kept across settings saves.
    #[serde(default)]
    pub user_offers: Vec<Value>,
}

impl Settings {
    pub fn max_jobs(&self) -> u32 {
        self.max_concurrent_jobs
            .unwrap_or(DEFAULT_MAX_JOBS)
            .clamp(1, MAX_JOBS_LIMIT)
    }

    pub fn calls_per_provider(&self) -> u32 {
        self.max_calls_per_provider
            .unwrap_or(DEFAULT_CALLS_PER_PROVIDER)
            .clamp(
                *CALLS_PER_PROVIDER_RANGE.start(),
                *CALLS_PER_PROVIDER_RANGE.end(),
            )
    }

    pub fn load(store: &store::Store) -> Result<Settings> {
        Ok(match store.setting(SETTINGS_KEY)? {
            Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
                tracing::warn!("settings unreadable, using defaults: {e}");
                Settings::default()
            }),
            None => Settings::default(),
        })
    }

    /// Checks user input: URLs must be http(s), gateway names plain.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = self.max_calls_per_provider
            && !CALLS_PER_PROVIDER_RANGE.contains(&n)
        {
            return Err(EngineError::invalid(
                vocab::ErrorField::Settings,
                format!(
                    "calls at once per provider must be between {} and {} (got {n}); \
                     raise it only as far as your provider account's rate limit allows",
                    CALLS_PER_PROVIDER_RANGE.start(),
                    CALLS_PER_PROVIDER_RANGE.end()
                ),
            ));
        }
        for (p, url) in &self.endpoints {
            if vocab::ProviderId::from_wire(p).is_none() {
                return Err(EngineError::invalid(
                    vocab::ErrorField::Provider,
                    format!("unknown provider `{p}` in endpoints"),
                ));
            }
            check_url(p, url)?;
        }
        let mut seen = std::collections::HashSet::new();
        for g in &self.gateways {
            let ok = !g.name.is_empty()
                && g.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(EngineError::validation(format!(
                    "gateway name `{}` may only use letters, digits, - and _",
                    g.name
                )));
            }
            if !seen.insert(g.name.clone()) {
                return Err(EngineError::validation(format!(
                    "two gateways are named `{}`",
                    g.name
                )));
            }
            check_url(&g.name, &g.base_url)?;
            if g.price_per_image_usd.is_some_and(|p| p < Decimal::ZERO) {
                return Err(EngineError::validation(format!(
                    "gateway `{}`: the price per image cannot be negative",
                    g.name
                )));
            }
        }
        Ok(())
    }
}

fn check_url(owner: &str, url: &str) -> Result<()> {
    let u = url.trim();
    if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 {
        return Err(EngineError::validation(format!(
            "`{url}` for {owner} is not an http(s) URL (e.g. http://127.0.0.1:9000/v1)"
        )));
    }
    Ok(())
}

/// The default endpoint shown beside the user's (empty when the user must set one).
pub(crate) fn default_base_url(provider: vocab::ProviderId) -> &'static str {
    providers::default_base_url(provider).unwrap_or("")
}

pub(crate) fn endpoints_view(s: &Settings) -> Vec<ProviderEndpoint> {
    vocab::ProviderId::ALL
        .iter()
        .map(|&p| ProviderEndpoint {
            provider: p,
            base_url: s.endpoints.get(p.as_str()).cloned(),
            default_base_url: default_base_url(p).to_owned(),
            env_base_url: std::env::var(p.base_url_env_var())
                .ok()
                .filter(|v| !v.trim().is_empty()),
        })
        .collect()
}

/// Provider clients by client key: the provider id, or `openai_compatible/<gateway>`.
pub(crate) struct Clients {
    map: HashMap<String, Arc<dyn ImageProvider>>,
}

impl Clients {
    pub fn build(s: &Settings, o: &EngineOptions, http: &reqwest::Client) -> Clients {
        let base_cfg = ProviderConfig {
            timeout: o.http_timeout,
            poll_interval: o.poll_interval,
            poll_deadline: o.poll_deadline,
            ..ProviderConfig::default()
        };
        let mut map = HashMap::new();
        for &id in vocab::ProviderId::ALL {
            let cfg = ProviderConfig {
                base_url: s.endpoints.get(id.as_str()).cloned(),
                ..base_cfg.clone()
            };
            // openai_compatible without a URL has no client; its gateways do.
            if let Some(c) = o.provider_overrides.0.get(id.as_str()) {
                map.insert(id.as_str().to_owned(), c.clone());
            } else if let Ok(c) = providers::provider_for(id, &cfg, http.clone()) {
                map.insert(id.as_str().to_owned(), c);
            }
        }
        for g in &s.gateways {
            let cfg = ProviderConfig {
                base_url: Some(g.base_url.clone()),
                models: g.models.clone(),
                ..base_cfg.clone()
            };
            match providers::provider_for(vocab::ProviderId::OpenAiCompatible, &cfg, http.clone()) {
                Ok(c) => {
                    map.insert(format!("{GATEWAY}/{}", g.name), c);
                }
                Err(e) => tracing::warn!(gateway = %g.name, "gateway client not built: {e}"),
            }
        }
        Clients { map }
    }

    pub fn get(&self, key: &str) -> Option<Arc<dyn ImageProvider>> {
        self.map.get(key).cloned()
    }
}

/// Client key of an offer: gateway offers are `openai_compatible:<gateway>/<model>`.
pub(crate) fn client_key(offer_id: &str, provider: &str) -> String {
    if provider == GATEWAY
        && let Some(rest) = offer_id.strip_prefix("openai_compatible:")
        && let Some((gw, _)) = rest.split_once('/')
    {
        return format!("{GATEWAY}/{gw}");
    }
    provider.to_owned()
}

/// Stored override rows → pricing overrides (bad rows are skipped with a warning).
pub(crate) fn parse_overrides(rows: Vec<(String, Value)>) -> Vec<PriceOverride> {
    rows.into_iter()
        .filter_map(
            |(offer_id, v)| match serde_json::from_value::<OverrideChange>(v) {
                Ok(change) => Some(PriceOverride { offer_id, change }),
                Err(e) => {
                    tracing::warn!(offer = %offer_id, "stored price override unreadable: {e}");
                    None
                }
            },
        )
        .collect()
}

pub(crate) fn overrides_from_input(input: &[PriceOverrideInput]) -> Vec<PriceOverride> {
    input
        .iter()
        .map(|o| PriceOverride {
            offer_id: o.offer_id.clone(),
            change: match o.price_cap_usd {
                Some(per_image) => OverrideChange::PriceCap { per_image },
                None => OverrideChange::Multiplier {
                    factor: o.multiplier,
                },
            },
        })
        .collect()
}

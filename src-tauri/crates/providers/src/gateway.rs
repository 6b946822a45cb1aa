//! A named gateway (LiteLLM proxy, Portkey, OpenRouter-style aggregators, resellers):
//! its own base URL, key and extra headers (some secret), one of two wire dialects, and
//! the charge it reports (a response header or a JSON path), recorded beside our price.

use std::collections::BTreeMap;
use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::ImageProvider;
use crate::common::{elapsed_ms, key_check_from};
use crate::config::ProviderConfig;
use crate::errors::{ErrorClass, ProviderError, redact_output};
use crate::http::{Http, join};
use crate::images::{Expect, materialize};
use crate::json as j;
use crate::types::{
    GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, SafetyNote,
};

/// The provider id every gateway call carries (the gateway's name is in the offer id).
pub const GATEWAY_ID: &str = vocab::OfferProvider::Gateway.as_str();

/// Header LiteLLM sets on every answer with what it computed the call cost.
pub const LITELLM_COST_HEADER: &str = "x-litellm-response-cost";
/// Where OpenRouter-style aggregators put the charge in the body.
pub const DEFAULT_COST_PATH: &str = "usage.cost";

/// How the gateway speaks (the shared vocabulary's set).
pub use vocab::GatewayDialect as Dialect;

/// The dialect a user typed, with the aliases people use ("chat_completions", …).
pub fn parse_dialect(s: &str) -> Option<Dialect> {
    match s.trim().to_ascii_lowercase().as_str() {
        "images" | "image" | "openai_images" => Some(Dialect::Images),
        "chat" | "chat_completions" => Some(Dialect::Chat),
        _ => None,
    }
}

/// Everything one call through a gateway needs, secrets resolved by the caller.
#[derive(Clone)]
pub struct GatewaySpec {
    pub name: String,
    pub base_url: String,
    pub dialect: Dialect,
    /// Plain and secret headers, in order; secret values also in `secrets`.
    pub headers: Vec<(String, String)>,
    /// Values never to let out (secret header values), redacted like the key.
    pub secrets: Vec<String>,
    /// Gateway model → the upstream model whose capabilities it has (when bound).
    pub models: BTreeMap<String, Option<String>>,
    /// A response header holding the charge (default: LiteLLM's).
    pub cost_header: Option<String>,
    /// A dotted JSON path in the answer holding the charge (default `usage.cost`).
    pub cost_json_path: Option<String>,
}

impl std::fmt::Debug for GatewaySpec {
    // Header values may be secret: names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewaySpec")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("dialect", &self.dialect)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("models", &self.models)
            .finish()
    }
}

/// Checks a header name and value before anything is stored or sent.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    let n = name.trim();
    if HeaderName::from_bytes(n.as_bytes()).is_err() || n.is_empty() {
        return Err(format!("`{n}` is not a valid HTTP header name"));
    }
    let lower = n.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "authorization" | "host" | "content-length" | "content-type"
    ) {
        return Err(format!(
            "the `{n}` header is set by Proofsheet (the gateway key goes in `gateway key set`)"
        ));
    }
    if HeaderValue::from_str(value).is_err() {
        return Err(format!(
            "the value of header `{n}` contains a character HTTP headers cannot carry"
        ));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Gateway {
    spec: GatewaySpec,
    http: Http,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub reachable: bool,
    /// `None` when the gateway could not be reached.
    pub key_accepted: Option<bool>,
    /// Every model id the gateway listed.
    pub listed: Vec<String>,
    /// False when the gateway gives no model list to check the mapped models against
    /// (Portkey): then no mapped model is called served or missing.
    pub models_checked: bool,
    pub message: String,
}

impl Gateway {
    pub fn new(spec: GatewaySpec, cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, GATEWAY_ID, cfg),
            spec: GatewaySpec {
                base_url: spec.base_url.trim().trim_end_matches('/').to_owned(),
                ..spec
            },
        }
    }

    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in &self.spec.headers {
            // Checked when saved; a bad one here is skipped rather than sent mangled.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.trim().as_bytes()),
                HeaderValue::from_str(v),
            ) {
                let mut value = value;
                value.set_sensitive(true);
                h.append(name, value);
            }
        }
        h
    }

    fn request(&self, rb: reqwest::RequestBuilder, key: Option<&str>) -> reqwest::RequestBuilder {
        let rb = rb.headers(self.headers());
        match key.filter(|k| !k.is_empty()) {
            Some(k) => rb.bearer_auth(k),
            None => rb,
        }
    }

    fn redact(&self, mut e: ProviderError) -> ProviderError {
        for s in &self.spec.secrets {
            e = e.redact(Some(s));
        }
        e
    }

    /// The charge the gateway reported: the configured header, LiteLLM's header, or the
    /// configured / default JSON path.
    pub fn reported_cost(
        &self,
        headers: &HeaderMap,
        body: &Value,
    ) -> Option<rust_decimal::Decimal> {
        let header = self
            .spec
            .cost_header
            .as_deref()
            .unwrap_or(LITELLM_COST_HEADER);
        if let Some(v) = headers.get(header).and_then(|v| v.to_str().ok()) {
            return j::decimal(Some(&Value::String(v.to_owned())));
        }
        let path = self
            .spec
            .cost_json_path
            .as_deref()
            .unwrap_or(DEFAULT_COST_PATH);
        let mut at = body;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            at = at.get(part)?;
        }
        j::decimal(Some(at))
    }

    async fn call(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        if !self.spec.models.is_empty() && !self.spec.models.contains_key(&req.model) {
            return Err(ProviderError::new(
                GATEWAY_ID,
                ErrorClass::InvalidRequest {
                    field: Some("model".into()),
                },
                format!(
                    "model '{}' is not in gateway {}'s model map",
                    req.model, self.spec.name
                ),
            ));
        }
        let start = Instant::now();
        let (path, body) = match self.spec.dialect {
            Dialect::Images => ("images/generations", crate::openai::build_body(req, false)),
            Dialect::Chat => ("chat/completions", crate::openrouter::OpenRouter::body(req)),
        };
        let rb = self.request(
            self.http
                .client
                .post(join(&self.spec.base_url, path))
                .json(&body),
            key,
        );
        tracing::debug!(gateway = %self.spec.name, model = %req.model, n = req.n, "submitting image request to a gateway");
        progress.emit(ProviderProgress::Running);
        let resp = self.http.send(rb, cancel).await?;
        let parsed_body: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        let reported = self.reported_cost(&resp.headers, &parsed_body);
        let (sources, mut usage, remote_id) = match self.spec.dialect {
            Dialect::Images => {
                let p = crate::openai::parse_images_response(
                    GATEWAY_ID,
                    resp.status,
                    &resp.headers,
                    &resp.body,
                )?;
                let id = p.usage.headers.get("x-request-id").cloned();
                (p.sources, p.usage, id)
            }
            Dialect::Chat => {
                let p = crate::openrouter::parse_response(resp.status, &resp.headers, &resp.body)
                    .map_err(|mut e| {
                    e.provider = GATEWAY_ID.into();
                    e
                })?;
                (p.sources, p.usage, p.id)
            }
        };
        // The gateway's word is recorded beside our price, never in place of it: the
        // offer's formula (bound offer + markup) prices the call.
        usage.reported_usd = None;
        usage.gateway_reported_usd = reported;
        if let Some(v) = resp
            .headers
            .get(LITELLM_COST_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            usage
                .headers
                .insert(LITELLM_COST_HEADER.into(), crate::errors::short(v));
        }
        let images = materialize(
            &self.http,
            sources.into_iter().map(|s| (s, None)).collect(),
            Expect::of(req),
            progress,
            cancel,
        )
        .await
        .map_err(|e| e.with_usage(usage.clone()))?;
        usage.wall_ms = elapsed_ms(start);
        let requested = req.n.max(1) as usize;
        let got = images.len();
        let safety = (got < requested).then(|| SafetyNote {
            message: format!(
                "{} of {requested} images were not returned, probably removed by a safety system",
                requested - got
            ),
            filtered: (requested - got) as u32,
        });
        Ok(GenerateOutput {
            images,
            remote_id,
            usage,
            safety,
        })
    }

    /// Lists the gateway's models: reachable, key accepted, what it serves.
    pub async fn probe(&self, key: Option<&str>) -> Probe {
        let rb = self.request(
            self.http.client.get(join(&self.spec.base_url, "models")),
            key,
        );
        let resp = self.http.send(rb, &CancellationToken::new()).await;
        let scrub = |m: String| {
            let mut m = m;
            for s in self.spec.secrets.iter().map(String::as_str).chain(key) {
                m = crate::errors::redact_text(&m, s);
            }
            m
        };
        match resp {
            Err(e) => Probe {
                reachable: false,
                key_accepted: None,
                listed: vec![],
                models_checked: true,
                message: scrub(format!(
                    "cannot reach {}: {}",
                    self.spec.base_url, e.message
                )),
            },
            Ok(r) if r.status == 401 || r.status == 403 => Probe {
                reachable: true,
                key_accepted: Some(false),
                listed: vec![],
                models_checked: true,
                message: format!(
                    "the gateway refused the key (HTTP {}); set it with `gateway key set` or in Settings",
                    r.status
                ),
            },
            Ok(r) if self.is_portkey() && !r.is_success() => {
                self.portkey_probe(r.status, &r.body, scrub)
            }
            Ok(r) if !r.is_success() => Probe {
                reachable: true,
                key_accepted: None,
                listed: vec![],
                models_checked: true,
                message: scrub(format!(
                    "the model list answered HTTP {}: {}",
                    r.status,
                    crate::errors::short(&String::from_utf8_lossy(&r.body))
                )),
            },
            Ok(r) => {
                let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                let listed: Vec<String> = v
                    .get("data")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|m| j::str_of(m, "id").map(|s| scrub(s.to_owned())))
                    .take(10_000)
                    .collect();
                Probe {
                    reachable: true,
                    key_accepted: Some(true),
                    models_checked: true,
                    message: format!(
                        "reachable; key accepted; {} model{} listed",
                        listed.len(),
                        if listed.len() == 1 { "" } else { "s" }
                    ),
                    listed,
                }
            }
        }
    }
}

impl Gateway {
    /// A Portkey gateway: it is told the upstream by `x-portkey-*` headers.
    fn is_portkey(&self) -> bool {
        self.spec
            .headers
            .iter()
            .any(|(k, _)| k == "x-portkey-provider" || k == "x-portkey-config")
    }

    /// Portkey validates its headers (provider, config, custom host) before anything
    /// else and answers 400 with `{"status":"failure","message":…}` when they are wrong.
    /// Past that check it relays GET /v1/models to the upstream, but its releases up to
    /// at least 1.15.2 fail to relay the answer (HTTP 500 "Something went wrong", seen
    /// against the real gateway), so any other failure means: reachable, headers
    /// accepted, key and models unchecked until the first generation.
    fn portkey_probe(&self, status: u16, body: &[u8], scrub: impl Fn(String) -> String) -> Probe {
        let said = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| j::str_of(&v, "message").map(str::to_owned))
            .unwrap_or_else(|| crate::errors::short(&String::from_utf8_lossy(body)));
        if status == 400 {
            return Probe {
                reachable: true,
                key_accepted: None,
                listed: vec![],
                models_checked: true,
                message: scrub(format!(
                    "Portkey refused the headers: {said} (check x-portkey-provider / x-portkey-config and x-portkey-custom-host)"
                )),
            };
        }
        Probe {
            reachable: true,
            key_accepted: None,
            listed: vec![],
            models_checked: false,
            message: scrub(format!(
                "headers accepted by Portkey; it relays no model list (HTTP {status}: {said}), \
                 so the key and the models are checked by the first generation"
            )),
        }
    }
}

#[async_trait]
impl ImageProvider for Gateway {
    fn id(&self) -> &'static str {
        GATEWAY_ID
    }
    async fn generate(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let mut out = self
            .call(req, key, progress, cancel)
            .await
            .map_err(|e| self.redact(e))?;
        for s in &self.spec.secrets {
            out = redact_output(out, Some(s));
        }
        Ok(out)
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = self.request(
            self.http.client.get(join(&self.spec.base_url, "models")),
            Some(key),
        );
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(_) => KeyCheck::Valid { balance: None },
            Err(k) => k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gw(cost_header: Option<&str>, cost_json_path: Option<&str>) -> Gateway {
        let spec = GatewaySpec {
            name: "g".into(),
            base_url: "http://127.0.0.1:9/v1/".into(),
            dialect: Dialect::Images,
            headers: vec![],
            secrets: vec![],
            models: BTreeMap::new(),
            cost_header: cost_header.map(str::to_owned),
            cost_json_path: cost_json_path.map(str::to_owned),
        };
        Gateway::new(spec, &ProviderConfig::default(), reqwest::Client::new())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn the_reported_cost_comes_from_litellms_header_then_usage_cost() {
        let g = gw(None, None);
        let body = serde_json::json!({"usage": {"cost": 0.039}});
        let h = headers(&[(LITELLM_COST_HEADER, "0.041999999696896")]);
        assert_eq!(g.reported_cost(&h, &body), "0.041999999696896".parse().ok());
        assert_eq!(
            g.reported_cost(&HeaderMap::new(), &body),
            "0.039".parse().ok()
        );
        assert_eq!(
            g.reported_cost(&HeaderMap::new(), &serde_json::json!({})),
            None
        );
        // Garbage and negative amounts are not a cost.
        let bad = headers(&[(LITELLM_COST_HEADER, "-1")]);
        assert_eq!(g.reported_cost(&bad, &serde_json::json!({})), None);
        let bad = headers(&[(LITELLM_COST_HEADER, "NaN")]);
        assert_eq!(g.reported_cost(&bad, &serde_json::json!({})), None);
    }

    #[test]
    fn a_configured_header_or_json_path_is_read() {
        let g = gw(Some("x-billed-usd"), Some("meta.billing.total"));
        let body = serde_json::json!({"meta": {"billing": {"total": "0.12"}}});
        assert_eq!(
            g.reported_cost(&HeaderMap::new(), &body),
            "0.12".parse().ok()
        );
        let h = headers(&[("x-billed-usd", "0.2")]);
        assert_eq!(g.reported_cost(&h, &body), "0.2".parse().ok());
    }

    #[test]
    fn headers_that_proofsheet_sets_or_that_cannot_be_sent_are_refused() {
        assert!(check_header("x-portkey-provider", "openai").is_ok());
        assert!(check_header("Authorization", "Bearer x").is_err());
        assert!(check_header("bad header", "x").is_err());
        assert!(check_header("x-ok", "line\nbreak").is_err());
        assert_eq!(parse_dialect("chat"), Some(Dialect::Chat));
        assert_eq!(parse_dialect("soap"), None);
    }

    #[test]
    fn secret_header_values_never_show_in_debug() {
        let spec = GatewaySpec {
            name: "g".into(),
            base_url: "http://x/v1".into(),
            dialect: Dialect::Images,
            headers: vec![("x-token".into(), "pk-very-secret-123".into())],
            secrets: vec!["pk-very-secret-123".into()],
            models: BTreeMap::new(),
            cost_header: None,
            cost_json_path: None,
        };
        assert!(!format!("{spec:?}").contains("pk-very-secret"));
    }
}

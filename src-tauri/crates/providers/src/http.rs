//! The one place requests are sent: per-request timeout, body size cap, cancellation,
//! User-Agent, transport-error classification and billing-header capture.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, USER_AGENT};
use reqwest::{RequestBuilder, Response};
use tokio_util::sync::CancellationToken;

use crate::config::ProviderConfig;
use crate::errors::{ErrorClass, ProviderError};

pub const USER_AGENT_VALUE: &str = concat!("proofsheet/", env!("CARGO_PKG_VERSION"));

/// A fully read response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A client bound to one provider's limits.
#[derive(Clone, Debug)]
pub struct Http {
    pub client: reqwest::Client,
    pub provider: &'static str,
    pub timeout: Duration,
    pub max_body_bytes: usize,
}

/// Why a redirect was not followed (found again in [`Http::transport_error`]).
#[derive(Debug)]
struct CrossOriginRedirect;

impl std::fmt::Display for CrossOriginRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("redirect to another origin refused")
    }
}

impl std::error::Error for CrossOriginRedirect {}

fn origin(u: &reqwest::Url) -> (String, Option<String>, Option<u16>) {
    (
        u.scheme().to_string(),
        u.host_str().map(str::to_ascii_lowercase),
        u.port_or_known_default(),
    )
}

/// Provider calls carry keys in headers reqwest does not strip on a cross-host redirect
/// (`x-key`, `x-goog-api-key`, …), so a redirect may only stay on the same origin (F6).
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| origin(first) == origin(attempt.url()));
        if !same {
            attempt.error(CrossOriginRedirect)
        } else if attempt.previous().len() > 5 {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// The client for provider calls (rustls, User-Agent, connect timeout, same-origin
/// redirects only). Every provider client must be built with it: keys ride in headers.
pub fn default_client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(USER_AGENT_VALUE)
        .connect_timeout(Duration::from_secs(10))
        .redirect(same_origin_redirects())
        .build()
        .unwrap_or_default()
}

/// For credential-free downloads (signed CDN links often redirect to storage hosts).
fn download_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .user_agent(USER_AGENT_VALUE)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .unwrap_or_default()
    })
}

impl Http {
    pub fn new(client: reqwest::Client, provider: &'static str, cfg: &ProviderConfig) -> Self {
        Self {
            client,
            provider,
            timeout: cfg.timeout,
            max_body_bytes: cfg.max_body_bytes,
        }
    }

    /// Send and read the whole body (capped). Non-2xx statuses are returned, not errors:
    /// each provider classifies its own error bodies. Errors say whether the request may
    /// have reached the provider (see [`crate::Billing`]).
    pub async fn send(
        &self,
        rb: RequestBuilder,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, ProviderError> {
        if cancel.is_cancelled() {
            // Nothing left yet: not billed.
            return Err(ProviderError::new(
                self.provider,
                ErrorClass::Cancelled,
                "cancelled by the user before the request was sent",
            ));
        }
        let (client, req) = rb
            .header(USER_AGENT, USER_AGENT_VALUE)
            .timeout(self.timeout)
            .build_split();
        let req = req.map_err(|e| self.transport_error(e))?;
        let fut = async {
            let resp = client
                .execute(req)
                .await
                .map_err(|e| self.transport_error(e))?;
            self.read_capped(resp).await
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(ProviderError::new(
                self.provider,
                ErrorClass::Cancelled,
                "cancelled by the user while the request was in flight; it may still be billed",
            )
            .outcome_unknown()),
            r = fut => r,
        }
    }

    /// GET an image/file URL without credentials (signed CDN URLs) and require 2xx.
    pub async fn download(
        &self,
        url: &str,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, ProviderError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| {
            ProviderError::malformed(self.provider, "the provider returned an invalid image URL")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ProviderError::malformed(
                self.provider,
                format!(
                    "refusing to download an image from a {} URL",
                    parsed.scheme()
                ),
            ));
        }
        let resp = self.send(download_client().get(parsed), cancel).await?;
        if !resp.is_success() {
            let class = match resp.status {
                429 => ErrorClass::RateLimited {
                    retry_after_ms: crate::retry_after::from_headers(&resp.headers),
                },
                403 | 404 | 410 => ErrorClass::MalformedResponse,
                _ => ErrorClass::Transient,
            };
            return Err(ProviderError::new(
                self.provider,
                class,
                format!(
                    "downloading the generated image failed with HTTP {} (the link may have expired)",
                    resp.status
                ),
            )
            .with_status(resp.status));
        }
        Ok(resp)
    }

    async fn read_capped(&self, mut resp: Response) -> Result<HttpResponse, ProviderError> {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let cap = self.max_body_bytes;
        if resp.content_length().is_some_and(|len| len > cap as u64) {
            return Err(self.too_big(status));
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > cap {
                        return Err(self.too_big(status));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_error(e).with_status(status)),
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    fn too_big(&self, status: u16) -> ProviderError {
        ProviderError::malformed(
            self.provider,
            format!(
                "the response is larger than the {} MiB limit; refusing to read it (the request may have been billed)",
                self.max_body_bytes / (1024 * 1024)
            ),
        )
        .with_status(status)
        .outcome_unknown()
    }

    /// Classify a transport failure. The URL is left out on purpose (it is noise, and a
    /// user-set base URL could carry credentials). Failures before the request left are
    /// not billed; once it was sent without a definitive answer the outcome is unknown.
    pub fn transport_error(&self, e: reqwest::Error) -> ProviderError {
        let e = e.without_url();
        let env = crate::config::base_url_env_var(self.provider);
        if e.is_builder() {
            ProviderError::new(
                self.provider,
                ErrorClass::InvalidRequest {
                    field: Some("base_url".into()),
                },
                format!(
                    "the endpoint URL for {} is not a valid http(s) URL ({}); fix {env} or the endpoint in Settings → Endpoints",
                    self.provider,
                    error_chain(&e)
                ),
            )
        } else if e.is_redirect() {
            ProviderError::new(
                self.provider,
                ErrorClass::InvalidRequest {
                    field: Some("base_url".into()),
                },
                format!(
                    "the endpoint redirected to another host; not following it with your key (check {env} or Settings → Endpoints)"
                ),
            )
        } else if e.is_connect() {
            ProviderError::new(
                self.provider,
                ErrorClass::Transient,
                "could not connect to the provider (is the service or proxy reachable?)",
            )
        } else if e.is_timeout() {
            ProviderError::new(
                self.provider,
                ErrorClass::Timeout {
                    remote_job_id: None,
                },
                format!(
                    "no answer within {} s (client-side timeout); the request may still be billed",
                    self.timeout.as_secs_f32()
                ),
            )
            .outcome_unknown()
        } else if e.is_body() || e.is_decode() {
            ProviderError::new(
                self.provider,
                ErrorClass::Transient,
                "the connection broke while reading the response; the request may have been billed",
            )
            .outcome_unknown()
        } else {
            ProviderError::new(
                self.provider,
                ErrorClass::Transient,
                format!(
                    "network error after sending: {}; the request may have been billed",
                    error_chain(&e)
                ),
            )
            .outcome_unknown()
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    crate::errors::short(&s)
}

/// Headers that matter for billing, limits or support tickets. Allow-list, so
/// `authorization`, `x-key`, cookies and the like can never be captured.
const BILLING_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-fal-request-id",
    "x-fal-billable-units",
    "x-fal-retryable",
    "x-fal-needs-retry",
    "x-fal-error-type",
    "finish-reason",
    "seed",
    "openai-processing-ms",
    "x-should-retry",
    "retry-after",
    "retry-after-ms",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-images",
    "x-ratelimit-remaining-images",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-generation-id",
    "x-litellm-response-cost",
    "content-type",
];

pub fn billing_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    BILLING_HEADERS
        .iter()
        .filter_map(|name| {
            let v = headers.get(*name)?.to_str().ok()?;
            Some((name.to_string(), crate::errors::short(v)))
        })
        .collect()
}

/// Join a base URL and a path without doubling or dropping the slash.
pub fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Only send credentials to a provider-returned URL (poll/cancel) on the configured
/// host or the provider's own domains: a tampered response must not exfiltrate the key.
pub fn check_same_site(
    provider: &'static str,
    url: &str,
    base: &str,
    trusted_suffixes: &[&str],
) -> Result<reqwest::Url, ProviderError> {
    let bad = || {
        ProviderError::malformed(
            provider,
            "the provider returned a job URL on an unexpected host; not following it",
        )
    };
    let u = reqwest::Url::parse(url).map_err(|_| bad())?;
    let host = u.host_str().ok_or_else(bad)?.to_ascii_lowercase();
    let base_host = reqwest::Url::parse(base)
        .ok()
        .and_then(|b| b.host_str().map(str::to_ascii_lowercase));
    let https = u.scheme() == "https";
    let trusted = trusted_suffixes
        .iter()
        .any(|s| https && (host == *s || host.ends_with(&format!(".{s}"))));
    if base_host.as_deref() == Some(host.as_str()) || trusted {
        Ok(u)
    } else {
        Err(bad())
    }
}

//! Turning what a provider returned (base64, data URL, CDN URL) into verified images.

use tokio_util::sync::CancellationToken;

use crate::decode;
use crate::errors::ProviderError;
use crate::http::Http;
use crate::types::{GenerateRequest, GeneratedImage, ProgressSink, ProviderProgress, RemoteJob};

/// What the request allows back: at most `n` images (extras are ignored), each with at
/// most `max_pixels` (4× the requested area, at least 4× one megapixel or the size tier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    pub n: u32,
    pub max_pixels: u64,
}

impl Expect {
    pub fn of(req: &GenerateRequest) -> Self {
        let asked = u64::from(req.width) * u64::from(req.height);
        // Aspect-ratio providers pick the pixels; "quality" may name a size tier.
        let tier: u64 = match req.quality.as_deref() {
            Some("4K") => 4096 * 4096,
            Some("2K") => 2048 * 2048,
            _ => 1024 * 1024,
        };
        Self {
            n: req.n.max(1),
            max_pixels: 4 * asked.max(tier),
        }
    }

    /// For a stored job: the `n`, `width` and `height` saved at submit in `extra`
    /// (older jobs without them get 1024×1024 and `default_n`).
    pub fn of_job(job: &RemoteJob, default_n: u32) -> Self {
        let num = |k: &str, d: u32| {
            job.extra
                .get(k)
                .and_then(serde_json::Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(d)
        };
        let mut r = GenerateRequest::new(job.model.clone(), "");
        r.width = num("width", 1024);
        r.height = num("height", 1024);
        r.n = num("n", default_n);
        Self::of(&r)
    }
}

/// Where one output image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Bytes(Vec<u8>),
    /// A URL to fetch without credentials (or a data: URL).
    Url(String),
}

impl ImageSource {
    /// Classify a string that may be a data URL or an http(s) URL.
    pub fn from_url_or_data(provider: &str, s: &str) -> Result<Self, ProviderError> {
        if s.starts_with("data:") {
            Ok(ImageSource::Bytes(decode::data_url(provider, s)?.1))
        } else if s.starts_with("https://") || s.starts_with("http://") {
            Ok(ImageSource::Url(s.to_string()))
        } else {
            Err(ProviderError::malformed(
                provider,
                "an output image is neither a URL nor a data URL",
            ))
        }
    }
}

/// Fetch (if needed) and decode the first `expect.n` images; any bad one fails the call.
pub async fn materialize(
    http: &Http,
    mut sources: Vec<(ImageSource, Option<u64>)>,
    expect: Expect,
    progress: &ProgressSink,
    cancel: &CancellationToken,
) -> Result<Vec<GeneratedImage>, ProviderError> {
    sources.truncate(expect.n as usize);
    if sources.is_empty() {
        return Err(ProviderError::malformed(
            http.provider,
            "the provider reported success but returned no images",
        ));
    }
    let mut out = Vec::with_capacity(sources.len());
    let mut announced = false;
    for (src, seed) in sources {
        let bytes = match src {
            ImageSource::Bytes(b) => b,
            ImageSource::Url(url) => {
                if !announced {
                    progress.emit(ProviderProgress::Downloading);
                    announced = true;
                }
                http.download(&url, cancel).await?.body
            }
        };
        out.push(
            decode::inspect_blocking(http.provider, bytes, seed, Some(expect.max_pixels)).await?,
        );
    }
    Ok(out)
}

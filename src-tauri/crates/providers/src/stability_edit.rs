//! Stability's edit and upscale endpoints (issue 15): one model id per endpoint, multipart
//! like the generate client, raw image bytes back. Creative upscale is start-then-poll:
//! `POST …/upscale/creative` answers `{id}`, `GET /v2beta/results/{id}` answers 202 while
//! it runs and 200 with the image, so it is a [`RemoteJob`] that `resume` polls again.
//! Sources: image-inputs.md §1.1/§1.5 (LL-STAB-EDIT, STAB-ENDP, STAB-SDK); outpaint's
//! margins are `left, right, up, down` on the wire.

use std::time::Instant;

use reqwest::header::ACCEPT;
use reqwest::multipart::Form;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use vocab::Operation;

use crate::common::{elapsed_ms, stop_error};
use crate::config::ProviderConfig;
use crate::errors::{ErrorClass, ProviderError};
use crate::http::{Http, check_same_site, join};
use crate::input_ops::{self, image_part, png_part};
use crate::poll::{Poller, Stop};
use crate::stability::{classify_error, parse_generation};
use crate::types::{GenerateOutput, GenerateRequest, ProgressSink, ProviderProgress, RemoteJob};
use crate::{decode, json as j};

const ID: &str = vocab::ProviderId::Stability.as_str();
const TRUSTED: &[&str] = &["stability.ai"];
/// Outpaint takes at most this many pixels per side.
pub const MAX_MARGIN: u32 = 2000;
/// Conservative and creative upscales pick their own size (up to 4K); bound by decoding.
const UPSCALE_MAX_PIXELS: u64 = 8192 * 8192;

/// The edit/upscale endpoints, one per model id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Inpaint,
    Outpaint,
    Erase,
    SearchAndReplace,
    RemoveBackground,
    UpscaleFast,
    UpscaleConservative,
    UpscaleCreative,
}

impl Route {
    pub fn of(model: &str) -> Option<Self> {
        Some(match model {
            "inpaint" => Self::Inpaint,
            "outpaint" => Self::Outpaint,
            "erase" => Self::Erase,
            "search-and-replace" => Self::SearchAndReplace,
            "remove-background" => Self::RemoveBackground,
            "upscale-fast" => Self::UpscaleFast,
            "upscale-conservative" => Self::UpscaleConservative,
            "upscale-creative" => Self::UpscaleCreative,
            _ => return None,
        })
    }

    pub fn path(self) -> &'static str {
        match self {
            Self::Inpaint => "v2beta/stable-image/edit/inpaint",
            Self::Outpaint => "v2beta/stable-image/edit/outpaint",
            Self::Erase => "v2beta/stable-image/edit/erase",
            Self::SearchAndReplace => "v2beta/stable-image/edit/search-and-replace",
            Self::RemoveBackground => "v2beta/stable-image/edit/remove-background",
            Self::UpscaleFast => "v2beta/stable-image/upscale/fast",
            Self::UpscaleConservative => "v2beta/stable-image/upscale/conservative",
            Self::UpscaleCreative => "v2beta/stable-image/upscale/creative",
        }
    }

    /// The operations this endpoint does (the capability data `pricing` keeps says the same).
    pub fn operations(self) -> &'static [Operation] {
        match self {
            Self::Inpaint | Self::Erase => &[Operation::Inpaint],
            Self::Outpaint => &[Operation::Expand],
            Self::SearchAndReplace | Self::RemoveBackground => &[Operation::Edit],
            Self::UpscaleFast | Self::UpscaleConservative | Self::UpscaleCreative => {
                &[Operation::Upscale]
            }
        }
    }

    fn takes_prompt(self) -> Prompt {
        match self {
            Self::Inpaint | Self::SearchAndReplace | Self::UpscaleConservative => Prompt::Required,
            Self::UpscaleCreative => Prompt::Required,
            Self::Outpaint => Prompt::Optional,
            Self::Erase | Self::RemoveBackground | Self::UpscaleFast => Prompt::None,
        }
    }

    fn takes_seed(self) -> bool {
        !matches!(self, Self::RemoveBackground | Self::UpscaleFast)
    }
}

#[derive(PartialEq)]
enum Prompt {
    Required,
    Optional,
    None,
}

/// The multipart form for `route`, or an invalid_request before anything is sent.
pub fn build_form(route: Route, req: &GenerateRequest) -> Result<Form, ProviderError> {
    input_ops::require_op(ID, req, route.operations())?;
    input_ops::max_inputs(ID, req, 1)?;
    let subject = input_ops::subject(ID, req)?;
    let mut form = Form::new()
        .part("image", image_part(ID, subject, "image")?)
        .text("output_format", "png");
    let prompt = req.prompt.trim();
    match route.takes_prompt() {
        Prompt::Required if prompt.is_empty() => {
            return Err(ProviderError::invalid_request(
                ID,
                format!(
                    "Stability {} needs a prompt saying what to paint",
                    req.model
                ),
            ));
        }
        // Outpaint: an optional prompt and no negative prompt.
        Prompt::Optional if !prompt.is_empty() => {
            form = form.text("prompt", prompt.to_string());
        }
        Prompt::Required => {
            form = form.text("prompt", prompt.to_string());
            if let Some(n) = req
                .negative_prompt
                .as_ref()
                .filter(|n| !n.trim().is_empty())
            {
                form = form.text("negative_prompt", n.clone());
            }
        }
        _ => {}
    }
    match route {
        Route::Inpaint | Route::Erase => {
            form = form.part("mask", png_part(input_ops::white_mask(ID, req)?, "mask"));
        }
        Route::Outpaint => {
            let m = req.inputs.expand.unwrap_or_default();
            let sides = [
                ("left", m.left),
                ("right", m.right),
                ("up", m.top),
                ("down", m.bottom),
            ];
            if sides.iter().all(|(_, v)| *v == 0) {
                return Err(ProviderError::invalid_request(
                    ID,
                    "outpaint needs at least one margin above 0 pixels",
                ));
            }
            if let Some((side, v)) = sides.iter().find(|(_, v)| *v > MAX_MARGIN) {
                return Err(ProviderError::invalid_request(
                    ID,
                    format!(
                        "Stability outpaints at most {MAX_MARGIN} px per side, not {v} px on the {side}"
                    ),
                ));
            }
            for (side, v) in sides {
                form = form.text(side, v.to_string());
            }
        }
        Route::SearchAndReplace => {
            let search = req
                .extra_field("search_prompt")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    ProviderError::invalid_request(
                        ID,
                        "search-and-replace needs a search prompt naming what to replace (extra.search_prompt)",
                    )
                })?;
            form = form.text("search_prompt", search.to_string());
        }
        // Fast has no factor: it always makes 4x. Another factor asked is not refused: the
        // estimate priced this offer at 4x and said so ("upscale factor 2x → 4x").
        Route::UpscaleFast => {}
        _ => {}
    }
    if route.takes_seed()
        && let Some(s) = req.seed
    {
        form = form.text("seed", s.min(4_294_967_294).to_string());
    }
    if let Some(extra) = req.extra.as_object() {
        for (k, v) in extra.iter().filter(|(k, _)| k.as_str() != "search_prompt") {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            form = form.text(k.clone(), text);
        }
    }
    Ok(form)
}

/// How large the answer may be: fast upscale is 4x, the others pick up to 4K.
fn expect_for(route: Route, req: &GenerateRequest) -> crate::images::Expect {
    let mut e = if route == Route::UpscaleFast {
        let mut four = req.clone();
        four.inputs.scale = Some(4);
        input_ops::expect(&four, 4)
    } else {
        input_ops::expect(req, 4)
    };
    e.n = 1;
    if matches!(route, Route::UpscaleConservative | Route::UpscaleCreative) {
        e.max_pixels = e.max_pixels.max(UPSCALE_MAX_PIXELS);
    }
    e
}

/// Where and how to call: the client's HTTP, base URL and poll settings.
#[derive(Clone, Copy)]
pub struct Site<'a> {
    pub http: &'a Http,
    pub base: &'a str,
    pub cfg: &'a ProviderConfig,
}

/// One call to an edit endpoint (creative upscale starts a job and polls it).
pub async fn run(
    site: Site<'_>,
    route: Route,
    req: &GenerateRequest,
    key: &str,
    progress: &ProgressSink,
    cancel: &CancellationToken,
) -> Result<GenerateOutput, ProviderError> {
    let form = build_form(route, req)?;
    let start = Instant::now();
    if route == Route::UpscaleCreative {
        return start_creative(site, req, form, key, progress, cancel).await;
    }
    let Site { http, base, .. } = site;
    let rb = http
        .client
        .post(join(base, route.path()))
        .bearer_auth(key)
        .header(ACCEPT, "image/*")
        .multipart(form);
    progress.emit(ProviderProgress::Running);
    tracing::debug!(provider = ID, model = %req.model, "submitting edit request");
    let resp = http.send(rb, cancel).await?;
    let parsed = parse_generation(resp.status, &resp.headers, &resp.body)?;
    let mut usage = parsed.usage;
    usage.wall_ms = elapsed_ms(start);
    let max = expect_for(route, req).max_pixels;
    let image = decode::inspect_blocking(ID, parsed.bytes, parsed.seed, Some(max))
        .await
        .map_err(|e| e.with_usage(usage.clone()))?;
    Ok(GenerateOutput {
        images: vec![image],
        remote_id: usage.headers.get("x-request-id").cloned(),
        usage,
        safety: None,
    })
}

/// The creative upscale's id from the start answer: it goes into a URL path, so only
/// letters, digits, `-` and `_` are accepted.
pub fn parse_start(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<String, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let id = j::str_of(&v, "id").unwrap_or("");
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ProviderError::malformed(
            ID,
            "the creative upscale started but its answer has no usable 'id'; it may still run and be billed",
        )
        .outcome_unknown());
    }
    Ok(id.to_string())
}

/// The resume handle for a started creative upscale.
pub fn job_of(base: &str, req: &GenerateRequest, id: &str) -> RemoteJob {
    let (w, h) = input_ops::output_size(req, 4);
    RemoteJob {
        provider: ID.into(),
        model: req.model.clone(),
        remote_id: id.to_string(),
        poll_url: Some(join(base, &format!("v2beta/results/{id}"))),
        extra: json!({"n": 1, "width": w, "height": h}),
    }
}

async fn start_creative(
    site: Site<'_>,
    req: &GenerateRequest,
    form: Form,
    key: &str,
    progress: &ProgressSink,
    cancel: &CancellationToken,
) -> Result<GenerateOutput, ProviderError> {
    let start = Instant::now();
    let Site { http, base, .. } = site;
    let rb = http
        .client
        .post(join(base, Route::UpscaleCreative.path()))
        .bearer_auth(key)
        .header(ACCEPT, "application/json")
        .multipart(form);
    tracing::debug!(provider = ID, model = %req.model, "starting creative upscale");
    let resp = http.send(rb, cancel).await?;
    let id = parse_start(resp.status, &resp.headers, &resp.body)?;
    let job = job_of(base, req, &id);
    crate::common::refuse_key_echo(ID, &job, Some(key))?;
    progress.emit(ProviderProgress::Submitted {
        job: Box::new(job.clone()),
    });
    follow(site, job, key, progress, cancel, start).await
}

/// Poll `GET /v2beta/results/{id}` until the image is there; never starts a new job.
pub async fn follow(
    site: Site<'_>,
    job: RemoteJob,
    key: &str,
    progress: &ProgressSink,
    cancel: &CancellationToken,
    start: Instant,
) -> Result<GenerateOutput, ProviderError> {
    let Site { http, base, cfg } = site;
    let url = job
        .poll_url
        .clone()
        .unwrap_or_else(|| join(base, &format!("v2beta/results/{}", job.remote_id)));
    let url = check_same_site(ID, &url, base, TRUSTED).map_err(|e| e.or_job(&job))?;
    let mut poller = Poller::new(cfg.poll_interval, cfg.poll_deadline, cancel, progress);
    loop {
        if let Err(stop) = poller.tick().await {
            return Err(stop_error(ID, stop, &job));
        }
        let rb = http
            .client
            .get(url.clone())
            .bearer_auth(key)
            .header(ACCEPT, "image/*");
        let resp = match http.send(rb, cancel).await {
            Ok(r) => r,
            Err(e) if e.class == ErrorClass::Cancelled => {
                return Err(stop_error(ID, Stop::Cancelled, &job));
            }
            Err(e) => return Err(e.or_job(&job)),
        };
        match resp.status {
            202 => {
                progress.emit(ProviderProgress::Running);
                continue;
            }
            404 => {
                return Err(ProviderError::new(
                    ID,
                    ErrorClass::Timeout {
                        remote_job_id: Some(job.remote_id.clone()),
                    },
                    "Stability no longer knows this upscale (results are kept 24 hours); it cannot be fetched any more",
                )
                .with_status(404)
                .outcome_unknown());
            }
            s if s == 429 || s >= 500 => {
                // Still running (or fetchable) at Stability: keep the job for resume.
                return Err(classify_error(s, &resp.headers, &resp.body).or_job(&job));
            }
            s if !(200..300).contains(&s) => {
                // A definitive refusal of this job: nothing to resume.
                let e = classify_error(s, &resp.headers, &resp.body);
                return Err(match e.class {
                    ErrorClass::SafetyBlock { .. } => e,
                    _ => e.outcome_unknown(),
                });
            }
            _ => {}
        }
        // 200: the upscale finished and was billed; a bad image keeps the job to fetch again.
        let parsed =
            parse_generation(resp.status, &resp.headers, &resp.body).map_err(|e| {
                match e.class {
                    ErrorClass::SafetyBlock { .. } => e,
                    _ => e.or_job(&job).billed(),
                }
            })?;
        let mut usage = parsed.usage;
        usage.wall_ms = elapsed_ms(start);
        let mut expect = crate::images::Expect::of_job(&job, 1);
        expect.max_pixels = expect.max_pixels.max(UPSCALE_MAX_PIXELS);
        let image =
            decode::inspect_blocking(ID, parsed.bytes, parsed.seed, Some(expect.max_pixels))
                .await
                .map_err(|e| e.or_job(&job).with_usage(usage.clone()))?;
        return Ok(GenerateOutput {
            images: vec![image],
            remote_id: Some(job.remote_id),
            usage,
            safety: None,
        });
    }
}

//! ComfyUI: patch an API-format workflow (bundled default or `extra.workflow`), `POST /prompt`,
//! poll `/history/{id}`, fetch `/view`. Local, $0. Cancel: `/interrupt` + queue delete.
//! Input images are uploaded first (`comfyui_inputs`).

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{class_for_status, elapsed_ms, key_check_from, stop_error};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, join};
use crate::images::Expect;
use crate::poll::{Poller, Stop};
use crate::types::{
    GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage, RemoteJob,
};
use crate::{ImageProvider, decode, json as j};

/// This client's provider id.
const ID: &str = vocab::ProviderId::ComfyUi.as_str();

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8188";
pub const DEFAULT_WORKFLOW: &str = include_str!("workflows/default_txt2img.json");

/// Paid partner "API nodes" spend Comfy.org credits; the engine should warn.
pub fn has_paid_api_nodes(workflow: &Value) -> bool {
    workflow.as_object().is_some_and(|o| {
        o.values().any(|n| {
            let c = j::str_of(n, "class_type").unwrap_or("");
            [
                "OpenAI",
                "Stability",
                "BFL",
                "Flux",
                "Ideogram",
                "Recraft",
                "Luma",
                "Kling",
                "Gemini",
            ]
            .iter()
            .any(|p| c.starts_with(p) && (c.ends_with("Node") || c.contains("Api")))
        })
    })
}

fn bad_template(msg: &str) -> ProviderError {
    ProviderError::new(
        ID,
        ErrorClass::InvalidRequest {
            field: Some("workflow".into()),
        },
        msg.to_string(),
    )
}

/// Patch prompt, negative, seed, steps, size, batch and checkpoint into an API-format graph,
/// following the KSampler's positive/negative links so any standard template works.
pub fn patch_workflow(
    template: &Value,
    req: &GenerateRequest,
    seed: u64,
) -> Result<Value, ProviderError> {
    let mut wf = template.clone();
    let nodes = wf
        .as_object_mut()
        .ok_or_else(|| bad_template("the workflow is not an API-format object"))?;
    let sampler_id = nodes
        .iter()
        .find(|(_, n)| j::str_of(n, "class_type").is_some_and(|c| c.starts_with("KSampler")))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| bad_template("the workflow has no KSampler node"))?;
    let link = |input: &str, nodes: &serde_json::Map<String, Value>| -> Option<String> {
        let v = nodes.get(&sampler_id)?.get("inputs")?.get(input)?.get(0)?;
        v.as_str()
            .map(str::to_string)
            .or_else(|| v.as_u64().map(|n| n.to_string()))
    };
    let pos = link("positive", nodes)
        .ok_or_else(|| bad_template("the KSampler has no positive input"))?;
    let neg = link("negative", nodes);
    let set = |nodes: &mut serde_json::Map<String, Value>, id: &str, key: &str, val: Value| {
        if let Some(inputs) = nodes
            .get_mut(id)
            .and_then(|n| n.get_mut("inputs"))
            .and_then(Value::as_object_mut)
        {
            inputs.insert(key.to_string(), val);
        }
    };
    set(nodes, &pos, "text", json!(req.prompt));
    if let Some(neg) = neg {
        set(
            nodes,
            &neg,
            "text",
            json!(req.negative_prompt.clone().unwrap_or_default()),
        );
    }
    set(nodes, &sampler_id, "seed", json!(seed));
    if let Some(s) = req.steps {
        set(nodes, &sampler_id, "steps", json!(s));
    }
    let ids: Vec<(String, String)> = nodes
        .iter()
        .map(|(id, n)| {
            (
                id.clone(),
                j::str_of(n, "class_type").unwrap_or("").to_string(),
            )
        })
        .collect();
    for (id, class) in ids {
        match class.as_str() {
            "EmptyLatentImage" | "EmptySD3LatentImage" => {
                set(nodes, &id, "width", json!(req.width));
                set(nodes, &id, "height", json!(req.height));
                set(nodes, &id, "batch_size", json!(req.n.max(1)));
            }
            "CheckpointLoaderSimple" => {
                if let Some(c) = req.extra_field("checkpoint").and_then(Value::as_str) {
                    set(nodes, &id, "ckpt_name", json!(c));
                }
            }
            _ => {}
        }
    }
    Ok(wf)
}

pub fn parse_submit(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    j::str_of(&v, "prompt_id")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ProviderError::malformed(ID, "the /prompt response has no 'prompt_id'"))
}

/// One output file to fetch through `/view`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFile {
    pub filename: String,
    pub subfolder: String,
    pub kind: String,
}

/// The prompt's state in `/history/{id}`.
#[derive(Debug, Clone, PartialEq)]
pub enum History {
    /// Not in history yet (queued or running).
    Pending,
    Done(Vec<ViewFile>),
    /// The workflow failed: definitive, nothing to resume.
    Failed(ProviderError),
}

/// `Ok(None)` while the prompt is not in history yet (queued or running).
pub fn parse_history(
    prompt_id: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<History, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let Some(entry) = v.get(prompt_id) else {
        return Ok(History::Pending);
    };
    let st = entry.get("status");
    if st.and_then(|s| j::str_of(s, "status_str")) == Some("error") {
        let detail = st
            .and_then(|s| s.get("messages"))
            .and_then(Value::as_array)
            .and_then(|m| {
                m.iter()
                    .find(|e| e.get(0).and_then(Value::as_str) == Some("execution_error"))
            })
            .and_then(|e| e.get(1))
            .and_then(|d| j::str_of(d, "exception_message"))
            .map(short)
            .unwrap_or_else(|| "execution failed".into());
        return Ok(History::Failed(ProviderError::new(
            ID,
            ErrorClass::Transient,
            format!("the workflow failed: {detail}"),
        )));
    }
    if st.and_then(|s| s.get("completed")).and_then(Value::as_bool) == Some(false) {
        return Ok(History::Pending);
    }
    let mut files = Vec::new();
    for node in entry
        .get("outputs")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|o| o.values())
    {
        for img in node
            .get("images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = j::str_of(img, "type").unwrap_or("output");
            if kind == "temp" {
                continue; // previews, not results
            }
            let filename = j::str_of(img, "filename")
                .ok_or_else(|| ProviderError::malformed(ID, "an output image has no filename"))?;
            files.push(ViewFile {
                filename: filename.to_string(),
                subfolder: j::str_of(img, "subfolder").unwrap_or("").to_string(),
                kind: kind.to_string(),
            });
        }
    }
    if files.is_empty() {
        return Err(ProviderError::malformed(
            ID,
            "the workflow finished without saving an image (does it have a SaveImage node?)",
        ));
    }
    Ok(History::Done(files))
}

/// 400 `{error:{type,message}, node_errors}` → invalid_request naming the node.
pub fn classify_error(status: u16, _headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err = v.get("error");
    let msg = err
        .and_then(|e| j::str_of(e, "message").or_else(|| e.as_str()))
        .map(short)
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let node = v
        .get("node_errors")
        .and_then(Value::as_object)
        .and_then(|o| o.keys().next().cloned());
    let class = match status {
        400 => ErrorClass::InvalidRequest {
            field: node.map(|n| format!("node {n}")),
        },
        s => class_for_status(s, None),
    };
    ProviderError::new(ID, class, msg).with_status(status)
}

/// A connection failure most often means ComfyUI is not running.
fn running_hint(mut e: ProviderError) -> ProviderError {
    if e.class == ErrorClass::Transient {
        e.message = format!("{} — is ComfyUI running?", e.message);
    }
    e
}

#[derive(Debug, Clone)]
pub struct ComfyUi {
    http: Http,
    base: String,
    cfg: ProviderConfig,
}

impl ComfyUi {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
            cfg: cfg.clone(),
        }
    }

    fn auth(rb: reqwest::RequestBuilder, key: Option<&str>) -> reqwest::RequestBuilder {
        match key.filter(|k| !k.is_empty()) {
            Some(k) => rb.bearer_auth(k),
            None => rb,
        }
    }

    async fn follow(
        &self,
        job: RemoteJob,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
        start: Instant,
    ) -> Result<GenerateOutput, ProviderError> {
        let mut poller = Poller::new(
            self.cfg.poll_interval,
            self.cfg.poll_deadline,
            cancel,
            progress,
        );
        let seed = j::u64_of(job.extra.get("seed"));
        let files = loop {
            if let Err(stop) = poller.tick().await {
                if matches!(stop, Stop::Cancelled) {
                    self.cancel_remote(&job, key).await;
                }
                return Err(stop_error(ID, stop, &job));
            }
            let url = join(&self.base, &format!("history/{}", job.remote_id));
            let resp = match self
                .http
                .send(Self::auth(self.http.client.get(url), key), cancel)
                .await
            {
                Ok(r) => r,
                Err(e) if e.class == ErrorClass::Cancelled => {
                    self.cancel_remote(&job, key).await;
                    return Err(stop_error(ID, Stop::Cancelled, &job));
                }
                Err(e) => return Err(e.or_job(&job)),
            };
            match parse_history(&job.remote_id, resp.status, &resp.headers, &resp.body)
                .map_err(|e| e.or_job(&job))?
            {
                History::Done(files) => break files,
                History::Failed(e) => return Err(e),
                History::Pending => progress.emit(ProviderProgress::Running),
            }
        };
        // Finished: every later failure keeps the job so the files can be fetched again.
        let done = |e: ProviderError| e.or_job(&job).billed();
        let expect = Expect::of_job(&job, 8);
        progress.emit(ProviderProgress::Downloading);
        let mut images = Vec::new();
        for f in files.into_iter().take(expect.n as usize) {
            let rb = self.http.client.get(join(&self.base, "view")).query(&[
                ("filename", f.filename.as_str()),
                ("subfolder", f.subfolder.as_str()),
                ("type", f.kind.as_str()),
            ]);
            let resp = self
                .http
                .send(Self::auth(rb, key), cancel)
                .await
                .map_err(done)?;
            if !resp.is_success() {
                return Err(done(classify_error(resp.status, &resp.headers, &resp.body)));
            }
            images.push(
                decode::inspect_blocking(ID, resp.body, seed, Some(expect.max_pixels))
                    .await
                    .map_err(done)?,
            );
        }
        let usage = RawUsage {
            wall_ms: elapsed_ms(start),
            raw: json!({"prompt_id": job.remote_id}),
            ..RawUsage::default()
        };
        Ok(GenerateOutput {
            images,
            remote_id: Some(job.remote_id),
            usage,
            safety: None,
        })
    }

    async fn cancel_remote(&self, job: &RemoteJob, key: Option<&str>) {
        let none = CancellationToken::new();
        let del = self
            .http
            .client
            .post(join(&self.base, "queue"))
            .json(&json!({"delete": [job.remote_id]}));
        let _ = self.http.send(Self::auth(del, key), &none).await;
        let int = self
            .http
            .client
            .post(join(&self.base, "interrupt"))
            .json(&json!({"prompt_id": job.remote_id}));
        let r = self.http.send(Self::auth(int, key), &none).await;
        tracing::info!(provider = ID, remote_id = %job.remote_id, ok = r.is_ok(), "interrupt requested");
    }

    async fn run(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            crate::common::key_usable(ID, k)?;
        }
        crate::comfyui_inputs::check_inputs(req)?;
        let start = Instant::now();
        let custom = req.extra_field("workflow").filter(|w| w.is_object());
        let template: Value = match custom {
            Some(w) => w.clone(),
            None => {
                let bundled = if req.inputs.is_empty() {
                    DEFAULT_WORKFLOW
                } else {
                    crate::comfyui_inputs::bundled_workflow(req)
                };
                serde_json::from_str(bundled)
                    .map_err(|_| bad_template("the bundled workflow is invalid"))?
            }
        };
        if has_paid_api_nodes(&template) {
            tracing::warn!(
                provider = ID,
                "workflow contains paid API nodes; it spends Comfy.org credits"
            );
        }
        // ComfyUI needs a concrete seed; derive one when the user left it open.
        let seed = req
            .seed
            .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0 >> 16);
        let mut workflow = patch_workflow(&template, req, seed)?;
        // The output is the size of the input image, not the requested one.
        let (mut width, mut height) = (req.width, req.height);
        if !req.inputs.is_empty() {
            let (image, mask) =
                crate::comfyui_inputs::upload_inputs(&self.http, &self.base, key, req, cancel)
                    .await
                    .map_err(running_hint)?;
            crate::comfyui_inputs::patch_inputs(
                &mut workflow,
                req,
                &image,
                mask.as_deref(),
                custom.is_none(),
            )?;
            if let Some(s) = req.inputs.subject().filter(|s| s.width > 0) {
                (width, height) = (width.max(s.width), height.max(s.height));
            }
        }
        let client_id = uuid::Uuid::new_v4().to_string();
        let rb = self
            .http
            .client
            .post(join(&self.base, "prompt"))
            .json(&json!({"prompt": workflow, "client_id": client_id}));
        let resp = self
            .http
            .send(Self::auth(rb, key), cancel)
            .await
            .map_err(running_hint)?;
        let prompt_id = parse_submit(resp.status, &resp.headers, &resp.body)?;
        let job = RemoteJob {
            provider: ID.into(),
            model: req.model.clone(),
            remote_id: prompt_id,
            poll_url: None,
            extra: json!({
                "client_id": client_id,
                "seed": seed,
                "n": req.n.max(1),
                "width": width,
                "height": height,
            }),
        };
        crate::common::refuse_key_echo(ID, &job, key.filter(|k| !k.is_empty()))?;
        progress.emit(ProviderProgress::Submitted {
            job: Box::new(job.clone()),
        });
        self.follow(job, key, progress, cancel, start).await
    }
}

#[async_trait]
impl ImageProvider for ComfyUi {
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
        self.run(req, key, progress, cancel).await
    }
    async fn resume(
        &self,
        remote: &RemoteJob,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        self.follow(remote.clone(), key, progress, cancel, Instant::now())
            .await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = Self::auth(
            self.http.client.get(join(&self.base, "system_stats")),
            Some(key),
        );
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(_) => KeyCheck::Valid { balance: None },
            Err(k) => k,
        }
    }
}

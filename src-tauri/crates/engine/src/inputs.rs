//! Image inputs (issue 15): importing an image into the library, resolving a request's
//! inputs (gallery image or imported blob) to hashes, sizes and bytes, and what pricing,
//! dedup and the providers receive from them. Also the lineage a detail view shows.

use std::path::PathBuf;
use std::sync::Arc;

use providers::{ImageInputs, InputImage, Margins};
use store::{CanonicalInputs, InputRecord};
use vocab::{InputRole, Operation};

use crate::api::{
    ExpandMargins, GenerationStatus, ImportedImage, InputSource, InputView, Lineage, LineageLink,
    RequestParams,
};
use crate::context::Core;
use crate::error::{EngineError, Result};

/// Largest input file accepted (OpenAI's edit limit; larger inputs are refused by most
/// providers anyway).
pub const MAX_INPUT_BYTES: usize = 50 * 1024 * 1024;
/// Most input images in one request (OpenAI's `image[]` limit).
pub(crate) const MAX_INPUTS: usize = 16;
/// Smallest side of an input image, in pixels.
const MIN_SIDE: u32 = 16;
/// Upscale factor when none is given, and the largest accepted.
pub(crate) const DEFAULT_SCALE: u32 = 2;
const MAX_SCALE: u32 = 8;

/// A request's inputs, resolved: what the dedup key and the store record, and the
/// images (bytes loaded from the library) the providers receive.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    pub canonical: CanonicalInputs,
    pub provider: ImageInputs,
}

impl Resolved {
    pub fn is_empty(&self) -> bool {
        self.canonical.is_empty()
    }
}

fn field_err(msg: impl Into<String>) -> EngineError {
    EngineError::validation(msg)
}

/// Checks bytes are an image we can send: PNG, JPEG or WebP, within size limits, fully
/// decodable. Returns its mime and size.
pub(crate) fn check_image(bytes: &[u8]) -> Result<(vocab::ImageMime, u32, u32)> {
    if bytes.is_empty() {
        return Err(field_err("the input image is empty; choose an image file"));
    }
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(field_err(format!(
            "the input image is {:.1} MB; the limit is {} MB — export it smaller",
            bytes.len() as f64 / 1_048_576.0,
            MAX_INPUT_BYTES / 1_048_576
        )));
    }
    let info = providers::decode::inspect("input", bytes).map_err(|e| {
        let why = if e.message.contains("unsupported image format")
            || e.message.contains("instead of an image")
        {
            "it is not a PNG, JPEG or WebP image".to_owned()
        } else if e.message.contains("beyond") {
            format!(
                "it is larger than {0}×{0} pixels",
                providers::decode::MAX_DIMENSION
            )
        } else {
            "it is corrupt or truncated".to_owned()
        };
        field_err(format!(
            "this image cannot be used as an input: {why}; save it as PNG, JPEG or WebP"
        ))
    })?;
    if info.width < MIN_SIDE || info.height < MIN_SIDE {
        return Err(field_err(format!(
            "the input image is {}×{}; inputs must be at least {MIN_SIDE} pixels a side",
            info.width, info.height
        )));
    }
    Ok((info.mime, info.width, info.height))
}

/// Validates and keeps image bytes in the library (not a gallery result).
pub(crate) async fn import_bytes(core: &Arc<Core>, bytes: Vec<u8>) -> Result<ImportedImage> {
    let checked = tokio::task::spawn_blocking(move || check_image(&bytes).map(|c| (c, bytes)))
        .await
        .map_err(|e| EngineError::internal(format!("image check stopped: {e}")))?;
    let ((mime, width, height), bytes) = checked?;
    let blob = core.store_op(move |s| s.import_blob(&bytes)).await?;
    Ok(ImportedImage {
        sha256: blob.hash,
        width,
        height,
        mime,
    })
}

/// `import_bytes` from a file.
pub(crate) async fn import_file(core: &Arc<Core>, path: PathBuf) -> Result<ImportedImage> {
    let meta = tokio::fs::metadata(&path).await.map_err(|e| {
        field_err(format!(
            "cannot read {}: {e}; choose another file",
            path.display()
        ))
    })?;
    if !meta.is_file() {
        return Err(field_err(format!("{} is not a file", path.display())));
    }
    if meta.len() > MAX_INPUT_BYTES as u64 {
        return Err(field_err(format!(
            "{} is {} MB; the input limit is {} MB",
            path.display(),
            meta.len() / 1_048_576,
            MAX_INPUT_BYTES / 1_048_576
        )));
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| field_err(format!("cannot read {}: {e}", path.display())))?;
    import_bytes(core, bytes).await
}

fn blob_of(
    s: &store::Store,
    src: &InputSource,
) -> store::Result<(store::Blob, Option<(String, u32)>)> {
    match src {
        InputSource::Gallery {
            generation_id,
            index,
        } => {
            let gid = uuid::Uuid::parse_str(generation_id.trim()).map_err(|_| {
                store::StoreError::InvalidInput(format!("`{generation_id}` is not a generation id"))
            })?;
            let blob = s.gallery_blob(gid, *index)?;
            Ok((blob, Some((gid.to_string(), *index))))
        }
        InputSource::Blob { sha256 } => {
            let blob = s.blob(sha256)?.ok_or_else(|| {
                store::StoreError::InvalidInput(format!(
                    "no imported image has sha256 {}; import it first",
                    sha256.trim()
                ))
            })?;
            Ok((blob, None))
        }
    }
}

fn provider_image(role: InputRole, blob: &store::Blob, bytes: Vec<u8>) -> InputImage {
    InputImage {
        role,
        sha256: blob.hash.clone(),
        mime: blob.mime,
        width: blob.width,
        height: blob.height,
        bytes: Arc::from(bytes),
    }
}

/// Checks the operation has what it needs before anything is looked up.
pub(crate) fn validate(p: &RequestParams) -> Result<()> {
    let op = p.operation;
    if p.inputs.len() > MAX_INPUTS {
        return Err(field_err(format!(
            "{} input images; send at most {MAX_INPUTS}",
            p.inputs.len()
        )));
    }
    let needs_subject = !matches!(op, Operation::Generate);
    if needs_subject && p.inputs.is_empty() {
        return Err(field_err(format!(
            "`{op}` needs the image to work on: add it as the first input image"
        )));
    }
    if needs_subject && p.inputs[0].role != InputRole::Subject {
        return Err(field_err(format!(
            "`{op}` works on the first input, so its role must be `subject`"
        )));
    }
    if p.inputs
        .iter()
        .skip(1)
        .any(|i| i.role == InputRole::Subject)
    {
        return Err(field_err(
            "only the first input can be the subject; mark the others `reference` or `style`",
        ));
    }
    if op == Operation::Inpaint && p.mask.is_none() {
        return Err(field_err(
            "`inpaint` needs a mask (a PNG the size of the image, transparent where to edit)",
        ));
    }
    if p.mask.is_some() && p.inputs.is_empty() {
        return Err(field_err(
            "a mask needs the image it covers as the first input",
        ));
    }
    if op == Operation::Expand {
        let Some(m) = &p.expand else {
            return Err(field_err(
                "`expand` needs margins: pixels to add left, top, right, bottom",
            ));
        };
        if m.left + m.top + m.right + m.bottom == 0 {
            return Err(field_err(
                "the expand margins are all 0; add pixels on a side",
            ));
        }
    }
    if let Some(s) = p.scale
        && !(2..=MAX_SCALE).contains(&s)
    {
        return Err(field_err(format!(
            "upscale factor {s}; use 2 to {MAX_SCALE}"
        )));
    }
    Ok(())
}

/// Looks up every input and the mask in the library, loads their bytes and checks the
/// mask fits the subject. Blocking (SQLite and file reads): run through `store_op`.
pub(crate) async fn resolve(core: &Arc<Core>, p: &RequestParams) -> Result<Resolved> {
    if p.is_text_only() {
        return Ok(Resolved::default());
    }
    validate(p)?;
    let p = p.clone();
    core.store_op(move |s| {
        let mut canonical = CanonicalInputs {
            operation: p.operation,
            expand: p
                .expand
                .as_ref()
                .map(|m| [m.left, m.top, m.right, m.bottom]),
            scale: match p.operation {
                Operation::Upscale => Some(p.scale.unwrap_or(DEFAULT_SCALE)),
                _ => p.scale,
            },
            fidelity: p.fidelity,
            ..Default::default()
        };
        let mut images = Vec::with_capacity(p.inputs.len());
        for input in &p.inputs {
            let (blob, source) = blob_of(s, &input.source)?;
            let bytes = s.blob_bytes(&blob.hash)?;
            canonical.images.push(InputRecord {
                role: input.role,
                hash: blob.hash.clone(),
                mime: blob.mime,
                width: blob.width,
                height: blob.height,
                source,
            });
            images.push(provider_image(input.role, &blob, bytes));
        }
        let mask = match &p.mask {
            None => None,
            Some(src) => {
                let (blob, _) = blob_of(s, src)?;
                let subject = &canonical.images[0];
                if blob.mime != vocab::ImageMime::Png {
                    return Err(store::StoreError::InvalidInput(
                        "the mask must be a PNG with transparency (alpha 0 where to edit)".into(),
                    ));
                }
                if (blob.width, blob.height) != (subject.width, subject.height) {
                    return Err(store::StoreError::InvalidInput(format!(
                        "the mask is {}×{} but the image is {}×{}; paint the mask on the image",
                        blob.width, blob.height, subject.width, subject.height
                    )));
                }
                let bytes = s.blob_bytes(&blob.hash)?;
                canonical.mask = Some(InputRecord {
                    role: InputRole::Subject,
                    hash: blob.hash.clone(),
                    mime: blob.mime,
                    width: blob.width,
                    height: blob.height,
                    source: None,
                });
                Some(provider_image(InputRole::Subject, &blob, bytes))
            }
        };
        let provider = ImageInputs {
            operation: canonical.operation,
            images,
            mask,
            expand: canonical.expand.map(|[left, top, right, bottom]| Margins {
                left,
                top,
                right,
                bottom,
            }),
            scale: canonical.scale,
            fidelity: canonical.fidelity,
        };
        Ok(Resolved {
            canonical,
            provider,
        })
    })
    .await
    .map_err(|e| match e.kind {
        crate::error::ErrorKind::NotFound => {
            EngineError::validation(format!("{}; pick the input again", e.message))
        }
        _ => e,
    })
}

/// The size of the result an operation makes from its subject: the subject grown by the
/// margins (expand) or the factor (upscale); other operations keep the asked size.
pub(crate) fn output_size(p: &RequestParams, r: &Resolved) -> (u32, u32) {
    let c = &r.canonical;
    let Some(subject) = c.images.first() else {
        return (p.width, p.height);
    };
    match c.operation {
        Operation::Upscale => {
            let s = c.scale.unwrap_or(DEFAULT_SCALE);
            (subject.width * s, subject.height * s)
        }
        Operation::Expand => {
            let [l, t, rr, b] = c.expand.unwrap_or_default();
            (subject.width + l + rr, subject.height + t + b)
        }
        _ => (p.width, p.height),
    }
}

/// Puts the inputs on a priced request: every input's size (subject first), the
/// operation and its settings.
pub(crate) fn apply(req: &mut pricing::EstimateRequest, r: &Resolved) {
    let c = &r.canonical;
    req.reference_images = c
        .images
        .iter()
        .map(|i| pricing::ImageDims {
            width: i.width,
            height: i.height,
        })
        .collect();
    req.operation = c.operation;
    req.input_fidelity = c.fidelity;
    req.mask = c.mask.is_some();
    req.expand = c.expand;
    req.scale = c.scale;
}

/// The priced request's inputs, rebuilt from a stored generation (recovery, deferred
/// settlement): sizes only, no bytes needed.
pub(crate) fn apply_stored(req: &mut pricing::EstimateRequest, c: &CanonicalInputs) {
    let r = Resolved {
        canonical: c.clone(),
        provider: ImageInputs::default(),
    };
    apply(req, &r);
}

fn input_view(s: &store::Store, position: u32, rec: &InputRecord) -> InputView {
    let blob = s.blob(&rec.hash).ok().flatten();
    InputView {
        position,
        role: rec.role,
        hash: rec.hash.clone(),
        mime: rec.mime,
        width: rec.width,
        height: rec.height,
        generation_id: rec.source.as_ref().map(|s| s.0.clone()),
        index: rec.source.as_ref().map(|s| s.1),
        path: blob
            .as_ref()
            .map(|b| s.absolute(&b.path).display().to_string()),
        thumb_path: blob
            .as_ref()
            .and_then(|b| b.thumb_path.as_ref())
            .map(|t| s.absolute(t).display().to_string()),
    }
}

fn status(s: store::Status) -> GenerationStatus {
    match s {
        store::Status::Queued => GenerationStatus::Queued,
        store::Status::Running => GenerationStatus::Running,
        store::Status::Succeeded => GenerationStatus::Succeeded,
        store::Status::Failed => GenerationStatus::Failed,
        store::Status::Cancelled => GenerationStatus::Cancelled,
        store::Status::Reused => GenerationStatus::Reused,
    }
}

/// The lineage of a generation, read in the caller's store closure.
/// The lineage of generation `id`, whose tier is `tier`.
pub(crate) fn lineage_in(
    s: &store::Store,
    id: store::GenerationId,
    tier: store::Tier,
) -> store::Result<Lineage> {
    let c = s.inputs_of(id)?;
    let used = s.used_by(id)?;
    Ok(Lineage {
        operation: c.operation,
        tier: tier.into(),
        inputs: c
            .images
            .iter()
            .enumerate()
            .map(|(i, rec)| input_view(s, i as u32, rec))
            .collect(),
        mask: c.mask.as_ref().map(|m| input_view(s, 0, m)),
        expand: c.expand.map(|[left, top, right, bottom]| ExpandMargins {
            left,
            top,
            right,
            bottom,
        }),
        scale: c.scale,
        fidelity: c.fidelity,
        used_by: used
            .into_iter()
            .map(|u| LineageLink {
                generation_id: u.generation_id.to_string(),
                operation: u.operation,
                role: u.role,
                status: status(u.status),
                tier: u.tier.into(),
                created_at: u.created_at.to_rfc3339(),
                thumb_path: u.thumb_path.map(|t| s.absolute(&t).display().to_string()),
            })
            .collect(),
    })
}

pub(crate) async fn lineage(core: &Arc<Core>, generation_id: &str) -> Result<Lineage> {
    let id = uuid::Uuid::parse_str(generation_id.trim()).map_err(|_| {
        EngineError::validation(format!("`{generation_id}` is not a generation id"))
    })?;
    core.store_op(move |s| {
        let g = s.generation(id)?;
        lineage_in(s, id, g.tier)
    })
    .await
}

/// The priced request for `p` with its inputs resolved: what estimates, routing, dedup
/// and the pipeline all price. An expand or upscale prices (and asks for) the size it
/// makes from the subject.
pub(crate) async fn priced(
    core: &Arc<Core>,
    p: &RequestParams,
    seed: Option<u64>,
) -> Result<(pricing::EstimateRequest, Resolved)> {
    let resolved = resolve(core, p).await?;
    let mut req = crate::routing::estimate_request(p, seed);
    if !resolved.is_empty() {
        let (w, h) = output_size(p, &resolved);
        req.width = w;
        req.height = h;
        apply(&mut req, &resolved);
    }
    Ok((req, resolved))
}

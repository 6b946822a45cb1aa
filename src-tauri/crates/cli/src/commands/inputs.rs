//! `--image`, `--mask`, `--op`, `--expand`, `--scale`, `--fidelity`: input images on
//! `estimate` and `generate` (issue 15). Files are imported into the library (checked,
//! kept by sha256); gallery images are named by GENERATION_ID[:INDEX].

use engine::api::{ExpandMargins, InputRef, InputRole, InputSource, Operation, RequestParams};

use super::Ctx;
use crate::args::InputArgs;
use crate::exit::{CliError, CliResult};
use crate::output::safe;

/// `GENERATION_ID`, `GENERATION_ID:INDEX` or `GENERATION_ID#INDEX`, when `s` is one.
pub fn gallery_ref(s: &str) -> Option<(String, u32)> {
    let s = s.trim();
    let (id, idx) = match s.split_once([':', '#']) {
        Some((id, idx)) => (id, idx.trim().parse::<u32>().ok()?),
        None => (s, 0),
    };
    uuid::Uuid::parse_str(id.trim())
        .ok()
        .map(|u| (u.to_string(), idx))
}

async fn source(ctx: &Ctx, arg: &str) -> CliResult<InputSource> {
    let path = std::path::Path::new(arg);
    if !path.exists()
        && let Some((generation_id, index)) = gallery_ref(arg)
    {
        return Ok(InputSource::Gallery {
            generation_id,
            index,
        });
    }
    if !path.is_file() {
        return Err(CliError::usage(format!(
            "--image {}: no such file, and not a GENERATION_ID[:INDEX]",
            safe(arg)
        )));
    }
    let imported = ctx
        .engine
        .import_input_file(path.to_path_buf())
        .await
        .map_err(|e| CliError::usage(format!("--image {}: {}", safe(arg), e.message)))?;
    Ok(InputSource::Blob {
        sha256: imported.sha256,
    })
}

/// The operation the flags imply when `--op` is not given.
pub fn implied(a: &InputArgs) -> Operation {
    match a.op {
        Some(op) => op,
        None if a.mask.is_some() => Operation::Inpaint,
        None if a.expand.is_some() => Operation::Expand,
        None if a.scale.is_some() => Operation::Upscale,
        None if !a.images.is_empty() => Operation::Edit,
        None => Operation::Generate,
    }
}

/// Puts the input flags on `p`: imports files, names gallery images, sets roles (the
/// first input is the subject unless the operation is `generate`).
pub async fn apply(ctx: &Ctx, a: &InputArgs, p: &mut RequestParams) -> CliResult<()> {
    let op = implied(a);
    p.operation = op;
    for (i, arg) in a.images.iter().enumerate() {
        let role = if i == 0 && op != Operation::Generate {
            InputRole::Subject
        } else {
            InputRole::Reference
        };
        p.inputs.push(InputRef {
            source: source(ctx, arg).await?,
            role,
        });
    }
    if let Some(mask) = &a.mask {
        let imported = ctx
            .engine
            .import_input_file(mask.clone())
            .await
            .map_err(|e| {
                CliError::usage(format!(
                    "--mask {}: {}",
                    safe(&mask.display().to_string()),
                    e.message
                ))
            })?;
        p.mask = Some(InputSource::Blob {
            sha256: imported.sha256,
        });
    }
    p.expand = a.expand.map(|[left, top, right, bottom]| ExpandMargins {
        left,
        top,
        right,
        bottom,
    });
    p.scale = a.scale;
    p.fidelity = a.fidelity;
    Ok(())
}

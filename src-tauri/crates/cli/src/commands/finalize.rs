//! `finalize` and `upscale` (issue 15): a final of *that* draft, priced every way, and
//! an upscale of a generation's image. Both link the result to the draft.

use engine::ProgressFn;
use engine::api::{FinalizeHow, FinalizeInput, FinalizeOptions, GenerationResult, UpscaleInput};

use super::generate::{explain, finish};
use super::inputs::gallery_ref;
use super::progress::{cancellable, tracker};
use super::{Ctx, check_offers, emit};
use crate::args::{FinalizeArgs, FinalizeHowArg, UpscaleArgs};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{safe, table, usd_opt};

fn split(id: &str) -> CliResult<(String, Option<u32>)> {
    let (gid, idx) = gallery_ref(id).ok_or_else(|| {
        CliError::usage(format!(
            "`{}` is not a GENERATION_ID[:INDEX]; `proofsheet-cli gallery list` shows them",
            safe(id)
        ))
    })?;
    let explicit = id.contains([':', '#']).then_some(idx);
    Ok((gid, explicit))
}

fn how(h: FinalizeHowArg) -> FinalizeHow {
    match h {
        FinalizeHowArg::Reference => FinalizeHow::Reference,
        FinalizeHowArg::Upscale => FinalizeHow::Upscale,
        FinalizeHowArg::Reroll => FinalizeHow::Reroll,
    }
}

fn how_name(h: &FinalizeHow) -> &'static str {
    match h {
        FinalizeHow::Reference => "reference",
        FinalizeHow::Upscale => "upscale",
        FinalizeHow::Reroll => "reroll",
    }
}

fn human(o: &FinalizeOptions) -> String {
    let rows: Vec<Vec<String>> = o
        .options
        .iter()
        .map(|x| {
            vec![
                how_name(&x.how).to_string(),
                x.offer_id.clone().unwrap_or_else(|| "-".into()),
                usd_opt(x.expected_usd),
                format!("{:?}", x.fidelity).to_lowercase(),
                x.expected_seconds
                    .map(|s| format!("~{s} s"))
                    .unwrap_or_else(|| "-".into()),
                if x.can_run {
                    "ready".into()
                } else {
                    safe(x.reason.as_deref().unwrap_or("cannot run"))
                },
            ]
        })
        .collect();
    table(
        &["how", "offer", "expected", "fidelity", "time", "status"],
        &rows,
        &[2],
    )
}

pub async fn finalize(ctx: &Ctx, a: FinalizeArgs) -> CliResult<u8> {
    if let Some(o) = &a.offer {
        check_offers(ctx, std::slice::from_ref(o))?;
    }
    let (gid, index) = split(&a.generation_id)?;
    let Some(h) = a.how else {
        let options = ctx.engine.finalize_options(&gid).await?;
        emit(ctx, &options, || human(&options))?;
        return Ok(OK);
    };
    let input = FinalizeInput {
        generation_id: gid.clone(),
        index,
        how: how(h),
        offer: a.offer,
    };
    let extra = serde_json::json!({ "parent_id": gid, "how": how_name(&input.how) });
    run_on_draft(ctx, &gid, extra, |progress| {
        ctx.engine.finalize_and_wait(input, progress)
    })
    .await
}

pub async fn upscale(ctx: &Ctx, a: UpscaleArgs) -> CliResult<u8> {
    if let Some(o) = &a.offer {
        check_offers(ctx, std::slice::from_ref(o))?;
    }
    let (gid, index) = split(&a.generation_id)?;
    let input = UpscaleInput {
        generation_id: gid.clone(),
        index,
        scale: a.scale,
        offer: a.offer,
    };
    let extra = serde_json::json!({ "parent_id": gid });
    run_on_draft(ctx, &gid, extra, |progress| {
        ctx.engine.upscale_and_wait(input, progress)
    })
    .await
}

/// Runs a finalize or upscale of draft `gid` to the end (progress on stderr, Ctrl-C
/// cancels) and prints the result with `extra`; a refusal is explained against the
/// draft's project (its budget).
async fn run_on_draft<F, Fut>(
    ctx: &Ctx,
    gid: &str,
    extra: serde_json::Value,
    run: F,
) -> CliResult<u8>
where
    F: FnOnce(ProgressFn) -> Fut,
    Fut: Future<Output = engine::Result<GenerationResult>>,
{
    let project = ctx
        .engine
        .generation_detail(gid)
        .await
        .map(|d| d.project)
        .unwrap_or_default();
    let (progress, job, _rx) = tracker(&ctx.engine, ctx.quiet);
    match cancellable(&job, ctx.quiet, run(progress)).await {
        Ok(r) => finish(ctx, &r, Some(extra)),
        Err(e) => Err(explain(ctx, e, &project).await),
    }
}

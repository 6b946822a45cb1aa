//! `gallery list`, `show` and `report`.

use engine::api::{AttemptOutcome, GalleryQuery, GenerationDetail, GenerationStatus, Tier};

use super::estimate::tier_name;
use super::generate::attempts_table;
use super::{Ctx, emit};
use crate::args::{GalleryCommand, GalleryListArgs, ReportArgs, ShowArgs, TierArg};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{clip, normalize_amounts, safe, table, usd};

pub async fn run(ctx: &Ctx, c: GalleryCommand) -> CliResult<u8> {
    match c {
        GalleryCommand::List(a) => list(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, a: GalleryListArgs) -> CliResult<u8> {
    let tier = match a.tier {
        None | Some(TierArg::All) => None,
        Some(TierArg::Draft) => Some(Tier::Draft),
        Some(TierArg::Final) => Some(Tier::Final),
    };
    let provider = a
        .provider
        .as_deref()
        .map(str::parse::<engine::api::OfferProvider>)
        .transpose()
        .map_err(|e| CliError::usage(format!("--provider: {e}")))?;
    let query = GalleryQuery {
        project: a.project,
        board: None,
        provider,
        tier,
        from: None,
        to: None,
        favourites_only: a.favourites,
        min_rating: None,
        search: a.search.filter(|s| !s.trim().is_empty()),
        cursor: a.cursor,
        limit: a.limit,
    };
    let page = ctx.engine.gallery_page(query).await?;
    emit(ctx, &page, || {
        if page.items.is_empty() {
            return "No images match.".to_string();
        }
        let rows: Vec<Vec<String>> = page
            .items
            .iter()
            .map(|i| {
                vec![
                    i.created_at.chars().take(16).collect(),
                    i.project.clone(),
                    tier_name(&i.tier).to_string(),
                    format!("{} {}", i.provider, i.model),
                    usd(i.cost_usd),
                    clip(&i.prompt, 40),
                    i.generation_id.clone(),
                    i.image.path.clone(),
                ]
            })
            .collect();
        let mut s = table(
            &[
                "created",
                "project",
                "tier",
                "model",
                "cost",
                "prompt",
                "generation",
                "file",
            ],
            &rows,
            &[4],
        );
        s.push_str(&format!(
            "\n{} of {} image(s)",
            page.items.len(),
            page.total
        ));
        if let Some(c) = &page.next_cursor {
            s.push_str(&format!("; more with --cursor {c}"));
        }
        s
    })?;
    Ok(OK)
}

pub async fn show(ctx: &Ctx, a: ShowArgs) -> CliResult<u8> {
    let d = ctx.engine.generation_detail(&a.generation_id).await?;
    let mut doc = serde_json::to_value(&d)
        .map_err(|e| CliError::general(format!("cannot encode the generation: {e}")))?;
    // Why it failed, for scripts too. The engine's own field wins once it has one.
    if let Some(obj) = doc.as_object_mut() {
        obj.entry("error")
            .or_insert_with(|| serde_json::json!(failure_reason(&d)));
    }
    emit(ctx, &doc, || show_text(&d))?;
    Ok(OK)
}

pub fn status_name(s: &GenerationStatus) -> &'static str {
    match s {
        GenerationStatus::Queued => "queued",
        GenerationStatus::Running => "running",
        GenerationStatus::Succeeded => "succeeded",
        GenerationStatus::Failed => "failed",
        GenerationStatus::Cancelled => "cancelled",
        GenerationStatus::Reused => "reused",
        GenerationStatus::Deferred => "deferred",
    }
}

/// Why a generation did not succeed, from its attempts (the last one that says why).
fn failure_reason(d: &GenerationDetail) -> Option<String> {
    let last = d
        .attempts
        .iter()
        .rev()
        .find(|a| a.outcome != AttemptOutcome::Succeeded);
    let why = match (&d.status, last) {
        (GenerationStatus::Failed, Some(a)) => format!(
            "{} at {} {}{}",
            a.outcome.as_str().replace('_', " "),
            a.provider,
            a.model,
            a.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ),
        (GenerationStatus::Failed, None) => {
            "it stopped before any provider was asked (nothing was sent)".to_string()
        }
        (GenerationStatus::Cancelled, _) => "cancelled before it finished".to_string(),
        (GenerationStatus::Deferred, _) => {
            "deferred to the provider's batch API; `proofsheet-cli jobs` shows when it is \
             expected, and any later run lands it"
                .to_string()
        }
        (GenerationStatus::Queued | GenerationStatus::Running, _) => {
            "not finished: still running, or left by a process that died \
             (`proofsheet-cli recover` settles it)"
                .to_string()
        }
        _ => return None,
    };
    Some(why)
}

fn show_text(d: &GenerationDetail) -> String {
    {
        let mut s = format!(
            "Generation {} ({}, {})\n  project   {}\n  offer     {}\n  prompt    {}",
            safe(&d.generation_id),
            tier_name(&d.tier),
            status_name(&d.status),
            safe(&d.project),
            safe(&d.offer_id),
            clip(&d.params.prompt, 120),
        );
        if let Some(n) = d.params.negative_prompt.as_deref() {
            s.push_str(&format!("\n  negative  {}", clip(n, 120)));
        }
        s.push_str(&format!(
            "\n  size      {}x{} n={} seed={}\n  estimate  {}\n  cost      {}\n  saved     {}\n  created   {}",
            d.params.width,
            d.params.height,
            d.params.n,
            d.params
                .seed
                .map(|s| s.to_string())
                .unwrap_or_else(|| "random".into()),
            usd(d.estimate_usd),
            usd(d.cost_usd),
            usd(d.saved_usd),
            safe(&d.created_at),
        ));
        if !d.unconfirmed_usd.is_zero() {
            s.push_str(&format!(
                "\n  unconfirmed {} (never confirmed by the provider; see `charges list`)",
                usd(d.unconfirmed_usd)
            ));
        }
        if let Some(why) = failure_reason(d) {
            s.push_str(&format!("\n  reason    {}", safe(&normalize_amounts(&why))));
        }
        if let Some(p) = &d.parent_id {
            s.push_str(&format!("\n  draft     {}", safe(p)));
        }
        if let Some(l) = d.lineage.as_ref().filter(|l| !l.inputs.is_empty()) {
            s.push_str(&format!("\n  operation {}", l.operation));
            for i in &l.inputs {
                let from = i
                    .generation_id
                    .as_ref()
                    .map(|g| format!(" from {g}#{}", i.index.unwrap_or(0)))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "\n  input     {} {} {}×{}{}",
                    i.role,
                    &i.hash[..12.min(i.hash.len())],
                    i.width,
                    i.height,
                    safe(&from)
                ));
            }
            if let Some(m) = &l.mask {
                s.push_str(&format!(
                    "\n  mask      {}",
                    &m.hash[..12.min(m.hash.len())]
                ));
            }
        }
        if let Some(l) = d.lineage.as_ref().filter(|l| !l.used_by.is_empty()) {
            let used: Vec<String> = l
                .used_by
                .iter()
                .map(|u| format!("{} ({})", u.generation_id, u.operation))
                .collect();
            s.push_str(&format!("\n  used by   {}", safe(&used.join(", "))));
        }
        if !d.children.is_empty() {
            s.push_str(&format!("\n  finals    {}", safe(&d.children.join(", "))));
        }
        for img in &d.images {
            s.push_str(&format!(
                "\n  image     {}  {}x{}",
                safe(&img.path),
                img.width,
                img.height
            ));
        }
        if !d.attempts.is_empty() {
            s.push_str("\n\n");
            s.push_str(&attempts_table(&d.attempts));
        }
        s
    }
}

pub async fn report(ctx: &Ctx, a: ReportArgs) -> CliResult<u8> {
    if a.csv.as_os_str().is_empty() {
        return Err(CliError::usage("--csv needs a file name"));
    }
    let path = ctx.engine.report_csv(&a.project, a.csv.clone()).await?;
    let doc = serde_json::json!({ "project": a.project, "path": path });
    emit(ctx, &doc, || {
        format!(
            "Wrote the spend lines of {} to {}",
            safe(&a.project),
            safe(&path)
        )
    })?;
    Ok(OK)
}

//! `gallery list`, `show` and `report`.

use engine::api::{GalleryQuery, Tier};

use super::estimate::tier_name;
use super::{Ctx, emit};
use crate::args::{GalleryCommand, GalleryListArgs, ReportArgs, ShowArgs, TierArg};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{clip, table, usd};

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
    let query = GalleryQuery {
        project: a.project,
        board: None,
        provider: a.provider,
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
    emit(ctx, &d, || {
        let mut s = format!(
            "Generation {} ({}, {:?})\n  project   {}\n  offer     {}\n  prompt    {}\n  size      {}x{} n={} seed={}\n  estimate  {}\n  cost      {}\n  saved     {}\n  created   {}",
            d.generation_id,
            tier_name(&d.tier),
            d.status,
            d.project,
            d.offer_id,
            clip(&d.params.prompt, 120),
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
            d.created_at,
        );
        if !d.unconfirmed_usd.is_zero() {
            s.push_str(&format!(
                "\n  unconfirmed {} (never confirmed by the provider; see `charges list`)",
                usd(d.unconfirmed_usd)
            ));
        }
        for a in &d.attempts {
            s.push_str(&format!(
                "\n  attempt   {}:{}  {}  {}{}{}",
                a.provider,
                a.model,
                a.outcome,
                usd(a.cost_usd),
                if a.unconfirmed { " unconfirmed" } else { "" },
                a.error
                    .as_deref()
                    .or(a.review.as_deref())
                    .map(|e| format!("  {}", clip(e, 160)))
                    .unwrap_or_default()
            ));
        }
        if let Some(p) = &d.parent_id {
            s.push_str(&format!("\n  draft     {p}"));
        }
        if !d.children.is_empty() {
            s.push_str(&format!("\n  finals    {}", d.children.join(", ")));
        }
        for img in &d.images {
            s.push_str(&format!(
                "\n  image     {}  {}x{}",
                img.path, img.width, img.height
            ));
        }
        s
    })?;
    Ok(OK)
}

pub async fn report(ctx: &Ctx, a: ReportArgs) -> CliResult<u8> {
    if a.csv.as_os_str().is_empty() {
        return Err(CliError::usage("--csv needs a file name"));
    }
    let path = ctx.engine.report_csv(&a.project, a.csv.clone()).await?;
    let doc = serde_json::json!({ "project": a.project, "path": path });
    emit(ctx, &doc, || {
        format!("Wrote the spend lines of {} to {path}", a.project)
    })?;
    Ok(OK)
}

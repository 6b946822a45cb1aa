//! One module per command group; each is a thin adapter over `engine::Engine`.

mod charges;
mod estimate;
mod gallery;
mod generate;
mod keys;
mod progress;
mod project;

use std::sync::Arc;

use engine::Engine;
use engine::api::RequestParams;

use crate::args::{Command, ParamArgs};
use crate::exit::{CliError, CliResult};
use crate::output;

/// What every command gets: the opened engine and the output mode.
pub struct Ctx {
    pub engine: Arc<Engine>,
    pub json: bool,
    pub quiet: bool,
}

/// Runs one command; returns the exit code (non-zero when the command printed a result
/// that is still a failure, e.g. a generation whose every attempt failed).
pub async fn run(ctx: &Ctx, command: Command) -> CliResult<u8> {
    match command {
        Command::Estimate(a) => estimate::run(ctx, a).await,
        Command::Project(c) => project::run(ctx, c).await,
        Command::Keys(c) => keys::run(ctx, c).await,
        Command::Generate(a) => generate::generate(ctx, a).await,
        Command::Promote(a) => generate::promote(ctx, a).await,
        Command::Show(a) => gallery::show(ctx, a).await,
        Command::Gallery(c) => gallery::run(ctx, c).await,
        Command::Report(a) => gallery::report(ctx, a).await,
        Command::Offers => estimate::offers(ctx),
        Command::Recover => project::recover(ctx).await,
        Command::Charges(c) => charges::run(ctx, c).await,
    }
}

pub fn params(p: &ParamArgs) -> CliResult<RequestParams> {
    if p.prompt.trim().is_empty() {
        return Err(CliError::usage(
            "the prompt is empty; pass --prompt \"what to draw\"",
        ));
    }
    Ok(RequestParams {
        prompt: p.prompt.clone(),
        negative_prompt: p.negative.clone().filter(|s| !s.trim().is_empty()),
        width: p.size.0,
        height: p.size.1,
        quality: p.quality.clone(),
        n: p.n,
        steps: p.steps,
        seed: p.seed,
    })
}

/// Refuses offer ids the catalog does not know, naming close matches, before the engine
/// is asked (the engine checks too; this gives the friendlier message).
pub fn check_offers(ctx: &Ctx, ids: &[String]) -> CliResult<()> {
    let known = ctx.engine.offers();
    if known.is_empty() {
        return Ok(());
    }
    for id in ids {
        if known.iter().any(|o| &o.offer_id == id) {
            continue;
        }
        let needle = id.rsplit([':', '/']).next().unwrap_or(id).to_lowercase();
        let close: Vec<&str> = known
            .iter()
            .filter(|o| !needle.is_empty() && o.offer_id.to_lowercase().contains(&needle))
            .map(|o| o.offer_id.as_str())
            .take(5)
            .collect();
        let hint = if close.is_empty() {
            "run `proofsheet-cli offers` to list them".to_string()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        return Err(CliError::not_found(format!("unknown offer '{id}': {hint}")));
    }
    Ok(())
}

/// Prints a serializable result as JSON, or the human text.
pub fn emit<T: serde::Serialize>(
    ctx: &Ctx,
    value: &T,
    human: impl FnOnce() -> String,
) -> CliResult<()> {
    if ctx.json {
        output::json(value)
    } else {
        output::line(&human())
    }
}

//! One module per command group; each is a thin adapter over `engine::Engine`.

mod catalog;
mod charges;
mod drift;
mod estimate;
mod finalize;
mod gallery;
mod gateway;
mod generate;
mod inputs;
mod jobs;
mod keys;
mod progress;
mod project;
mod team;
mod team_approvals;
mod team_report;
mod team_sync;

use std::io::{IsTerminal, Read};
use std::path::Path;
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
        Command::Finalize(a) => finalize::finalize(ctx, a).await,
        Command::Upscale(a) => finalize::upscale(ctx, a).await,
        Command::Show(a) => gallery::show(ctx, a).await,
        Command::Gallery(c) => gallery::run(ctx, c).await,
        Command::Report(a) => gallery::report(ctx, a).await,
        Command::Offers { action: None } => estimate::offers(ctx),
        Command::Offers { action: Some(a) } => drift::offers(ctx, a).await,
        Command::Drift(c) => drift::run(ctx, c).await,
        Command::Recover => project::recover(ctx).await,
        Command::Jobs => jobs::run(ctx).await,
        Command::Charges(c) => charges::run(ctx, c).await,
        Command::Catalog(c) => catalog::run(ctx, c).await,
        Command::Gateway(c) => gateway::run(ctx, c).await,
        Command::Team(c) => team::run(ctx, c).await,
    }
}

pub use catalog::offline as catalog_offline;

/// Far above any model's prompt cap (32,000 characters): enough for the engine to say
/// which models refuse it, small enough that `--prompt-file /dev/zero` stops.
const MAX_PROMPT_BYTES: u64 = 4 * 1024 * 1024;

/// Where a text parameter came from, for messages.
enum Source<'a> {
    Arg(&'a str),
    Stdin,
    File(&'a Path),
}

fn source<'a>(text: Option<&'a str>, file: Option<&'a Path>) -> Option<Source<'a>> {
    match (text, file) {
        (_, Some(f)) => Some(Source::File(f)),
        (Some("-"), None) => Some(Source::Stdin),
        (Some(t), None) => Some(Source::Arg(t)),
        (None, None) => None,
    }
}

/// Reads a prompt from its argument, a file or stdin. Text from a file or stdin loses
/// its trailing line break, so `echo "a fox" | … --prompt -` is the same request as
/// `--prompt "a fox"` (dedup).
fn read_text(src: &Source<'_>, what: &str, flag: &str) -> CliResult<String> {
    let (raw, from) = match src {
        Source::Arg(t) => return Ok((*t).to_string()),
        Source::Stdin => {
            if std::io::stdin().is_terminal() {
                eprintln!("Type the {what}, then press Enter and Ctrl-D.");
            }
            let mut raw = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_PROMPT_BYTES + 1)
                .read_to_end(&mut raw)
                .map_err(|e| CliError::usage(format!("cannot read the {what} from stdin: {e}")))?;
            (raw, "stdin".to_string())
        }
        Source::File(path) => {
            let shown = output::safe(&path.display().to_string());
            let file = std::fs::File::open(path).map_err(|e| {
                CliError::usage(format!("cannot read the {what} file {shown}: {e}"))
            })?;
            let mut raw = Vec::new();
            file.take(MAX_PROMPT_BYTES + 1)
                .read_to_end(&mut raw)
                .map_err(|e| {
                    CliError::usage(format!("cannot read the {what} file {shown}: {e}"))
                })?;
            (raw, format!("the file {shown}"))
        }
    };
    if raw.len() as u64 > MAX_PROMPT_BYTES {
        return Err(CliError::usage(format!(
            "the {what} in {from} is larger than 4 MiB; models accept at most a few \
             thousand words"
        )));
    }
    let text = String::from_utf8(raw)
        .map_err(|_| CliError::usage(format!("the {what} in {from} is not UTF-8 text")))?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.trim().is_empty() && matches!(src, Source::Stdin) {
        return Err(CliError::usage(format!(
            "no {what} on stdin; pipe it in, e.g. `echo \"a red fox\" | proofsheet-cli \
             estimate {flag} -`"
        )));
    }
    Ok(text.to_string())
}

/// `params`, with the input flags applied (files imported into the library).
pub async fn request_params(ctx: &Ctx, p: &ParamArgs) -> CliResult<RequestParams> {
    let mut out = params(p)?;
    inputs::apply(ctx, &p.inputs, &mut out).await?;
    Ok(out)
}

pub fn params(p: &ParamArgs) -> CliResult<RequestParams> {
    let prompt_src = source(p.prompt.as_deref(), p.prompt_file.as_deref());
    let negative_src = source(p.negative.as_deref(), p.negative_file.as_deref());
    let Some(prompt_src) = prompt_src else {
        // No prompt at all: fine for an operation on an image (each offer that needs
        // one says so in the estimate), not for text to image.
        if inputs::implied(&p.inputs) == engine::api::Operation::Generate {
            return Err(CliError::usage(
                "no prompt; pass --prompt \"what to draw\" or --prompt-file FILE (only an \
                 operation on an --image, e.g. --scale 2 or --op upscale, runs without one)",
            ));
        }
        let negative = match &negative_src {
            Some(src) => Some(read_text(src, "negative prompt", "--negative")?),
            None => None,
        };
        return Ok(build(p, String::new(), negative));
    };
    if matches!(prompt_src, Source::Stdin) && matches!(negative_src, Some(Source::Stdin)) {
        return Err(CliError::usage(
            "only one of --prompt and --negative can read stdin; put the other in a file \
             (--prompt-file, --negative-file)",
        ));
    }
    let prompt = read_text(&prompt_src, "prompt", "--prompt")?;
    if prompt.trim().is_empty() {
        let from = match prompt_src {
            Source::File(f) => format!(" (in {})", output::safe(&f.display().to_string())),
            _ => String::new(),
        };
        return Err(CliError::usage(format!(
            "the prompt is empty{from}; pass --prompt \"what to draw\""
        )));
    }
    let negative = match &negative_src {
        Some(src) => Some(read_text(src, "negative prompt", "--negative")?),
        None => None,
    };
    Ok(build(p, prompt, negative))
}

fn build(p: &ParamArgs, prompt: String, negative: Option<String>) -> RequestParams {
    RequestParams {
        prompt,
        negative_prompt: negative.filter(|s| !s.trim().is_empty()),
        width: p.size.0,
        height: p.size.1,
        quality: p.quality.clone(),
        n: p.n,
        steps: p.steps,
        seed: p.seed,
        ..RequestParams::text("", 0, 0)
    }
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

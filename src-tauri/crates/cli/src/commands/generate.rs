//! `generate` and `promote`: run a job to its end, progress on stderr, Ctrl-C cancels.

use engine::api::{
    AttemptOutcome, AttemptView, DeferredJobView, GenerateInput, GenerationResult,
    GenerationStatus, Route, RouteDecision, RoutePreviewInput,
};
use engine::{EngineError, ErrorKind};

use super::progress::{cancellable, tracker};
use super::{Ctx, check_offers, emit, request_params};
use crate::args::{GenerateArgs, PromoteArgs};
use crate::exit::{CANCELLED, CliError, CliResult, Kind, OK};
use crate::output::{self, clean, normalize_amounts, safe, table, usd, usd_opt};

pub async fn generate(ctx: &Ctx, a: GenerateArgs) -> CliResult<u8> {
    let route = match (a.draft, a.final_, a.offer) {
        (_, _, Some(id)) => {
            check_offers(ctx, std::slice::from_ref(&id))?;
            Route::Offer(id)
        }
        (_, true, None) => Route::Final,
        _ => Route::Draft,
    };
    let project = a.project.clone();
    if a.plan {
        let d = ctx
            .engine
            .route_preview(RoutePreviewInput {
                project: a.project,
                params: request_params(ctx, &a.params).await?,
                route,
            })
            .await?;
        emit(ctx, &d, || plan_text(&d))?;
        return Ok(if d.can_run { OK } else { crate::exit::GENERAL });
    }
    let input = GenerateInput {
        project: a.project,
        params: request_params(ctx, &a.params).await?,
        route,
        no_dedup: a.no_dedup,
    };
    let (progress, job, _rx) = tracker(&ctx.engine, ctx.quiet);
    if a.later {
        let out = cancellable(&job, ctx.quiet, ctx.engine.generate_later(input, progress)).await;
        return match out {
            Ok(result) => {
                let deferred = super::jobs::of(ctx, &result.generation_id).await;
                let extra = deferred
                    .as_ref()
                    .map(|d| serde_json::json!({ "deferred": d }));
                finish_with(ctx, &result, extra, deferred.as_ref())
            }
            Err(e) => Err(explain(ctx, e, &project).await),
        };
    }
    let out = cancellable(&job, ctx.quiet, ctx.engine.generate(input, progress)).await;
    match out {
        Ok(result) => finish(ctx, &result, None),
        Err(e) => Err(explain(ctx, e, &project).await),
    }
}

pub async fn promote(ctx: &Ctx, a: PromoteArgs) -> CliResult<u8> {
    let draft = a.generation_id;
    let preview = ctx.engine.promote_preview(&draft).await?;
    if !ctx.quiet {
        eprintln!(
            "[proofsheet] promoting draft {} (cost {}) on the final chain: {}",
            safe(&draft),
            usd(preview.draft_cost_usd),
            plan_text(&preview.decision),
        );
        for line in &preview.differences {
            eprintln!("[proofsheet]   {}", safe(line));
        }
    }
    let (progress, job, _rx) = tracker(&ctx.engine, ctx.quiet);
    let out = cancellable(
        &job,
        ctx.quiet,
        ctx.engine.promote_and_wait(&draft, progress),
    )
    .await;
    let result = match out {
        Ok(result) => result,
        Err(e) => {
            let project = ctx
                .engine
                .generation_detail(&draft)
                .await
                .map(|d| d.project)
                .unwrap_or_default();
            return Err(explain(ctx, e, &project).await);
        }
    };
    let extra = serde_json::json!({ "parent_id": draft, "preview": preview });
    finish(ctx, &result, Some(extra))
}

/// Prints the result (also when it failed: the attempts explain why) and picks the code.
pub(crate) fn finish(
    ctx: &Ctx,
    r: &GenerationResult,
    extra: Option<serde_json::Value>,
) -> CliResult<u8> {
    finish_with(ctx, r, extra, None)
}

fn finish_with(
    ctx: &Ctx,
    r: &GenerationResult,
    extra: Option<serde_json::Value>,
    deferred: Option<&DeferredJobView>,
) -> CliResult<u8> {
    let code = match r.status {
        GenerationStatus::Succeeded | GenerationStatus::Reused | GenerationStatus::Deferred => OK,
        GenerationStatus::Cancelled => CANCELLED,
        GenerationStatus::Failed => failure_kind(r).code(),
        GenerationStatus::Queued | GenerationStatus::Running => Kind::General.code(),
    };
    if ctx.json {
        let mut doc = serde_json::to_value(r)
            .map_err(|e| CliError::general(format!("cannot encode the result: {e}")))?;
        if let (Some(obj), Some(serde_json::Value::Object(more))) = (doc.as_object_mut(), extra) {
            obj.extend(more);
        }
        output::json(&doc)?;
    } else {
        output::line(&human(r, deferred))?;
    }
    // Progress lines already said it unless they were silenced.
    if let Some(w) = r.budget_warning.as_deref().filter(|_| ctx.quiet) {
        eprintln!("proofsheet-cli: warning: {}", clean(&normalize_amounts(w)));
    }
    if code != OK {
        let why = r
            .error
            .clone()
            .unwrap_or_else(|| "the generation did not complete".into());
        eprintln!("proofsheet-cli: {}", clean(&normalize_amounts(&why)));
    }
    Ok(code)
}

fn failure_kind(r: &GenerationResult) -> Kind {
    if r.attempts
        .iter()
        .any(|a| a.outcome == AttemptOutcome::Cancelled)
    {
        Kind::Cancelled
    } else {
        Kind::Provider
    }
}

fn human(r: &GenerationResult, deferred: Option<&DeferredJobView>) -> String {
    let n = r.images.len();
    let plural = if n == 1 { "image" } else { "images" };
    let via = r
        .attempts
        .iter()
        .rev()
        .find(|a| a.outcome == AttemptOutcome::Succeeded)
        .map(|a| format!(" with {} {}", a.provider, a.model))
        .unwrap_or_default();
    let mut s = match r.status {
        GenerationStatus::Reused => format!(
            "Reused {n} {plural} from the gallery for $0 (saved {}); pass --no-dedup to pay for new ones.",
            usd(r.saved_usd)
        ),
        GenerationStatus::Succeeded => {
            format!("Generated {n} {plural}{via} for {}.", usd(r.cost_usd))
        }
        GenerationStatus::Cancelled => format!(
            "Cancelled; charged {} for work already billed.",
            usd(r.cost_usd)
        ),
        GenerationStatus::Deferred => match deferred {
            Some(d) => format!(
                "Deferred: sent to {}'s batch API as {} ({}), {} reserved at the batch price; \
                 expected by {}. `proofsheet-cli jobs` shows it; any later proofsheet-cli run \
                 lands it in the gallery with its real cost.",
                d.provider,
                safe(&d.remote_id),
                safe(&d.offer_id),
                usd(d.reserved_usd),
                safe(&d.expected_by)
            ),
            None => "Deferred: sent to the provider's batch API; `proofsheet-cli jobs` shows it."
                .to_string(),
        },
        _ => format!(
            "Failed: {} (charged {}).",
            safe(&normalize_amounts(
                r.error.as_deref().unwrap_or("no attempt succeeded")
            )),
            usd(r.cost_usd)
        ),
    };
    if !r.unconfirmed_usd.is_zero() {
        s.push_str(&format!(
            "\n  {} of this is unconfirmed: the request was sent and the provider never \
             confirmed the outcome. Check its dashboard, then `proofsheet-cli charges confirm ID` \
             or `charges refund ID` (`charges list` shows the ids).",
            usd(r.unconfirmed_usd)
        ));
    }
    for a in r.attempts.iter().filter_map(|a| a.review.as_ref()) {
        s.push_str(&format!("\n  review: {}", safe(&normalize_amounts(a))));
    }
    s.push_str(&format!("\n  generation {}", r.generation_id));
    for img in &r.images {
        s.push_str(&format!(
            "\n  {}  {}x{}  {}",
            safe(&img.path),
            img.width,
            img.height,
            img.mime
        ));
    }
    if !r.attempts.is_empty()
        && (r.attempts.len() > 1
            || !matches!(
                r.status,
                GenerationStatus::Succeeded | GenerationStatus::Deferred
            ))
    {
        s.push_str("\n\n");
        s.push_str(&attempts_table(&r.attempts));
    }
    s
}

/// One row per attempt: who was asked, what came back, what it cost and why it failed.
pub fn attempts_table(attempts: &[AttemptView]) -> String {
    let rows: Vec<Vec<String>> = attempts
        .iter()
        .map(|a| {
            vec![
                a.provider.to_string(),
                a.model.clone(),
                a.outcome.to_string(),
                match (a.billed, a.unconfirmed) {
                    (true, true) => format!("unconfirmed (charge {})", a.attempt_id),
                    (true, false) => "yes".into(),
                    _ => "no".into(),
                },
                usd(a.cost_usd),
                normalize_amounts(
                    a.error
                        .as_deref()
                        .or(a.review.as_deref())
                        .unwrap_or_default(),
                )
                .into_owned(),
            ]
        })
        .collect();
    table(
        &["provider", "model", "outcome", "billed", "cost", "error"],
        &rows,
        &[4],
    )
}

/// A budget refusal gets the budget picture (when the engine did not give it) and the
/// command that changes the budget.
pub(crate) async fn explain(ctx: &Ctx, e: EngineError, project: &str) -> CliError {
    let mut err = CliError::from(e.clone());
    if e.kind != ErrorKind::Budget {
        return err;
    }
    if !e.message.contains(" left")
        && let Ok(p) = ctx.engine.project_show(project).await
    {
        err = err.hint(format!(
            "Project {}: {} left of a {} budget ({} spent, {} reserved by running jobs).",
            p.name,
            usd_opt(p.remaining_usd),
            usd_opt(p.budget_usd),
            usd(p.spent_usd),
            usd(p.reserved_usd),
        ));
    }
    let name = shell_word(project);
    err.hint(format!(
        "Raise it with `proofsheet-cli project set {name} --budget USD`, make it soft with \
         `proofsheet-cli project set {name} --soft`, or price cheaper offers with \
         `proofsheet-cli estimate --project {name}`."
    ))
}

/// `name` as one shell word, quoted only when it needs to be.
pub fn shell_word(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+,".contains(c));
    if plain {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\'', r"'\''"))
    }
}

/// The routing decision in one line (the app's Draft/Final button says the same).
pub fn plan_text(d: &RouteDecision) -> String {
    if !d.can_run {
        return format!(
            "cannot run: {} — {}",
            safe(
                d.reason
                    .as_deref()
                    .unwrap_or("no offer can make this request")
            ),
            safe(d.fix.as_deref().unwrap_or(""))
        );
    }
    let name = safe(d.display_name.as_deref().unwrap_or(""));
    let mut out = if d.dedup_hit {
        format!("{name} — already in the gallery, $0 to reuse")
    } else {
        format!(
            "{name} ({}) {}×{}{} — expected {}, holds up to {}",
            safe(d.offer_id.as_deref().unwrap_or("")),
            d.width,
            d.height,
            d.quality
                .as_deref()
                .map(|q| format!(" {}", safe(q)))
                .unwrap_or_default(),
            usd(d.expected_usd.unwrap_or_default()),
            usd(d.reserve_usd.unwrap_or_default()),
        )
    };
    for n in &d.notes {
        out.push_str(&format!("; {}", safe(n)));
    }
    for s in &d.skipped {
        out.push_str(&format!(
            "; skips {}: {}",
            safe(&s.display_name),
            safe(&s.reason)
        ));
    }
    out
}

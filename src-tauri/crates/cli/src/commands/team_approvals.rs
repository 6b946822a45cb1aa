//! Approval of spend from the command line (issue 18 item 5): admins list, approve and
//! refuse requests; a requester withdraws one or, after a restart, resumes its wait.

use team::{Approval, Team};

use super::generate::{explain, finish};
use super::progress::{cancellable, tracker};
use super::team::{joined, service};
use super::{Ctx, emit};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{safe, table, usd};
use crate::team_approval_args::ThresholdArgs;
use crate::team_args::TeamCommand;
use crate::team_link::{self, cli_error};

pub async fn run(ctx: &Ctx, c: TeamCommand) -> CliResult<u8> {
    if let TeamCommand::Resume(a) = c {
        return resume(ctx, a.id).await;
    }
    let t = team_link::connect(&joined(ctx)?, &service(ctx)).await?;
    match c {
        TeamCommand::Approvals(a) => list(ctx, &t, a.all).await,
        TeamCommand::Approve(a) => {
            let done = t.approve(a.id).await.map_err(cli_error)?;
            one(ctx, &done, "approved: the requester's job runs it once")
        }
        TeamCommand::Refuse(a) => {
            let done = t.refuse(a.id, &a.why).await.map_err(cli_error)?;
            one(
                ctx,
                &done,
                "refused: the requester is shown your reason; nothing is charged",
            )
        }
        TeamCommand::Withdraw(a) => {
            ctx.engine.cancel_approval(&a.id.to_string()).await?;
            let done = t.approval(a.id).await.map_err(cli_error)?;
            one(ctx, &done, "withdrawn; nothing was charged")
        }
        _ => Err(CliError::general("not an approval command")),
    }
}

fn row(a: &Approval) -> Vec<String> {
    vec![
        a.id.to_string(),
        a.state.as_str().to_owned(),
        a.project.clone(),
        a.requester.clone(),
        usd(a.estimate),
        a.offer.clone(),
        a.created_at.clone(),
        a.prompt_summary.chars().take(48).collect(),
    ]
}

const HEADER: [&str; 8] = [
    "id",
    "state",
    "project",
    "requester",
    "estimate",
    "offer",
    "asked",
    "prompt",
];

async fn list(ctx: &Ctx, t: &Team, all: bool) -> CliResult<u8> {
    let list = t.approvals(!all).await.map_err(cli_error)?;
    emit(ctx, &serde_json::json!({ "approvals": list }), || {
        if list.is_empty() {
            return if all {
                "No approval requests.".to_owned()
            } else {
                "No request is waiting for approval.".to_owned()
            };
        }
        let rows: Vec<Vec<String>> = list.iter().map(row).collect();
        table(&HEADER, &rows, &[4])
    })?;
    Ok(OK)
}

fn one(ctx: &Ctx, a: &Approval, what: &str) -> CliResult<u8> {
    emit(ctx, &serde_json::json!({ "approval": a }), || {
        format!(
            "Request {} ({} on {}, est {}): {what}.",
            a.id,
            safe(&a.requester),
            safe(&a.project),
            usd(a.estimate)
        )
    })?;
    Ok(OK)
}

/// `team project approval NAME --over USD | --off` (admins).
pub async fn threshold(ctx: &Ctx, t: &Team, a: ThresholdArgs) -> CliResult<u8> {
    let over = if a.off { None } else { a.over };
    t.set_approval_threshold(&a.name, over)
        .await
        .map_err(cli_error)?;
    emit(
        ctx,
        &serde_json::json!({ "project": a.name, "approval_threshold_usd": over }),
        || match over {
            Some(v) => format!(
                "{}: requests whose worst case exceeds {} wait for an admin's approval.",
                safe(&a.name),
                usd(v)
            ),
            None => format!("{}: no approval needed.", safe(&a.name)),
        },
    )?;
    Ok(OK)
}

async fn resume(ctx: &Ctx, id: Option<String>) -> CliResult<u8> {
    let Some(id) = id else {
        let waiting = ctx.engine.awaiting_approvals().await?;
        emit(
            ctx,
            &serde_json::json!({ "awaiting_approval": waiting }),
            || {
                if waiting.is_empty() {
                    return "No request of this library is waiting for approval.".to_owned();
                }
                let rows: Vec<Vec<String>> = waiting
                    .iter()
                    .map(|w| {
                        vec![
                            w.approval_id.clone(),
                            w.project.clone(),
                            usd(w.estimate_usd),
                            w.requested_at.clone(),
                            w.prompt.chars().take(48).collect(),
                        ]
                    })
                    .collect();
                table(
                    &["id", "project", "estimate", "asked", "prompt"],
                    &rows,
                    &[2],
                )
            },
        )?;
        return Ok(OK);
    };
    let (progress, job, _rx) = tracker(&ctx.engine, ctx.quiet);
    let out = cancellable(
        &job,
        ctx.quiet,
        ctx.engine.resume_approval_and_wait(&id, progress),
    )
    .await;
    match out {
        Ok(result) => finish(ctx, &result, None),
        Err(e) => {
            let project = ctx
                .engine
                .awaiting_approvals()
                .await
                .ok()
                .and_then(|w| w.into_iter().find(|w| w.approval_id == id))
                .map(|w| w.project)
                .unwrap_or_default();
            Err(explain(ctx, e, &project).await)
        }
    }
}

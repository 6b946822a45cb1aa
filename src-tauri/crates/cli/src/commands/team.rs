//! `team join|status|leave|project` (issue 18). The database password travels one way:
//! stdin (or the URL) → keychain; `team.json` keeps the URL without it.

use std::io::Read;

use engine::api::{BudgetPeriod, ProjectInput};
use team::{ProjectBudget, Team};

use super::{Ctx, emit};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{safe, usd, usd_opt};
use crate::team_args::{TeamCommand, TeamJoinArgs, TeamProjectArgs, TeamProjectCommand};
use crate::team_link::{self, TeamConfig, cli_error};

pub async fn run(ctx: &Ctx, c: TeamCommand) -> CliResult<u8> {
    match c {
        TeamCommand::Join(a) => join(ctx, a).await,
        TeamCommand::Status => status(ctx).await,
        TeamCommand::Leave => leave(ctx).await,
        TeamCommand::Project(p) => project(ctx, p).await,
        TeamCommand::Sync(a) => super::team_sync::run(ctx, a).await,
        TeamCommand::Report(a) => super::team_report::run(ctx, a).await,
        other => super::team_approvals::run(ctx, other).await,
    }
}

pub(super) fn data_dir(ctx: &Ctx) -> &std::path::Path {
    &ctx.engine.config().data_dir
}

pub(super) fn service(ctx: &Ctx) -> String {
    ctx.engine.config().keychain_service.clone()
}

pub(super) fn joined(ctx: &Ctx) -> CliResult<TeamConfig> {
    team_link::load(data_dir(ctx))?.ok_or_else(|| {
        CliError::not_found("this library is not in a team").hint(
            "join one: `proofsheet-cli team join --db postgres://USER@HOST/DB --password-stdin`",
        )
    })
}

/// The first `n` lines of stdin (secrets: the password, the storage secret).
fn read_stdin_lines(n: usize) -> CliResult<Vec<String>> {
    let mut raw = Vec::new();
    std::io::stdin()
        .lock()
        .take(4096)
        .read_to_end(&mut raw)
        .map_err(|e| CliError::usage(format!("cannot read the password from stdin: {e}")))?;
    let text = String::from_utf8(raw)
        .map_err(|_| CliError::usage("the password on stdin is not UTF-8 text"))?;
    let lines: Vec<String> = text.lines().take(n).map(str::to_owned).collect();
    if lines.len() < n || lines.iter().any(String::is_empty) {
        return Err(CliError::usage(format!(
            "expected {n} non-empty line(s) on stdin (the password with --password-stdin, then \
             the storage secret with --storage-secret-stdin); pipe them in: `printf '%s\\n' \
             \"$PASSWORD\" | proofsheet-cli team join … --password-stdin`"
        )));
    }
    Ok(lines)
}

async fn join(ctx: &Ctx, a: TeamJoinArgs) -> CliResult<u8> {
    if let Some(s) = &a.storage
        && !s.starts_with("s3://")
    {
        return Err(CliError::usage(format!(
            "--storage must be an s3://BUCKET address (got {})",
            safe(s)
        )));
    }
    let url = team::split_password(&a.db).map_err(cli_error)?;
    let mut stdin = if a.password_stdin || a.storage_secret_stdin {
        read_stdin_lines(usize::from(a.password_stdin) + usize::from(a.storage_secret_stdin))?
    } else {
        Vec::new()
    }
    .into_iter();
    let stdin_password = if a.password_stdin { stdin.next() } else { None };
    let storage_secret = stdin.next();
    let password = match (stdin_password, url.password.clone()) {
        (Some(_), Some(_)) => {
            return Err(CliError::usage(
                "the URL has a password and --password-stdin was given; pass only one",
            ));
        }
        (Some(p), None) => Some(p),
        (None, Some(_)) => {
            if !ctx.quiet {
                eprintln!(
                    "note: the password given in the URL is stored in the keychain; it may still \
                     be in your shell history (prefer --password-stdin)"
                );
            }
            None
        }
        (None, None) => None,
    };
    // The window joins through the same engine call, which probes the bucket with its
    // key and keeps the key in the keychain.
    let (_, s) = ctx
        .engine
        .team_join(engine::api::TeamJoinInput {
            db_url: a.db,
            password,
            team_name: Some(a.team),
            storage: a.storage.clone(),
            endpoint: a.endpoint.clone(),
            storage_key_id: a.storage_key_id.clone(),
            storage_secret,
        })
        .await?;
    let doc = serde_json::json!({
        "team": s.team, "member": s.member, "role": s.role, "machine": s.machine,
        "schema_version": s.schema_version, "db": s.db, "storage": s.storage,
        "endpoint": s.endpoint,
    });
    emit(ctx, &doc, || {
        format!(
            "Joined team {} as {} ({}), machine {}. Schema version {}.",
            safe(s.team.as_deref().unwrap_or("")),
            safe(s.member.as_deref().unwrap_or("")),
            s.role.as_deref().unwrap_or(""),
            s.machine.as_deref().unwrap_or(""),
            s.schema_version.unwrap_or(0)
        )
    })?;
    Ok(OK)
}

async fn status(ctx: &Ctx) -> CliResult<u8> {
    let c = joined(ctx)?;
    let outcome = match team_link::connect(&c, &service(ctx)).await {
        Ok(t) => t.status().await.map_err(cli_error),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(s) => {
            let doc = serde_json::json!({
                "reachable": true, "team": s.team, "member": s.member, "role": s.role,
                "machine": s.machine, "schema_version": s.schema_version,
                "app_schema_version": s.app_schema_version, "db": c.db, "storage": c.storage,
                "endpoint": c.endpoint,
            });
            emit(ctx, &doc, || {
                format!(
                    "Team {}: server reachable at {}, schema {} (this app {}). You are {} ({}) on machine {}.",
                    safe(&s.team),
                    safe(&c.db),
                    s.schema_version,
                    s.app_schema_version,
                    safe(&s.member),
                    s.role.as_str(),
                    s.machine
                )
            })?;
            Ok(OK)
        }
        Err(e) => {
            // One document either way: what is configured, and why it is not usable.
            if ctx.json {
                let doc = serde_json::json!({
                    "reachable": false, "team": c.team, "member": c.member, "machine": c.machine,
                    "db": c.db, "error": { "kind": e.kind, "code": e.kind.code(), "message": e.message },
                });
                crate::output::json(&doc)?;
            }
            eprintln!("proofsheet-cli: error: {}", e.display());
            Ok(e.kind.code())
        }
    }
}

async fn leave(ctx: &Ctx) -> CliResult<u8> {
    joined(ctx)?;
    // The window leaves through the same engine call.
    let left = ctx.engine.team_leave().await?;
    let c = left.config;
    let doc = serde_json::json!({
        "left": true, "team": c.team, "member": c.member, "server_updated": true,
        "recovery_messages": left.recovery_messages,
    });
    emit(ctx, &doc, || {
        format!(
            "Left team {}; the keychain password and team config of this library are removed. \
             Team projects here refuse paid work until you join again.",
            safe(&c.team)
        )
    })?;
    Ok(OK)
}

/// Makes sure the local project exists and is marked as a team project.
async fn use_locally(ctx: &Ctx, name: &str, client: Option<String>) -> CliResult<()> {
    if ctx.engine.is_team_project(name).await.is_err() {
        ctx.engine
            .project_create(ProjectInput {
                name: name.to_owned(),
                client,
                budget_usd: None,
                period: BudgetPeriod::Total,
                hard: true,
                warn_at: Vec::new(),
                draft_chain: Vec::new(),
                final_chain: Vec::new(),
                allow_safety_fallback: false,
                preflight_moderation: false,
                final_quality: None,
            })
            .await?;
    }
    ctx.engine.set_team_project(name, true).await?;
    Ok(())
}

async fn project(ctx: &Ctx, p: TeamProjectCommand) -> CliResult<u8> {
    let c = joined(ctx)?;
    let t = team_link::connect(&c, &service(ctx)).await?;
    match p {
        TeamProjectCommand::Create(a) => create(ctx, &t, a).await,
        TeamProjectCommand::Use { name } => {
            if !t.projects().await.map_err(cli_error)?.contains(&name) {
                return Err(CliError::not_found(format!(
                    "the team has no project named \"{}\"",
                    safe(&name)
                ))
                .hint(
                    "an admin creates it: `proofsheet-cli team project create NAME --budget USD`",
                ));
            }
            use_locally(ctx, &name, None).await?;
            show(ctx, &t, &name).await
        }
        TeamProjectCommand::Show { name } => show(ctx, &t, &name).await,
        TeamProjectCommand::Approval(a) => super::team_approvals::threshold(ctx, &t, a).await,
        TeamProjectCommand::List => {
            let names = t.projects().await.map_err(cli_error)?;
            emit(ctx, &serde_json::json!({ "projects": names }), || {
                names.iter().map(|n| safe(n)).collect::<Vec<_>>().join("\n")
            })?;
            Ok(OK)
        }
    }
}

async fn create(ctx: &Ctx, t: &Team, a: TeamProjectArgs) -> CliResult<u8> {
    let budget = ProjectBudget {
        amount: a.budget,
        monthly: a.monthly,
        hard: !a.soft,
        member_cap: a.member_cap,
        client: a.client.clone(),
    };
    t.set_project(&a.name, &budget).await.map_err(cli_error)?;
    use_locally(ctx, &a.name, a.client).await?;
    show(ctx, t, &a.name).await
}

async fn show(ctx: &Ctx, t: &Team, name: &str) -> CliResult<u8> {
    let m = t.meter(name).await.map_err(cli_error)?;
    let audit = t.audit(name).await.map_err(cli_error)?;
    let doc = serde_json::json!({
        "name": m.project, "budget_usd": m.budget, "monthly": m.monthly, "hard": m.hard,
        "member_cap_usd": m.member_cap, "spent_usd": m.spent, "reserved_usd": m.reserved,
        "unconfirmed_usd": m.unconfirmed, "remaining_usd": m.remaining, "saved_usd": m.saved,
        "member": t.member().name, "member_month_spent_usd": m.member_month_spent,
        "member_reserved_usd": m.member_reserved, "open_generations": audit.open_generations,
        "ledger_spent_usd": audit.ledger_spent, "ledger_reserved_usd": audit.ledger_reserved,
        "balanced": audit.balanced(),
    });
    emit(ctx, &doc, || {
        format!(
            "{} (team): budget {}{}, spent {}, held {}, left {}; you: {} this month{}. Ledger {}.",
            safe(name),
            usd_opt(m.budget),
            if m.hard { " hard" } else { " soft" },
            usd(m.spent),
            usd(m.reserved),
            usd_opt(m.remaining),
            usd(m.member_month_spent),
            m.member_cap
                .map(|c| format!(" of your {} cap", usd(c)))
                .unwrap_or_default(),
            if audit.balanced() {
                "balanced"
            } else {
                "NOT balanced"
            }
        )
    })?;
    Ok(OK)
}

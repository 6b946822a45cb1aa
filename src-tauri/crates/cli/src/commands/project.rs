//! `project create|show|list` and `recover`.

use engine::ErrorKind;
use engine::api::{BudgetPeriod, ProjectInput, ProjectView};

use super::{Ctx, check_offers, emit};
use crate::args::{ProjectCommand, ProjectCreateArgs};
use crate::exit::{CliError, CliResult, OK};
use crate::output::{clean, normalize_amounts, safe, table, usd, usd_opt};

pub async fn run(ctx: &Ctx, c: ProjectCommand) -> CliResult<u8> {
    match c {
        ProjectCommand::Create(a) => create(ctx, a).await,
        ProjectCommand::Show { name } => show(ctx, &name).await,
        ProjectCommand::List => list(ctx).await,
    }
}

async fn create(ctx: &Ctx, a: ProjectCreateArgs) -> CliResult<u8> {
    let name = a.name.trim().to_string();
    if name.is_empty() {
        return Err(CliError::usage("the project name is empty"));
    }
    match ctx.engine.project_show(&name).await {
        Ok(_) => {
            return Err(CliError::usage(format!(
                "project '{name}' already exists; see it with `proofsheet-cli project show {name}`"
            )));
        }
        Err(e) if e.kind == ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    check_offers(ctx, &a.draft_chain)?;
    check_offers(ctx, &a.final_chain)?;
    if a.warn_at
        .iter()
        .any(|f| f.is_zero() || *f > rust_decimal::Decimal::ONE)
    {
        return Err(CliError::usage(
            "--warn-at takes fractions of the budget between 0 and 1, e.g. 0.5,0.8",
        ));
    }
    let input = ProjectInput {
        name,
        client: a.client.filter(|c| !c.trim().is_empty()),
        budget_usd: a.budget,
        period: if a.monthly {
            BudgetPeriod::Monthly
        } else {
            BudgetPeriod::Total
        },
        // Budgets cannot be overrun unless the user asks for a soft one.
        hard: !a.soft,
        warn_at: a.warn_at,
        draft_chain: a.draft_chain,
        final_chain: a.final_chain,
        allow_safety_fallback: a.allow_safety_fallback,
        preflight_moderation: a.moderation,
    };
    let view = ctx.engine.project_upsert(input).await?;
    emit(ctx, &view, || {
        format!("Created project {}.\n{}", safe(&view.name), summary(&view))
    })?;
    Ok(OK)
}

async fn show(ctx: &Ctx, name: &str) -> CliResult<u8> {
    let view = ctx.engine.project_show(name).await?;
    emit(ctx, &view, || {
        format!("Project {}\n{}", safe(&view.name), summary(&view))
    })?;
    Ok(OK)
}

async fn list(ctx: &Ctx) -> CliResult<u8> {
    let projects = ctx.engine.project_list().await?;
    let doc = serde_json::json!({ "projects": projects });
    emit(ctx, &doc, || {
        if projects.is_empty() {
            return "No projects yet. Create one with `proofsheet-cli project create NAME --budget 50`.".into();
        }
        let rows: Vec<Vec<String>> = projects
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.client.clone().unwrap_or_default(),
                    usd_opt(p.budget_usd),
                    usd(p.spent_usd),
                    usd_opt(p.remaining_usd),
                    p.generations.to_string(),
                ]
            })
            .collect();
        table(
            &[
                "project",
                "client",
                "budget",
                "spent",
                "remaining",
                "generations",
            ],
            &rows,
            &[2, 3, 4, 5],
        )
    })?;
    Ok(OK)
}

pub fn summary(p: &ProjectView) -> String {
    let kind = match (&p.budget_usd, p.hard, &p.period) {
        (None, _, _) => "no budget".to_string(),
        (Some(_), hard, period) => format!(
            "{} {} budget",
            if hard { "hard" } else { "soft" },
            match period {
                BudgetPeriod::Total => "total",
                BudgetPeriod::Monthly => "monthly",
            }
        ),
    };
    let mut s = format!(
        "  budget     {} ({kind})\n  spent      {}\n  reserved   {}\n  remaining  {}\n  saved      {} by reusing gallery images",
        usd_opt(p.budget_usd),
        usd(p.spent_usd),
        usd(p.reserved_usd),
        usd_opt(p.remaining_usd),
        usd(p.saved_usd),
    );
    if let Some(client) = &p.client {
        s.push_str(&format!("\n  client     {}", safe(client)));
    }
    let chain = |c: &[String]| {
        if c.is_empty() {
            "default".to_string()
        } else {
            c.iter().map(|o| clean(o)).collect::<Vec<_>>().join(" → ")
        }
    };
    s.push_str(&format!(
        "\n  drafts     {}\n  finals     {}",
        chain(&p.draft_chain),
        chain(&p.final_chain)
    ));
    s
}

/// Waits for the reconciliation of jobs a dead process left running (started by
/// `Engine::open`) and reports it, with what is still reserved afterwards.
pub async fn recover(ctx: &Ctx) -> CliResult<u8> {
    let report = ctx.engine.recover().await?;
    let projects = ctx.engine.project_list().await?;
    let reserved: rust_decimal::Decimal = projects.iter().map(|p| p.reserved_usd).sum();
    let mut doc = serde_json::to_value(&report)
        .map_err(|e| CliError::general(format!("cannot encode the report: {e}")))?;
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("reserved_usd".into(), serde_json::json!(reserved));
    }
    emit(ctx, &doc, || {
        let mut s = format!(
            "Recovered: {} resumed, {} marked failed, {} still running at the provider; charged {}, released {}.\nStill reserved across all projects: {}",
            report.resumed.len(),
            report.failed.len(),
            report.still_running.len(),
            usd(report.charged_usd),
            usd(report.released_usd),
            usd(reserved),
        );
        for m in &report.messages {
            s.push_str(&format!("\n  {}", safe(&normalize_amounts(m))));
        }
        s
    })?;
    Ok(OK)
}
